"""Settings of the input data (the ``data:`` and ``sample:`` sections of the params)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_serializer, field_validator, model_validator

from salesops.contract import schema
from salesops.data import sql_url
from salesops.settings.base import Settings
from salesops.settings.fields import ListOf, Number, Seed, Share, Text, Whole
from salesops.settings.loader import require_known

#: The canonical column(s) one export column feeds: one name, or a list of names when one export column is
#: several contract columns (``{Owner: [rep_id, name]}``: a reps export whose one column is both id and name).
CanonicalColumns = ListOf(Text("rep_id"), "canonical column names (or one name)", ["rep_id", "name"], min_items=1,
                          unique=True, one_alone=True)
#: The file(s) of one table: one name, or a list whose files' rows are stacked (``Task.csv`` and ``Event.csv``).
TableFiles = ListOf(Text("Task.csv"), "file names (or one name)", ["Task.csv", "Event.csv"], min_items=1, unique=True,
                    one_alone=True)


class JoinParams(Settings):
    """One left join (``data.joins.<table>``): ``columns`` of another ``file`` added to each row of the table's
    file(s) before mapping, matched where the row's ``key`` column equals the file's ``file_key`` column (default:
    the same name). A row that matches nothing gets empty cells; the joined file's key must be unique. Joins apply
    in order, so a later one may use a column an earlier one added."""

    file: Text("Manager.csv")
    key: Text("External_Id__c")
    file_key: Text("External_Id__c", optional=True) = None
    columns: ListOf(Text("Manager.External_Id__c"), "column names of the joined file (or one name)",
                    ["Manager.External_Id__c"], min_items=1, unique=True, one_alone=True)

    @property
    def matched_on(self) -> str:
        """The joined file's key column."""
        return self.file_key or self.key


def _contract_tables(mapping: dict[str, Any]) -> dict[str, Any]:
    """``mapping`` as it is when every key names a contract table; else the error naming the nearest one."""
    for table in mapping:
        require_known(table, list(schema.TABLES), "table")
    return mapping

class SqlParams(Settings):
    """A database the input tables are read from (``data.sql``, when ``data.source`` is ``sql``).

    ``url``: a SQLAlchemy URL (``postgresql://analyst:${CRM_DB_PASSWORD}@db.example.com:5432/crm``; a password
    written ``${NAME}`` is read from the environment variable NAME when connecting), or the path of a DuckDB file
    (``.duckdb``, ``.ddb``) or a SQLite file (``.sqlite``, ``.sqlite3``, ``.db``), relative to the project root or
    absolute. A password written in the URL itself is never shown: the manifest and the pages show ``***``.
    ``tables``: per contract table, a table name (``crm.opportunities``) or a query (``select ... from ...``); a
    contract table not listed is read from the database's table of its own name when there is one, as a folder's
    ``<table>.csv`` is. The rows are then mapped exactly as a file's (``data.columns``, ``data.values``,
    ``data.preset`` ...)."""

    url: Text("postgresql://analyst:${CRM_DB_PASSWORD}@db.example.com/crm")
    tables: dict[str, Text("crm.opportunities")] = Field(default_factory=dict)

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, tables: dict[str, str]) -> dict[str, str]:
        return _contract_tables(tables)

    @field_serializer("url")
    def _hide_password(self, url: str) -> str:
        """The URL as the manifest and the fingerprints record it: a password written in it replaced by ``***``."""
        return sql_url.redact(url)


