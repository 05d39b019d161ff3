"""Shared fixtures: a tiny, valid CRM export written as files, and params pointing at it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import yaml

from salesops.plan_params import Params, load_params

ROOT = Path(__file__).resolve().parents[1]


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


def folder_params(folder: Path, **data) -> Params:
    """The real defaults merged with a params file pointing at ``folder`` (plus ``data`` keys)."""
    path = folder.parent / "params.yaml"
    path.write_text(yaml.safe_dump({"data": {"source": "folder", "dir": str(folder), **data}}), encoding="utf-8")
    return load_params("2027Q1", path, ROOT)


@pytest.fixture
def export_dir(tmp_path) -> Path:
    return write_export(tmp_path / "export", tiny_export())


# --------------------------------------------------------------------------------------------------
# The fast loop (`make test-fast`, `pytest -m "not e2e"`) leaves out every test marked e2e. A test that
# starts a notebook kernel (a whole step or quarter) without the mark would slow the fast loop down
# unnoticed, so such a test fails here, naming the mark to add — in the full run too.

_RUNNING = {"item": None}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _RUNNING["item"] = item  # covers the set-up of module- and session-scoped fixtures the item needs
    try:
        return (yield)
    finally:
        _RUNNING["item"] = None


def pytest_configure(config):
    from nbclient import NotebookClient

    start_kernel = NotebookClient.create_kernel_manager

    def create_kernel_manager_in_e2e_tests_only(client):
        item = _RUNNING["item"]
        if item is not None and item.get_closest_marker("e2e") is None:
            raise RuntimeError(
                f"{item.nodeid} starts a notebook kernel (a whole step or quarter) but is not marked e2e: add "
                "@pytest.mark.e2e to the test (or pytestmark = pytest.mark.e2e to its module), so that the fast "
                "loop (pytest -m 'not e2e') leaves it out.")
        return start_kernel(client)

    NotebookClient.create_kernel_manager = create_kernel_manager_in_e2e_tests_only
