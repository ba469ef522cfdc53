"""The indexing terms of one article, normalised for matching by the grading rules.

Publication types, MeSH descriptors and CommentsCorrections reference types are compared
case-insensitively (old records spell ``JOURNAL ARTICLE``) and as whole names, so
``Randomized Controlled Trials as Topic`` never matches ``Randomized Controlled Trial``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter

from evidence.domain.records import Article

NEUTRAL_PUBLICATION_TYPES = frozenset(
    {
        "journal article",
        "english abstract",
        "preprint",
        "retracted publication",
        "corrected and republished article",
        "duplicate publication",
        "research support, american recovery and reinvestment act",
        "research support, n.i.h., extramural",
        "research support, n.i.h., intramural",
        "research support, non-u.s. gov't",
        "research support, u.s. gov't, non-p.h.s.",
        "research support, u.s. gov't, p.h.s.",
        "research support, u.s. government",
    }
)
"""Publication types that say nothing about design: format, funding, publication status."""

_NAME = attrgetter("name")
_DESCRIPTOR = attrgetter("descriptor")
_REF_TYPE = attrgetter("ref_type")


@lru_cache(maxsize=65_536)
def fold_name(name: str) -> str:
    """``name`` with case and runs of white space normalised, for whole-name matching.

    Cached: grading folds the same few thousand names (the rules', MeSH's) for every record.
    """
    return " ".join(name.split()).casefold()


def fold(names: Iterable[str]) -> frozenset[str]:
    """Names as a set for case-insensitive, whole-name matching."""
    return frozenset(map(fold_name, names))


@dataclass(frozen=True)
class Terms:
    """Folded publication types, MeSH descriptors and link types of one article."""

    publication_types: frozenset[str]
    mesh: frozenset[str]
    ref_types: frozenset[str]

    @classmethod
    def of(cls, article: Article) -> Terms:
        """The terms of ``article``."""
        return cls(
            publication_types=fold(map(_NAME, article.publication_types)),
            mesh=fold(map(_DESCRIPTOR, article.mesh_headings)),
            ref_types=fold(map(_REF_TYPE, article.comments_corrections)),
        )

    @property
    def indexed(self) -> bool:
        """False when nothing but neutral publication types and no MeSH heading is known.

        Such a record has not been indexed for MEDLINE yet (or never will be): only its
        title and abstract can tell its design.
        """
        return bool(self.mesh or self.publication_types - NEUTRAL_PUBLICATION_TYPES)


@dataclass(frozen=True)
class TermIndex:
    """Which rows of a rule table name each folded term, so a record's terms look up the
    few rows they can fire instead of every row testing every record.

    One mapping per kind of term (publication types, MeSH, link types), folded name -> rows.
    """

    kinds: tuple[Mapping[str, frozenset[int]], ...]
    names: tuple[frozenset[str], ...]  # each mapping's keys, for one C-level intersection

    @classmethod
    def of(cls, rows: Sequence[tuple[Iterable[str], Iterable[str], Iterable[str]]]) -> TermIndex:
        """The index of ``rows``: (publication types, MeSH, link types) named by each row."""
        kinds: tuple[dict[str, set[int]], ...] = ({}, {}, {})
        for row, names_by_kind in enumerate(rows):
            for index, names in zip(kinds, names_by_kind, strict=True):
                for name in names:
                    index.setdefault(fold_name(name), set()).add(row)
        frozen = tuple({name: frozenset(r) for name, r in k.items()} for k in kinds)
        return cls(frozen, tuple(frozenset(k) for k in frozen))

    def rows(self, terms: Terms) -> list[int]:
        """The rows naming any of ``terms``, in table order."""
        found: set[int] = set()
        have = (terms.publication_types, terms.mesh, terms.ref_types)
        for index, known, names in zip(self.kinds, self.names, have, strict=True):
            for name in names & known:
                found |= index[name]
        return sorted(found)
