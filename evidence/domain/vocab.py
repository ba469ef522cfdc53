"""The project's vocabularies, defined once: the CLI, services and reports derive from them."""

from __future__ import annotations

from typing import Final

# A reviewer's verdict on a claim-study pair.
VERDICTS: Final = ("supports", "contradicts", "mixed", "inconclusive", "not-relevant")
# Verdicts that say which way a study points (they count towards certainty).
DIRECTIONAL_VERDICTS: Final = frozenset({"supports", "contradicts", "mixed"})
# A pair's reviewer consensus can also be one of these.
DISPUTED: Final = "disputed"
NOT_REVIEWED: Final = "not-reviewed"
VERDICT_FILTERS: Final = (*VERDICTS, DISPUTED, NOT_REVIEWED)
# Not a verdict: the row a reviewer appends to take their current verdict on a pair back
# (undo). Verdicts are never deleted; a reviewer whose latest row is this has no verdict.
WITHDRAWN: Final = "withdrawn"

# PubMed's date types for mindate/maxdate, as claims files accept them.
DATETYPES: Final = ("pdat", "edat", "mdat", "crdt")

# The status of a refresh run and of each search run in it; a search that never ran has
# no row at all ("never run" is shown for a query without one).
RUN_OK: Final = "ok"
RUN_NO_RESULTS: Final = "no-results"  # a search run only: it ran fine and found nothing
RUN_INCOMPLETE: Final = "incomplete"
RUN_FAILED: Final = "failed"
RUN_RUNNING: Final = "running"
RUN_INTERRUPTED: Final = "interrupted"  # a refresh run stopped by a signal, or found dead
NEVER_RUN: Final = "never-run"
SEARCH_STATES: Final = (RUN_OK, RUN_NO_RESULTS, RUN_INCOMPLETE, RUN_FAILED, NEVER_RUN)

# A claim's conclusion: what the judged evidence says, or why nothing can be said yet.
SUPPORTED: Final = "supported"
CONTRADICTED: Final = "contradicted"
MIXED: Final = "mixed"
INCONCLUSIVE: Final = "inconclusive"
NOT_JUDGED: Final = "not-judged"
NO_STUDIES: Final = "no-studies"
SEARCH_FAILED: Final = "search-failed"
NEVER_SEARCHED: Final = "never-searched"
CONCLUSIONS: Final = (
    SUPPORTED,
    CONTRADICTED,
    MIXED,
    INCONCLUSIVE,
    NOT_JUDGED,
    NO_STUDIES,
    SEARCH_FAILED,
    NEVER_SEARCHED,
)

# Desk accounts: what each role may do. Reviewers judge; editors also resolve conflicts and
# manage claims and runs; admins also manage users. Without accounts (the local one-time
# token desk) the one user has every role.
ROLE_REVIEWER: Final = "reviewer"
ROLE_EDITOR: Final = "editor"
ROLE_ADMIN: Final = "admin"
ROLES: Final = (ROLE_REVIEWER, ROLE_EDITOR, ROLE_ADMIN)
ACTION_JUDGE: Final = "judge"  # record and withdraw one's own verdicts
ACTION_RESOLVE: Final = "resolve"  # settle a conflict between reviewers (a resolution verdict)
ACTION_MANAGE_CLAIMS: Final = "manage-claims"  # claim sets, review settings
ACTION_MANAGE_RUNS: Final = "manage-runs"  # refresh runs
ACTION_MANAGE_USERS: Final = "manage-users"  # add, disable, re-password accounts
ACTIONS: Final = (
    ACTION_JUDGE,
    ACTION_RESOLVE,
    ACTION_MANAGE_CLAIMS,
    ACTION_MANAGE_RUNS,
    ACTION_MANAGE_USERS,
)
_EDITOR_ACTIONS: Final = frozenset(
    {ACTION_JUDGE, ACTION_RESOLVE, ACTION_MANAGE_CLAIMS, ACTION_MANAGE_RUNS}
)
ROLE_ACTIONS: Final = {
    ROLE_REVIEWER: frozenset({ACTION_JUDGE}),
    ROLE_EDITOR: _EDITOR_ACTIONS,
    ROLE_ADMIN: _EDITOR_ACTIONS | {ACTION_MANAGE_USERS},
}


def role_can(role: str | None, action: str) -> bool:
    """True when ``role`` may do ``action``; ``None`` (no accounts: the local desk) may do all.

    An unknown action is a programming error, not a refusal.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r} (known: {', '.join(ACTIONS)})")
    if role is None:
        return True
    return action in ROLE_ACTIONS.get(role, frozenset())


# The kind of a verdict row: a reviewer's verdict (or the withdrawn row of an undo), or an
# editor's resolution of a conflict between reviewers (append-only too, with a reason).
KIND_VERDICT: Final = "verdict"
KIND_RESOLUTION: Final = "resolution"
VERDICT_KINDS: Final = (KIND_VERDICT, KIND_RESOLUTION)
# How many independent verdicts a study may ask for (claims files, ``claims set-review``).
MAX_REVIEWERS: Final = 10
