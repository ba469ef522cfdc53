"""PubMed's query syntax over the mirror: the parsed query (an AST) to one SQL statement.

Words, phrases and truncations become one full-text expression (SQLite FTS5 ``MATCH``, or
PostgreSQL ``@@ to_tsquery``) per maximal sub-tree of them; date and PMID ranges become
conditions on ``mirror_records``; AND / OR / NOT combine both. What each field tag searches
is :data:`FIELD_COLUMNS`; ``[mh]``/``[majr]`` explode through the MeSH tree when one is
loaded (``evidence mirror load-mesh``), else they match the exact heading.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    bindparam,
    column,
    false,
    not_,
    or_,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from evidence.domain.errors import MirrorSearchError
from evidence.domain.mirror import MirrorAnswer, range_bounds, tokens, value_token
from evidence.domain.query_syntax import And, Node, Or, Range, Term
from evidence.store.mirror.load import is_sqlite
from evidence.store.mirror.models import MirrorMeshRow, MirrorMeshTreeRow, MirrorRecordRow

TEXT = ("ti", "ab", "kw", "mh", "sh", "pt", "au", "ta")
FIELD_COLUMNS: dict[str | None, tuple[str, ...]] = {
    None: TEXT,
    "all": TEXT,
    "tw": ("ti", "ab", "kw", "mh", "sh", "pt"),
    "tiab": ("ti", "ab", "kw"),
    "ti": ("ti",),
    "ab": ("ab",),
    "ot": ("kw",),
    "mh": ("mh",),
    "mh:noexp": ("mh",),
    "majr": ("mj",),
    "majr:noexp": ("mj",),
    "sh": ("sh",),
    "sh:noexp": ("sh",),
    "pt": ("pt",),
    "la": ("la",),
    "au": ("au",),
    "ta": ("ta",),
    "is": ("ta",),
}
WHOLE_VALUE = {"mh", "mh:noexp", "majr", "majr:noexp", "sh", "sh:noexp", "pt", "ta", "is"}
EXPLODED = {"mh", "majr"}
WIDE = 32
"""An exploded heading with more alternatives than this is searched as a union of full-text
searches of this many each. One search steps (FTS5) or re-checks (PostgreSQL) every alternative
for every row it yields: a heading exploded to 6,500 headings took 15 CPU-s on 120k records on
SQLite, 45 on PostgreSQL; in chunks the work falls to the rows each chunk matches."""
MAX_UNION = 400  # SQLite refuses a compound SELECT of more than 500 parts: wider chunks then
DATE_COLUMNS = {"dp": "dp", "ppdat": "dp", "edat": "edat", "crdt": "crdt", "mdat": "mdat"}
SYSTEMATIC = Or(
    (
        Term("systematic review", "pt", True, False),
        Term("meta-analysis", "pt", True, False),
        Term("systematic review", "ti", True, False),
        Term("meta-analysis", "ti", True, False),
    )
)


@dataclass(frozen=True)
class Atom:
    """Tokens in some columns: one token, a phrase, or any of several whole values."""

    columns: tuple[str, ...]
    tokens: tuple[str, ...]
    prefix: bool = False
    any_of: bool = False  # tokens are alternatives (an exploded heading), not a phrase
    near: int | None = None


@dataclass(frozen=True)
class FtsAnd:
    items: tuple[Fts, ...]


@dataclass(frozen=True)
class FtsOr:
    items: tuple[Fts, ...]


@dataclass(frozen=True)
class FtsNot:
    left: Fts
    right: Fts


Fts = Atom | FtsAnd | FtsOr | FtsNot


@dataclass(frozen=True)
class Cond:
    """A condition on mirror_records (a range), kept apart from the full-text parts."""

    clause: ColumnElement[bool]


class _Nothing:
    pass


NOTHING = _Nothing()
Plan = Fts | Cond | _Nothing


@dataclass
class Explosions:
    """What the MeSH tree did to each heading, for the run's provenance."""

    tree: str | None  # the MeSH file loaded, or None
    headings: dict[str, int] = field(default_factory=dict)  # heading token -> headings searched


