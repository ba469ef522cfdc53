"""The review desk's operations: home, a page of a claim's queue, one study's card,
recording and withdrawing verdicts, and where to go next.

Every rule is the domain's: a pair's state comes from
:func:`~evidence.domain.views.standing_verdicts` (undo), the re-review rule
(:func:`~evidence.domain.views.rereview_reason`) and the consensus
(:func:`~evidence.domain.views.consensus_of`), applied to the claim's verdict rows; verdicts
are recorded and withdrawn by :mod:`evidence.services.review`, as the CLI does. A claim's
study order and verdict pairs are kept in memory between requests and brought up to date
with two cheap statements (:mod:`.index`), so a page costs the same whatever the number of
linked studies.

- :mod:`.filters`: queue states, the request's filter, a pair's state, the counts;
- :mod:`.index`: each claim's in-memory index and when it is rebuilt;
- :mod:`.queue`: a page of the queue, the next or previous study;
- :mod:`.card`: the study card (highlighted terms, key sentence, verdicts shown);
- :mod:`.actions`: judge and undo; :mod:`.home`: the articles and their progress;
- :mod:`.pages`: the values the pages render; :mod:`.cache`: the per-engine cache both
  the index and home keep.
"""

from __future__ import annotations

from evidence.domain.vocab import VERDICTS
from evidence.services.desk.actions import judge, undo
from evidence.services.desk.card import split_abstract, study_card
from evidence.services.desk.filters import (
    ALL,
    CHANGED,
    FLAGS,
    JUDGED,
    LEVEL_NAMES,
    MINE,
    STATE_LABELS,
    STATES,
    TODO,
    UNJUDGED,
    PairState,
    QueueCounts,
    QueueFilter,
    pair_state,
)
from evidence.services.desk.home import home
from evidence.services.desk.pages import (
    ArticleProgress,
    ClaimProgress,
    ClaimRef,
    Judged,
    QueuePage,
    QueueRow,
    StudyCard,
)
from evidence.services.desk.queue import PAGE_SIZE, claim_queue, neighbour
from evidence.stance.highlight import matching_words

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
    "ClaimRef",
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
    "matching_words",
    "neighbour",
    "pair_state",
    "split_abstract",
    "study_card",
    "undo",
]
