"""Machine annotations of claim -> study links: relevance, key sentence, suggested stance.

Computed once per link and again when the stance method's version changes; stored on the
link (``claim_articles``), never mixed with reviewer verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence import stance
from evidence.domain.records import Article
from evidence.sources.pubmed_xml.parser import parse_articles
from evidence.store.models import Article as ArticleRow
from evidence.store.models import Claim, ClaimArticle


def annotate_links(session: Session, claim: Claim, query_terms: Sequence[str]) -> int:
    """Annotate the claim's active links not annotated by the current method; return how many."""
    stale = session.execute(
        select(ClaimArticle, ArticleRow.raw_xml)
        .join(ArticleRow, ArticleRow.pmid == ClaimArticle.pmid)
        .where(
            ClaimArticle.claim_id == claim.id,
            ClaimArticle.active.is_(True),
            (ClaimArticle.stance_version.is_(None))
            | (ClaimArticle.stance_version != stance.VERSION),
        )
    ).all()
    terms = tuple(t for term in query_terms for t in stance.query_terms(term))
    for link, raw in stale:
        articles = parse_articles(b"<PubmedArticleSet>" + raw + b"</PubmedArticleSet>")
        if articles:
            _annotate(link, claim.statement, terms, articles[0])
    return len(stale)


def _annotate(link: ClaimArticle, statement: str, terms: tuple[str, ...], article: Article) -> None:
    key = stance.key_sentence(statement, article)
    suggestion = stance.suggest_stance(statement, article, query_terms=terms)
    link.relevance = round(stance.relevance(statement, terms, article), 4)
    link.key_sentence = key.text
    link.key_section = key.section_label
    link.suggested_stance = suggestion.stance
    link.stance_sentence = suggestion.sentence
    link.stance_cues = list(suggestion.cues)
    link.stance_version = suggestion.version
