"""The review desk's operations: home, a page of a claim's queue, one study's card,
recording and withdrawing verdicts, and where to go next.

Every rule is the domain's: a pair's state comes from
:func:`~evidence.domain.views.standing_verdicts` (undo), the re-review rule
(:func:`~evidence.domain.views.rereview_reason`) and the consensus
(:func:`~evidence.domain.views.consensus_of`), applied to the claim's verdict rows
(only pairs that have one, however many studies are linked); verdicts are recorded and
withdrawn by :mod:`evidence.services.review`, as the CLI does. Level, flag and a search
over title and abstract are narrowed in SQL (:mod:`evidence.store.desk`), in study order;
a page needs a fixed number of statements whatever the number of studies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from sqlalchemy.orm import Session

from evidence.domain.errors import UnknownClaimError, UnknownIdError, UnknownStudyError
from evidence.domain.views import (
    ArticleArg,
    ArticleInfo,
    ClaimSummary,
    StudyInfo,
    VerdictInfo,
    consensus_of,
    current_verdicts_of,
    rereview_reason,
    standing_verdicts,
)
from evidence.domain.vocab import NOT_REVIEWED, VERDICT_FILTERS, VERDICTS
from evidence.grading.designs import LEVELS
from evidence.grading.flags import Flag
from evidence.services import review
from evidence.services.views import summarized
from evidence.stance.relevance import claim_terms
from evidence.stance.text import STOPWORDS, stem, tokens
from evidence.store import desk as store
from evidence.store import reads

TODO: Final = "todo"  # not judged yet, or changed since review (the CLI's review queue)
UNJUDGED: Final = "unjudged"
CHANGED: Final = "changed"
JUDGED: Final = "judged"
MINE: Final = "mine"  # not judged by me yet, or changed since review
ALL: Final = "all"
STATES: Final = (TODO, UNJUDGED, CHANGED, JUDGED, MINE, ALL)
STATE_LABELS: Final = {
    TODO: "To do (not judged yet or changed since review)",
    UNJUDGED: "Not judged yet",
    CHANGED: "Changed since review",
    JUDGED: "Judged",
    MINE: "Not judged by me",
    ALL: "All studies",
}
FLAGS: Final = tuple(f.value for f in Flag)
LEVEL_NAMES: Final = dict(LEVELS)
PAGE_SIZE: Final = 50
MAX_SEARCH: Final = 200
UNDO_LOOKBACK: Final = 500  # how many of the reviewer's latest rows undo looks through


@dataclass(frozen=True)
class QueueFilter:
    """Which studies of a claim the queue shows (values already checked by :meth:`of`)."""

    state: str = TODO
    level: int | None = None
    verdict: str | None = None  # the consensus (or, in blind review, my own verdict)
    flag: str | None = None
    search: str | None = None

    @classmethod
    def of(cls, args: Mapping[str, str]) -> QueueFilter:
        """Parse request arguments; an unknown value raises :class:`UnknownIdError`."""
        state = args.get("state") or TODO
        if state not in STATES:
            raise UnknownIdError.of("queue state", state, STATES)
        level: int | None = None
        if raw := args.get("level"):
            if raw not in {str(n) for n in LEVEL_NAMES}:  # not int(): '²', 5,000 digits
                raise UnknownIdError.of("evidence level", raw, map(str, LEVEL_NAMES))
            level = int(raw)
        verdict = args.get("verdict") or None
        if verdict is not None and verdict not in VERDICT_FILTERS:
            raise UnknownIdError.of("verdict", verdict, VERDICT_FILTERS)
        flag = args.get("flag") or None
        if flag is not None and flag not in FLAGS:
            raise UnknownIdError.of("flag", flag, FLAGS)
        search = " ".join((args.get("q") or "").split())[:MAX_SEARCH] or None
        return cls(state, level, verdict, flag, search)

    @property
    def sql(self) -> store.StudyFilter:
        """The part SQL applies."""
        return store.StudyFilter(self.level, self.flag, self.search)

    @property
    def sql_only(self) -> bool:
        """True when no verdict rule is involved: SQL pages the queue by itself."""
        return self.state == ALL and self.verdict is None

    def as_args(self) -> dict[str, str]:
        """The filter as request arguments (defaults left out)."""
        args = {
            "state": self.state if self.state != TODO else "",
            "level": str(self.level) if self.level is not None else "",
            "verdict": self.verdict or "",
            "flag": self.flag or "",
            "q": self.search or "",
        }
        return {k: v for k, v in args.items() if v}


@dataclass(frozen=True)
class PairState:
    """Where a study of the claim stands, for one reviewer, by the domain's rules."""

    judged: bool  # somebody's verdict stands
    rereview: str | None  # why it must be judged again
    consensus: str | None  # the reviewers' consensus, "disputed", or None
    mine: str | None  # this reviewer's current verdict

    def passes(self, flt: QueueFilter, *, blind: bool) -> bool:
        """True when the study belongs in the queue ``flt``."""
        state = {
            TODO: not self.judged or self.rereview is not None,
            UNJUDGED: not self.judged,
            CHANGED: self.rereview is not None,
            JUDGED: self.judged and self.rereview is None,
            MINE: self.mine is None or self.rereview is not None,
            ALL: True,
        }[flt.state]
        if not state:
            return False
        if flt.verdict is None:
            return True
        shown = self.mine if blind else self.consensus
        return (shown or NOT_REVIEWED) == flt.verdict


