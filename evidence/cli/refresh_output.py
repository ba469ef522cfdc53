"""What ``evidence refresh`` says, and its exit code: cron conventions.

stdout carries the JSON summary (``--json``); stderr the human summary. With ``-q`` nothing
is printed when nothing changed, and a short summary when something did (cron mails it).
Exit 3: a query failed or was incomplete, or the deadline ran out; 4: a linked study was
newly retracted or flagged, or a claim's conclusion changed; 0: nothing needs attention.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from evidence.cli.options import echo_json
from evidence.domain.errors import IncompleteRunError, NeedsAttentionError

if TYPE_CHECKING:
    from evidence.domain.views import ClaimChanges
    from evidence.services.refresh import RefreshSummary


def report_outcome(summary: RefreshSummary, *, as_json: bool, quiet: bool) -> None:
    """Print the summary as asked, then raise the exit code's error when there is one."""
    if as_json:
        echo_json(summary_json(summary))
    elif not quiet:
        click.echo(render_summary(summary), err=True)
    elif something_changed(summary):
        click.echo("\n".join(short_summary(summary)), err=True)
    if summary.message:
        raise IncompleteRunError(f"refresh {summary.refresh_id} stopped: {summary.message}")
    if summary.status != "ok":
        raise IncompleteRunError(
            f"refresh {summary.refresh_id} finished {summary.status}: see the messages above"
        )
    if summary.newly_flagged or summary.conclusions:
        raise NeedsAttentionError(f"refresh {summary.refresh_id}: {attention_text(summary)}")


def something_changed(summary: RefreshSummary) -> bool:
    """True when the run found anything an editor should hear about."""
    return bool(
        summary.status != "ok"
        or summary.message
        or summary.newly_flagged
        or summary.conclusions
        or summary.reworded
        or any(c.changed and c.previous_refresh is not None for c in summary.changes)
    )


def attention_text(summary: RefreshSummary) -> str:
    """``1 study newly retracted (PMID 123); nmda-blockade: Supported -> Contradicted``."""
    parts = [f"{f.flag} now: PMID {f.pmid} ({f.source})" for f in summary.newly_flagged]
    parts += [f"{c.claim}: {c.before} -> {c.after}" for c in summary.conclusions]
    return "; ".join(parts)


def short_summary(summary: RefreshSummary) -> list[str]:
    """A few lines for cron mail: what changed, per claim, and what needs attention."""
    t = summary.totals
    lines = [
        f"evidence refresh {summary.refresh_id} ({summary.article}) {summary.status}:"
        f" {t['queries']} queries, {t['new']} new record(s)"
    ]
    for c in summary.changes:
        if c.changed and c.previous_refresh is not None:
            lines.append(f"  {c.claim}: {_change_counts(c)}")
    lines += [f"  conclusion {c.claim}: {c.before} -> {c.after}" for c in summary.conclusions]
    lines += [f"  claim {k}: statement changed (verdicts reopened)" for k in summary.reworded]
    lines += _recheck_lines(summary)[1 if summary.recheck else 0 :]
    if summary.message:
        lines.append(f"  stopped: {summary.message}")
    return lines


def _change_counts(change: ClaimChanges) -> str:
    counts = [
        f"{len(getattr(change, name))} {name}"
        for name in ("added", "dropped", "updated", "flagged", "revised")
        if getattr(change, name, ())
    ]
    return ", ".join(counts)


def summary_json(summary: RefreshSummary) -> dict[str, object]:
    """The refresh summary as JSON-ready data."""
    return {
        "refresh_id": summary.refresh_id,
        "article": summary.article,
        "status": summary.status,
        "totals": summary.totals,
        "queries": [asdict(q) for q in summary.queries],
        "changes": [asdict(c) for c in summary.changes],
        "reworded": summary.reworded,
        "recheck": asdict(summary.recheck) if summary.recheck else None,
        "newly_flagged": [asdict(f) for f in summary.newly_flagged],
        "conclusions": [asdict(c) for c in summary.conclusions],
        "message": summary.message,
    }


def render_summary(summary: RefreshSummary) -> str:
    """A short human summary: one line per query, then the totals."""
    lines = []
    for q in summary.queries:
        note = f"  [{q.status}: {q.message}]" if q.status != "ok" else ""
        lines.append(
            f"{q.claim:<24} {q.label[:48]:<48} count={q.count} retrieved={q.retrieved} "
            f"new={q.new} stored={q.stored}{note}"
        )
    for c in summary.changes:
        if c.changed and c.previous_refresh is not None:
            lines.append(
                f"{c.claim}: since refresh {c.previous_refresh}: +{len(c.added)} added, "
                f"-{len(c.dropped)} dropped, {len(c.updated)} updated"
            )
    lines += _recheck_lines(summary)
    lines += [f"conclusion {c.claim}: {c.before} -> {c.after}" for c in summary.conclusions]
    t = summary.totals
    lines.append(
        f"refresh {summary.refresh_id} {summary.status}: {t['queries']} queries, "
        f"{t['retrieved']} retrieved, {t['new']} new, {t['stored']} stored"
    )
    return "\n".join(lines)


def _recheck_lines(summary: RefreshSummary) -> list[str]:
    """The re-check in one line, then one line per newly retracted or flagged study."""
    r = summary.recheck
    lines = []
    if r is not None and r.status != "skipped":
        window = f" revised {r.since}..{r.until}" if r.since else ""
        note = f"  [{r.status}: {r.message}]" if r.status != "ok" else ""
        lines.append(
            f"re-check ({r.mode}): {r.checked} linked record(s) checked{window},"
            f" {len(r.revised)} fetched again, {len(r.changed)} changed,"
            f" {r.requests} request(s){note}"
        )
    for f in summary.newly_flagged:
        when = f", {f.date}" if f.date else ""
        lines.append(f"NEWLY {f.flag.upper()}: PMID {f.pmid} ({f.source}{when})")
    return lines
