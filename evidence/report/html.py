"""``index.html``: one self-contained page (inline CSS, no script), rendered with Jinja2.

Autoescaping is on: PubMed titles, journals and author names are untrusted plain text.
The only outbound links are built here from PMIDs, DOIs and PMC ids (see ``StudyInfo``).
"""

from __future__ import annotations

import re
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from evidence.report.tables import format_time, short_authors
from evidence.store.reads import ReportData

TEMPLATE = "report.html.j2"
_NOT_ID = re.compile(r"[^A-Za-z0-9_-]")


def claim_anchor(key: str) -> str:
    """The id of a claim's section, ``claim-<key>`` (claim ids are already slug-like)."""
    return "claim-" + _NOT_ID.sub("-", key)


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
    return env


def render_html(data: ReportData) -> str:
    """The report as one HTML page."""
    return environment().get_template(TEMPLATE).render(report=data)
