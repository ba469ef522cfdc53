"""Link annotation as it was before the prepared-text rewrite (issue 15).

A frozen copy of ``evidence/stance/{text,relevance,key_sentence,suggest}.py`` and of
``evidence.services.annotate.annotation`` at commit 2ebcdec, kept only as the oracle of
``tests/test_annotate_fast.py``: the production annotation must give exactly the values
this one gives. Do not change it to follow the stance package.
"""

from __future__ import annotations

from typing import Any

from evidence.domain.records import Article
from tests.reference_stance.key_sentence import key_sentence
from tests.reference_stance.relevance import relevance
from tests.reference_stance.suggest import suggest_stance


def annotation(statement: str, terms: tuple[str, ...], article: Article) -> dict[str, Any]:
    """The annotation columns of one link, as ``evidence.services.annotate`` gave them."""
    key = key_sentence(statement, article)
    suggestion = suggest_stance(statement, article, query_terms=terms)
    return {
        "relevance": round(relevance(statement, terms, article), 4),
        "key_sentence": key.text,
        "key_section": key.section_label,
        "suggested_stance": suggestion.stance,
        "stance_sentence": suggestion.sentence,
        "stance_cues": list(suggestion.cues),
        "stance_version": suggestion.version,
    }