NOT_JUDGED_STATE: Final = PairState(False, None, None, None)


@dataclass(frozen=True)
class QueueCounts:
    """The claim's studies: linked, and how many in each state."""

    linked: int
    judged: int  # a verdict stands and nothing changed since
    unjudged: int
    changed: int
    mine_todo: int  # still to do for this reviewer

    @property
    def todo(self) -> int:
        """Not judged yet or changed since review."""
        return self.linked - self.judged


@dataclass(frozen=True)
class QueueRow:
    """One study of a queue page."""

    study: StudyInfo
    state: PairState


@dataclass(frozen=True)
class ClaimRef:
    """The claim a desk page is about."""

    article: ArticleInfo
    key: str
    statement: str
    section: str | None


@dataclass(frozen=True)
class QueuePage:
    """A page of a claim's queue."""

    claim: ClaimRef
    filter: QueueFilter
    rows: tuple[QueueRow, ...]
    matching: int  # studies passing the filter
    page: int
    pages: int
    counts: QueueCounts
    blind: bool


@dataclass(frozen=True)
class AbstractPart:
    """A run of abstract text; ``key``: the key sentence."""

    text: str
    key: bool = False


@dataclass(frozen=True)
class AbstractSectionView:
    """A section of the abstract (label "" when unstructured), split around the key sentence."""

    label: str
    parts: tuple[AbstractPart, ...]


@dataclass(frozen=True)
class StudyCard:
    """Everything the study card shows. Text from PubMed is untrusted plain text."""

    claim: ClaimRef
    study: StudyInfo
    state: PairState
    abstract: tuple[AbstractSectionView, ...]
    highlight: frozenset[str]  # lower-case words of the text that are the claim's terms
    history: tuple[VerdictInfo, ...]  # every row on the pair (only mine while blind)
    others: dict[str, str] | None  # other reviewers' current verdicts; None: hidden (blind)
    mine: VerdictInfo | None  # my current verdict
    undo_pmid: str | None  # what undo would take back: my verdict here, else my latest
    blind: bool = False
    terms: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ClaimProgress:
    """A claim on the home page: its conclusion and how far the review has come."""

    key: str
    statement: str
    summary: ClaimSummary
    linked: int
    judged: int
    changed: int
    retracted: int
    retracted_judged: int  # retracted studies that carry a verdict


