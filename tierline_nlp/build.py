"""Build the offline spaCy pipeline that Rasa's ``SpacyNLP`` loads from a path.

Usage: ``python -m tierline_nlp.build OUTPUT_DIR``. Nothing is downloaded: the pipeline is a
blank English tokenizer plus an EntityRuler whose patterns live in :mod:`tierline_nlp.patterns`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import spacy
from spacy.language import Language

from tierline_nlp.patterns import entity_ruler_patterns

PIPELINE_NAME = "tierline_rules"


def build_pipeline() -> Language:
    """A blank English pipeline with Tierline's entity rules."""
    nlp = spacy.blank("en")
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["description"] = (
        "Blank English tokenizer + EntityRuler for order numbers and contacts."
    )
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(entity_ruler_patterns())  # type: ignore[attr-defined]
    return nlp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", type=Path, help="directory to write the pipeline to")
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    build_pipeline().to_disk(args.output)
    print(f"spaCy pipeline written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
