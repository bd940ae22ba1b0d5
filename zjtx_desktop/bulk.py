"""Inserting many rows at once (imports, demo data) at the speed of the database driver."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, insert


def insert_rows(
    connection: Connection, table: Table, rows: list[dict[str, Any]], *, want_ids: bool = True
) -> list[int]:
    """Insert rows (dicts, possibly with different keys) and return their new ids in the same order.

    On SQLite the rows go to the driver's executemany after each column type's own conversion, which is
    5–10× faster than SQLAlchemy's generic path for 50,000 rows. SQLite gives rows of a table without
    AUTOINCREMENT the next ids after the current largest, and the write lock held by this transaction
    keeps anyone else from inserting in between; the count is checked all the same.
    """
    if not rows:
        return []
    dialect = connection.dialect
    if dialect.name != "sqlite":
        if not want_ids:
            connection.execute(insert(table), rows)
            return []
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return [row[0] for row in connection.execute(statement, rows)]

    columns = sorted({key for row in rows for key in row})
    # Column by column: one comprehension per column is far cheaper than one call per cell.
    converted: list[list[Any]] = []
    for name in columns:
        values = [row.get(name) for row in rows]
        process = table.c[name].type.bind_processor(dialect)
        if process is not None:
            values = [None if value is None else process(value) for value in values]
        converted.append(values)
    parameters = list(zip(*converted, strict=True))
    names = ", ".join(f'"{name}"' for name in columns)
    marks = ", ".join("?" for _ in columns)
    before = connection.exec_driver_sql(f'SELECT max(id) FROM "{table.name}"').scalar() or 0 if want_ids else 0
    connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', parameters)
    if not want_ids:
        return []
    after = connection.exec_driver_sql(f'SELECT max(id) FROM "{table.name}"').scalar() or 0
    if after - before != len(rows):
        raise RuntimeError(
            f"unexpected ids after bulk insert into {table.name}: {before}..{after} for {len(rows)} rows"
        )
    return list(range(before + 1, after + 1))
