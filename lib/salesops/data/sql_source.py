"""The only code that reads input tables from a database (``data.source: sql``): each contract table's rows by a
table name or a query of ``data.sql.tables``, from a DuckDB file (the duckdb package), a SQLite file or a server
(SQLAlchemy; PostgreSQL through psycopg 3). Needs the ``sql`` extra: ``pip install -e '.[sql]'``.

Each result comes back as a file's rows would (``files.read_table_file``): text as text, numbers, dates and times as
such, labels 0, 1, 2 ... (row ``label + 2`` as a message names it, the first row of the result being row 2 as in a
CSV export with its header), nothing renamed: mapping and validation are the same as for a file. The database is
only read: DuckDB and SQLite files are opened read-only, and the queries are the params' own.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesops.contract import schema
from salesops.contract.schema import TEXT_DTYPE
from salesops.data import sql_url
from salesops.errors import DataError

if TYPE_CHECKING:  # only for annotations
    from salesops.data.settings import SqlParams

#: A table name as ``data.sql.tables`` may give one instead of a query: ``name``, ``schema.name`` (each part plain or
#: in double quotes).
_TABLE_NAME = re.compile(r'^(?:[A-Za-z_][\w$]*|"[^"]+")(?:\.(?:[A-Za-z_][\w$]*|"[^"]+")){0,2}$')
_CONNECT_SECONDS = 10


@dataclass(frozen=True)
class TableQuery:
    """How one contract table is read: ``given`` as the params wrote it (a table name or a query, or the contract
    table's own name when found by it), and the SQL that is run."""

    table: str
    given: str

    @property
    def is_table_name(self) -> bool:
        return bool(_TABLE_NAME.match(self.given.strip()))

    @property
    def sql(self) -> str:
        return f"SELECT * FROM {self.given.strip()}" if self.is_table_name else self.given.strip().rstrip(";")

    @property
    def where(self) -> str:
        """The key of the params naming it, and what it names: ``data.sql.tables.accounts (crm.accounts)``."""
        return f"data.sql.tables.{self.table} ({_short(self.given)})"

    @property
    def source(self) -> str:
        """The name messages about its rows use, as a file's name: ``crm.accounts``, or ``the opportunities query``."""
        return self.given.strip() if self.is_table_name else f"the {self.table} query"


@dataclass
class SqlRead:
    """What was read: the database as shown, each table's ``TableQuery`` and rows (``frames``), and the tables that
    could not be read (``unreadable``: table -> message)."""

    shown: str
    queries: dict[str, TableQuery]
    frames: dict[str, pd.DataFrame]
    unreadable: dict[str, str]


def _short(text: str, limit: int = 160) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


class _Connection:
    """One open database: list its tables, run a query (the duckdb package or SQLAlchemy + pandas.read_sql)."""

    def __init__(self, database: sql_url.Database):
        self.database = database
        if database.kind == "duckdb":
            duckdb = _require("duckdb", "DuckDB files")
            try:
                self.raw = duckdb.connect(str(database.path), read_only=True)
            except duckdb.Error as exc:
                raise DataError(
                    f"data.sql.url: {database.shown} cannot be opened as a DuckDB database ({_reason(exc)}). Fix: "
                    "point data.sql.url at a DuckDB file (written by DuckDB 1.x), or close the program holding it "
                    "open for writing.") from None
            self.errors = (duckdb.Error,)
        else:
            sqlalchemy = _require("sqlalchemy", "SQL databases")
            from sqlalchemy.pool import NullPool

            args = {"connect_timeout": _CONNECT_SECONDS} if database.url.startswith("postgresql") else {}
            try:
                engine = sqlalchemy.create_engine(database.url, poolclass=NullPool, connect_args=args)
                self.raw = engine.connect()
            except sqlalchemy.exc.NoSuchModuleError as exc:
                raise DataError(f"data.sql.url ({database.shown}): SQLAlchemy has no dialect for it "
                                f"({_reason(exc)}). Fix: write a URL of a database SQLAlchemy reads "
                                "(postgresql://, mysql://, mssql://, ...) and install its driver.") from None
            except ModuleNotFoundError as exc:
                raise DataError(f"data.sql.url ({database.shown}) needs the Python package {exc.name!r}, which is "
                                f"not installed. Fix: pip install {exc.name} (PostgreSQL: pip install -e '.[sql]').") \
                    from None
            except (sqlalchemy.exc.SQLAlchemyError, OSError) as exc:
                raise connection_error(database.shown, _reason(exc)) from None
            self.errors = (sqlalchemy.exc.SQLAlchemyError,)

    def tables(self) -> set[str]:
        """The names of the tables and views of the default schema (lower case); none when the user may not list
        them (then only the tables of ``data.sql.tables`` are read)."""
        try:
            if self.database.kind == "duckdb":
                rows = self.raw.execute("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_schema = current_schema()").fetchall()
                return {str(name).lower() for (name,) in rows}
            from sqlalchemy import inspect

            found = inspect(self.raw)
            return {name.lower() for name in [*found.get_table_names(), *found.get_view_names()]}
        except self.errors:
            if self.database.kind != "duckdb":
                self.raw.rollback()
            return set()

    def read(self, sql: str) -> pd.DataFrame:
        if self.database.kind == "duckdb":
            return self.raw.execute(sql).df()
        from sqlalchemy import text

        try:
            # as SQLAlchemy text, so that a '%' (LIKE 'O%') reaches every driver as written; ':name' after a space
            # would be a bind parameter (a '::' cast and a time '10:30' are not)
            return pd.read_sql(text(sql), self.raw, coerce_float=True)
        except Exception:
            self.raw.rollback()  # PostgreSQL refuses every later statement of a transaction that failed
            raise

    def close(self) -> None:
        self.raw.close()


def connection_error(shown: str, reason: str) -> DataError:
    """The message for a database that could not be reached or refused the login."""
    lowered = reason.lower()
    if any(word in lowered for word in ("password", "authentication", "role", "access denied", "login")):
        fix = ("the server refused the user or the password: check the user in data.sql.url and the password (the "
               "environment variable it names, or PGPASSWORD / ~/.pgpass for PostgreSQL)")
    else:
        fix = ("the server could not be reached: check the host, the port and the database name in data.sql.url, "
               "that the server is running and that this machine may connect to it (firewall, VPN)")
    return DataError(f"data.sql.url: cannot connect to {shown} ({reason}). Fix: {fix}.")


def _require(module: str, what: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        raise DataError(f"data.source is 'sql': reading {what} needs the Python package {module!r}, which is not "
                        "installed. Fix: pip install -e '.[sql]' (SQLAlchemy, psycopg 3 and duckdb).") from None


def _reason(exc: BaseException) -> str:
    """The database's own words: the first line of the driver's message, without SQLAlchemy's wrapping."""
    inner = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(inner).strip().splitlines() if line.strip()]
    return (lines[0] if lines else type(inner).__name__)[:300]


def table_queries(sql: SqlParams, present: set[str]) -> dict[str, TableQuery]:
    """Per contract table, how it is read: the table name or query of ``sql.tables``, else the database's table of
    the contract table's own name when ``present`` (the database's tables, lower case) holds one."""
    queries = {}
    for table in schema.TABLES:
        if table in sql.tables:
            queries[table] = TableQuery(table, sql.tables[table])
        elif table in present:
            queries[table] = TableQuery(table, table)
    return queries


def read_tables(sql: SqlParams, root: Path, leave_out: tuple[str, ...] = ()) -> SqlRead:
    """Read each contract table from the database of ``sql`` (``table_queries``), those of ``leave_out`` left out.

    Raises DataError when the database cannot be opened or reached, or refuses the login (naming the URL, its
    password hidden, and what to check), and when no table gives opportunities; a table whose table name or query
    fails is ``unreadable``, its message naming the table, what the params give for it and the fix."""
    database = sql_url.database(sql.url, root)
    connection = _Connection(database)
    try:
        present = connection.tables() if set(schema.TABLES) - set(sql.tables) else set()
        queries = {table: query for table, query in table_queries(sql, present).items() if table not in leave_out}
        if "opportunities" not in queries:
            raise DataError(
                f"no opportunities table in {database.shown}: data.sql.tables.opportunities is not set and the "
                f"database has no table named opportunities. Tables there: {', '.join(sorted(present)) or 'none'}. "
                "Fix: set data.sql.tables.opportunities to the table (schema.table) or the query that gives the "
                "deals.")
        frames, unreadable = {}, {}
        for table, query in queries.items():
            try:
                frames[table] = as_read(connection.read(query.sql), query.where)
            except connection.errors as exc:
                unreadable[table] = query_error(query, _reason(exc), database.shown)
            except DataError as error:
                unreadable[table] = str(error)
    finally:
        connection.close()
    return SqlRead(database.shown, queries, frames, unreadable)


def query_error(query: TableQuery, reason: str, shown: str) -> str:
    """The message for a table name or query of ``data.sql.tables`` that the database refused."""
    lowered = reason.lower()
    missing = any(words in lowered for words in ("does not exist", "no such table", "not found", "unknown table",
                                                  "invalid object name"))
    if query.is_table_name and missing:
        return (f"{query.where}: {shown} has no table {query.given.strip()} ({reason}). Fix: correct the name in "
                "data.sql.tables (schema.table, as the database spells it), or grant the user read access to it.")
    return (f"{query.where}: the query failed in {shown} ({reason}). Query: {_short(query.sql, 400)}. Fix: run the "
            "query in a SQL client against the same database and correct it in data.sql.tables.")


def as_read(frame: pd.DataFrame, where: str = "the query") -> pd.DataFrame:
    """A query's result as a file's rows are read: text columns (and columns with no value) as text, exact
    decimals as floats, dates and date-times as datetimes (with their zone when they carry one), labels 0, 1 ...;
    the columns' names as text, stripped, and each once (else a DataError naming ``where``)."""
    names = [str(name).strip() for name in frame.columns]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(f"{where}: the result names column{'s' if len(repeated) > 1 else ''} "
                        f"{', '.join(map(repr, repeated))} twice, so the mapping could not tell them apart. Fix: give "
                        "each column of the query its own name (select a.id as account_id, r.id as rep_id ...).")
    columns = {name: _as_read_column(frame.iloc[:, position]) for position, name in enumerate(names)}
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))


