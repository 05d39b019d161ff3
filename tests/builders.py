"""Builders of tiny hand-made frames, shared by every test.

Two kinds of frames:
- **canonical tables as the library sees them** (``make_opportunities``, ``make_reps``, …): rows as tuples,
  the columns named once per test, and each column given the dtype the data contract gives it once loaded
  (``contract/schema.py``: text → ``TEXT_DTYPE``, date/datetime → ``datetime64[ns]``, float → ``float64``,
  int → ``Int64``, bool → ``boolean``). A column the contract does not know (``segment`` or ``max_stage``
  derived on opportunities, ``group`` …) is text unless ``kinds`` says otherwise.
- **a CRM export as files** (``tiny_export``, ``write_export``, ``folder_params``): text the way an export
  holds it, written to a folder and read back by the real loader.

And one assertion shared by the settings tests: ``assert_rejected``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
import pytest
import yaml

from salesops.contract.schema import TABLES, TEXT_DTYPE

ROOT = Path(__file__).resolve().parents[1]

#: The two closed stages, short: most opportunity rows in the tests end in one of them.
W, L = "closed_won", "closed_lost"

_DTYPE_OF_KIND = {"string": TEXT_DTYPE, "float": "float64", "int": "Int64", "bool": "boolean"}


# --------------------------------------------------------------------------------------------------
# canonical tables


def canonical_frame(table: str, rows: Iterable[Sequence], columns: Sequence[str],
                    kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """``rows`` (tuples in the order of ``columns``) as a frame of the canonical ``table`` with the
    contract's dtypes; ``kinds`` gives the kind (string, float, int, bool, date, datetime) of a column the
    contract does not know, or overrides one it does."""
    spec = TABLES[table]
    known = {column.name: column.kind for column in spec.columns}
    kinds = {**known, **(kinds or {})}
    frame = pd.DataFrame(list(rows), columns=list(columns))
    for column in frame.columns:
        kind = kinds.get(column, "string")
        if kind in ("date", "datetime"):
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        else:
            frame[column] = frame[column].astype(_DTYPE_OF_KIND[kind])
    return frame


def with_outcome(opportunities: pd.DataFrame) -> pd.DataFrame:
    """``opportunities`` with ``is_closed`` and ``is_won`` taken from ``stage`` (as the loader derives them)."""
    stage = opportunities["stage"]
    return opportunities.assign(is_closed=stage.isin([W, L]).astype("boolean"),
                                is_won=(stage == W).astype("boolean"))


def make_opportunities(rows: Iterable[Sequence], columns: Sequence[str], kinds: dict[str, str] | None = None
                       ) -> pd.DataFrame:
    """Opportunities; with a ``stage`` column and no ``is_won``, ``is_closed``/``is_won`` are added from it."""
    frame = canonical_frame("opportunities", rows, columns, kinds)
    return with_outcome(frame) if "stage" in frame.columns and "is_won" not in frame.columns else frame


def make_reps(rows: Iterable[Sequence], columns: Sequence[str]) -> pd.DataFrame:
    return canonical_frame("reps", rows, columns)


def make_accounts(rows: Iterable[Sequence], columns: Sequence[str]) -> pd.DataFrame:
    return canonical_frame("accounts", rows, columns)


def make_leads(rows: Iterable[Sequence], columns: Sequence[str], kinds: dict[str, str] | None = None
               ) -> pd.DataFrame:
    return canonical_frame("leads", rows, columns, kinds)


def make_activities(rows: Iterable[Sequence],
                    columns: Sequence[str] = ("activity_id", "rep_id", "timestamp", "type", "duration_minutes")
                    ) -> pd.DataFrame:
    return canonical_frame("activities", rows, columns)


def make_submissions(rows: Iterable[Sequence],
                     columns: Sequence[str] = ("submitted_date", "rep_id", "period", "category", "amount")
                     ) -> pd.DataFrame:
    return canonical_frame("forecast_submissions", rows, columns)


# --------------------------------------------------------------------------------------------------
# settings


def assert_rejected(model, values: dict, words: Iterable[str]) -> None:
    """Building the settings ``model`` from ``values`` fails, and the error names every one of ``words``."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as error:
        model(**values)
    for word in words:
        assert word in str(error.value)


