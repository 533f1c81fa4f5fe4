"""Bulk writes below the ORM: the ingest's 100,000-row inserts and updates.

Why not ``connection.execute(insert(table), rows)``: for every row SQLAlchemy builds
a parameter dict and runs each column's bind processor, and on PostgreSQL its
``insertmanyvalues`` renders one huge statement per thousand rows; at 100,000
findings (five rows each) that costs more than the database itself (issue 7's
benchmark). Here rows become plain tuples once and go to the driver directly:

* **PostgreSQL**: ``COPY ... FROM STDIN`` (psycopg's ``cursor.copy``), the fastest
  bulk path it has. Ids of new findings are taken from the table's sequence first,
  so they are known without ``RETURNING``. Updates COPY into a temporary table and
  run one ``UPDATE ... FROM``.
* **SQLite** (and anything else): one ``executemany`` with tuples; values go through
  the column types' own bind processors, so what is stored is byte-for-byte what the
  ORM would store. Ids of new rows follow SQLite's rowid rule (one more than the
  largest) while the transaction holds the write lock, and are checked.

Everything runs on the caller's connection, inside the caller's transaction.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    SmallInteger,
    String,
    Table,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["insert_rows", "insert_with_ids", "update_rows"]

Row = Mapping[str, Any]
_CHUNK = 5_000


def _is_postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _quote(connection: Connection, name: str) -> str:
    return str(connection.dialect.identifier_preparer.quote(name))


def _sql(*parts: str) -> str:
    """One statement from parts. Every name in them is a table or column of the models,
    quoted by the dialect; values always travel as parameters or COPY data."""
    return " ".join(parts)


def _processors(
    connection: Connection, table: Table, columns: Sequence[str]
) -> list[Callable[[Any], Any] | None]:
    """Each column's bind processor (None when the driver takes the value as it is)."""
    dialect = connection.dialect
    return [table.c[name].type._cached_bind_processor(dialect) for name in columns]


def _tuples(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Row]
) -> list[tuple[Any, ...]]:
    """Rows as driver-ready tuples; the many equal timestamps are processed once each."""
    processors = _processors(connection, table, columns)
    caches: list[dict[Any, Any]] = [{} for _ in columns]
    out: list[tuple[Any, ...]] = []
    for row in rows:
        values = []
        for name, proc, cache in zip(columns, processors, caches, strict=True):
            value = row[name]
            if proc is not None and value is not None:
                done = cache.get(value)
                if done is None:
                    done = cache[value] = proc(value)
                value = done
            values.append(value)
        out.append(tuple(values))
    return out


# PostgreSQL's binary COPY names of the column types the models use: values then
# travel in the server's own representation, so it parses no text (timestamps are
# the costliest to parse). A column of any other type keeps the table on text COPY.
_BINARY_TYPES: tuple[tuple[type[TypeEngine[Any]], str], ...] = (
    (Boolean, "bool"),
    (BigInteger, "int8"),
    (SmallInteger, "int2"),
    (Integer, "int4"),
    (Float, "float8"),
    (DateTime, "timestamptz"),
    (Date, "date"),
    (String, "text"),  # Text and VARCHAR share the text representation
)


def _binary_types(table: Table, columns: Sequence[str]) -> list[str] | None:
    names = []
    for column in columns:
        kind = table.c[column].type
        if isinstance(kind, TypeDecorator):
            kind = kind.impl_instance
        name = next((n for t, n in _BINARY_TYPES if isinstance(kind, t)), None)
        if name is None:
            return None
        names.append(name)
    return names


def _copy(
    connection: Connection, table: Table, name: str, columns: Sequence[str], rows: Sequence[Row]
) -> None:
    names = ", ".join(_quote(connection, c) for c in columns)
    driver = connection.connection.driver_connection
    types = _binary_types(table, columns)
    binary = " (FORMAT BINARY)" if types is not None else ""
    statement = _sql("COPY", name, f"({names}) FROM STDIN{binary}")
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        if types is not None:
            copy.set_types(types)
        for row in rows:
            copy.write_row(tuple(row[c] for c in columns))


def insert_rows(connection: Connection, table: Table, rows: Sequence[Row]) -> None:
    """INSERT ``rows`` (all with the same keys) into ``table``."""
    if not rows:
        return
    columns = list(rows[0])
    if _is_postgres(connection):
        _copy(connection, table, _quote(connection, table.name), columns, rows)
        return
    names = ", ".join(_quote(connection, c) for c in columns)
    marks = ", ".join("?" * len(columns))
    statement = _sql("INSERT INTO", _quote(connection, table.name), f"({names}) VALUES ({marks})")
    values = _tuples(connection, table, columns, rows)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(values), _CHUNK):
            cursor.executemany(statement, values[start : start + _CHUNK])
    finally:
        cursor.close()


def insert_with_ids(connection: Connection, table: Table, rows: Sequence[Row]) -> list[int]:
    """INSERT ``rows`` and return their new ids, in order (the table has an ``id`` key)."""
    if not rows:
        return []
    name = _quote(connection, table.name)
    if _is_postgres(connection):
        ids = sorted(
            connection.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence(%(t)s, 'id'))"
                " FROM generate_series(1, %(n)s)",
                {"t": table.name, "n": len(rows)},
            ).scalars()
        )
        insert_rows(connection, table, [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
        return ids
    insert_rows(connection, table, rows)
    last = int(connection.exec_driver_sql(_sql("SELECT max(id) FROM", name)).scalar_one())
    first = last - len(rows) + 1
    count = connection.exec_driver_sql(
        _sql("SELECT count(*) FROM", name, "WHERE id >= ?"), (first,)
    ).scalar_one()
    if count != len(rows):  # pragma: no cover - SQLite's documented rowid rule was broken
        raise AssertionError(f"{table.name}: new ids are not {first}..{last}")
    return list(range(first, last + 1))


def update_rows(connection: Connection, table: Table, rows: Sequence[Row]) -> None:
    """``UPDATE table SET ... WHERE id = row["id"]``; every row sets the same columns."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != "id"]
    name = _quote(connection, table.name)
    if _is_postgres(connection):
        _update_postgres(connection, table, columns, rows)
        return
    sets = ", ".join(f"{_quote(connection, c)} = ?" for c in columns)
    statement = _sql("UPDATE", name, "SET", sets, "WHERE id = ?")
    values = _tuples(connection, table, [*columns, "id"], rows)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(values), _CHUNK):
            cursor.executemany(statement, values[start : start + _CHUNK])
    finally:
        cursor.close()


_TEMP = itertools.count()


def _update_postgres(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Row]
) -> None:
    """COPY the new values into a temporary table shaped like ``table``, then join."""
    temp = f"secloop_bulk_{next(_TEMP)}"
    quoted = [_quote(connection, c) for c in ["id", *columns]]
    name = _quote(connection, table.name)
    connection.exec_driver_sql(
        _sql("CREATE TEMPORARY TABLE", temp, "ON COMMIT DROP AS SELECT", ", ".join(quoted),
             "FROM", name, "WITH NO DATA")
    )  # fmt: skip
    _copy(connection, table, temp, ["id", *columns], rows)
    sets = ", ".join(f"{c} = {temp}.{c}" for c in quoted[1:])
    connection.exec_driver_sql(
        _sql("UPDATE", name, "SET", sets, "FROM", temp, "WHERE", f"{name}.id = {temp}.id")
    )
    connection.exec_driver_sql(_sql("DROP TABLE", temp))
