"""Build the offline spaCy pipeline that Rasa's ``SpacyNLP`` loads from a path.

Usage: ``python -m rasa_extensions.nlp.build OUTPUT_DIR [--base PIPELINE]``. By default nothing is
downloaded: the pipeline is a blank English tokenizer plus an EntityRuler whose patterns live in
:mod:`rasa_extensions.nlp.patterns`. ``--base en_core_web_md`` (or any installed pipeline or
path) puts the same rules on top of a pretrained pipeline instead, ahead of its statistical NER;
the bot never requires one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import spacy
from spacy.language import Language

from rasa_extensions.nlp.patterns import entity_ruler_patterns

PIPELINE_NAME = "tierline_rules"


def build_pipeline(base: str | None = None) -> Language:
    """Tierline's entity rules on a blank English pipeline, or on the pretrained ``base``."""
    nlp = spacy.load(base) if base else spacy.blank("en")
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["description"] = f"EntityRuler for order numbers and contacts on {base or 'blank en'}."
    before = "ner" if "ner" in nlp.pipe_names else None
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True}, before=before)
    ruler.add_patterns(entity_ruler_patterns())  # type: ignore[attr-defined]
    return nlp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", type=Path, help="directory to write the pipeline to")
    parser.add_argument("--base", help="an installed pretrained spaCy pipeline to build on")
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    try:
        nlp = build_pipeline(args.base or None)
    except OSError as error:
        parser.error(f"cannot load the base pipeline {args.base!r}: {error}")
    nlp.to_disk(args.output)
    print(f"spaCy pipeline written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
