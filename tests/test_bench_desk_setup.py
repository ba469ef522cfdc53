"""The desk benchmarks' shared records: the same for bench_desk (with retractions) and
bench_team (without)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.desk_setup import DESIGNS, RETRACTED, drug_x_records, refresh_env


def test_records_rotate_designs_and_retract_every_nth() -> None:
    pmids = [str(50_000_000 + n) for n in range(1_001)]
    retracted = drug_x_records(pmids, retracted_every=500)
    assert [p for p, xml in retracted.items() if RETRACTED.encode() in xml] == [
        pmids[0],
        pmids[500],
        pmids[1000],
    ]
    plain = drug_x_records(pmids)
    assert not any(RETRACTED.encode() in xml for xml in plain.values())
    assert plain[pmids[1]] == retracted[pmids[1]]
    for n in range(len(DESIGNS)):
        assert DESIGNS[n].encode() in plain[pmids[n]]
    assert b"Drug X and pain relief in trial 7<" in plain[pmids[7]]


def test_refresh_env_names_the_server_database_and_rate_file() -> None:
    env = refresh_env("http://127.0.0.1:1/", "sqlite:///x.db", Path("/tmp/f"))
    assert env["EVIDENCE_EUTILS_URL"] == "http://127.0.0.1:1/"
    assert env["EVIDENCE_DATABASE_URL"] == "sqlite:///x.db"
    assert env["EVIDENCE_RATE_FILE"] == "/tmp/f/rate"
    assert len(env["NCBI_API_KEY"]) == 36
