"""``evidence mirror ...``: build, update, describe and check the local PubMed mirror."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import claims_file_argument, echo_json, json_option, resolve_claims_file


@click.group("mirror")
def mirror_group() -> None:
    """A local PubMed mirror from NLM's baseline and update files, in the ledger's database.

    Load it, keep it current, then `evidence refresh --source mirror` searches it offline.
    """


@mirror_group.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(["baseline", "update"]),
    help="What the files are [default: update inside a folder named updatefiles, else baseline].",
)
@click.option("--batch", "batch_size", type=click.IntRange(1), default=2000, show_default=True,
              help="Records per committed batch.")  # fmt: skip
@json_option
@pass_app
def load_command(
    app: App, paths: tuple[Path, ...], kind: str | None, batch_size: int, as_json: bool
) -> None:
    """Load NLM files (pubmedYYnNNNN.xml.gz or .xml; folders of them) into the mirror.

    Files load in NLM's order; the last copy of a PMID wins and DeleteCitation removes
    one (a tombstone keeps which file did). Each file's MD5 is checked against NLM's .md5
    file beside it. A stopped load resumes where it stopped; a file loaded already is skipped.
    """
    from evidence.services.mirror import FileOutcome, load

    def progress(outcome: FileOutcome) -> None:
        if not (as_json or app.quiet):
            click.echo(
                f"{outcome.name}: {outcome.status}, {outcome.records} records"
                f" ({outcome.upserted} stored, {outcome.deleted} deleted)"
                f" in {outcome.seconds:.1f}s",
                err=True,
            )

    summary = load(
        app.database(create=True), list(paths), kind=kind, batch_size=batch_size,
        progress=progress,
    )  # fmt: skip
    if as_json:
        echo_json([asdict(f) for f in summary.files])


@mirror_group.command("load-mesh")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def load_mesh_command(app: App, path: Path) -> None:
    """Load NLM's MeSH descriptor file (descYYYY.xml[.gz]): [mh] then explodes through its tree."""
    from evidence.services.mirror import load_mesh

    count = load_mesh(app.database(create=True), path)
    if not app.quiet:
        click.echo(f"{path.name}: {count} MeSH descriptors loaded", err=True)


@mirror_group.command("sync")
@click.option(
    "--from",
    "url",
    metavar="URL",
    help="The folder listing of NLM's update files. [env: EVIDENCE_MIRROR_URL; default:"
    " https://ftp.ncbi.nlm.nih.gov/pubmed/updatefiles/]",
)
@json_option
@pass_app
def sync_command(app: App, url: str | None, as_json: bool) -> None:
    """Fetch the update files not loaded yet (newer than the newest loaded) and load them."""
    from evidence.services.mirror import sync

    summary = sync(app.database(create=True), url or app.settings.mirror_updates_url)
    if as_json:
        echo_json(
            {"listed": summary.listed, "fetched": summary.fetched,
             "files": [asdict(f) for f in summary.load.files]}
        )  # fmt: skip
    elif not app.quiet:
        click.echo(
            f"{summary.listed} files listed, {len(summary.fetched)} fetched and loaded"
            + (f" ({', '.join(summary.fetched)})" if summary.fetched else ""),
            err=True,
        )


@mirror_group.command("info")
@json_option
@pass_app
def info_command(app: App, as_json: bool) -> None:
    """The mirror's snapshot, records, size, last file, and NLM's terms of use."""
    from evidence.services.mirror import info

    db = app.database(create=False)
    found = info(db, app.source("mirror").identity().location)
    summary = found.summary
    last = summary.last_file
    if as_json:
        echo_json(
            {
                "location": found.location,
                "snapshot": summary.snapshot,
                "records": summary.records,
                "deleted": summary.deleted,
                "size_bytes": found.size_bytes,
                "files": len(summary.done),
                "unfinished": [f.name for f in summary.unfinished],
                "last_file": asdict(last) if last else None,
                "mesh": summary.mesh,
                "terms": list(found.terms),
            }
        )
        return
    size = f"{found.size_bytes / 1e6:,.1f} MB" if found.size_bytes is not None else "unknown"
    lines = [
        f"mirror     {found.location}",
        f"snapshot   {summary.snapshot}",
        f"records    {summary.records:,} ({summary.deleted:,} deleted by NLM)",
        f"size       {size} (the whole database)",
        f"files      {len(summary.done)} loaded"
        + (f"; unfinished: {', '.join(f.name for f in summary.unfinished)}"
           if summary.unfinished else ""),
        f"last file  {last.name} ({last.kind}, loaded {last.finished_at:%Y-%m-%d %H:%M} UTC)"
        if last and last.finished_at
        else "last file  none",
        f"MeSH tree  {summary.mesh or 'not loaded ([mh] matches exact headings)'}",
        "",
        *found.terms,
    ]  # fmt: skip
    click.echo("\n".join(lines))


@mirror_group.command("compare")
@claims_file_argument
@click.option("--claim", "claim_ids", multiple=True, metavar="ID", help="Only this claim.")
@json_option
@pass_app
def compare_command(
    app: App, claims_file: Path | None, claim_ids: tuple[str, ...], as_json: bool
) -> None:
    """Run each query live (E-utilities) and on the mirror: counts, PMIDs only one side
    found, and PubMed's QueryTranslation."""
    from evidence.domain.claims import load_claims
    from evidence.services.mirror import compare

    claims = load_claims(resolve_claims_file(app, claims_file))
    for claim_id in claim_ids:
        claims.claim(claim_id)
    found = compare(app.source("eutils"), app.source("mirror"), claims, claim_ids)
    if as_json:
        echo_json([{**asdict(c), "agree": c.agree} for c in found])
        return
    for c in found:
        click.echo(f"{c.claim} / {c.label}")
        if c.error:
            click.echo(f"  error: {c.error}")
            continue
        click.echo(f"  PubMed {c.live_count}  mirror {c.mirror_count}  "
                   + ("same PMIDs" if c.agree else "differ"))  # fmt: skip
        if c.only_live:
            click.echo(f"  only PubMed ({len(c.only_live)}): {' '.join(c.only_live[:20])}")
        if c.only_mirror:
            click.echo(f"  only mirror ({len(c.only_mirror)}): {' '.join(c.only_mirror[:20])}")
        click.echo(f"  PubMed read it as: {c.live_translation or '-'}")
