"""Coverage-guided fuzzing (atheris) of the claims loader: any bytes give a ClaimsFile or a
ClaimsFileError. Run through ``make fuzz``; a crash is saved and kept as a regression test."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from evidence.domain.claims import parse_claims
    from evidence.domain.errors import ClaimsFileError

PATH = Path("fuzz.toml")


def one_input(data: bytes) -> None:
    with contextlib.suppress(ClaimsFileError):
        parse_claims(data, PATH)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
