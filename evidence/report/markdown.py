"""``report.md``: the HTML report's content as Markdown, without styling.

Every piece of stored text goes through :func:`md_text` (or :func:`md_code`), so PubMed
text cannot open HTML tags, links, emphasis or table cells. Links are built only from
PMIDs, DOIs and PMC ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from evidence.domain.review import Agreement
from evidence.domain.views import (
    ClaimReport,
    QueryInfo,
    RefreshRunInfo,
    ReportData,
    SearchRunInfo,
    StudyInfo,
    search_state,
)
from evidence.report.audit import SEARCH_RUNS_PATH
from evidence.report.changes import capped
from evidence.report.links import doi_url, pubmed_search_url, pubmed_url
from evidence.report.studies import shown_note
from evidence.report.tables import format_time, short_authors

_BACKSLASHED = re.compile(r"([\\`*_\[\]|&~@#])")
_SCHEME = re.compile(r"(?<=[A-Za-z]):(?=//)")
_WWW = re.compile(r"(?i)\b(www)\.")
_SPACES = re.compile(r"\s+")
_BACKTICKS = re.compile(r"`+")


def md_text(text: str | None) -> str:
    """Plain text made inert: one line, Markdown punctuation escaped, ``<``/``>`` as entities.

    ``://`` and ``www.`` are broken up too, so renderers that autolink bare URLs do not.
    """
    line = _SPACES.sub(" ", text or "").strip()
    line = _BACKSLASHED.sub(r"\\\1", line)
    line = line.replace("<", "&lt;").replace(">", "&gt;")
    line = _SCHEME.sub(r"\\:", line)
    return _WWW.sub(r"\1\\.", line)


def md_code(text: str | None, *, cell: bool = False) -> str:
    """A one-line code span that survives backticks in ``text`` (and ``|`` in a table cell)."""
    line = _SPACES.sub(" ", text or "").strip()
    if not line:
        return ""
    longest = max((len(run) for run in _BACKTICKS.findall(line)), default=0)
    fence = "`" * (longest + 1)
    if cell:
        line = line.replace("|", "\\|")
    return f"{fence} {line} {fence}"


def md_link(label: str, url: str) -> str:
    """A link; ``url`` must be one we built (percent-encoded), ``label`` is escaped."""
    return f"[{md_text(label)}]({url})"


def render_markdown(
    data: ReportData, shown: Mapping[str, tuple[StudyInfo, ...]] | None = None
) -> str:
    """The report as Markdown; ``shown``: the studies listed per claim (default: all)."""
    listed = shown if shown is not None else {c.key: c.studies for c in data.claims}
    return "\n".join(_document(data, listed)) + "\n"


def _document(data: ReportData, shown: Mapping[str, tuple[StudyInfo, ...]]) -> Iterator[str]:
    yield from _header(data)
    yield from ("## Claims", "")
    yield from _table(
        ("Claim", "Statement", "Conclusion", "Studies", "Retracted", "By level", "By verdict"),
        [_summary_cells(c) for c in data.claims],
    )
    if data.agreement is not None:
        yield from (_agreement_line(data.agreement), "")
    for claim in data.claims:
        yield from _claim(claim, shown)
    yield from _changes(data)
    yield from _audit(data)
    yield f"_Generated {format_time(data.generated_at)} by evidence {md_text(data.tool_version)}._"


def _agreement_line(agreement: Agreement) -> str:
    per = f"{agreement.raters} per study"
    return f"Reviewer agreement, all claims: {agreement.label} (first-round verdicts, {per})."


def _summary_cells(claim: ClaimReport) -> tuple[str, ...]:
    summary = claim.summarized
    levels = ", ".join(f"L{k}: {v}" for k, v in sorted(summary.by_level.items()))
    verdicts = ", ".join(f"{k}: {v}" for k, v in sorted(summary.by_verdict.items()))
    if summary.conflicts:
        verdicts += f"; {summary.conflicts} unresolved conflict(s)"
    if summary.agreement is not None:
        verdicts += f"; {summary.agreement.label}"
    return (
        md_link(claim.key, f"#{claim.key}"),
        md_text(claim.statement),
        f"**{md_text(summary.conclusion_label)}**: " + md_text("; ".join(summary.reasons)),
        str(len(claim.studies)),
        f"**{claim.retracted_count}**" if claim.retracted_count else "0",
        md_text(levels),
        md_text(verdicts),
    )


def _changes(data: ReportData) -> Iterator[str]:
    yield from ("## What changed since the previous refresh", "")
    rows: list[tuple[str, ...]] = [
        (
            md_text(c.claim),
            f"{c.previous_refresh} -> {c.latest_refresh}"
            if c.previous_refresh is not None
            else f"first refresh ({c.latest_refresh})",
            _capped_cell(c.added, " "),
            _capped_cell(c.dropped, " "),
            _capped_cell(c.updated, " "),
            _capped_cell(c.flagged, "; "),
            _capped_cell(c.revised, "; "),
        )
        for c in data.changes
        if c.changed
    ]
    if not rows:
        yield from ("Nothing changed.", "")
        return
    header = ("Claim", "Refreshes", "Added", "Dropped", "Updated", "Newly flagged", "Revised")
    yield from _table(header, rows)


def _capped_cell(items: Sequence[str], separator: str) -> str:
    """The first items of a "What changed" cell, then how many more and where they are."""
    cut = capped(items)
    return md_text(separator.join(filter(None, (*cut.shown, cut.more_note))))


def _header(data: ReportData) -> Iterator[str]:
    article, refresh = data.article, data.last_refresh
    yield f"# {md_text(article.title)}"
    yield ""
    if article.source:
        yield f"- Source: {md_text(article.source)}"
    if article.url:
        yield f"- Article URL: {md_code(article.url)}"
    yield f"- Reviewed: {md_text(article.reviewed_on) or 'not given'}"
    yield f"- Generated: {format_time(data.generated_at)} by evidence {md_text(data.tool_version)}"
    if refresh is None:
        yield "- Last refresh: never run"
    else:
        yield (
            f"- Last refresh: {format_time(refresh.started_at)} ({md_text(refresh.status)},"
            f" refresh {refresh.run_id})"
        )
        latest = next((r for r in data.refreshes if r.refresh_id == refresh.run_id), None)
        if latest is not None and latest.source_warning:
            yield f"- **{md_text(latest.source_warning)}**"
    yield ""


def _claim(claim: ClaimReport, shown: Mapping[str, tuple[StudyInfo, ...]]) -> Iterator[str]:
    yield f"## {md_text(claim.key)}"
    yield ""
    yield md_text(claim.statement)
    yield ""
    if claim.section:
        yield f"Article section: {md_text(claim.section)}"
        yield ""
    yield from ("### Queries", "")
    yield from _table(
        ("Label", "Term sent", "Run", "Status", "Count", "Retrieved", "New", "Stored in total"),
        [_query_cells(q) for q in claim.queries],
    )
    for query in claim.queries:
        yield from _problems(query)
    yield from (f"### Studies ({len(claim.studies)})", "")
    if not claim.studies:
        yield from ("No studies linked to this claim.", "")
        return
    note = shown_note(claim, shown)
    if note:
        yield from (f"_{md_text(note)}_", "")
    yield from _table(
        ("PMID", "Title", "Authors", "Journal", "Year", "Design / level", "Verdicts", "DOI"),
        [_study_cells(s) for s in shown.get(claim.key, ())],
    )


def _problems(query: QueryInfo) -> Iterator[str]:
    run = query.latest_run
    if run is None:
        return
    for kind, texts in (("warning", run.warnings), ("error", run.errors)):
        yield from (f"- {md_text(query.label)}: {kind}: {md_text(text)}" for text in texts)


def _query_cells(query: QueryInfo) -> tuple[str, ...]:
    run = query.latest_run
    if run is None:
        label, term = md_text(query.label), md_code(query.term, cell=True)
        return (label, term, "", "never run", "", "", "", "")
    state = search_state(query).replace("-", " ")
    return (
        md_text(query.label),
        md_code(run.term, cell=True),
        format_time(run.started_at),
        md_text(state + (f": {run.message}" if run.message else "")),
        "" if run.count is None else str(run.count),
        str(run.retrieved),
        str(run.new_pmids),
        "" if run.stored_total is None else str(run.stored_total),
    )


def _study_cells(study: StudyInfo) -> tuple[str, ...]:
    badges = [f"**{md_text(b)}** " for b in study.badges]
    badge = "".join(badges) or ("**RETRACTED** " if study.retracted else "")
    link = doi_url(study.doi)
    doi = md_link(study.doi or "", link) if link else ""
    return (
        md_link(f"PMID {study.pmid}", pubmed_url(study.pmid)),
        badge + md_text(study.title),
        md_text(short_authors(study.authors)),
        md_text(study.journal),
        "" if study.year is None else str(study.year),
        _design_cell(study),
        _verdict_cell(study),
        doi,
    )


def _design_cell(study: StudyInfo) -> str:
    cell = md_text(f"{study.level_label} ({', '.join(study.design_types)})")
    if study.flags:
        cell += f" {md_text(', '.join(study.flags))}"
    if study.changed_since_review:
        cell += " **CHANGED SINCE REVIEW**"
    return cell


def _verdict_cell(study: StudyInfo) -> str:
    """Reviewer verdicts, then the machine suggestion (marked) and the key sentence."""
    latest = {v.reviewer: v for v in study.standing}
    verdicts = "; ".join(
        f"{v.verdict} ({r})" + ("" if v.current_wording else " for an earlier wording")
        for r, v in latest.items()
    )
    cell = md_text(verdicts) or "not reviewed"
    resolution = study.resolution
    if resolution is not None:
        cell += f" **Resolved: {md_text(resolution.verdict)}** ({md_text(resolution.reviewer)}:"
        cell += f" {md_text(resolution.reason or '')})"
    if study.suggested_stance:
        cell += f" _Machine suggestion: {md_text(study.suggested_stance)}_"
    if study.key_sentence:
        cell += f" Key sentence: {md_text(study.key_sentence)}"
    return cell


def _audit(data: ReportData) -> Iterator[str]:
    yield from ("## Audit appendix", "")
    yield f"Evidence levels by grading rules {md_text(data.rules_version)}. Times are UTC."
    yield ""
    yield from ("### Refresh runs", "")
    yield "Every refresh of this claim set, oldest first: the claims file read and which server"
    yield "answered (only `https://eutils.ncbi.nlm.nih.gov/` is NCBI's own E-utilities)."
    yield ""
    if not data.refreshes:
        yield from ("Never refreshed.", "")
    for refresh in data.refreshes:
        yield from _refresh_lines(refresh)
    yield from ("### Search runs", "")
    yield "Every search run of every query, oldest first: term and parameters as sent (never the"
    yield "API key), a link running the search on PubMed, PubMed's QueryTranslation and Count,"
    yield "PMIDs retrieved and unresolved, and the SHA-256 of the PMID set retrieved (PMIDs sorted"
    yield "numerically, one per line). Every run's PMIDs, in rank order, are in"
    yield f"{md_link(SEARCH_RUNS_PATH, SEARCH_RUNS_PATH)}; `evidence audit verify` recomputes the"
    yield "stored hashes."
    yield ""
    for claim in data.claims:
        for query in claim.queries:
            yield f"#### {md_text(claim.key)} / {md_text(query.label)}"
            yield ""
            if not query.runs:
                yield from ("Never run.", "")
            for run in query.runs:
                yield from _run_lines(run)


def _refresh_lines(refresh: RefreshRunInfo) -> Iterator[str]:
    finished = format_time(refresh.finished_at) or "not finished"
    yield (
        f"- Refresh {refresh.refresh_id}: {format_time(refresh.started_at)} to {finished}"
        f" ({md_text(refresh.status)}), evidence {md_text(refresh.tool_version)}"
    )
    yield f"  - Claims file: {md_code(refresh.claims_file) or 'not recorded'}"
    yield f"  - Claims file SHA-256: {md_code(refresh.claims_sha256) or 'not recorded'}"
    snapshot = f" (snapshot {md_text(refresh.source_snapshot)})" if refresh.source_snapshot else ""
    yield f"  - Source: {md_text(refresh.source_kind)} {md_code(refresh.source_location)}{snapshot}"
    if refresh.source_warning:
        yield f"  - **{md_text(refresh.source_warning)}**"
    yield ""


def _run_lines(run: SearchRunInfo) -> Iterator[str]:
    yield (
        f"- Refresh {run.refresh_id}, run {run.run_id}: {format_time(run.started_at)}"
        f" to {format_time(run.finished_at) or 'not finished'} ({md_text(run.status)})"
    )
    if run.message:
        yield f"  - Message: {md_text(run.message)}"
    yield f"  - Term sent: {md_code(run.term)}"
    yield from (f"  - {md_text(name)}: {md_code(value)}" for name, value in run.params)
    yield f"  - {md_link('Run this search on PubMed', pubmed_search_url(run.term, run.params))}"
    yield f"  - QueryTranslation: {md_code(run.query_translation) or 'none'}"
    yield f"  - Count: {'' if run.count is None else run.count}; retrieved: {run.retrieved}"
    if run.unresolved_ids:
        yield f"  - Unresolved PMIDs: {md_text(' '.join(run.unresolved_ids))}"
    yield f"  - PMIDs: {len(run.pmids)}, listed in {md_link(SEARCH_RUNS_PATH, SEARCH_RUNS_PATH)}"
    yield f"  - PMID set SHA-256: {md_code(run.pmid_set_sha256) or 'none'}"
    yield ""


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> Iterator[str]:
    if not rows:
        yield from ("None.", "")
        return
    yield "| " + " | ".join(header) + " |"
    yield "|" + "|".join("---" for _ in header) + "|"
    yield from ("| " + " | ".join(cells) + " |" for cells in rows)
    yield ""
