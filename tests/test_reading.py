"""Reading input files and numbers safely: time zones, separators, currencies, non-finite and outlying
amounts, unreadable files, row numbers. Messages of bad inputs are in test_bad_input_catalogue.py; these
tests check the values read."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import yaml

from salesops.contract import schema
from salesops.contract.validation import MappingRules, amount_outlier_rows, amount_outliers, coerce_table
from salesops.data.files import read_table_file
from salesops.data.inputs import load_inputs, planning_horizon_end
from salesops.errors import DataError
from salesops import formats
from salesops.plan_params import load_params
from salesops.settings.loader import ParamsError, deep_merge

from builders import ROOT, tiny_export, write_export


def load(folder, **overrides):
    path = folder.parent / "params.yaml"
    content = deep_merge({"data": {"source": "folder", "dir": str(folder)}}, overrides)
    path.write_text(yaml.safe_dump(content), encoding="utf-8")
    return load_inputs(load_params("2027Q1", path, ROOT))


def amounts(texts, **rules):
    """A money column (forecast_submissions.amount) read from ``texts``, and the problem codes by spreadsheet
    row."""
    frame = pd.DataFrame({"amount": pd.Series(texts, dtype=schema.TEXT_DTYPE)})
    typed, problems = coerce_table(frame, schema.FORECAST_SUBMISSIONS, "f.csv", MappingRules(**rules))
    return typed["amount"].tolist(), {row: p.code for p in problems for row in p.row_numbers()}


# -- time zones -----------------------------------------------------------------------------------


def test_zoned_timestamps_are_converted_to_company_time(tmp_path):
    tables = tiny_export()
    tables["activities"]["timestamp"] = [
        "2026-01-06T10:00:00Z",  # Salesforce: UTC
        "2026-01-20T11:30:00+02:00",  # an offset ...
        "2026-02-11T09:00:00-0500",  # ... and another in the same column
        "2026-10-16 15:00:00",  # no zone: company time already
    ]
    tables["opportunities"]["created_date"] = ["2026-01-05T23:30:00Z", "2026-02-10", "2026-03-01T00:30:00+02:00",
                                               "2026-09-01", "2026-10-15"]
    folder = write_export(tmp_path / "export", tables)
    berlin = load(folder, timezone="Europe/Berlin")
    # Berlin is UTC+1 in winter, UTC+2 in summer (October 16 is still summer time)
    assert berlin.tables["activities"]["timestamp"].tolist() == [
        pd.Timestamp("2026-01-06 11:00"), pd.Timestamp("2026-01-20 10:30"), pd.Timestamp("2026-02-11 15:00"),
        pd.Timestamp("2026-10-16 15:00")]
    assert berlin.tables["activities"]["timestamp"].dt.tz is None
    # a date keeps the company-local calendar date: 23:30 UTC is already January 6 in Berlin,
    # 00:30 at +02:00 is still February 28 in UTC
    assert berlin.tables["opportunities"]["created_date"][0] == pd.Timestamp("2026-01-06")
    utc = load(folder)  # timezone defaults to UTC
    assert utc.tables["opportunities"]["created_date"][[0, 2]].tolist() == [pd.Timestamp("2026-01-05"),
                                                                             pd.Timestamp("2026-02-28")]
    assert utc.tables["activities"]["timestamp"][1] == pd.Timestamp("2026-01-20 09:30")


def test_zoned_datetime_columns_of_parquet_are_converted(tmp_path):
    tables = tiny_export()
    tables["activities"]["timestamp"] = pd.to_datetime(
        ["2026-01-06 10:00", "2026-01-20 11:30", "2026-02-11 09:00", "2026-10-16 15:00"]).tz_localize("UTC")
    folder = write_export(tmp_path / "export", tables, suffix=".parquet")
    inputs = load(folder, timezone="America/New_York")
    assert inputs.tables["activities"]["timestamp"].tolist() == [
        pd.Timestamp("2026-01-06 05:00"), pd.Timestamp("2026-01-20 06:30"), pd.Timestamp("2026-02-11 04:00"),
        pd.Timestamp("2026-10-16 11:00")]


@pytest.mark.parametrize("zone", ["Europe/Berlinn", "CEST+2", ""])
def test_unknown_time_zone_is_a_params_error_naming_the_key(tmp_path, zone):
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump({"timezone": zone}), encoding="utf-8")
    with pytest.raises(ParamsError, match=r"timezone: unknown time zone .*IANA") as error:
        load_params("2027Q1", path, ROOT)
    assert "Traceback" not in str(error.value)


# -- numbers --------------------------------------------------------------------------------------


def test_numbers_with_the_default_separators_and_company_currency():
    values, problems = amounts(["1,234.50", "$1,234.50", "USD 2,000", "1 234 567", "12\u00a0500", "-5", ".5",
                                "1.5e3", "48.5", "US$ 7"])
    assert values == [1234.5, 1234.5, 2000.0, 1234567.0, 12500.0, -5.0, 0.5, 1500.0, 48.5, 7.0]
    assert problems == {7: "negative_value"}


def test_spaces_only_group_thousands_in_threes():
    values, problems = amounts(["+1 555 0123", "12 34", "1 234.5"])
    assert problems == {2: "invalid_number", 3: "invalid_number"}  # not 15,550,123 nor 1,234
    assert values[2] == 1234.5


@pytest.mark.parametrize("text", ["JPY 5,000,000", "EUR 48,800", "€99", "48,800 EUR", "£5", "C$ 5"])
def test_other_currencies_are_a_problem(text):
    values, problems = amounts([text, "10"])
    assert problems == {2: "foreign_currency"} and math.isnan(values[0]) and values[1] == 10.0


def test_the_company_currency_decides_which_signs_are_foreign():
    assert amounts(["€99", "EUR 5", "$5"], currency="EUR")[1] == {4: "foreign_currency"}
    assert amounts(["$5", "C$ 5", "CAD 5"], currency="CAD") == ([5.0, 5.0, 5.0], {})


def test_dot_grouped_money_is_ambiguous_with_the_default_separators():
    values, problems = amounts(["48.800", "1.234.567", "1.234,50", "48.8", "48.8000"])
    assert problems == {2: "ambiguous_number", 3: "ambiguous_number", 4: "ambiguous_number"}
    assert values[3:] == [48.8, 48.8]


def test_european_separators_from_the_params():
    values, problems = amounts(["48.800", "1.234,50", "48,8", "1234", "1 234,5", "1,234.50"],
                               decimal_separator=",", thousands_separator=".")
    assert values[:5] == [48800.0, 1234.5, 48.8, 1234.0, 1234.5]
    assert problems == {7: "invalid_number"}  # the other convention is not guessed


def test_no_thousands_separator_reads_a_dot_as_decimal_point():
    values, problems = amounts(["48.800", "1,234"], thousands_separator="")
    assert values[0] == 48.8 and problems == {3: "invalid_number"}


def test_swiss_apostrophes():
    assert amounts(["1'234.50", "12'34"], thousands_separator="'")[1] == {3: "invalid_number"}
    assert amounts(["1'234.50"], thousands_separator="'")[0] == [1234.5]


@pytest.mark.parametrize("text", ["inf", "-inf", "Infinity", "nan", "NaN", "1e999"])
def test_non_finite_text_is_rejected(text):
    values, problems = amounts(["10", text])
    assert problems == {3: "not_finite"} and math.isnan(values[1])


def test_non_finite_numbers_of_parquet_are_rejected(tmp_path):
    tables = tiny_export()
    tables["opportunities"]["amount"] = [10000.0, math.inf, 40000.0, 15000.0, 30000.0]
    folder = write_export(tmp_path / "export", tables, suffix=".parquet")
    with pytest.raises(DataError, match=r"column 'amount': 1 row hold an infinite or not-a-number value \(row 3"):
        load(folder)


def test_separator_params_are_validated(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump({"data": {"decimal_separator": ",", "thousands_separator": ","}}))
    with pytest.raises(ParamsError, match=r"decimal_separator and data\.thousands_separator are both ','"):
        load_params("2027Q1", path, ROOT)
    path.write_text(yaml.safe_dump({"data": {"thousands_separator": "_"}}))
    with pytest.raises(ParamsError, match=r"data\.thousands_separator: Input should be"):
        load_params("2027Q1", path, ROOT)


def test_params_errors_show_the_value_once(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump({"data": {"max_reject_share": 1.5}}))
    with pytest.raises(ParamsError) as error:
        load_params("2027Q1", path, ROOT)
    line = str(error.value).splitlines()[1]
    assert line == (f"  - data.max_reject_share: expected a share from 0 to 1 (0.15 = 15%), e.g. 0.15; got 1.5 "
                    f"(set in {path})"), line


# -- outliers -------------------------------------------------------------------------------------


def test_amount_outliers_against_the_median_of_positive_values():
    values = pd.Series([0.0, 10.0, 20.0, 30.0, None, 30_001.0, 29_999.0, -5.0], index=list("abcdefgh"))
    # positive values 10, 20, 30, 30001, 29999: median 30, so more than 1000 x 30 = 30,000 is out
    flagged = amount_outliers(values, 1000)
    assert flagged[flagged].index.tolist() == ["f"]
    assert values.tolist()[5] == 30_001.0 and flagged.dtype == bool
    assert not amount_outliers(pd.Series([0.0, None]), 1000).any()


def test_amount_outlier_rows_of_every_money_column():
    tables = {
        "opportunities": pd.DataFrame({"amount": [100.0, 200.0, 300.0, 1e15], "opportunity_id": list("abcd")}),
        "reps": pd.DataFrame({"quota": [1.0, 2.0, 2500.0], "ote": [5.0, 5.0, 5.0], "rep_id": ["R1", "R2", "R3"]}),
    }
    rows = amount_outlier_rows(tables, 1000)
    # reps.quota: median of 1, 2, 2500 is 2, so 2500 > 2000; opportunities: median 250, 1e15 / 250 = 4e12
    assert rows[["table", "row", "column", "value", "median"]].values.tolist() == [
        ["reps", 2, "quota", 2500.0, 2.0], ["opportunities", 3, "amount", 1e15, 250.0]]
    assert rows["times"].tolist() == [1250.0, 4e12]


def test_an_amount_far_above_the_column_stops_the_run(tmp_path):
    tables = tiny_export()
    tables["opportunities"].loc[4, "amount"] = "30000000000000"  # 30e12: a million times the median 25,000
    folder = write_export(tmp_path / "export", tables)
    with pytest.raises(DataError, match=r"column 'amount': 1 row hold a value far outside the column's own range "
                                        r"\(row 6"):
        load(folder)
    assert load(folder, data={"max_amount_ratio": 1e10})  # allowed when the params say it is real
    inputs = load(folder, data={"on_row_error": "quarantine", "max_reject_share": 0.5})
    assert inputs.tables["opportunities"]["opportunity_id"].tolist() == ["O1", "O2", "O3", "O4"]


def test_compact_money_never_more_than_three_significant_digits():
    assert formats.money(1.25e14, compact=True) == "$125T"
    assert formats.money(1e15, compact=True) == "$1.00e+15"
    assert formats.money(1.25e11, compact=True) == "$125B"
    assert formats.money(12_345_678, compact=True) == "$12.3M"
    assert formats.money(999_600, compact=True) == "$1.00M"  # not $1,000k
    assert formats.money(-2_500_000_000, compact=True) == "-$2.50B"
    assert formats.money(1234567, compact=True) == "$1.23M"
    assert formats.currency_marks("USD") == {"USD", "$", "US$"}
    assert formats.currency_marks("SEK") == {"SEK"}


# -- files and rows -------------------------------------------------------------------------------


def test_row_numbers_count_blank_lines(tmp_path):
    folder = write_export(tmp_path / "export", tiny_export())
    path = folder / "opportunities.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("40000", "-40000")  # O3, spreadsheet row 4 ...
    path.write_text("\n".join(lines[:2] + [""] + lines[2:]) + "\n", encoding="utf-8")  # ... now row 5
    with pytest.raises(DataError, match=r"column 'amount': 1 row hold a negative number \(row 5;"):
        load(folder)
    frame = read_table_file(path)
    assert frame.index.tolist() == [0, 2, 3, 4, 5] and len(frame) == 5


def test_leading_blank_lines_and_excel_rows_keep_their_places(tmp_path):
    folder = write_export(tmp_path / "export", tiny_export())
    path = folder / "reps.csv"
    path.write_text("\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    # header on line 3: the first rep is row 4, label 2
    assert read_table_file(path).index.tolist() == [2, 3, 4]
    frame = tiny_export()["reps"]
    frame.to_excel(folder / "sheet.xlsx", index=False, startrow=1)  # header on row 2
    assert read_table_file(folder / "sheet.xlsx").index.tolist() == [1, 2, 3]


def test_a_bad_amount_on_a_won_deal_is_reported_once(tmp_path):
    tables = tiny_export()
    tables["opportunities"].loc[0, "amount"] = "ten thousand"  # O1 is won
    folder = write_export(tmp_path / "export", tables)
    with pytest.raises(DataError) as error:
        load(folder)
    message = str(error.value)
    assert "breaks 1 rule (1 row in all)" in message and "invalid_number" not in message
    assert "are empty" not in message


def test_closed_deals_beyond_the_planning_horizon(tmp_path):
    params_path = tmp_path / "q.yaml"
    params_path.write_text(yaml.safe_dump({"forecast": {"horizon_quarters": 1}}))
    assert planning_horizon_end(load_params("2027Q1", params_path, ROOT)) == pd.Timestamp("2027-06-30")
    tables = tiny_export()
    tables["opportunities"].loc[0, "close_date"] = "2072-02-20"  # won, a typo for 2027? no: past the horizon
    tables["opportunities"].loc[3, "close_date"] = "2029-01-20"  # open: an expected date far out is fine
    folder = write_export(tmp_path / "export", tables)
    with pytest.raises(DataError) as error:
        load(folder)
    message = str(error.value)
    assert "column 'close_date': 1 row have a date beyond the planning horizon (row 2;" in message
    assert "on or before 2027-12-31, the end of the planning horizon (2027Q1 and the 3 quarters" in message


def test_input_frames_are_not_changed():
    frame = pd.DataFrame({"amount": pd.Series(["$1,000", "EUR 5", "inf"], dtype=schema.TEXT_DTYPE),
                          "created_date": ["2026-01-05T10:00:00Z", "x", "2026-01-05"],
                          "close_date": ["2026-01-06", "2026-01-07", ""],
                          "stage": ["closed_won", "closed_won", "qualify"]})
    before = frame.copy()
    coerce_table(frame, schema.OPPORTUNITIES, "o.csv", MappingRules(timezone="Asia/Tokyo"))
    pd.testing.assert_frame_equal(frame, before)


def test_the_audit_flags_amounts_far_above_their_column():
    from salesops.collect.quality import audit_checks, fix_list

    opportunities = pd.DataFrame({"opportunity_id": ["O1", "O2", "O3", "O4"], "stage": ["closed_won"] * 4,
                                  "is_won": [True] * 4, "is_closed": [True] * 4,
                                  "close_date": pd.to_datetime(["2026-01-05"] * 4),
                                  "created_date": pd.to_datetime(["2026-01-01"] * 4),
                                  "amount": [100.0, 200.0, 300.0, 300_000.0]})  # median 250: O4 is 1,200 times it
    checks = audit_checks({"opportunities": opportunities}, None, "2026-03-31", flag_amount_ratio=1000)
    row = checks.set_index("check").loc["amount_outliers"]
    assert (row["table"], row["severity"], row["rows_affected"], row["rows_total"], row["example_ids"]) == (
        "opportunities", "high", 1, 4, "O4")
    assert "1 row has an amount far above" in fix_list(checks)["problem"].iloc[0]
    assert "amount_outliers" not in set(audit_checks({"opportunities": opportunities}, None, "2026-03-31")["check"])
    assert audit_checks({"opportunities": opportunities}, None, "2026-03-31",
                        flag_amount_ratio=1500).set_index("check").loc["amount_outliers", "rows_affected"] == 0