def search(session: Session, node: Node, mesh_label: str | None) -> MirrorAnswer:
    """Every PMID the query finds, newest (highest PMID) first."""
    explosions = Explosions(mesh_label)
    expand = _exploder(session, explosions) if mesh_label else None
    sqlite = is_sqlite(session)
    plan = _Planner(expand, sqlite).plan(node)
    engine = "SQLite FTS5" if sqlite else "PostgreSQL full text"
    if isinstance(plan, _Nothing):
        return _answer((), explosions, engine)
    if isinstance(plan, Cond):
        stmt = select(MirrorRecordRow.key).where(plan.clause)
    else:
        stmt = _fts_keys(plan, sqlite)
    keys = session.scalars(stmt).all()
    pmids = sorted({int(key) // 100 for key in keys}, reverse=True)
    return _answer(tuple(str(p) for p in pmids), explosions, engine)


def _answer(pmids: tuple[str, ...], explosions: Explosions, engine: str) -> MirrorAnswer:
    return MirrorAnswer(pmids, engine, explosions.tree, tuple(explosions.headings.items()))


# --- AST -> plan -----------------------------------------------------------------------------


Expand = Callable[[str], Sequence[str]]


class _Planner:
    """The AST to a plan; full-text sub-trees inside conditions become ``key IN (...)``."""

    def __init__(self, expand: Expand | None, sqlite: bool) -> None:
        self.expand = expand
        self.sqlite = sqlite

    def plan(self, node: Node) -> Plan:
        if isinstance(node, Term):
            if _is_systematic(node):
                return self.plan(SYSTEMATIC)
            return self.widen(_term(node, self.expand))
        if isinstance(node, Range):
            return _range(node.field, node.low, node.high)
        if isinstance(node, And | Or):
            return self.combine("and" if isinstance(node, And) else "or", node.items)
        return self.negate(self.plan(node.left), self.plan(node.right))

    def widen(self, plan: Plan) -> Plan:
        """A wide explosion as ``key IN (search chunk 1 UNION ALL ...)`` (see WIDE)."""
        if not (isinstance(plan, Atom) and plan.any_of):
            return plan
        if len(plan.tokens) <= WIDE:
            return plan
        size = max(WIDE, -(-len(plan.tokens) // MAX_UNION))
        chunks = [
            _fts_keys(Atom(plan.columns, plan.tokens[i : i + size], any_of=True), self.sqlite)
            for i in range(0, len(plan.tokens), size)
        ]
        return Cond(MirrorRecordRow.key.in_(union_all(*chunks)))

    def combine(self, op: str, nodes: Sequence[Node]) -> Plan:
        plans = [self.plan(item) for item in nodes]
        if op == "and" and any(isinstance(p, _Nothing) for p in plans):
            return NOTHING
        kept = [p for p in plans if not isinstance(p, _Nothing)]
        if not kept:
            return NOTHING
        if len(kept) == 1:
            return kept[0]
        fts = [p for p in kept if isinstance(p, Atom | FtsAnd | FtsOr | FtsNot)]
        if len(fts) == len(kept):
            return FtsAnd(tuple(fts)) if op == "and" else FtsOr(tuple(fts))
        clauses = [self.clause(p) for p in kept]
        return Cond(and_(*clauses) if op == "and" else or_(*clauses))

    def negate(self, left: Plan, right: Plan) -> Plan:
        if isinstance(left, _Nothing):
            return NOTHING
        if isinstance(right, _Nothing):
            return left
        if not isinstance(left, Cond) and not isinstance(right, Cond):
            return FtsNot(left, right)
        return Cond(and_(self.clause(left), not_(self.clause(right))))

    def clause(self, plan: Plan) -> ColumnElement[bool]:
        if isinstance(plan, Cond):
            return plan.clause
        if isinstance(plan, _Nothing):
            return false()
        return MirrorRecordRow.key.in_(_fts_keys(plan, self.sqlite))


def _is_systematic(term: Term) -> bool:
    return term.field == "sb" and term.text.lower() == "systematic"


def _term(term: Term, expand: Expand | None) -> Plan:
    name = term.field
    if name == "sb":
        raise MirrorSearchError(f"the mirror has no subset {term.text!r}[sb] (only systematic[sb])")
    if name in DATE_COLUMNS:
        return _range(name, term.text, term.text)
    if name == "uid":
        return _range("uid", term.text, term.text)
    if name not in FIELD_COLUMNS:
        raise MirrorSearchError(
            f"the mirror does not index [{name}]; it searches"
            f" {', '.join(f'[{f}]' for f in FIELD_COLUMNS if f)} and date ranges"
        )
    columns = FIELD_COLUMNS[name]
    if name in WHOLE_VALUE:
        token = value_token(term.text)
        if not token:
            return NOTHING
        if name in EXPLODED and expand is not None and not term.truncated:
            found = tuple(dict.fromkeys([token, *expand(token)]))
            return Atom(columns, found, any_of=len(found) > 1)
        return Atom(columns, (token,), prefix=term.truncated)
    words = tuple(tokens(term.text))
    if not words:
        return NOTHING
    if name == "la":
        return Atom(columns, words[:1], prefix=term.truncated)
    # PubMed truncates an author's initials ("smith j" finds Smith JA): the last word of two
    # or more, when it is short, is a prefix.
    prefix = term.truncated or (name == "au" and len(words) > 1 and len(words[-1]) <= 3)
    near = term.proximity if term.proximity is not None and len(words) > 1 else None
    return Atom(columns, words, prefix=prefix, near=near)


def _range(name: str, low: str, high: str) -> Plan:
    if name == "uid":
        if not (low.isdigit() and high.isdigit()):
            raise MirrorSearchError(f"[uid] takes PMIDs, not {low!r}")
        lo, hi = sorted((int(low), int(high)))
        return Cond(MirrorRecordRow.key.between(lo * 100, hi * 100 + 99))
    column = DATE_COLUMNS.get(name)
    if column is None:
        raise MirrorSearchError(f"the mirror has no date [{name}] (it has dp, edat, crdt, mdat)")
    try:
        lo, hi = range_bounds(low, high)
    except ValueError as exc:
        raise MirrorSearchError(f"not a date range: {low}:{high}[{name}]") from exc
    return Cond(getattr(MirrorRecordRow, column).between(min(lo, hi), max(lo, hi)))


def _fts_keys(plan: Fts, sqlite: bool) -> Select[int]:
    """``SELECT key FROM mirror_fts WHERE <the plan matches>``; its parameter is unique, so
    several of them in one statement keep their own expressions."""
    if sqlite:
        match = text("mirror_fts MATCH :q").bindparams(bindparam("q", fts5(plan), unique=True))
        return select(column("rowid", BigInteger)).select_from(table("mirror_fts")).where(match)
    query = text("doc @@ to_tsquery('simple', :q)").bindparams(
        bindparam("q", tsquery(plan), unique=True)
    )
    return select(column("key", BigInteger)).select_from(table("mirror_fts")).where(query)


# --- plan -> SQLite FTS5 / PostgreSQL tsquery ------------------------------------------------


def fts5(plan: Fts) -> str:
    """The FTS5 MATCH expression of a plan."""
    if isinstance(plan, Atom):
        columns = "{" + " ".join(plan.columns) + "}"
        if plan.any_of:
            return f"{columns} : ({' OR '.join(_quoted(t) for t in plan.tokens)})"
        if plan.near is not None:
            return f"{columns} : NEAR({' '.join(_quoted(t) for t in plan.tokens)}, {plan.near})"
        star = " *" if plan.prefix else ""
        return f"{columns} : {_quoted(' '.join(plan.tokens))}{star}"
    if isinstance(plan, FtsNot):
        return f"({fts5(plan.left)}) NOT ({fts5(plan.right)})"
    op = " AND " if isinstance(plan, FtsAnd) else " OR "
    return op.join(f"({fts5(item)})" for item in plan.items)


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def tsquery(plan: Fts) -> str:
    """The PostgreSQL tsquery of a plan (tokens prefixed by their field code)."""
    if isinstance(plan, Atom):
        if plan.any_of:
            alternatives = [f"{c}{t}" for c in plan.columns for t in plan.tokens]
            return "(" + " | ".join(alternatives) + ")"
        joiner = " & " if plan.near is not None else " <-> "
        star = ":*" if plan.prefix else ""
        per_column = [joiner.join(f"{c}{t}" for t in plan.tokens) + star for c in plan.columns]
        return "(" + " | ".join(f"({p})" for p in per_column) + ")"
    if isinstance(plan, FtsNot):
        return f"({tsquery(plan.left)} & !{tsquery(plan.right)})"
    op = " & " if isinstance(plan, FtsAnd) else " | "
    return "(" + op.join(tsquery(item) for item in plan.items) + ")"


# --- MeSH ------------------------------------------------------------------------------------


def _exploder(session: Session, explosions: Explosions) -> Expand:
    def expand(token: str) -> Sequence[str]:
        uis = session.scalars(select(MirrorMeshRow.ui).where(MirrorMeshRow.token == token)).all()
        if not uis:
            explosions.headings[token] = 1
            return ()
        trees = session.scalars(
            select(MirrorMeshTreeRow.tree_number).where(MirrorMeshTreeRow.ui.in_(uis))
        ).all()
        below: set[str] = set(uis)
        for tree in trees:
            found = session.scalars(
                select(MirrorMeshTreeRow.ui).where(
                    MirrorMeshTreeRow.tree_number > tree + ".",
                    MirrorMeshTreeRow.tree_number < tree + "/",
                )
            ).all()
            below.update(found)
        names = session.scalars(select(MirrorMeshRow.token).where(MirrorMeshRow.ui.in_(below)))
        found_tokens = sorted(set(names) - {token})
        explosions.headings[token] = 1 + len(found_tokens)
        return found_tokens

    return expand
