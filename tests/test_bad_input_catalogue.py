"""The catalogue of bad and hostile inputs: one table, ``CASES``, one parametrised test over it.

Each row is a :class:`Case`:

* ``id`` — short, unique, snake_case; the pytest id;
* ``write`` — a function ``write(folder)`` that writes the export into ``folder`` (which does not exist
  yet). Start from :func:`export` (``builders.tiny_export()`` with one thing changed): the helpers
  ``cells`` (change cells), ``edit`` (change a whole table frame), ``raw`` (the tiny export, then one
  file written as the given bytes or text) cover most cases;
* ``fragment`` — text that the message must contain, the same in ``salesops check`` and in a run;
* ``params`` — params overrides merged over the folder params, in the params file's own shape
  (``{"currency": "EUR", "data": {"thousands_separator": "."}}``); optional;
* ``quarantine`` — True when the case runs with ``data.on_row_error: quarantine`` and the rows are
  expected to be set aside (the run goes on) instead of stopping the run;
* ``unplannable`` — True when the data meets the contract but holds nothing to plan from (no won deal, no
  target): loading goes through and the run stops before its first step (``requirements``) instead.

For every row the test checks that (a) ``check_data`` says the data cannot run (or, for quarantine cases,
lists the problem among rows set aside) and its text contains the fragment; (b) loading the inputs as a
run does raises a DataError containing the fragment (quarantine: the rows are set aside and a reject
message contains it; unplannable: the check a run makes before its first step raises it); (c) no input file changed (bytes hashed before and after); (d) no traceback or
Python exception class name is in the message. Every case must take well under a second: no notebooks.

To add a case, append a row to ``CASES``; a new helper is fine when the existing ones do not fit.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pytest
import yaml

from salesops.data.inputs import load_inputs
from salesops.errors import DataError
from salesops.runner.check import check_data
from salesops.runner.requirements import ensure_data_can_run
from salesops.plan_params import load_params
from salesops.settings.loader import deep_merge

from builders import ROOT, tiny_export, write_export

Writer = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    id: str
    write: Writer
    fragment: str
    params: dict = field(default_factory=dict)
    quarantine: bool = False
    unplannable: bool = False


# -- writers -------------------------------------------------------------------------------------


def export(change: Callable[[dict[str, pd.DataFrame]], None] | None = None, suffix: str = ".csv") -> Writer:
    """The tiny export, after ``change(tables)`` (which edits the dict of frames in place), as files."""
    def write(folder: Path) -> None:
        tables = tiny_export()
        if change is not None:
            change(tables)
        write_export(folder, tables, suffix=suffix)
    return write


def cells(table: str, suffix: str = ".csv", **changes: dict[int, object]) -> Writer:
    """The tiny export with cells of ``table`` replaced: ``column={row_position: value}``."""
    def change(tables):
        frame = tables[table].copy()
        for column, values in changes.items():
            for position, value in values.items():
                frame.loc[position, column] = value
        tables[table] = frame
    return export(change, suffix)


def edit(table: str, how: Callable[[pd.DataFrame], pd.DataFrame], suffix: str = ".csv") -> Writer:
    """The tiny export with ``table`` replaced by ``how(frame)``."""
    def change(tables):
        tables[table] = how(tables[table].copy())
    return export(change, suffix)


def raw(name: str, content: bytes | str, remove: str | None = None) -> Writer:
    """The tiny export, then the file ``name`` written with ``content`` as it is (``remove``: a file of
    the export deleted first, e.g. to replace opportunities.csv by opportunities.xlsx)."""
    def write(folder: Path) -> None:
        export()(folder)
        if remove:
            (folder / remove).unlink()
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return write


def folder_named(name: str) -> Writer:
    """The tiny export with the file ``name`` replaced by a folder of that name holding the file."""
    def write(folder: Path) -> None:
        export()(folder)
        content = (folder / name).read_bytes()
        (folder / name).unlink()
        (folder / name).mkdir()
        (folder / name / name).write_bytes(content)
    return write


def lines(name: str, change: Callable[[list[str]], list[str]]) -> Writer:
    """The tiny export with the text lines of file ``name`` (header first) replaced by ``change(lines)``."""
    def write(folder: Path) -> None:
        export()(folder)
        path = folder / name
        path.write_text("\n".join(change(path.read_text(encoding="utf-8").splitlines())) + "\n", encoding="utf-8")
    return write


def as_parquet(table: str, column: str, values: list) -> Writer:
    """The tiny export as Parquet files, ``table.column`` holding the typed ``values``."""
    def change(tables):
        tables[table] = tables[table].assign(**{column: values})
    return export(change, ".parquet")


def without(table: str) -> Writer:
    def change(tables):
        del tables[table]
    return export(change)


# -- the catalogue -------------------------------------------------------------------------------

CASES: list[Case] = [
    # tables and columns
    Case("no_opportunities_table", without("opportunities"), "no opportunities table in"),
    Case("missing_required_column", edit("opportunities", lambda f: f.rename(columns={"amount": "Amount USD"})),
         "opportunities.csv: required column 'amount'"),
    Case("empty_file", raw("opportunities.csv", ""), "opportunities.csv has no data rows"),
    Case("header_only", raw("opportunities.csv", "opportunity_id,rep_id,created_date,close_date,stage,amount\n"),
         "opportunities.csv has no data rows"),
    Case("not_utf8", raw("accounts.csv", "account_id,name\nA1,Caf\xe9\n".encode("cp1252")),
         "accounts.csv is not utf-8 text: byte 0xE9 on line 2"),
    Case("two_files_one_table", raw("opportunities.parquet", b"PAR1"), "holds 2 files for table 'opportunities'"),
    # row rules
    Case("unparseable_date", cells("opportunities", created_date={1: "31/02/2026"}),
         "column 'created_date': 1 row hold a date that cannot be read (row 3"),
    Case("negative_amount", cells("opportunities", amount={2: "-40000"}),
         "column 'amount': 1 row hold a negative number (row 4"),
    Case("text_amount", cells("opportunities", amount={0: "ten thousand"}),
         "column 'amount': 1 row hold something that is not a number (row 2"),
    Case("duplicate_key", cells("opportunities", opportunity_id={4: "O1"}),
         "column 'opportunity_id': 1 row repeat a key already used on an earlier row (row 6"),
    Case("orphan_rep", cells("opportunities", rep_id={1: "R9"}),
         "column 'rep_id': 1 row point to an id that does not exist (row 3"),
    Case("close_before_create", cells("opportunities", close_date={0: "2025-12-31"}),
         "column 'close_date': 1 row have dates in the wrong order (row 2"),
    Case("unmapped_stage", cells("opportunities", stage={3: "Verbal Yes"}),
         "column 'stage': 1 row hold a value absent from the value mapping (row 5"),
    Case("bad_boolean", cells("opportunities", is_won={0: "maybe"}),
         "column 'is_won': 1 row hold a value that is not allowed (row 2"),
    Case("won_without_close_date", cells("opportunities", close_date={0: ""}),
         "column 'close_date': 1 row are empty (row 2"),
    Case("bad_role", cells("reps", role={0: "Wizard"}), "reps.csv, column 'role': 1 row hold a value that is not"),
    # unreadable files
    Case("ragged_csv_row", lines("opportunities.csv", lambda rows: rows[:3] + [rows[3] + ",extra"] + rows[4:]),
         "opportunities.csv, line 4: 9 fields where the header has 8"),
    Case("ragged_first_row", lines("reps.csv", lambda rows: rows[:1] + [rows[1] + ",x"] + rows[2:]),
         "reps.csv, line 2: 11 fields where the header has 10"),
    Case("ragged_after_blank_line", lines("accounts.csv", lambda rows: rows[:2] + [""] + [rows[2] + ",x,y"] + rows[3:]),
         "accounts.csv, line 4: 8 fields where the header has 6"),
    Case("fake_xlsx", raw("opportunities.xlsx", "opportunity_id,amount\nO1,5\n", remove="opportunities.csv"),
         "opportunities.xlsx cannot be read as an Excel workbook"),
    Case("empty_xlsx", raw("accounts.xlsx", b"", remove="accounts.csv"),
         "accounts.xlsx cannot be read as an Excel workbook"),
    Case("corrupt_parquet", raw("opportunities.parquet", b"PAR1 not really parquet PAR1", remove="opportunities.csv"),
         "opportunities.parquet cannot be read as a Parquet file"),
    Case("folder_named_like_table", folder_named("opportunities.csv"), "opportunities.csv in"),
    Case("folder_named_like_optional_table", folder_named("reps.csv"), "is a folder, not a file: the reps table"),
    Case("duplicate_header_csv", edit("opportunities", lambda f: f.rename(columns={"forecast_category": "stage"})),
         "opportunities.csv: the header names column 'stage' twice (columns 6 and 8)"),
    Case("duplicate_header_after_strip", lines("reps.csv", lambda rows: [rows[0].replace(",region,", ", name ,")]
                                               + rows[1:]), "reps.csv: the header names column 'name' twice"),
    Case("duplicate_header_excel", edit("opportunities", lambda f: f.rename(columns={"forecast_category": "stage"}),
                                        suffix=".xlsx"),
         "opportunities.xlsx: the header names column 'stage' twice"),
    # row numbers as a spreadsheet shows them
    Case("row_number_after_blank_line",
         lines("opportunities.csv", lambda rows: rows[:2] + ["", ""] + [rows[2].replace("25000", "-25000")] + rows[3:]),
         "column 'amount': 1 row hold a negative number (row 5"),
    # dates and time zones
    Case("zoned_date_out_of_range", cells("activities", timestamp={1: "2026-01-20T25:30:00Z"}),
         "activities.csv, column 'timestamp': 1 row hold a date that cannot be read (row 3"),
    Case("date_year_9999_parquet",
         as_parquet("reps", "end_date", np.array(["9999-12-31", "NaT", "NaT"], dtype="datetime64[us]")),
         "reps.parquet, column 'end_date': 1 row hold a date that cannot be read (row 2"),
    Case("won_deal_closing_years_ahead", cells("opportunities", close_date={0: "2031-02-20"}),
         "column 'close_date': 1 row have a date beyond the planning horizon (row 2"),
    # numbers never misread
    Case("phone_number_as_amount", cells("opportunities", amount={1: "+1 555 0123"}),
         "column 'amount': 1 row hold something that is not a number (row 3"),
    Case("bad_amount_on_won_deal", cells("opportunities", amount={0: "ten thousand"}),
         "column 'amount': 1 row hold something that is not a number (row 2"),
    Case("yen_amount", cells("opportunities", amount={1: "JPY 5,000,000"}),
         "column 'amount': 1 row hold an amount in another currency (row 3"),
    Case("euro_code_amount", cells("reps", quota={0: "EUR 48,800"}),
         "reps.csv, column 'quota': 1 row hold an amount in another currency (row 2"),
    Case("euro_sign_amount", cells("opportunities", amount={2: "€99"}), "(found €)"),
    Case("dollar_when_company_is_eur", cells("opportunities", amount={2: "$99"}), "amounts in EUR, the params'",
         params={"currency": "EUR"}),
    Case("dot_grouped_thousands", cells("opportunities", amount={1: "48.800"}),
         "column 'amount': 1 row hold a number whose separators could be read two ways (row 3"),
    Case("dot_grouped_millions", cells("opportunities", amount={1: "1.234.567"}), "data.decimal_separator: ','"),
    Case("comma_decimal_with_european_params", cells("opportunities", amount={1: "1,234.50"}),
         "column 'amount': 1 row hold something that is not a number (row 3",
         params={"data": {"decimal_separator": ",", "thousands_separator": "."}}),
    Case("inf_text", cells("opportunities", amount={1: "inf"}),
         "column 'amount': 1 row hold an infinite or not-a-number value (row 3"),
    Case("nan_text", cells("activities", duration_minutes={0: "NaN"}),
         "activities.csv, column 'duration_minutes': 1 row hold an infinite or not-a-number value (row 2"),
    Case("infinity_text", cells("reps", ote={2: "-Infinity"}), "column 'ote': 1 row hold an infinite"),
    Case("inf_in_parquet", as_parquet("opportunities", "amount", [10000.0, float("inf"), 40000.0, 15000.0, 30000.0]),
         "opportunities.parquet, column 'amount': 1 row hold an infinite or not-a-number value (row 3"),
    Case("amount_in_the_quadrillions", cells("opportunities", amount={2: "1000000000000000"}),
         "column 'amount': 1 row hold a value far outside the column's own range (row 4"),
    Case("quarantine_outlier", cells("opportunities", amount={4: "30000000000000"}),
         "column 'amount': 1 row hold a value far outside the column's own range (row 6",
         params={"data": {"on_row_error": "quarantine", "max_reject_share": 0.5}}, quarantine=True),
    Case("quarantine_sets_aside", cells("opportunities", amount={1: "-5"}),
         "column 'amount': 1 row hold a negative number (row 3",
         params={"data": {"on_row_error": "quarantine", "max_reject_share": 0.5}}, quarantine=True),
    Case("quarantine_too_many", cells("opportunities", amount={0: "-1", 1: "-2"}),
         "column 'amount': 2 rows hold a negative number (rows 2, 3",
         params={"data": {"on_row_error": "quarantine"}}),
    Case("quarantine_cascade_names_the_cause", cells("reps", role={1: "Boss"}),  # rep R2: its account, deals, activities
         "reps.csv row 3: role 'Boss' holds a value that is not allowed: 6 rows",
         params={"data": {"on_row_error": "quarantine", "max_reject_share": 0.3}}),
    Case("quarantine_won_bookings_share", cells("opportunities", created_date={2: "soon"}),  # won O3: 40,000 of 50,000
         "1 won deal worth 40,000 (company currency) would be set aside: 80.0% of all won bookings",
         params={"data": {"on_row_error": "quarantine", "max_reject_share": 0.5}}),
    Case("no_won_deal", edit("opportunities", lambda f: f.assign(stage="Closed Lost", forecast_category="omitted")),
         "opportunities.csv holds no won deal closed by 31 Dec 2026", unplannable=True),
    # deals from 15 Feb 2026: 2026Q1 is only partly in the data, and its one won deal is the only one
    Case("no_bookings_to_derive_the_target", edit("opportunities", lambda f: f.assign(
        created_date="2026-02-15", close_date=["2026-02-20", "2026-05-30", "2027-01-20", "2027-01-20", "2026-11-30"],
        stage=["Closed Won", "Closed Lost", "Proposal", "Proposal", "Negotiation"],
        forecast_category=["closed", "omitted", "commit", "best_case", "commit"])),
         "opportunities.csv holds no won bookings in a quarter wholly in the data", unplannable=True),
    Case("won_deals_only_in_the_future", cells("opportunities", close_date={0: "2027-01-10", 2: "2027-01-12"}),
         "its 2 won deals close later", params={"collect": {"target": 50000}}, unplannable=True),
]


# -- the test ------------------------------------------------------------------------------------

_TRACEBACK = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception|Warning)\b:|File \"")


def _hashes(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _params(folder: Path, overrides: dict):
    path = folder.parent / "params.yaml"
    content = deep_merge({"data": {"source": "folder", "dir": str(folder)}}, overrides)
    path.write_text(yaml.safe_dump(content), encoding="utf-8")
    return load_params("2027Q1", path, ROOT)


def test_case_ids_are_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_explained_and_nothing_is_modified(case, tmp_path):
    folder = tmp_path / "export"
    case.write(folder)
    before = _hashes(folder)
    params = _params(folder, case.params)

    report = check_data(params)
    text = report.text()
    assert case.fragment in text, text
    if case.quarantine:
        assert report.ok and "would be set aside" in text, text
    else:
        assert not report.ok, text
    assert not _TRACEBACK.search(text), text

    if case.quarantine:
        inputs = load_inputs(params)
        assert inputs.rejects["message"].str.contains(case.fragment, regex=False).any(), inputs.rejects
        messages = "\n".join(inputs.rejects["message"])
    elif case.unplannable:
        load_inputs(params)
        with pytest.raises(DataError) as error:
            ensure_data_can_run(params)
        messages = str(error.value)
        assert case.fragment in messages, messages
    else:
        with pytest.raises(DataError) as error:
            load_inputs(params)
        messages = str(error.value)
        assert case.fragment in messages, messages
    assert not _TRACEBACK.search(messages), messages

    assert _hashes(folder) == before