def _as_read_column(values: pd.Series) -> pd.Series:
    if values.dtype != object:
        return values.reset_index(drop=True)
    present = values.dropna()
    kinds = {type(value) for value in present}
    if not kinds or kinds <= {str}:
        return values.astype(TEXT_DTYPE).reset_index(drop=True)
    if kinds <= {decimal.Decimal, int, float}:
        return pd.to_numeric(values.astype(object), errors="coerce").astype("float64").reset_index(drop=True)
    if kinds <= {dt.date, dt.datetime, pd.Timestamp}:
        zoned = any(getattr(value, "tzinfo", None) is not None for value in present)
        return pd.to_datetime(values, utc=zoned).reset_index(drop=True)
    if kinds <= {bool, np.bool_}:
        return values.astype("boolean").reset_index(drop=True)
    return values.reset_index(drop=True)  # mixed values: read as text by the mapping, like an Excel column


def content_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's rows as read: column names and kinds, and every value in order. Equal for the same
    rows in the same order, so a step is reused only when the database gave exactly what it gave before."""
    digest = hashlib.sha256()
    digest.update(repr([(str(name), str(kind)) for name, kind in frame.dtypes.items()]).encode("utf-8"))
    try:
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    except TypeError:  # values of a kind pandas cannot hash: by their text
        rows = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()
    digest.update(rows.tobytes())
    return digest.hexdigest()
