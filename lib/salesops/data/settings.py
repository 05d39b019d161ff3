"""Settings of the input data (the ``data:`` and ``sample:`` sections of the params)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from salesops.contract import schema
from salesops.settings.base import Settings
from salesops.settings.fields import ListOf, Number, Seed, Share, Text, Whole
from salesops.settings.loader import require_known

#: The canonical column(s) one export column feeds: one name, or a list of names when one export column is
#: several contract columns (``{Owner: [rep_id, name]}``: a reps export whose one column is both id and name).
CanonicalColumns = ListOf(Text("rep_id"), "canonical column names (or one name)", ["rep_id", "name"], min_items=1,
                          unique=True, one_alone=True)


class DataParams(Settings):
    """Where the input tables come from and how a CRM export maps onto the canonical tables."""

    source: Literal["sample", "folder"] = "sample"
    dir: str | None = None
    preset: Literal["salesforce", "hubspot", "pipedrive", "dynamics", "zoho"] | None = None
    on_row_error: Literal["error", "quarantine"] = "error"
    max_reject_share: Share = 0.2
    encoding: str = "utf-8"
    date_format: str | None = None
    files: dict[str, str] = Field(default_factory=dict)
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

    @field_validator("files", "columns", "values", "ignore_columns")
    @classmethod
    def _known_tables(cls, mapping: dict[str, Any]) -> dict[str, Any]:
        for table in mapping:
            require_known(table, list(schema.TABLES), "table")
        return mapping

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, columns: dict[str, dict[str, tuple[str, ...]]]) -> dict[str, dict[str, tuple[str, ...]]]:
        for table, feeds in columns.items():
            fed_by: dict[str, str] = {}
            for export_column, canonicals in feeds.items():
                for canonical in canonicals:
                    require_known(canonical, schema.TABLES[table].column_names, f"column of table {table}")
                    if canonical in fed_by:
                        raise ValueError(
                            f"data.columns.{table} maps both {fed_by[canonical]!r} and {export_column!r} onto "
                            f"{canonical!r}: a contract column takes one export column. Fix: keep one of the two "
                            "mappings")
                    fed_by[canonical] = export_column
        return columns

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
