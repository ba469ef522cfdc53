"""What the desk's pages show: plain, frozen values built by the desk's services."""

from __future__ import annotations

from dataclasses import dataclass, field

from evidence.domain.review import Agreement
from evidence.domain.views import ArticleInfo, ClaimSummary, StudyInfo, VerdictInfo
from evidence.services import review
from evidence.services.desk.filters import PairState, QueueCounts, QueueFilter


@dataclass(frozen=True)
class ClaimRef:
    """The claim a desk page is about."""

    article: ArticleInfo
    key: str
    statement: str
    section: str | None


@dataclass(frozen=True)
class QueueRow:
    """One study of a queue page."""

    study: StudyInfo
    state: PairState


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
    entry_terms: int = 0  # MeSH entry terms of the claim's headings matched too


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
    agreement: Agreement | None = None  # the reviewers', over every claim

    @property
    def conflicts(self) -> int:
        """Unresolved conflicts over every claim."""
        return sum(c.summary.conflicts for c in self.claims)


@dataclass(frozen=True)
class Judged:
    """A verdict just recorded (or withdrawn) and the study to open next."""

    row: review.VerdictRow
    next_pmid: str | None
