"""The JSON text of stored values: exactly ``json.dumps``'s, faster for lists of strings.

Every JSON column goes through the engine's serializer (``create_engine(json_serializer=)``);
most values are short lists of strings (affiliations, MeSH qualifiers, languages, flags),
for which ``json.dumps`` spends more time setting up its encoder than encoding. The text is
the same character for character (a property test compares them), so stored rows do not
change.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Any


def json_text(value: Any) -> str:
    """``json.dumps(value)``, with its default options."""
    kind = type(value)
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        if all(type(item) is str for item in value):
            return "[" + ", ".join(map(encode_basestring_ascii, value)) + "]"
    return json.dumps(value)
