"""What a claim's queue shows: the queue states, the filter a request asks for, and each
study's state for one reviewer by the domain's rules (standing verdicts, re-review,
consensus)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Final

from evidence.domain.errors import TooLongError, UnknownIdError
from evidence.domain.review import decided_verdict
from evidence.domain.views import current_verdicts_of, rereview_reason, standing_verdicts
from evidence.domain.vocab import NOT_REVIEWED, VERDICT_FILTERS
from evidence.grading.designs import LEVELS
from evidence.grading.flags import Flag
from evidence.store import desk as store

# not judged yet (fewer verdicts than the claim asks for, none of them mine), or changed
# since review (the CLI's review queue)
TODO: Final = "todo"
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
MAX_SEARCH: Final = 200


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
        search = " ".join((args.get("q") or "").split()) or None
        if search is not None and len(search) > MAX_SEARCH:
            raise TooLongError(f"the search is over {MAX_SEARCH} characters")
        return cls(state, level, verdict, flag, search)

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
    consensus: str | None  # a resolution, the reviewers' consensus, "disputed", or None
    mine: str | None  # this reviewer's current verdict
    verdicts: int = 0  # current verdicts on the pair (the claim's wording)

    def passes(self, flt: QueueFilter, *, blind: bool, needed: int = 1) -> bool:
        """True when the study belongs in the queue ``flt`` (its state and verdict parts);
        ``needed``: the verdicts the claim asks for per study (to do until it has them)."""
        short = self.verdicts < needed and self.mine is None
        state = {
            TODO: not self.judged or self.rereview is not None or short,
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

    def shown(self, blind: bool) -> PairState:
        """The state as shown: in blind review the consensus is hidden."""
        return replace(self, consensus=None) if blind else self


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
        consensus=decided_verdict(pair.verdicts),
        mine=current.get(reviewer),
        verdicts=len(current),
    )


def count_states(linked: int, states: Iterable[PairState]) -> QueueCounts:
    """The queue's counts from the states of the judged pairs (the rest are not judged)."""
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
