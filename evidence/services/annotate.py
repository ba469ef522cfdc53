"""Machine annotations of claim -> study links: relevance, key sentence, suggested stance.

Computed once per link and again when the stance method's version changes; stored on the
link (``claim_articles``), never mixed with reviewer verdicts. The claim's statement is
tokenised once per claim, not once per link, and each study's texts once per link (shared
by relevance, key sentence and stance). Links are annotated a batch at a time (a page of
their PMIDs read, past the last one done, then its stored texts, then its annotations
written), so memory is bounded by the batch, not by the claim's studies; the texts come
from the stored columns the annotation reads, not from re-parsing each record's XML.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from evidence import stance
from evidence.domain.records import Article
from evidence.store import reads, writes

BATCH = 500


def annotate_links(
    session: Session, claim_id: int, statement: str, query_terms: Sequence[str]
) -> int:
    """Annotate the claim's active links not annotated by the current method; return how many."""
    terms = tuple(t for term in query_terms for t in stance.query_terms(term))
    done, last = 0, None
    while pmids := writes.unannotated_links(
        session, claim_id, stance.VERSION, after=last, limit=BATCH
    ):
        annotations = {
            article.pmid: annotation(statement, terms, article)
            for article in reads.link_texts(session, pmids)
        }
        writes.save_annotations(session, claim_id, annotations)
        done, last = done + len(pmids), pmids[-1]
    return done


def annotation(statement: str, terms: tuple[str, ...], article: Article) -> dict[str, Any]:
    """The annotation columns of one link."""
    claim = stance.prepare_claim(statement, terms)
    result = stance.annotate(claim, stance.prepare_article(article))
    return {
        "relevance": round(result.relevance, 4),
        "key_sentence": result.key.text,
        "key_section": result.key.section_label,
        "suggested_stance": result.suggestion.stance,
        "stance_sentence": result.suggestion.sentence,
        "stance_cues": list(result.suggestion.cues),
        "stance_version": result.suggestion.version,
    }
