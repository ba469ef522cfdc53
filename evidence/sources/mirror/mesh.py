"""NLM's MeSH descriptor file (``desc2025.xml``, a ``DescriptorRecordSet``), streamed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from evidence.domain.errors import MirrorLoadError
from evidence.domain.mirror import MeshDescriptor, value_token
from evidence.sources.mirror.records import open_stream

_ENTRY_TERMS = "ConceptList/Concept/TermList/Term/String"


def descriptors(path: Path) -> Iterator[MeshDescriptor]:
    """Every descriptor of the file, in file order (each record cleared once read)."""
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
            found = _descriptor(record)
            if found is not None:
                yield found
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


def _descriptor(record: etree._Element) -> MeshDescriptor | None:
    """The descriptor of one ``<DescriptorRecord>``; None without a UI or a name."""
    ui = (record.findtext("DescriptorUI") or "").strip()
    name = (record.findtext("DescriptorName/String") or "").strip()
    if not (ui and name):
        return None
    trees = ((t.text or "").strip() for t in record.iterfind("TreeNumberList/TreeNumber"))
    terms = ((t.text or "").strip() for t in record.iterfind(_ENTRY_TERMS))
    return MeshDescriptor(
        ui=ui,
        name=name,
        token=value_token(name),
        tree_numbers=tuple(t for t in trees if t),
        entry_terms=tuple(dict.fromkeys(t for t in (name, *terms) if t)),
    )
