"""One study's card for a claim: the record, its abstract with the claim's terms and the key
sentence marked, the machine's suggestion, and the verdicts this reviewer may see."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from evidence.domain.review import hides_others
from evidence.domain.views import ArticleArg, StudyInfo, standing_verdicts
from evidence.services.desk.common import check_linked, find_claim
from evidence.services.desk.filters import pair_state
from evidence.services.desk.index import ClaimIndex, claim_index
from evidence.services.desk.pages import AbstractPart, AbstractSectionView, StudyCard
from evidence.stance.highlight import claim_headings, highlight, matching_words
from evidence.stance.relevance import claim_terms
from evidence.store import desk as store
from evidence.store.mirror import mesh


def study_card(
    session: Session,
    slug: ArticleArg,
    claim_key: str,
    pmid: str,
    *,
    reviewer: str,
    blind: bool = False,
) -> StudyCard:
    """The card of study ``pmid`` for the claim, as ``reviewer`` may see it."""
    ref, claim = find_claim(session, slug, claim_key)
    check_linked(session, claim, pmid)
    blind = blind or claim.review.blind
    (study,) = store.studies(session, claim.id, [pmid])
    pair = store.judged_pairs(session, claim, pmid).get(pmid)
    rows = pair.verdicts if pair else ()
    study = replace(study, verdicts=rows)
    state = pair_state(pair, reviewer)
    mine = next((v for v in reversed(study.standing) if v.reviewer == reviewer), None)
    hidden = hides_others(rows, reviewer, replace(claim.review, blind=blind))
    others = {r: v for r, v in study.current_verdicts.items() if r != reviewer}
    terms = claim_terms(claim.statement, claim.query_terms)
    entries = heading_entry_terms(session, claim.query_terms)
    marked = highlight(terms, entries)
    texts = [study.title, *(text for _, text in study.abstract)]
    undo = (
        pmid if state.mine is not None else latest_standing(claim_index(session, claim), reviewer)
    )
    return StudyCard(
        claim=ref,
        study=study,
        state=state.shown(hidden),
        abstract=split_abstract(study),
        highlight=matching_words(texts, marked),
        history=tuple(v for v in rows if v.reviewer == reviewer) if hidden else rows,
        others=None if hidden else others,
        mine=mine if state.mine is not None else None,
        undo_pmid=undo,
        blind=blind,
        terms=terms,
        entry_terms=len(entries),
    )


def heading_entry_terms(session: Session, query_terms: tuple[str, ...]) -> tuple[str, ...]:
    """The entry terms of the MeSH headings the claim's queries search (no explosion): one
    small read, none when no query names a heading; () when no MeSH file is loaded."""
    headings = claim_headings(query_terms)
    return mesh.entry_terms(session, headings) if headings else ()


def split_abstract(study: StudyInfo) -> tuple[AbstractSectionView, ...]:
    """The abstract's sections, the key sentence split out where it is found."""
    key = (study.key_sentence or "").strip()
    sections = []
    marked = False
    for label, text in study.abstract:
        at = text.find(key) if key and not marked else -1
        if at < 0:
            sections.append(AbstractSectionView(label, (AbstractPart(text),)))
            continue
        marked = True
        parts = (
            AbstractPart(text[:at]),
            AbstractPart(key, key=True),
            AbstractPart(text[at + len(key) :]),
        )
        sections.append(AbstractSectionView(label, tuple(p for p in parts if p.text)))
    return tuple(sections)


def latest_standing(index: ClaimIndex, reviewer: str) -> str | None:
    """The pair of the claim on which ``reviewer`` most recently gave a verdict that stands
    (on the claim's current wording)."""
    latest: list[tuple[datetime, str]] = []
    for pmid, pair in index.pairs.items():
        mine = [v for v in pair.verdicts if v.reviewer == reviewer and not v.is_resolution]
        if mine and mine[-1].current_wording and standing_verdicts(mine):
            latest.append((mine[-1].created_at, pmid))
    return max(latest)[1] if latest else None
