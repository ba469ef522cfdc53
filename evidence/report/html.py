"""``index.html``: one self-contained page (inline CSS and SVG, no script), via Jinja2.

Autoescaping is on: PubMed titles, journals and author names are untrusted plain text.
Titles go through :func:`evidence.report.sanitize.inline_markup` (only ``i``, ``b``,
``sup``, ``sub``); reviewer notes are escaped. The only outbound links are built here from
PMIDs, DOIs and PMC ids (see ``StudyInfo``). Charts are matplotlib SVG, drawn per claim.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from evidence.domain.views import ClaimReport, ReportData, StudyInfo, VerdictInfo, search_state
from evidence.report.audit import SEARCH_RUNS_PATH
from evidence.report.changes import capped
from evidence.report.charts import evidence_chart, years_chart
from evidence.report.links import doi_url, pubmed_search_url, pubmed_url
from evidence.report.sanitize import inline_markup
from evidence.report.studies import shown_note
from evidence.report.tables import format_time, short_authors

TEMPLATE = "report.html.j2"
_NOT_ID = re.compile(r"[^A-Za-z0-9_-]")


def claim_anchor(key: str) -> str:
    """The id of a claim's section, ``claim-<key>`` (claim ids are already slug-like)."""
    return "claim-" + _NOT_ID.sub("-", key)


def latest_verdicts(study: StudyInfo) -> list[VerdictInfo]:
    """Each reviewer's latest verdict (with its note), in reviewer order of first verdict;
    a reviewer who withdrew theirs is not listed."""
    latest: dict[str, VerdictInfo] = {}
    for verdict in study.standing:
        latest[verdict.reviewer] = verdict
    return list(latest.values())


def counts_text(counts: dict[str, int], prefix: str = "") -> str:
    """``"L1: 2, L2: 3"``: compact counts, numeric keys first in order."""

    def order(key: str) -> tuple[int, str]:
        return (int(key), "") if key.isdigit() else (99, key)

    keys = sorted(counts, key=order)
    return ", ".join(f"{prefix if k.isdigit() else ''}{k}: {counts[k]}" for k in keys)


def claim_charts(claim: ClaimReport) -> tuple[Markup, Markup]:
    """The evidence chart and the publications-per-year chart of ``claim``, as inline SVG."""
    prefix = claim_anchor(claim.key) + "-"
    # Trusted: matplotlib escapes its text; the labels are levels, verdicts and years.
    return Markup(evidence_chart(claim, prefix + "ev-")), Markup(years_chart(claim, prefix + "yr-"))


@cache
def environment() -> Environment:
    """The Jinja2 environment (built on first use, not at import)."""
    env = Environment(
        loader=PackageLoader("evidence.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = format_time
    env.filters["short_authors"] = short_authors
    env.filters["anchor"] = claim_anchor
    env.filters["inline_markup"] = inline_markup
    env.filters["latest_verdicts"] = latest_verdicts
    env.filters["counts"] = counts_text
    env.filters["search_state"] = search_state
    env.filters["pubmed_url"] = pubmed_url
    env.filters["doi_url"] = doi_url
    env.filters["pubmed_search_url"] = pubmed_search_url
    env.filters["capped"] = capped
    env.globals["search_runs_path"] = SEARCH_RUNS_PATH
    return env


def render_html(data: ReportData, shown: Mapping[str, tuple[StudyInfo, ...]] | None = None) -> str:
    """The report as one HTML page; ``shown``: the studies listed per claim (default: all).

    Charts and counts always cover every study of the claim.
    """
    summaries = {c.key: c.summarized for c in data.claims}
    charts = {c.key: claim_charts(c) for c in data.claims}
    listed = shown if shown is not None else {c.key: c.studies for c in data.claims}
    notes = {c.key: shown_note(c, listed) for c in data.claims}
    return (
        environment()
        .get_template(TEMPLATE)
        .render(report=data, summaries=summaries, charts=charts, shown=listed, notes=notes)
    )
