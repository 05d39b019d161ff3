"""Tests of salesops.report.workbook: the Excel workbook is written and read back with openpyxl, on tiny hand-made
frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pytest
from pandas.testing import assert_frame_equal

from salesops.align.plan_workbook import plan_sheets
from salesops.report.workbook import (Sheet, cell_value, column_label, money_format, sheet_names,
                                      write_workbook)

PLAN_SHEET_NAMES = ["Summary", "Quotas", "Territories", "Account assignments", "Hiring plan", "Compensation plan",
                    "Payout simulation", "Actions"]


def reopen(path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def row_values(worksheet, row: int) -> list:
    return [cell.value for cell in worksheet[row]]


@pytest.fixture
def deals() -> pd.DataFrame:
    """Three rows, one column of each kind, with a missing value in most columns."""
    return pd.DataFrame({
        "rep_id": ["R1", "R2", None],
        "amount": [1234567.4, np.nan, 50.0],
        "win_rate": [0.25, 0.5, np.nan],
        "deals": [3, 12000, 7],
        "cycle_days": [12.25, 7.0, np.nan],
        "close_date": pd.to_datetime(["2027-01-05", None, "2027-03-31"]),
        "won": [True, False, True],
    })


@pytest.fixture
def deals_sheet(deals) -> Sheet:
    return Sheet(name="Deals", frame=deals, title="Deals of the quarter", money_columns=("amount",),
                 percent_columns=("win_rate",), number_columns=("deals",), decimal_columns=("cycle_days",),
                 date_columns=("close_date",), labels={"rep_id": "Rep"}, notes=("Amounts are in dollars.",))


@pytest.fixture
def plan_frames() -> dict[str, pd.DataFrame]:
    """The step-4 frames as their modules return them, two reps."""
    quotas = pd.DataFrame({
        "rep_id": ["R1", "R2"], "name": ["Ann Lee", "Bo Park"], "segment": ["SMB", "MM"], "region": ["NA", "EMEA"],
        "new_hire": [False, True], "ramped_share": [1.0, 0.4], "capacity": [100_000.0, 120_000.0],
        "territory_potential": [50_000.0, 30_000.0], "quota": [150_000.0, 100_000.0],
        "quota_share": [0.6, 0.4], "basis": ["a", "b"],
    })
    balance = pd.DataFrame({
        "rep_id": ["R1", "R2"], "segment": ["SMB", "MM"], "region": ["NA", "EMEA"], "capacity_weight": [1.0, 0.5],
        "accounts_before": [2, 0], "potential_before": [40.0, 0.0], "accounts_after": [1, 1],
        "potential_after": [10.0, 30.0], "potential_change": [-30.0, 30.0],
    })
    assignment = pd.DataFrame({
        "account_id": ["A1", "A2"], "previous_rep_id": pd.array(["R1", None], dtype="string[pyarrow]"),
        "rep_id": ["R1", "R2"], "reassigned": [False, True], "rule": ["kept · any rep", "no owner · any rep"],
        "potential": [10.0, 30.0],
    })
    hiring = pd.DataFrame({
        "scenario": ["base"], "role": ["AE"], "segment": ["SMB"], "ds": pd.to_datetime(["2027-02-01"]), "hires": [2],
        "fully_ramped": pd.to_datetime(["2027-05-01"]), "annual_cost": [150_000.0], "cost_in_horizon": [50_000.0],
    })
    compensation = pd.DataFrame({
        "role": ["AE", "AE"], "ote": [120_000.0, 120_000.0], "pay_mix": [0.5, 0.5], "tier": [1, 2],
        "from_attainment": [0.0, 1.0], "to_attainment": [1.0, np.nan], "rate_multiplier": [1.0, 1.5],
        "cap_attainment": [3.0, 3.0],
    })
    payouts = pd.DataFrame({
        "rep_id": ["R1", "R2", "total", "total"], "scenario": ["base", "base", "downside", "base"],
        "quota": [150_000.0, 100_000.0, 250_000.0, 250_000.0],
        "target_variable": [15_000.0, 15_000.0, 30_000.0, 30_000.0], "expected_attainment": [1.0, 0.9, 0.8, 0.96],
        "expected_bookings": [150_000.0, 90_000.0, 200_000.0, 240_000.0],
        "expected_payout": [15_000.0, 12_000.0, 20_000.0, 27_000.0],
        "payout_p10": [5_000.0, 4_000.0, 11_000.0, 15_000.0], "payout_p50": [15_000.0, 12_000.0, 19_000.0, 26_000.0],
        "payout_p90": [25_000.0, 20_000.0, 30_000.0, 40_000.0], "cost_of_sales": [0.1, 0.1333, 0.1, 0.1125],
    })
    actions = pd.DataFrame({
        "priority": [1, 2], "title": ["Hire 2 AEs", "=Fix data"], "kind": ["hiring", "data_quality"],
        "owner": ["Head of Sales", "Sales operations"], "due_date": pd.to_datetime(["2027-01-31", "2027-01-15"]),
        "metric": ["AE capacity", "data quality"], "expected_effect": ["more capacity", "rows fixed"],
        "impact": [80_000.0, np.nan], "cost": [50_000.0, np.nan], "detail": ["d", "d"], "source": ["s", "s"],
        "on_summary": [True, True],
    })
    return {"quotas": quotas, "territory_balance": balance, "territory_assignment": assignment,
            "hiring_plan": hiring, "compensation_plan": compensation, "payouts": payouts, "actions": actions}


@pytest.fixture
def plan_book(tmp_path, plan_frames) -> openpyxl.Workbook:
    path = write_workbook(tmp_path / "plan.xlsx", plan_sheets(**plan_frames, currency="USD"), "USD",
                          {"Company": "Acme", "Quarter": "2027Q1"})
    return reopen(path)


# --------------------------------------------------------------------------------------------------
# the generic writer


def test_about_sheet_comes_first_with_cover_rows_and_the_list_of_sheets(tmp_path, deals_sheet):
    path = write_workbook(tmp_path / "plan.xlsx", [deals_sheet], "USD",
                          {"Company": "Acme", "Quarter": "2027Q1", "Data": "exports/2027-01-02"})
    book = reopen(path)
    assert book.sheetnames == ["About", "Deals"]
    about = book["About"]
    rows = [tuple(cell.value for cell in row[:2]) for row in about.iter_rows(min_row=3)]
    assert rows[:3] == [("Company", "Acme"), ("Quarter", "2027Q1"), ("Data", "exports/2027-01-02")]
    assert ("Money in", "USD") in rows
    assert ("Deals", "Deals of the quarter") in rows


def test_title_notes_and_styled_header_of_human_labels(tmp_path, deals_sheet):
    sheet = reopen(write_workbook(tmp_path / "plan.xlsx", [deals_sheet], "USD", {}))["Deals"]
    assert sheet["A1"].value == "Deals of the quarter" and sheet["A1"].font.b
    assert sheet["A2"].value == "Amounts are in dollars."
    assert row_values(sheet, 3) == ["Rep", "Amount", "Win rate", "Deals", "Cycle days", "Close date", "Won"]
    header = sheet["B3"]
    assert header.font.b and header.font.color.rgb.endswith("FFFFFF")
    assert header.fill.fill_type == "solid" and header.alignment.wrap_text


def test_number_formats_per_column_kind_and_real_dates(tmp_path, deals_sheet):
    sheet = reopen(write_workbook(tmp_path / "plan.xlsx", [deals_sheet], "USD", {}))["Deals"]
    first = {cell.column_letter: cell for cell in sheet[4]}
    assert first["B"].number_format == '"$"#,##0' and first["B"].value == pytest.approx(1234567.4)
    assert first["C"].number_format == "0.0%" and first["C"].value == 0.25
    assert first["D"].number_format == "#,##0"
    assert first["E"].number_format == "#,##0.0"
    assert first["F"].number_format == "yyyy-mm-dd"
    assert isinstance(first["F"].value, dt.datetime) and first["F"].value == dt.datetime(2027, 1, 5)
    assert [sheet.cell(row, 7).value for row in (4, 5, 6)] == ["Yes", "No", "Yes"]


def test_money_format_follows_the_currency_symbol():
    assert money_format("usd") == '"$"#,##0'
    assert money_format("EUR") == '"€"#,##0'
    assert money_format("CHF") == '"CHF "#,##0'


def test_frozen_panes_below_the_header_and_autofilter_over_the_table(tmp_path, deals_sheet):
    sheet = reopen(write_workbook(tmp_path / "plan.xlsx", [deals_sheet], "USD", {}))["Deals"]
    assert sheet.freeze_panes == "A4"
    assert sheet.auto_filter.ref == "A3:G6"


def test_without_notes_the_header_is_the_second_row(tmp_path, deals):
    sheet = reopen(write_workbook(tmp_path / "plan.xlsx", [Sheet("Deals", deals, "Deals")], "USD", {}))["Deals"]
    assert sheet["A2"].value == "Rep id"
    assert (sheet.freeze_panes, sheet.auto_filter.ref) == ("A3", "A2:G5")


def test_missing_values_are_empty_cells(tmp_path, deals_sheet):
    sheet = reopen(write_workbook(tmp_path / "plan.xlsx", [deals_sheet], "USD", {}))["Deals"]
    assert sheet["A6"].value is None  # None
    assert sheet["B5"].value is None  # NaN money
    assert sheet["C6"].value is None  # NaN percent
    assert sheet["F5"].value is None  # NaT


def test_nullable_and_arrow_dtypes_are_written_as_values(tmp_path):
    frame = pd.DataFrame({
        "count": pd.array([1, None], dtype="Int64"),
        "share": pd.array([0.5, None], dtype="Float64"),
        "flag": pd.array([True, None], dtype="boolean"),
        "text": pd.array(["a", None], dtype="string[pyarrow]"),
        "arrow_int": pd.array([7, None], dtype="int64[pyarrow]"),
        "arrow_day": pd.array([dt.date(2027, 2, 1), None], dtype=pd.ArrowDtype(pa.date32())),
        "arrow_time": pd.array([pd.Timestamp("2027-03-01"), None], dtype=pd.ArrowDtype(pa.timestamp("ns"))),
        "zoned": pd.to_datetime(["2027-04-01 09:30", None]).tz_localize("Europe/Berlin"),
        "infinite": [np.inf, -np.inf],
        "category": pd.Categorical(["x", None]),
    })
    sheet = reopen(write_workbook(tmp_path / "plan.xlsx", [Sheet("Types", frame, "Types")], "USD", {}))["Types"]
    assert row_values(sheet, 3) == [1, 0.5, "Yes", "a", 7, dt.datetime(2027, 2, 1), dt.datetime(2027, 3, 1),
                                    dt.datetime(2027, 4, 1, 9, 30), None, "x"]
    assert row_values(sheet, 4) == [None] * 10
    assert sheet["F3"].number_format == sheet["G3"].number_format == sheet["H3"].number_format == "yyyy-mm-dd"


def test_date_columns_given_as_text_or_date_objects_become_real_dates(tmp_path):
    frame = pd.DataFrame({"text_day": ["2027-01-31", None], "object_day": [dt.date(2027, 2, 28), None]})
    sheet = Sheet("Days", frame, "Days", date_columns=("text_day", "object_day"))
    days = reopen(write_workbook(tmp_path / "plan.xlsx", [sheet], "USD", {}))["Days"]
    assert row_values(days, 3) == [dt.datetime(2027, 1, 31), dt.datetime(2027, 2, 28)]
    assert days["A3"].number_format == "yyyy-mm-dd"


def test_a_date_column_with_text_that_is_no_date_is_refused(tmp_path):
    sheet = Sheet("Days", pd.DataFrame({"due": ["2027-01-31", "next week"]}), "Days", date_columns=("due",))
    with pytest.raises(ValueError, match="'Days', column 'due' is a date column"):
        write_workbook(tmp_path / "plan.xlsx", [sheet], "USD", {})
    assert not (tmp_path / "plan.xlsx").exists()


def test_text_is_never_a_formula(tmp_path):
    frame = pd.DataFrame({"text": ["=1+1", "#N/A", "+cmd"]})
    sheet = reopen(write_workbook(tmp_path / "plan.xlsx", [Sheet("T", frame, "T")], "USD", {}))["T"]
    assert [sheet.cell(row, 1).data_type for row in (3, 4, 5)] == ["s", "s", "s"]
    assert [sheet.cell(row, 1).value for row in (3, 4, 5)] == ["=1+1", "#N/A", "+cmd"]


def test_column_widths_fit_the_content_within_the_cap(tmp_path):
    frame = pd.DataFrame({"amount": [1_234_567.0], "story": ["x" * 500], "id": ["R1"]})
    sheet = Sheet("W", frame, "W", money_columns=("amount",))
    widths = reopen(write_workbook(tmp_path / "plan.xlsx", [sheet], "USD", {}))["W"].column_dimensions
    assert widths["A"].width == len("$1,234,567") + 2
    assert widths["B"].width == 60
    assert widths["C"].width == 8


def test_sheet_without_rows_shows_its_notes_or_says_there_is_nothing(tmp_path):
    sheets = [Sheet("None", None, "Nothing", notes=("Nothing was planned.",)),
              Sheet("Empty", pd.DataFrame({"a": []}), "Empty")]
    book = reopen(write_workbook(tmp_path / "plan.xlsx", sheets, "USD", {}))
    assert row_values(book["None"], 2) == ["Nothing was planned."]
    assert book["None"].max_row == 2 and book["None"].auto_filter.ref is None
    assert book["Empty"]["A2"].value == "No rows to show."
    assert book["Empty"].max_row == 2


def test_invalid_and_repeated_sheet_names_are_made_valid_and_unique(tmp_path, deals):
    names = ["Q1/Q2: [plan]*?", "A" * 40, "about", "Deals", "deals", "'quoted'", "", "history"]
    sheets = [Sheet(name, deals, "t") for name in names]
    book = reopen(write_workbook(tmp_path / "plan.xlsx", sheets, "USD", {}))
    assert book.sheetnames == ["About", "Q1-Q2- -plan---", "A" * 31, "about (2)", "Deals", "deals (2)", "quoted",
                               "Sheet", "history (2)"]


def test_repeated_long_names_stay_within_31_characters():
    assert sheet_names(["B" * 40, "B" * 35], taken=()) == ["B" * 31, "B" * 27 + " (2)"]


def test_column_label_reads_like_a_header():
    assert column_label("ramped_share") == "Ramped share"
    assert column_label("cost_of_sales") == "Cost of sales"


def test_cell_value_refuses_objects_that_are_not_values():
    assert cell_value(np.int64(3)) == 3 and cell_value(np.float64("nan")) is None
    zoned = dt.datetime(2027, 4, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert cell_value(zoned) == dt.datetime(2027, 4, 1, 9, 30)
    with pytest.raises(TypeError, match="cannot be written"):
        cell_value(object())


def test_input_frames_are_not_modified(tmp_path, deals_sheet, plan_frames):
    before = {name: frame.copy(deep=True) for name, frame in plan_frames.items()}
    deals_before = deals_sheet.frame.copy(deep=True)
    sheets = [deals_sheet, *plan_sheets(**plan_frames, currency="USD")]
    write_workbook(tmp_path / "plan.xlsx", sheets, "USD", {})
    assert_frame_equal(deals_sheet.frame, deals_before)
    for name, frame in plan_frames.items():
        assert_frame_equal(frame, before[name])


def test_an_unwritable_value_leaves_the_previous_file_intact(tmp_path, deals_sheet):
    path = write_workbook(tmp_path / "plan.xlsx", [deals_sheet], "USD", {})
    good = path.read_bytes()
    broken = Sheet("Broken", pd.DataFrame({"thing": ["fine", object()]}), "Broken")
    with pytest.raises(ValueError, match="'Broken', column 'thing'"):
        write_workbook(path, [deals_sheet, broken], "USD", {})
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]


def test_a_failure_while_saving_leaves_the_previous_file_and_no_temporary_file(tmp_path, deals_sheet, monkeypatch):
    path = write_workbook(tmp_path / "plan.xlsx", [deals_sheet], "USD", {})
    good = path.read_bytes()

    def half_written(self, filename):
        with open(filename, "wb") as handle:
            handle.write(b"PK\x03\x04 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", half_written)
    with pytest.raises(OSError, match="disk full"):
        write_workbook(path, [deals_sheet], "USD", {})
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]


def test_a_new_file_replaces_the_previous_one(tmp_path, deals_sheet):
    path = write_workbook(tmp_path / "sub" / "plan.xlsx", [deals_sheet], "USD", {})
    write_workbook(path, [Sheet("Other", None, "Other", notes=("n",))], "USD", {})
    assert reopen(path).sheetnames == ["About", "Other"]


# --------------------------------------------------------------------------------------------------
# the plan's sheets


def test_plan_sheets_come_in_order_after_the_about_sheet(plan_book):
    assert plan_book.sheetnames == ["About", *PLAN_SHEET_NAMES]


def test_quotas_sheet_has_the_people_columns_and_the_total_in_a_note(plan_book):
    sheet = plan_book["Quotas"]
    assert sheet["A2"].value == "Quotas add up to $250,000 over 2 reps."
    assert row_values(sheet, 3) == ["Rep", "Name", "Segment", "Region", "New hire", "Ramped share", "Quota"]
    assert row_values(sheet, 5) == ["R2", "Bo Park", "MM", "EMEA", "Yes", 0.4, 100000]
    assert sheet["F5"].number_format == "0.0%" and sheet["G5"].number_format == '"$"#,##0'
    assert sheet.auto_filter.ref == "A3:G5" and sheet.max_row == 5


def test_territory_sheets_show_balance_and_assignments(plan_book):
    balance = plan_book["Territories"]
    assert row_values(balance, 3) == ["Rep", "Segment", "Region", "Accounts before", "Potential before",
                                      "Accounts after", "Potential after", "Potential change"]
    assert balance["E4"].number_format == '"$"#,##0' and balance["D4"].number_format == "#,##0"
    accounts = plan_book["Account assignments"]
    assert accounts["A2"].value == "1 of 2 accounts change rep this quarter."
    assert row_values(accounts, 3) == ["Account", "Previous rep", "Rep", "Reassigned", "Rule", "Potential"]
    assert row_values(accounts, 5) == ["A2", None, "R2", "Yes", "no owner · any rep", 30]


def test_hiring_sheet_has_real_dates_and_costs(plan_book):
    sheet = plan_book["Hiring plan"]
    assert sheet["A2"].value == "2 hires, costing $50,000 within the plan's horizon."
    assert row_values(sheet, 3) == ["Scenario", "Role", "Segment", "Start month", "Hires", "Fully productive from",
                                    "Annual cost (one hire)", "Cost in horizon"]
    assert sheet["D4"].value == dt.datetime(2027, 2, 1) and sheet["D4"].number_format == "yyyy-mm-dd"
    assert sheet["E4"].number_format == "#,##0" and sheet["H4"].number_format == '"$"#,##0'


def test_part_time_hires_get_one_decimal(tmp_path, plan_frames):
    hiring = plan_frames["hiring_plan"].assign(hires=[1.5])
    sheets = plan_sheets(**{**plan_frames, "hiring_plan": hiring}, currency="USD")
    sheet = reopen(write_workbook(tmp_path / "plan.xlsx", sheets, "USD", {}))["Hiring plan"]
    assert sheet["E4"].number_format == "#,##0.0"
    assert sheet["A2"].value.startswith("1.5 hires, costing")


def test_compensation_sheet_has_one_row_per_tier_with_an_open_end(plan_book):
    sheet = plan_book["Compensation plan"]
    assert row_values(sheet, 3) == ["Role", "OTE (annual)", "Variable share of OTE", "Tier", "From attainment",
                                    "To attainment", "Rate multiplier", "Payout cap (attainment)"]
    assert row_values(sheet, 5) == ["AE", 120000, 0.5, 2, 1, None, 1.5, 3]
    assert sheet["F4"].number_format == "0.0%" and sheet["G4"].number_format == "#,##0.0"


def test_payout_sheet_puts_the_total_in_a_note_and_the_reps_in_the_table(plan_book):
    sheet = plan_book["Payout simulation"]
    assert sheet["A2"].value == ("All reps together, downside scenario, per simulated quarter: bookings $200,000, "
                                 "expected payout $20,000, P10 $11,000, P50 $19,000, P90 $30,000, cost of sales 10.0%.")
    assert sheet["A3"].value == ("All reps together, base scenario, per simulated quarter: bookings $240,000, "
                                 "expected payout $27,000, P10 $15,000, P50 $26,000, P90 $40,000, cost of sales 11.2%.")
    assert sheet["A4"].value.startswith("Bookings per scenario are the plan's forecast")
    assert sheet["A5"].value == "Rep"
    assert [sheet.cell(row, 1).value for row in (6, 7)] == ["R1", "R2"]
    assert sheet.max_row == 7 and sheet.auto_filter.ref == "A5:J7"
    assert sheet["J6"].number_format == "0.0%" and sheet["G6"].number_format == '"$"#,##0'


def test_actions_sheet_lists_the_ranked_actions(plan_book):
    sheet = plan_book["Actions"]
    assert row_values(sheet, 3) == ["Priority", "Title", "Owner", "Due date", "Metric", "Expected effect", "Impact"]
    assert row_values(sheet, 5) == [2, "=Fix data", "Sales operations", dt.datetime(2027, 1, 15), "data quality",
                                    "rows fixed", None]
    assert sheet["B5"].data_type == "s"


@pytest.mark.parametrize("empty", [None, "no rows"])
def test_missing_inputs_give_sheets_that_say_what_is_not_available(tmp_path, plan_frames, empty):
    inputs = {name: None if empty is None else frame.iloc[0:0] for name, frame in plan_frames.items()}
    book = reopen(write_workbook(tmp_path / "plan.xlsx", plan_sheets(**inputs, currency="USD"), "USD", {}))
    assert book.sheetnames == ["About", *PLAN_SHEET_NAMES]
    assert book["Hiring plan"]["A2"].value == "No hires are planned in this scenario."
    assert book["Quotas"]["A2"].value == "No quotas are available for this quarter."
    for name in PLAN_SHEET_NAMES:
        assert book[name].max_row == 2 and book[name].auto_filter.ref is None


def test_a_frame_without_any_of_the_columns_counts_as_missing(tmp_path, plan_frames):
    actions = pd.DataFrame({"something_else": [1, 2]})
    sheets = plan_sheets(**{**plan_frames, "actions": actions}, currency="USD")
    sheet = reopen(write_workbook(tmp_path / "plan.xlsx", sheets, "USD", {}))["Actions"]
    assert row_values(sheet, 2) == ["No actions are listed for this quarter."] and sheet.max_row == 2


def test_absent_optional_columns_are_left_out(tmp_path, plan_frames):
    quotas = plan_frames["quotas"].drop(columns=["name", "new_hire"])
    sheets = plan_sheets(**{**plan_frames, "quotas": quotas}, currency="EUR")
    sheet = reopen(write_workbook(tmp_path / "plan.xlsx", sheets, "EUR", {}))["Quotas"]
    assert row_values(sheet, 3) == ["Rep", "Segment", "Region", "Ramped share", "Quota"]
    assert sheet["E4"].number_format == '"€"#,##0'
    assert sheet["A2"].value == "Quotas add up to €250,000 over 2 reps."


def test_every_sheet_prints_one_page_wide_with_its_header_repeated(tmp_path):
    narrow = Sheet("Narrow", pd.DataFrame({"rep": ["A"], "quota": [1.0]}), "Narrow")
    wide = Sheet("Wide", pd.DataFrame({f"column_{i}": ["x" * 20] for i in range(8)}), "Wide", notes=("a note",))
    book = reopen(write_workbook(tmp_path / "plan.xlsx", [narrow, wide], "USD", {}))
    for name in ("About", "Narrow", "Wide"):
        sheet = book[name]
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
        assert sheet.page_setup.fitToHeight == 0 and str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4  # "9"
    assert book["Narrow"].page_setup.orientation == "portrait" and book["Wide"].page_setup.orientation == "landscape"
    assert book["Narrow"].print_title_rows == "$2:$2" and book["Wide"].print_title_rows == "$3:$3"  # below the notes


def test_a_sheet_longer_than_the_limit_goes_to_a_workbook_of_its_own(tmp_path):
    accounts = Sheet("Territories", pd.DataFrame({"account_id": [f"A{i}" for i in range(5)], "ds": pd.to_datetime(
        ["2027-01-01"] * 5)}), "Accounts and owners")
    short = Sheet("Quotas", pd.DataFrame({"rep": ["A"]}), "Quotas")
    path = write_workbook(tmp_path / "plan.xlsx", [short, accounts], "USD", {}, max_rows=4)
    book, apart = reopen(path), reopen(tmp_path / "plan-territories.xlsx")
    assert book["Territories"]["A2"].value == ("5 rows, more than the 4 a sheet here holds: they are in "
                                               "plan-territories.xlsx, beside this workbook.")
    assert book["Territories"].max_row == 2 and book["Quotas"]["A3"].value == "A"
    assert [c.value for c in apart["Territories"][2]] == ["Account id", "Month"] and apart["Territories"].max_row == 7
    write_workbook(tmp_path / "small.xlsx", [short, accounts], "USD", {}, max_rows=5)
    assert reopen(tmp_path / "small.xlsx")["Territories"].max_row == 7 and not (tmp_path / "small-territories.xlsx").exists()


def test_a_sheet_of_its_own_is_written_row_by_row_with_the_same_formats(tmp_path):
    # the long sheet goes through the write-only writer: title, note, header, number formats, text that looks like
    # a formula, frozen header, filter over every row, widths and print setup as in a sheet of the workbook
    frame = pd.DataFrame({"account_id": ["A1", "=A2", "A3"], "potential": [1200.0, None, 30.5],
                          "moved": [True, False, True], "since": pd.to_datetime(["2027-01-01", None, "2027-02-01"])})
    long = Sheet("Accounts", frame, "Accounts and owners", money_columns=("potential",), notes=("One row an account.",))
    write_workbook(tmp_path / "plan.xlsx", [long], "USD", {"Quarter": "2027Q1"}, max_rows=2)
    book = reopen(tmp_path / "plan-accounts.xlsx")
    assert book.sheetnames == ["About", "Accounts"]
    assert book["About"]["A1"].value == "About this workbook" and book["About"]["B3"].value == "2027Q1"
    sheet = book["Accounts"]
    assert [sheet["A1"].value, sheet["A2"].value] == ["Accounts and owners", "One row an account."]
    assert [c.value for c in sheet[3]] == ["Account id", "Potential", "Moved", "Since"]
    assert [c.value for c in sheet[4]] == ["A1", 1200.0, "Yes", dt.datetime(2027, 1, 1)]
    assert sheet["A5"].value == "=A2" and sheet["A5"].data_type == "s" and sheet["B5"].value is None
    assert sheet["B4"].number_format == '"$"#,##0' and sheet["D4"].number_format == "yyyy-mm-dd"
    assert sheet.freeze_panes == "A4" and sheet.auto_filter.ref == "A3:D6" and sheet.print_title_rows == "$3:$3"
    assert sheet["A3"].font.bold and sheet.column_dimensions["A"].width >= 12
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.orientation == "portrait"
