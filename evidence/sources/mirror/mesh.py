"""NLM's MeSH descriptor file (``desc2025.xml``, a ``DescriptorRecordSet``), streamed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from evidence.domain.errors import MirrorLoadError
from evidence.domain.mirror import value_token
from evidence.sources.mirror.records import open_stream


def descriptors(path: Path) -> Iterator[tuple[str, str, str, tuple[str, ...]]]:
    """``(UI, name, index token, tree numbers)`` of every descriptor, in file order."""
    stream = open_stream(path)
    events = etree.iterparse(
        stream,
        events=("end",),
        tag="DescriptorRecord",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    seen = False
    try:
        for _, record in events:
            seen = True
            ui = (record.findtext("DescriptorUI") or "").strip()
            name = (record.findtext("DescriptorName/String") or "").strip()
            trees = tuple(
                (t.text or "").strip() for t in record.iterfind("TreeNumberList/TreeNumber")
            )
            if ui and name:
                yield ui, name, value_token(name), tuple(t for t in trees if t)
            record.clear()
            parent = record.getparent()
            while parent is not None and record.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise MirrorLoadError(f"{path}: not a MeSH descriptor file: {exc}") from exc
    finally:
        stream.close()
    if not seen:
        raise MirrorLoadError(f"{path}: no <DescriptorRecord> found (not NLM's descXXXX.xml)")
