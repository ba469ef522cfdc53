"""Per-claim charts as inline SVG strings, drawn with matplotlib.

The ``Agg`` backend is chosen inside :func:`_svg` (importing this module changes nothing).
Output is small and deterministic: text stays text (``svg.fonttype = "none"``), ids come
from a fixed hash salt and no date is written. So that the SVG can sit inside the page, the
XML prolog, DOCTYPE, metadata and clip paths (``url(...)`` references) are left out, and so
is matplotlib's ``<style>``: inline SVG CSS would apply to the whole page, so the report's
stylesheet carries that rule, scoped to the charts.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import TYPE_CHECKING

from evidence.domain.views import ClaimReport, StudyInfo, consensus_verdict

if TYPE_CHECKING:
    from collections.abc import Callable

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

VERDICT_COLOURS = {
    "supports": "#1a7f37",
    "contradicts": "#b42318",
    "mixed": "#9a6700",
    "inconclusive": "#bf8700",
    "not-relevant": "#8c959f",
    "disputed": "#8250df",
    "not reviewed": "#d1d9e0",
}
OTHER_COLOUR = "#57606a"
SUGGESTED = " (machine)"  # legend suffix of studies coloured by the machine suggestion
_TINT = 0.55  # how far a suggestion's colour is blended towards white
_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_STYLE = re.compile(r"<style\b.*?</style>\s*", re.DOTALL)  # a page-wide rule: in the page CSS
_CLIP_DEFS = re.compile(r"<clipPath\b.*?</clipPath>\s*", re.DOTALL)
_CLIP_REF = re.compile(r'\s*clip-path="url\(#[^"]*\)"')
_PLAIN_ID = re.compile(
    r'\s*id="(?:figure|patch|axes|matplotlib\.axis|[xy]tick|line2d|text|legend)_\d+"'
)
_MARKER_ID = re.compile(r'(id="|href="#)(m[0-9a-f]+")')


def level_key(study: StudyInfo) -> str:
    """The bar a study counts in: ``"L2"``, or ``"ungraded"``."""
    return f"L{study.evidence_level}" if study.evidence_level is not None else "ungraded"


def chart_category(study: StudyInfo) -> str:
    """What colours a study's bar segment: the reviewers' consensus verdict; for a study no
    reviewer has judged, its machine suggestion (``"supports (machine)"``); else
    ``"not reviewed"``."""
    verdict = consensus_verdict(study)
    if verdict is not None:
        return verdict
    if study.suggested_stance:
        return study.suggested_stance + SUGGESTED
    return "not reviewed"


def category_colour(category: str) -> str:
    """A verdict's colour; the same colour tinted towards white for a machine suggestion."""
    base = _base_colour(category)
    if not category.endswith(SUGGESTED):
        return base
    from matplotlib.colors import to_hex, to_rgb

    red, green, blue = (c + (1 - c) * _TINT for c in to_rgb(base))
    return to_hex((red, green, blue))


def _base_colour(category: str) -> str:
    return VERDICT_COLOURS.get(category.removesuffix(SUGGESTED), OTHER_COLOUR)


def evidence_chart(claim: ClaimReport, prefix: str = "") -> str:
    """Horizontal bars: studies per evidence level, stacked by :func:`chart_category`.

    Reviewer verdicts come first in the legend, then machine suggestions (lighter)."""
    counts: Counter[tuple[str, str]] = Counter(
        (level_key(s), chart_category(s)) for s in claim.studies
    )
    levels = sorted({lv for lv, _ in counts}, key=_level_order)
    present = {category for _, category in counts}
    known = [v for v in VERDICT_COLOURS if v != "not reviewed"]
    order = known + [v + SUGGESTED for v in known] + ["not reviewed"]
    categories = [c for c in order if c in present] + sorted(present - set(order))
    return _svg(lambda: _evidence_figure(counts, levels, categories), prefix)


def years_chart(claim: ClaimReport, prefix: str = "") -> str:
    """Bars: publications per year (undated studies left out)."""
    per_year = Counter(s.year for s in claim.studies if s.year is not None)
    return _svg(lambda: _years_figure(per_year), prefix)


def _level_order(level: str) -> tuple[int, str]:
    return (int(level[1:]), "") if level[1:].isdigit() else (99, level)


def _evidence_figure(
    counts: Counter[tuple[str, str]], levels: list[str], categories: list[str]
) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    height = max(0.5 + 0.28 * max(len(levels), 1), 0.4 + 0.15 * len(categories))  # room for legend
    fig = Figure(figsize=(4.2, height))
    ax = fig.add_subplot()
    rows = list(range(len(levels)))
    left = [0] * len(levels)
    for category in categories:
        widths = [counts[(level, category)] for level in levels]
        ax.barh(
            rows,
            widths,
            left=left,
            color=category_colour(category),
            edgecolor=_base_colour(category),
            linewidth=0.6 if category.endswith(SUGGESTED) else 0,
            label=category,
            height=0.6,
            clip_on=False,
        )
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_yticks(rows, levels)
    ax.invert_yaxis()
    ax.set_xlabel("studies")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _plain_axes(ax)
    if categories:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=7)
    fig.tight_layout()
    return fig


def _years_figure(per_year: Counter[int]) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(4.2, 1.6))
    ax = fig.add_subplot()
    years = sorted(per_year)
    ax.bar(years, [per_year[y] for y in years], color="#0b5cad", width=0.7, clip_on=False)
    ax.set_ylabel("studies")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if years:
        pad = max(0.6, (6 - (years[-1] - years[0])) / 2)  # a lone year stays a thin bar
        ax.set_xlim(years[0] - pad, years[-1] + pad)
        if years[-1] - years[0] < 8:
            ax.set_xticks(range(years[0], years[-1] + 1))
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax.text(0.5, 0.5, "no dated studies", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
    _plain_axes(ax)
    fig.tight_layout()
    return fig


def _plain_axes(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _svg(build: Callable[[], Figure], prefix: str) -> str:
    """Build a figure under the report's style and render it to an SVG string.

    Matplotlib's numbered ids would repeat in every chart of the page: they are dropped,
    and the marker ids that ``<use>`` refers to get ``prefix`` (unique per chart).
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    matplotlib.use("Agg")
    buffer = io.StringIO()
    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "evidence-report",
            "font.size": 8,
            "font.family": "sans-serif",
            "font.sans-serif": ["DejaVu Sans"],
        }
    ):
        fig = build()
        FigureCanvasAgg(fig)
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = _PROLOG.sub("", buffer.getvalue(), count=1)
    text = _METADATA.sub("", text)
    text = _STYLE.sub("", text)
    text = _CLIP_DEFS.sub("", text)
    text = _CLIP_REF.sub("", text)
    text = _PLAIN_ID.sub("", text)
    return _MARKER_ID.sub(lambda m: m.group(1) + prefix + m.group(2), text).strip()
