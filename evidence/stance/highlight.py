"""The words a study card marks: a claim's terms, and the MeSH entry terms of its headings.

A claim's terms (:func:`~evidence.stance.prepared.claim_terms`: its statement and the words
of its query terms) are marked wherever they occur. The entry terms of the MeSH headings its
queries search (``"Receptors, N-Methyl-D-Aspartate"[mh]`` -> "NMDA Receptors",
"N-Methyl-D-Aspartate Receptors"...) are matched by the same tokeniser as relevance (stems,
no stopwords, no one-letter words): a one-word entry term like a claim term; a longer one
only where its content words occur in a row, then each of those words is marked. An
inverted entry term ("Receptors, NMDA") is also matched in natural order ("NMDA receptors").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from evidence.domain.query_syntax import And, Node, Not, Or, QuerySyntaxError, Term, parse_query
from evidence.stance.text import content_term, content_terms, tokens, unique

MESH_FIELDS = frozenset({"mh", "mh:noexp", "majr", "majr:noexp"})
"""The fields that search MeSH headings (``[mesh]`` and ``[mesh terms]`` spell ``mh``)."""

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Highlight:
    """What to mark: stems marked wherever they occur, and multi-word entry terms (stem
    sequences, by their first stem) marked where they occur in full."""

    words: frozenset[str]
    phrases: Mapping[str, tuple[Phrase, ...]]


@lru_cache(maxsize=4096)
def mesh_headings(term: str) -> tuple[str, ...]:
    """The MeSH headings a query term searches (``[mh]``, ``[mesh]``, ``[majr]``, with or
    without ``:noexp``), as written, without a subheading ("Ketamine/therapeutic use" ->
    "Ketamine"), first first; none on the right of a NOT; () for a term that does not parse."""
    try:
        stack: list[Node] = [parse_query(term)]
    except QuerySyntaxError:
        return ()
    found: list[str] = []
    while stack:
        node = stack.pop()
        if isinstance(node, Term) and node.field in MESH_FIELDS:
            found.append(node.text.split("/")[0].strip())
        elif isinstance(node, Not):
            stack.append(node.left)
        elif isinstance(node, And | Or):
            stack.extend(reversed(node.items))
    return unique(heading for heading in found if heading)


def claim_headings(query_terms: Iterable[str]) -> tuple[str, ...]:
    """The MeSH headings of every query term of a claim, without repeats."""
    return unique(heading for term in query_terms for heading in mesh_headings(term))


@lru_cache(maxsize=256)
def highlight(claim_terms: tuple[str, ...], entry_terms: tuple[str, ...] = ()) -> Highlight:
    """The claim's terms plus its headings' entry terms, ready to match (cached per claim)."""
    words = set(claim_terms)
    phrases: dict[str, set[Phrase]] = {}
    for entry in entry_terms:
        for form in _forms(entry):
            stems = content_terms(form)
            if len(stems) == 1:
                words.add(stems[0])
            elif stems:
                phrases.setdefault(stems[0], set()).add(stems)
    return Highlight(frozenset(words), {k: tuple(sorted(v)) for k, v in phrases.items()})


def _forms(entry: str) -> tuple[str, ...]:
    """An entry term as written and, when MeSH inverted it ("Receptors, NMDA"), in natural
    order ("NMDA Receptors")."""
    head, comma, rest = entry.partition(", ")
    if comma and ", " not in rest:
        return entry, f"{rest} {head}"
    return (entry,)


def matching_words(texts: Iterable[str], terms: Highlight | Sequence[str]) -> frozenset[str]:
    """The lower-case words of ``texts`` to mark: a word whose stem is one of the terms, and
    every word of a multi-word entry term found in full.

    A word with an apostrophe is given without it ("patient's" -> "patient"): HTML escapes
    the apostrophe, and the page marks the word before it.
    """
    wanted = terms if isinstance(terms, Highlight) else Highlight(frozenset(terms), {})
    found: set[str] = set()
    for text in texts:
        found.update(_marked(tokens(text or ""), wanted))
    return frozenset(word.split("'")[0] for word in found)


def _marked(words: list[str], wanted: Highlight) -> Iterable[str]:
    content = [(word, stem) for word in words if (stem := content_term(word))]
    stems = [stem for _, stem in content]
    for at, (word, stem) in enumerate(content):
        if stem in wanted.words:
            yield word
        for phrase in wanted.phrases.get(stem, ()):
            if tuple(stems[at : at + len(phrase)]) == phrase:
                yield from (w for w, _ in content[at : at + len(phrase)])
