"""``audit/search-runs.json``: every search run of the claim set, machine-readable.

Per run: the term and parameters as sent (never the key, e-mail or tool name), what the
source answered (Count, QueryTranslation), the PMIDs retrieved in rank order, the stored
SHA-256 of their set, and which source answered, so an auditor can recompute the hash.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from evidence.domain.audit import as_utc
from evidence.domain.views import RefreshRunInfo, ReportData, SearchRunInfo
from evidence.report.links import pubmed_search_url

AUDIT_FORMAT_VERSION = 1
AUDIT_DIR = "audit"
SEARCH_RUNS_NAME = "search-runs.json"
SEARCH_RUNS_PATH = f"{AUDIT_DIR}/{SEARCH_RUNS_NAME}"
HASH_RULE = "sha256 of the PMIDs sorted numerically, one per line, each line ending in a newline"


def search_runs_document(data: ReportData) -> dict[str, Any]:
    """The claim set's refresh runs and search runs (with their PMIDs), JSON-serialisable."""
    refreshes = {r.refresh_id: r for r in data.refreshes}
    return {
        "format_version": AUDIT_FORMAT_VERSION,
        "tool_version": data.tool_version,
        "generated_at": _iso(data.generated_at),
        "article": data.article.slug,
        "pmid_set_sha256": HASH_RULE,
        "refreshes": [_refresh(r) for r in data.refreshes],
        "search_runs": [
            _search_run(claim.key, query.label, run, refreshes.get(run.refresh_id))
            for claim in data.claims
            for query in claim.queries
            for run in query.runs
        ],
    }


def render_search_runs(data: ReportData) -> str:
    """``search-runs.json`` as text (indented, UTF-8, a trailing newline)."""
    return json.dumps(search_runs_document(data), indent=2, ensure_ascii=False) + "\n"


def _refresh(refresh: RefreshRunInfo) -> dict[str, Any]:
    return {
        "refresh_id": refresh.refresh_id,
        "started_at": _iso(refresh.started_at),
        "finished_at": _iso(refresh.finished_at),
        "status": refresh.status,
        "tool_version": refresh.tool_version,
        "claims_file": refresh.claims_file,
        "claims_sha256": refresh.claims_sha256,
        "source": _source(refresh),
    }


def _source(refresh: RefreshRunInfo) -> dict[str, Any]:
    return {
        "kind": refresh.source_kind,
        "location": refresh.source_location,
        "snapshot": refresh.source_snapshot,
        "ncbi": refresh.ncbi,
    }


def _search_run(
    claim: str, label: str, run: SearchRunInfo, refresh: RefreshRunInfo | None
) -> dict[str, Any]:
    return {
        "refresh_id": run.refresh_id,
        "run_id": run.run_id,
        "claim_id": claim,
        "query_label": label,
        "term": run.term,
        "params": dict(run.params),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "status": run.status,
        "message": run.message,
        "count": run.count,
        "query_translation": run.query_translation,
        "retrieved": run.retrieved,
        "pmids": list(run.pmids),
        "pmid_set_sha256": run.pmid_set_sha256,
        "unresolved": list(run.unresolved_ids),
        "source": _source(refresh) if refresh is not None else None,
        "pubmed_search_url": pubmed_search_url(run.term, run.params),
    }


def _iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the offset (``2026-11-24T14:03:07.123456+00:00``)."""
    return as_utc(moment).isoformat() if moment is not None else None