@dataclass(frozen=True)
class ArticleProgress:
    """An article (claim set) on the home page."""

    article: ArticleInfo
    claims: tuple[ClaimProgress, ...]


@dataclass(frozen=True)
class Judged:
    """A verdict just recorded (or withdrawn) and the study to open next."""

    row: review.VerdictRow
    next_pmid: str | None


# --- reads -------------------------------------------------------------------------------


def home(session: Session) -> list[ArticleProgress]:
    """Every stored article with each claim's conclusion and progress."""
    found = []
    for slug in reads.stored_slugs(session):
        ref = reads.resolve_claim_set(session, slug)
        data = summarized(reads.read_report(session, ref, with_pmids=False))
        claims = []
        for claim in data.claims:
            standing = [s for s in claim.studies if s.standing]
            claims.append(
                ClaimProgress(
                    key=claim.key,
                    statement=claim.statement,
                    summary=claim.summarized,
                    linked=len(claim.studies),
                    judged=sum(1 for s in standing if not s.changed_since_review),
                    changed=sum(1 for s in claim.studies if s.changed_since_review),
                    retracted=claim.retracted_count,
                    retracted_judged=sum(1 for s in standing if s.retracted),
                )
            )
        found.append(ArticleProgress(ref.article, tuple(claims)))
    return found