class DataParams(Settings):
    """Where the input tables come from and how a CRM export maps onto the canonical tables."""

    source: Literal["sample", "folder", "sql"] = "sample"
    dir: str | None = None
    sql: SqlParams | None = None
    preset: Literal["salesforce", "hubspot", "pipedrive", "dynamics", "zoho"] | None = None
    on_row_error: Literal["error", "quarantine"] = "error"
    max_reject_share: Share = 0.2
    encoding: str = "utf-8"
    date_format: str | None = None
    files: dict[str, TableFiles] = Field(default_factory=dict)
    joins: dict[str, tuple[JoinParams, ...]] = Field(default_factory=dict)
    collapse: ListOf(Text("accounts"), "table names", ["accounts"], unique=True) = ()
    columns: dict[str, dict[str, CanonicalColumns]] = Field(default_factory=dict)
    values: dict[str, dict[str, dict[str, str]]] = Field(default_factory=dict)
    #: Export columns to leave out, per table: one named like a canonical column that means something else.
    ignore_columns: dict[str, list[str]] = Field(default_factory=dict)
    true_values: list[str] = Field(default_factory=list)
    false_values: list[str] = Field(default_factory=list)
    decimal_separator: Literal[".", ","] = "."
    thousands_separator: Literal[",", ".", " ", "'", ""] = ","
    flag_amount_ratio: Number("a ratio to the median amount", 1000, gt=1) = 1000.0
    max_amount_ratio: Number("a ratio to the median amount", 1_000_000, gt=1) = 1_000_000.0

    @field_validator("files", "joins", "columns", "values", "ignore_columns")
    @classmethod
    def _known_tables(cls, mapping: dict[str, Any]) -> dict[str, Any]:
        return _contract_tables(mapping)

    @field_validator("collapse")
    @classmethod
    def _known_collapsed(cls, tables: tuple[str, ...]) -> tuple[str, ...]:
        for table in tables:
            require_known(table, list(schema.TABLES), "table")
            if len(schema.TABLES[table].primary_key) != 1:
                raise ValueError(f"data.collapse names {table}, whose rows have no single-column key: only a table "
                                 "with one key column (accounts, reps, products ...) can be collapsed")
        return tables

    def table_files(self, table: str) -> tuple[str, ...]:
        """The file names given for ``table`` in ``files`` (empty: found by the table's name)."""
        return tuple(self.files.get(table, ()))

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, columns: dict[str, dict[str, tuple[str, ...]]]) -> dict[str, dict[str, tuple[str, ...]]]:
        for table, feeds in columns.items():
            for canonicals in feeds.values():
                for canonical in canonicals:
                    require_known(canonical, schema.TABLES[table].column_names, f"column of table {table}")
        return columns

    @model_validator(mode="after")
    def _one_export_column_per_contract_column(self) -> "DataParams":
        """Two export columns onto one contract column only for a table read from several files (each file has
        its own name for it: Task's TaskSubtype, Event's EventSubtype); a file holding both is refused when read."""
        for table, feeds in self.columns.items():
            if len(self.table_files(table)) > 1:
                continue
            fed_by: dict[str, str] = {}
            for export_column, canonicals in feeds.items():
                for canonical in canonicals:
                    if canonical in fed_by:
                        raise ValueError(
                            f"data.columns.{table} maps both {fed_by[canonical]!r} and {export_column!r} onto "
                            f"{canonical!r}: a contract column takes one export column (two only when "
                            f"data.files.{table} lists several files, each with its own name for it). Fix: keep one "
                            "of the two mappings")
                    fed_by[canonical] = export_column
        return self

    @field_validator("values")
    @classmethod
    def _known_value_columns(cls, values: dict[str, dict[str, dict[str, str]]]):
        for table, per_column in values.items():
            for column in per_column:
                require_known(column, schema.TABLES[table].column_names, f"column of table {table}")
        return values

    @model_validator(mode="after")
    def _folder_needs_dir(self) -> "DataParams":
        if self.source == "folder" and not self.dir:
            raise ValueError("data.source is 'folder' but data.dir is empty: set data.dir to the folder of tables")
        return self

    @model_validator(mode="after")
    def _sql_needs_a_database(self) -> "DataParams":
        if self.source != "sql":
            return self
        if self.sql is None:
            raise ValueError("data.source is 'sql' but data.sql is empty: set data.sql.url to the database (a "
                             "SQLAlchemy URL, or the path of a .duckdb or .sqlite file) and data.sql.tables to the "
                             "table or query of each contract table")
        file_keys = [f"data.{key}" for key in ("files", "joins") if getattr(self, key)]
        if file_keys:
            raise ValueError(f"data.source is 'sql' but {' and '.join(file_keys)} name files: tables read from a "
                             "database are named in data.sql.tables. Fix: remove "
                             f"{' and '.join(file_keys)}, and write a join as a query in data.sql.tables")
        return self

    @model_validator(mode="after")
    def _separators_differ(self) -> "DataParams":
        if self.decimal_separator == self.thousands_separator:
            raise ValueError(
                f"data.decimal_separator and data.thousands_separator are both {self.decimal_separator!r}: "
                "numbers could not be read. Set them to the export's convention, e.g. '.' and ',' for 1,234.50 "
                "or ',' and '.' for 1.234,50"
            )
        return self

    @model_validator(mode="after")
    def _amount_ratios_ordered(self) -> "DataParams":
        if self.max_amount_ratio < self.flag_amount_ratio:
            raise ValueError(
                f"data.max_amount_ratio ({self.max_amount_ratio:g}) is below data.flag_amount_ratio "
                f"({self.flag_amount_ratio:g}): an amount that stops the run must also be one the audit flags; "
                "set max_amount_ratio to at least flag_amount_ratio"
            )
        return self


class SampleParams(Settings):
    """The embedded sample company."""

    seed: Seed = 42
    scale: Number("a scale factor", 1.0, gt=0, le=100, note="1 = the sample's size") = 1.0
    history_years: Whole("years", 1, 10, example=3) = 3
