"""Tierline's harness: load, faults, benchmarks and hostile input.

- ``bench`` (``make bench``, ``make bench-smoke``): NLU quality and speed against Rasa's default
  pipeline, load over Rasa's REST channel and the desk's web chat.
- ``distributed`` (``make run-scaled``) and ``scaled`` (``make test-scaled``): the distributed
  stack on one machine, under load and faults, with the hostile-input and security checks.
- ``hostile``: the hostile-input corpus and its runner; plain Python, no third-party import at
  module level, so the desk's tests run it in-process too (desk/tests/test_hostile_input.py).
"""
