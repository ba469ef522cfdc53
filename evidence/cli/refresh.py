"""``evidence refresh``: run the claims' PubMed queries and store what is new."""

from __future__ import annotations

import math
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import claims_file_argument, json_option, resolve_claims_file
from evidence.cli.refresh_output import report_outcome
from evidence.domain.deadline import parse_duration
from evidence.domain.errors import Terminated

if TYPE_CHECKING:
    from evidence.services.refresh import QuerySummary

FOREVER = "forever"
if TYPE_CHECKING:
    _ParamType = click.ParamType[float]
else:  # click < 8.2's ParamType is not generic
    _ParamType = click.ParamType


class Duration(_ParamType):
    """``90``, ``90s``, ``20m``, ``1h`` -> seconds; ``forever`` -> infinity (``--wait`` alone)."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, int | float):
            return float(value)
        if value == FOREVER:
            return math.inf
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While inside, SIGTERM (cron, systemd, kill) stops the main thread like Ctrl-C."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.command("refresh")
@claims_file_argument
@click.option(
    "--claim",
    "claim_ids",
    multiple=True,
    metavar="ID",
    help="Refresh only this claim (repeatable).",
)
@click.option(
    "--recheck",
    type=click.Choice(["changed", "all", "none"]),
    default="changed",
    show_default=True,
    help="Linked records to fetch again: those PubMed revised since last checked, all, none.",
)
@click.option(
    "--deadline",
    type=Duration(),
    metavar="DURATION",
    help="Stop cleanly, between requests, after DURATION (90s, 20m, 1h): what was done "
    "is kept, the run is marked incomplete, exit 3. [env: EVIDENCE_DEADLINE]",
)
@click.option(
    "--wait",
    type=Duration(),
    is_flag=False,
    flag_value=FOREVER,
    metavar="[SECONDS]",
    help="When another refresh holds the database, wait for it to finish (at most SECONDS "
    "when given) instead of exiting 75 at once. Put it after CLAIMS_FILE.",
)
@click.option(
    "--source",
    type=click.Choice(["eutils", "mirror"]),
    help="Search PubMed (eutils) or the local mirror. [env: EVIDENCE_SOURCE; default: eutils]",
)
@json_option
@pass_app
def refresh_command(
    app: App,
    claims_file: Path | None,
    claim_ids: tuple[str, ...],
    recheck: str,
    deadline: float | None,
    wait: float | None,
    source: str | None,
    as_json: bool,
) -> None:
    """Run every query of CLAIMS_FILE, fetch the records not yet stored, store everything,
    then re-check the linked records PubMed revised since (retractions, corrections...).

    CLAIMS_FILE defaults to queries/ketamine-chronic-pain.toml. Exits 3 when the
    run finished but some records or queries could not be retrieved, or the deadline
    ran out; 75 when another refresh is running on the database; 130 on Ctrl-C/SIGTERM.
    """
    from evidence.domain.claims import load_claims
    from evidence.domain.deadline import Deadline
    from evidence.services.refresh import refresh

    seconds = deadline if deadline is not None else app.settings.deadline
    budget = Deadline.start(seconds) if seconds is not None else None
    waiting = 0.0 if wait is None else (None if math.isinf(wait) else wait)

    claims = load_claims(resolve_claims_file(app, claims_file))
    for claim_id in claim_ids:
        claims.claim(claim_id)  # unknown ids fail before anything is opened
    total = sum(len(c.queries) for c in claims.claims if not claim_ids or c.id in claim_ids)
    show_bar = not (as_json or app.quiet) and sys.stderr.isatty()
    searching = "the local mirror" if (source or app.settings.source) == "mirror" else "PubMed"
    with click.progressbar(
        length=total, label=f"Searching {searching}", file=sys.stderr, hidden=not show_bar
    ) as bar:

        def progress(query: QuerySummary) -> None:
            bar.update(1)

        with sigterm_interrupts():
            summary = refresh(
                app.database(create=True),
                app.source(source, deadline=budget),
                claims,
                claim_ids=claim_ids,
                progress=progress,
                deadline=budget,
                wait=waiting,
                recheck=recheck,
            )
    report_outcome(summary, as_json=as_json, quiet=app.quiet)
