"""The indexing terms of one article, normalised for matching by the grading rules.

Publication types, MeSH descriptors and CommentsCorrections reference types are compared
case-insensitively (old records spell ``JOURNAL ARTICLE``) and as whole names, so
``Randomized Controlled Trials as Topic`` never matches ``Randomized Controlled Trial``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

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


@lru_cache(maxsize=65_536)
def fold_name(name: str) -> str:
    """``name`` with case and runs of white space normalised, for whole-name matching.

    Cached: grading folds the same few thousand names (the rules', MeSH's) for every record.
    """
    return " ".join(name.split()).casefold()


def fold(names: Iterable[str]) -> frozenset[str]:
    """Names as a set for case-insensitive, whole-name matching."""
    return frozenset(fold_name(name) for name in names)


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
            publication_types=fold(article.publication_type_names),
            mesh=fold(m.descriptor for m in article.mesh_headings),
            ref_types=fold(c.ref_type for c in article.comments_corrections),
        )

    @property
    def indexed(self) -> bool:
        """False when nothing but neutral publication types and no MeSH heading is known.

        Such a record has not been indexed for MEDLINE yet (or never will be): only its
        title and abstract can tell its design.
        """
        return bool(self.mesh or self.publication_types - NEUTRAL_PUBLICATION_TYPES)