def claim_queue(
    session: Session,
    slug: ArticleArg,
    claim_key: str,
    flt: QueueFilter,
    *,
    reviewer: str,
    page: int = 1,
    blind: bool = False,
) -> QueuePage:
    """One page of the claim's studies passing ``flt``, strongest first, with counts."""
    ref, claim = _claim(session, slug, claim_key)
    pairs = store.judged_pairs(session, claim)
    states = {pmid: pair_state(pair, reviewer) for pmid, pair in pairs.items()}
    page = max(page, 1)
    offset = (page - 1) * PAGE_SIZE
    linked = store.count_studies(session, claim.id)
    if flt.sql_only:
        matching = store.count_studies(session, claim.id, flt.sql)
        pmids = store.page_pmids(session, claim.id, flt.sql, limit=PAGE_SIZE, offset=offset)
    else:
        kept = _kept(store.ordered_pmids(session, claim.id, flt.sql), states, flt, blind)
        matching, pmids = len(kept), kept[offset : offset + PAGE_SIZE]
    rows = tuple(
        QueueRow(
            _with_verdicts(study, pairs, reviewer, blind),
            _shown(states.get(study.pmid, NOT_JUDGED_STATE), blind),
        )
        for study in store.studies(session, claim.id, pmids)
    )
    return QueuePage(
        claim=ref,
        filter=flt,
        rows=rows,
        matching=matching,
        page=page,
        pages=max(1, -(-matching // PAGE_SIZE)),
        counts=_counts(linked, states.values()),
        blind=blind,
    )


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
    ref, claim = _claim(session, slug, claim_key)
    _check_linked(session, claim, pmid)
    (study,) = store.studies(session, claim.id, [pmid])
    pair = store.judged_pairs(session, claim, pmid).get(pmid)
    rows = pair.verdicts if pair else ()
    study = replace(study, verdicts=rows)
    state = pair_state(pair, reviewer)
    mine = next((v for v in reversed(study.standing) if v.reviewer == reviewer), None)
    hidden = blind and state.mine is None
    others = {r: v for r, v in study.current_verdicts.items() if r != reviewer}
    terms = claim_terms(claim.statement, claim.query_terms)
    texts = [study.title, *(text for _, text in study.abstract)]
    undo = pmid if state.mine is not None else _latest_standing(session, claim, reviewer)
    return StudyCard(
        claim=ref,
        study=study,
        state=_shown(state, hidden),
        abstract=split_abstract(study),
        highlight=matching_words(texts, terms),
        history=tuple(v for v in rows if v.reviewer == reviewer) if hidden else rows,
        others=None if hidden else others,
        mine=mine if state.mine is not None else None,
        undo_pmid=undo,
        blind=blind,
        terms=terms,
    )


def neighbour(
    session: Session,
    slug: ArticleArg,
    claim_key: str,
    pmid: str,
    flt: QueueFilter,
    *,
    reviewer: str,
    step: int,
    blind: bool = False,
) -> str | None:
    """The study after (``step`` 1) or before (-1) ``pmid`` in the queue ``flt``, or None."""
    _, claim = _claim(session, slug, claim_key)
    _check_linked(session, claim, pmid)
    return _neighbour(session, claim, pmid, flt, reviewer, step, wrap=False, blind=blind)


# --- writes ------------------------------------------------------------------------------


def judge(
    session: Session,
    slug: ArticleArg,
    claim_key: str,
    pmid: str,
    verdict: str,
    *,
    reviewer: str,
    note: str | None,
    flt: QueueFilter,
    blind: bool = False,
) -> Judged:
    """Record ``reviewer``'s verdict (the CLI's ``review set``) and find the next study to
    judge: the first after this one in the queue still to do, wrapping round."""
    store.begin_write(session)  # a refresh may be writing: wait for it, never fail
    ref, claim = _claim(session, slug, claim_key)
    _check_linked(session, claim, pmid)
    row = review.record_verdict(
        session, claim_key, pmid, verdict, reviewer=reviewer, note=note, slug=ref.article.slug
    )
    session.flush()
    todo = flt if flt.state in (TODO, UNJUDGED, MINE, CHANGED) else replace(flt, state=TODO)
    nxt = _neighbour(session, claim, pmid, todo, reviewer, 1, wrap=True, blind=blind)
    return Judged(row, nxt)


def undo(session: Session, slug: ArticleArg, claim_key: str, pmid: str, *, reviewer: str) -> Judged:
    """Withdraw ``reviewer``'s current verdict on the pair (an appended ``withdrawn`` row)."""
    store.begin_write(session)
    ref, claim = _claim(session, slug, claim_key)
    _check_linked(session, claim, pmid)
    row = review.withdraw_verdict(
        session, claim_key, pmid, reviewer=reviewer, slug=ref.article.slug
    )
    return Judged(row, pmid)


# --- rules applied -----------------------------------------------------------------------


def pair_state(pair: store.JudgedPair | None, reviewer: str) -> PairState:
    """The state of a pair by the domain's rules (standing verdicts, re-review, consensus)."""
    if pair is None:
        return NOT_JUDGED_STATE
    standing = standing_verdicts(pair.verdicts)
    current = current_verdicts_of(standing)
    latest = standing[-1] if standing else None
    return PairState(
        judged=bool(standing),
        rereview=rereview_reason(pair.flags, pair.record_sha256, latest),
        consensus=consensus_of(current),
        mine=current.get(reviewer),
    )


def matching_words(texts: Iterable[str], terms: Iterable[str]) -> frozenset[str]:
    """The lower-case words of ``texts`` that are claim terms, by relevance's own tokeniser
    (:func:`~evidence.stance.text.tokens`, stopwords out, :func:`~evidence.stance.text.stem`).

    A word with an apostrophe is given without it ("patient's" -> "patient"): HTML escapes
    the apostrophe, and the page marks the word before it.
    """
    wanted = frozenset(terms)
    found: set[str] = set()
    for text in texts:
        for token in tokens(text or ""):
            if token not in STOPWORDS and len(token) > 1 and stem(token) in wanted:
                found.add(token.split("'")[0])
    return frozenset(found)


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


# --- helpers -----------------------------------------------------------------------------


def _claim(session: Session, slug: ArticleArg, key: str) -> tuple[ClaimRef, store.DeskClaim]:
    ref = reads.resolve_claim_set(session, slug)
    claim = store.desk_claim(session, ref.id, key)
    if claim is None:
        known = store.active_claim_keys(session, ref.id)
        raise UnknownClaimError.of("claim", key, known, f" for article {ref.slug!r}")
    return ClaimRef(ref.article, claim.key, claim.statement, claim.section), claim


def _check_linked(session: Session, claim: store.DeskClaim, pmid: str) -> None:
    if not (pmid.isascii() and pmid.isdigit() and len(pmid) <= 20):
        raise UnknownStudyError(f"not a PMID: {pmid[:40]!r}")
    if not store.is_linked(session, claim.id, pmid):
        raise UnknownStudyError(f"PMID {pmid} is not linked to claim {claim.key!r}")


def _kept(
    ordered: list[str], states: Mapping[str, PairState], flt: QueueFilter, blind: bool
) -> list[str]:
    return [p for p in ordered if states.get(p, NOT_JUDGED_STATE).passes(flt, blind=blind)]


def _neighbour(
    session: Session,
    claim: store.DeskClaim,
    pmid: str,
    flt: QueueFilter,
    reviewer: str,
    step: int,
    *,
    wrap: bool,
    blind: bool,
) -> str | None:
    ordered = store.ordered_pmids(session, claim.id, flt.sql)
    pairs = store.judged_pairs(session, claim)
    states = {p: pair_state(pair, reviewer) for p, pair in pairs.items()}
    at = ordered.index(pmid) if pmid in ordered else (-1 if step > 0 else len(ordered))
    if step > 0:
        candidates = ordered[at + 1 :] + (ordered[: max(at, 0)] if wrap else [])
    else:
        candidates = ordered[:at][::-1] + (ordered[at + 1 :][::-1] if wrap else [])
    kept = _kept(candidates, states, flt, blind)
    return kept[0] if kept else None


def _latest_standing(session: Session, claim: store.DeskClaim, reviewer: str) -> str | None:
    """The pair of the claim on which ``reviewer`` most recently gave a verdict that stands."""
    rows = store.reviewer_rows(session, claim, reviewer, limit=UNDO_LOOKBACK)
    by_pmid: dict[str, list[VerdictInfo]] = {}
    for pmid, info in rows:  # newest first
        by_pmid.setdefault(pmid, []).insert(0, info)
    for pmid, infos in by_pmid.items():  # in order of each pair's newest row
        if standing_verdicts(infos) and infos[-1].current_wording:
            return pmid
    return None


def _with_verdicts(
    study: StudyInfo, pairs: Mapping[str, store.JudgedPair], reviewer: str, blind: bool
) -> StudyInfo:
    pair = pairs.get(study.pmid)
    rows = pair.verdicts if pair else ()
    if blind:
        rows = tuple(v for v in rows if v.reviewer == reviewer)
    return replace(study, verdicts=rows)


def _shown(state: PairState, blind: bool) -> PairState:
    """The state as shown: in blind review the consensus is hidden."""
    return replace(state, consensus=None) if blind else state


def _counts(linked: int, states: Iterable[PairState]) -> QueueCounts:
    judged = changed = mine_done = 0
    for state in states:
        if state.rereview is not None:  # only a standing verdict can need re-review
            changed += 1
        elif state.judged:
            judged += 1
        if state.mine is not None and state.rereview is None:
            mine_done += 1
    return QueueCounts(
        linked=linked,
        judged=judged,
        unjudged=linked - judged - changed,
        changed=changed,
        mine_todo=linked - mine_done,
    )


__all__ = [
    "ALL",
    "CHANGED",
    "FLAGS",
    "JUDGED",
    "LEVEL_NAMES",
    "MINE",
    "PAGE_SIZE",
    "STATES",
    "STATE_LABELS",
    "TODO",
    "UNJUDGED",
    "VERDICTS",
    "ArticleProgress",
    "ClaimProgress",
    "Judged",
    "PairState",
    "QueueCounts",
    "QueueFilter",
    "QueuePage",
    "QueueRow",
    "StudyCard",
    "claim_queue",
    "home",
    "judge",
    "neighbour",
    "pair_state",
    "study_card",
    "undo",
]
