"""Bulk writes of plain row tuples straight through the driver (SQLite and PostgreSQL):
the store's one way of writing many rows (records and their child rows, claim links, search
runs' PMIDs, record changes, notices, the mirror's records, tombstones and MeSH tree), with
or without an ``ON CONFLICT`` clause.

Core's executemany builds a parameter dict and runs each bind processor per row and value;
for a refresh's tens of thousands of child rows that was most of the cost of storing. Here a
table's rows are tuples in a fixed column order; the bind processors SQLAlchemy would apply
(JSON text, SQLite's datetime strings, booleans) run once per column and distinct object
(a batch's shared timestamp, its empty tuples); the statement goes to the driver as it is:
one ``executemany`` on SQLite; on PostgreSQL one statement whose parameters are the columns
as arrays (sent in binary) that ``unnest`` turns back into rows: psycopg parses a long
multi-row ``VALUES`` statement (SQLAlchemy's "insertmanyvalues") again in Python each time,
and its ``executemany`` spends Python time per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import islice
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import JSON, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

T = TypeVar("T")
Row = tuple[Any, ...]
Processor = Callable[[Any], Any]
BATCH_ROWS = 500  # keys per IN (...) list or DELETE statement (SQLite allows 32,766 parameters)


def chunks(items: Iterable[T], size: int = BATCH_ROWS) -> Iterator[list[T]]:
    """Split ``items`` into lists of at most ``size``."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_tuples(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Row],
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table``.

    ``conflict``: the unique key; a row whose key is stored updates the ``update`` columns
    (``ON CONFLICT ... DO UPDATE``), or is skipped when ``update`` is empty. Columns left out
    get their server defaults (not Python-side ``default=``s), so a table written here keeps
    a ``server_default`` beside each ``default`` of a column its callers omit.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    spec = _Spec(table.name, tuple(columns), tuple(conflict), tuple(update))
    values = processed(table, spec.columns, rows, dialect)
    if dialect.name == "sqlite":
        connection.exec_driver_sql(_values_sql(dialect, spec), values)
    elif dialect.name == "postgresql":
        arrays = tuple(map(list, zip(*values, strict=True)))
        connection.exec_driver_sql(_unnest_sql(table, spec, dialect), arrays)
    else:
        raise NotImplementedError(f"bulk inserts are not implemented for {dialect.name}")


def delete_keys(session: Session, table: Table, column: str, keys: Sequence[Any]) -> None:
    """Delete the rows of ``table`` whose ``column`` is one of ``keys`` (a statement a page)."""
    connection = session.connection()
    dialect = connection.dialect
    mark = _mark(dialect)
    name = dialect.identifier_preparer.quote
    for page in chunks(keys):
        marks = ", ".join([mark] * len(page))
        connection.exec_driver_sql(
            f"DELETE FROM {name(table.name)} WHERE {name(column)} IN ({marks})", tuple(page)
        )


def processed(
    table: Table, columns: tuple[str, ...], rows: Sequence[Row], dialect: Dialect
) -> list[Row]:
    """``rows`` with each column's bind processor applied, as SQLAlchemy would bind them."""
    processors = _processors(table, columns, dialect)
    if not processors:
        return list(rows)
    by_column: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for index, process in processors:
        by_column[index] = once_per_object(process, by_column[index])
    return list(zip(*by_column, strict=True))


def once_per_object(process: Processor, values: Sequence[Any]) -> list[Any]:
    """``process`` over ``values``, called once per distinct object (by identity, so equal
    values of different kinds, such as datetimes in two zones, stay apart)."""
    ids = list(map(id, values))
    distinct = dict(zip(ids, values, strict=True))
    done = {key: process(value) for key, value in distinct.items()}
    return list(map(done.__getitem__, ids))


class _Spec(NamedTuple):
    """An insert's table, columns, conflict key and updated columns (hashable, for caching)."""

    table: str
    columns: tuple[str, ...]
    conflict: tuple[str, ...]
    update: tuple[str, ...]


@lru_cache(maxsize=64)
def _values_sql(dialect: Dialect, spec: _Spec) -> str:
    """SQLite: a one-row ``INSERT`` for ``executemany``."""
    marks = ", ".join(["?"] * len(spec.columns))
    return _insert_from(dialect, spec, f"VALUES ({marks})")


@lru_cache(maxsize=64)
def _unnest_sql(table: Table, spec: _Spec, dialect: Dialect) -> str:
    """PostgreSQL: the rows as one array per column, ``unnest`` making rows of them again."""
    types = [table.c[column].type.compile(dialect=dialect) for column in spec.columns]
    arrays = ", ".join(f"%b::{kind}[]" for kind in types)
    return _insert_from(dialect, spec, f"SELECT * FROM unnest({arrays})")


def _insert_from(dialect: Dialect, spec: _Spec, rows: str) -> str:
    """``INSERT INTO`` the spec's table and columns ``rows``, with its conflict clause."""
    name = dialect.identifier_preparer.quote
    sql = f"INSERT INTO {name(spec.table)} ({', '.join(map(name, spec.columns))}) {rows}"
    if not spec.conflict:
        return sql
    keys = ", ".join(map(name, spec.conflict))
    if not spec.update:
        return f"{sql} ON CONFLICT ({keys}) DO NOTHING"
    sets = ", ".join(f"{name(c)} = excluded.{name(c)}" for c in spec.update)
    return f"{sql} ON CONFLICT ({keys}) DO UPDATE SET {sets}"


@lru_cache(maxsize=64)
def _processors(
    table: Table, columns: tuple[str, ...], dialect: Dialect
) -> tuple[tuple[int, Processor], ...]:
    """(position, bind processor) of the columns that have one on ``dialect``."""
    found = []
    for index, column in enumerate(columns):
        process = bind_processor(table.c[column].type, dialect)
        if process is not None:
            found.append((index, process))
    return tuple(found)


def bind_processor(kind: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    """The conversion SQLAlchemy applies to a value of ``kind`` bound on ``dialect`` (its
    dialect implementation's: SQLite's datetime text, booleans, a TypeDecorator's own step).

    JSON gets the generic type's processor on every dialect: the text of the engine's
    ``json_serializer`` (which PostgreSQL's statement casts), not psycopg's ``Json`` wrapper.
    """
    if not isinstance(kind, JSON):
        return kind.dialect_impl(dialect).bind_processor(dialect)
    generic: TypeEngine[Any] = kind  # JSON's own method, typed as TypeEngine's
    process = generic.bind_processor(dialect)
    if process is None:  # a native-JSON driver left to serialize: it would get bare lists
        raise NotImplementedError("bulk JSON writes need the engine's json_serializer")
    return process


def _mark(dialect: Dialect) -> str:
    return "?" if dialect.name == "sqlite" else "%s"
