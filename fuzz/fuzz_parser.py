"""Coverage-guided fuzzing (atheris) of the efetch parser: any bytes give records or a
ParseError. Run through ``make fuzz``; a crash is saved and kept as a regression test."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from evidence.domain.errors import ParseError
    from evidence.sources.pubmed_xml.parser import parse


def one_input(data: bytes) -> None:
    try:
        for _ in parse(data):
            pass
    except ParseError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