# --------------------------------------------------------------------------------------------------
# a CRM export as files


def tiny_export() -> dict[str, pd.DataFrame]:
    """Three reps, three accounts, five opportunities and four activities, all valid, as text
    the way a CRM export holds it."""
    reps = pd.DataFrame({
        "rep_id": ["R1", "R2", "M1"],
        "name": ["Ann Lee", "Bo Park", "Cy Moss"],
        "role": ["AE", "AE", "MANAGER"],
        "manager_id": ["M1", "M1", ""],
        "region": ["NA", "EMEA", "NA"],
        "segment": ["SMB", "MM", ""],
        "hire_date": ["2024-01-02", "2025-06-01", "2023-01-02"],
        "end_date": ["", "", ""],
        "quota": ["100000", "150000", ""],
        "ote": ["120000", "140000", "180000"],
    })
    accounts = pd.DataFrame({
        "account_id": ["A1", "A2", "A3"],
        "name": ["Acme", "Globex", "<script>alert(1)</script>"],
        "industry": ["Retail", "Software", ""],
        "employees": ["120", "800", "5000"],
        "region": ["NA", "EMEA", "NA"],
        "owner_rep_id": ["R1", "R2", "R1"],
    })
    opportunities = pd.DataFrame({
        "opportunity_id": ["O1", "O2", "O3", "O4", "O5"],
        "account_id": ["A1", "A2", "A3", "A1", "A2"],
        "rep_id": ["R1", "R2", "R1", "R1", "R2"],
        "created_date": ["2026-01-05", "2026-02-10", "2026-03-01", "2026-09-01", "2026-10-15"],
        "close_date": ["2026-02-20", "2026-05-30", "2026-04-15", "2027-01-20", "2026-11-30"],
        "stage": ["Closed Won", "Closed Lost", "Closed Won", "Proposal", "Negotiation"],
        "amount": ["10000", "25000", "40000", "15000", "30000"],
        "forecast_category": ["closed", "omitted", "closed", "best_case", "commit"],
    })
    activities = pd.DataFrame({
        "activity_id": ["X1", "X2", "X3", "X4"],
        "rep_id": ["R1", "R1", "R2", "R2"],
        "timestamp": ["2026-01-06 10:00:00", "2026-01-20 11:30:00", "2026-02-11 09:00:00", "2026-10-16 15:00:00"],
        "type": ["call", "demo", "email", "meeting"],
        "opportunity_id": ["O1", "O1", "O2", "O5"],
        "duration_minutes": ["15", "60", "5", "45"],
    })
    return {"reps": reps, "accounts": accounts, "opportunities": opportunities, "activities": activities}


def write_export(folder: Path, tables: dict[str, pd.DataFrame], sep: str = ",", encoding: str = "utf-8",
                 suffix: str = ".csv") -> Path:
    """Each of ``tables`` written to ``folder`` as ``<name><suffix>`` (CSV, Parquet or Excel)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        path = folder / f"{name}{suffix}"
        if suffix == ".csv":
            frame.to_csv(path, index=False, sep=sep, encoding=encoding)
        elif suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_excel(path, index=False)
    return folder


def folder_params(folder: Path, **data):
    """The real defaults merged with a params file pointing at ``folder`` (plus ``data`` keys)."""
    from salesops.plan_params import load_params

    path = folder.parent / "params.yaml"
    path.write_text(yaml.safe_dump({"data": {"source": "folder", "dir": str(folder), **data}}), encoding="utf-8")
    return load_params("2027Q1", path, ROOT)
