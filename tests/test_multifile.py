"""Several files into one table (stacked, mapped file by file, every problem named by its own file and row),
joins of other files, a file collapsed into a second table, and the quotas and line-item tables with the rules
that derive reps' quotas and deals' products from them (issue 12). Tiny hand-made files; numbers by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops.contract import collapse, line_items, quota_history, schema
from salesops.data.inputs import load_inputs
from salesops.errors import DataError
from salesops.runner.check import check_data
from salesops.settings.loader import ParamsError

from builders import folder_params, tiny_export, write_export


def split_activities(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tiny export with its activities in two files, as a Salesforce export holds them: tasks (X1, X2: the
    type in TaskSubtype) and events (X3, X4: the type in EventSubtype, no duration column)."""
    activities = tables.pop("activities")
    tables["Task"] = activities.iloc[:2].rename(columns={"type": "TaskSubtype"})
    tables["Event"] = activities.iloc[2:].drop(columns="duration_minutes").rename(columns={"type": "EventSubtype"})
    return tables


ACTIVITY_FILES = {"files": {"activities": ["Task.csv", "Event.csv"]},
                  "columns": {"activities": {"TaskSubtype": "type", "EventSubtype": "type"}}}


def test_two_files_stack_into_one_table_mapped_file_by_file(tmp_path):
    folder = write_export(tmp_path / "export", split_activities(tiny_export()))
    inputs = load_inputs(folder_params(folder, **ACTIVITY_FILES))
    activities = inputs.tables["activities"]
    assert activities["activity_id"].tolist() == ["X1", "X2", "X3", "X4"]
    assert activities["type"].tolist() == ["call", "demo", "email", "meeting"]
    # Event.csv has no duration column: empty on its rows
    assert activities["duration_minutes"].tolist()[:2] == [15.0, 60.0]
    assert activities["duration_minutes"].iloc[2:].isna().all()
    assert [path.name for path in inputs.files["activities"]] == ["Task.csv", "Event.csv"]
    report = check_data(folder_params(folder, **ACTIVITY_FILES))
    assert report.ok, report.text()
    assert "activities (Task.csv): mapped TaskSubtype → type;" in report.text()
    assert "activities (Event.csv): mapped EventSubtype → type;" in report.text()


def test_a_bad_row_in_the_second_file_is_named_with_its_own_file_and_row(tmp_path):
    tables = split_activities(tiny_export())
    tables["Event"].iloc[1, tables["Event"].columns.get_loc("timestamp")] = "someday"  # X4: Event.csv row 3
    folder = write_export(tmp_path / "export", tables)
    with pytest.raises(DataError) as error:
        load_inputs(folder_params(folder, **ACTIVITY_FILES))
    assert "Event.csv, column 'timestamp': 1 row hold a date that cannot be read (row 3; values 'someday')" in str(
        error.value)
    # set aside instead: the rejects name the file and its row, and the row is counted once
    inputs = load_inputs(folder_params(folder, on_row_error="quarantine", max_reject_share=0.5, **ACTIVITY_FILES))
    rejects = inputs.rejects
    assert rejects[["table", "file", "row", "column", "cause_file", "cause_row"]].values.tolist() == [
        ["activities", "Event.csv", 3, "timestamp", "Event.csv", 3]]
    assert rejects["cause"].iloc[0] == "Event.csv row 3: timestamp 'someday' holds a date that cannot be read"


def test_an_orphan_in_each_file_is_reported_per_file(tmp_path):
    tables = split_activities(tiny_export())
    tables["Task"].loc[1, "opportunity_id"] = "O9"  # Task.csv row 3
    tables["Event"].iloc[0, tables["Event"].columns.get_loc("opportunity_id")] = "O8"  # Event.csv row 2
    folder = write_export(tmp_path / "export", tables)
    inputs = load_inputs(folder_params(folder, on_row_error="quarantine", max_reject_share=0.5, **ACTIVITY_FILES))
    assert inputs.rejects[["file", "row", "value"]].values.tolist() == [["Task.csv", 3, "O9"], ["Event.csv", 2, "O8"]]
    text = check_data(folder_params(folder, **ACTIVITY_FILES)).text()
    assert "Task.csv, column 'opportunity_id': 1 row point to an id that does not exist (row 3; values 'O9')" in text
    assert "Event.csv, column 'opportunity_id': 1 row point to an id that does not exist (row 2; values 'O8')" in text


def test_a_key_repeated_across_two_files_names_both(tmp_path):
    tables = split_activities(tiny_export())
    tables["Event"].iloc[1, tables["Event"].columns.get_loc("activity_id")] = "X1"  # Task.csv row 2 has X1
    folder = write_export(tmp_path / "export", tables)
    with pytest.raises(DataError) as error:
        load_inputs(folder_params(folder, **ACTIVITY_FILES))
    assert ("Event.csv, column 'activity_id': 1 row repeat a key already used on an earlier row (row 3; values "
            "'X1 (first in Task.csv row 2)')") in str(error.value)


def test_two_names_for_one_column_need_two_files_and_a_file_may_not_hold_both(tmp_path):
    tables = split_activities(tiny_export())
    with pytest.raises(ParamsError, match="data.columns.activities maps both 'EventSubtype' and 'TaskSubtype' onto "
                                          "'type'"):
        folder_params(write_export(tmp_path / "one", tiny_export()),
                      columns={"activities": {"TaskSubtype": "type", "EventSubtype": "type"}})
    tables["Event"] = tables["Event"].assign(TaskSubtype="call")  # Event.csv now holds both names
    folder = write_export(tmp_path / "export", tables)
    with pytest.raises(DataError, match="Event.csv: data.columns.activities maps 'EventSubtype' and 'TaskSubtype' "
                                        "onto 'type', and this file has both"):
        load_inputs(folder_params(folder, **ACTIVITY_FILES))


# --------------------------------------------------------------------------------------------------
# joins


def line_item_export(tmp_path, entries: pd.DataFrame | None = None):
    """Line items that name a price-book entry, which names a product (Salesforce's three files)."""
    tables = tiny_export()
    tables["LineItem"] = pd.DataFrame({"Id": ["L1", "L2", "L3", "L4"], "Opp": ["O1", "O1", "O2", "O3"],
                                       "Entry": ["E1", "E2", "E2", "E9"], "Qty": ["2", "1", "4", "1"],
                                       "Total": ["", "5000", "", "40000"]})
    tables["Entry"] = entries if entries is not None else pd.DataFrame(
        {"EntryId": ["E1", "E2"], "ProductId": ["P1", "P2"], "Price": ["1000", "6000"]})
    tables["Product"] = pd.DataFrame({"ProductId": ["P2", "P1"], "Name": ["Gateway", "Platform"]})
    return write_export(tmp_path / "export", tables)


LINE_PARAMS = {
    "files": {"opportunity_lines": "LineItem.csv"},
    "joins": {"opportunity_lines": [
        {"file": "Entry.csv", "key": "Entry", "file_key": "EntryId", "columns": ["ProductId", "Price"]},
        {"file": "Product.csv", "key": "ProductId", "columns": "Name"},  # a column the first join added
    ]},
    "columns": {"opportunity_lines": {"Id": "line_id", "Opp": "opportunity_id", "Name": "product", "Qty": "quantity",
                                      "Price": "unit_price", "Total": "amount"}},
}


def test_chained_joins_add_columns_without_changing_rows(tmp_path):
    folder = line_item_export(tmp_path)
    report = check_data(folder_params(folder, on_row_error="quarantine", max_reject_share=0.5, **LINE_PARAMS))
    assert ("opportunity_lines (LineItem.csv): joined Entry.csv on Entry = EntryId (ProductId, Price): 3 of 4 rows "
            "matched; joined Product.csv on ProductId (Name): 3 of 4 rows matched") in report.text()
    # L4 names entry E9, which is not in Entry.csv: no product, so it is set aside as LineItem.csv row 5
    inputs = load_inputs(folder_params(folder, on_row_error="quarantine", max_reject_share=0.5, **LINE_PARAMS))
    assert inputs.rejects[["file", "row", "column", "problem"]].values.tolist() == [
        ["LineItem.csv", 5, "product", "missing_value"]]
    lines = inputs.tables["opportunity_lines"]
    assert lines["product"].tolist() == ["Platform", "Gateway", "Gateway"]
    assert lines["unit_price"].tolist() == [1000.0, 6000.0, 6000.0]
    # an empty Total is quantity x unit price: L1 2 x 1000, L3 4 x 6000
    assert lines["amount"].tolist() == [2000.0, 5000.0, 24000.0]


def test_a_joined_file_whose_key_repeats_is_refused_naming_file_column_and_rows(tmp_path):
    entries = pd.DataFrame({"EntryId": ["E1", "E2", "E1"], "ProductId": ["P1", "P2", "P2"], "Price": ["1", "2", "3"]})
    folder = line_item_export(tmp_path, entries)
    with pytest.raises(DataError) as error:
        load_inputs(folder_params(folder, **LINE_PARAMS))
    assert str(error.value).startswith(
        "Entry.csv, column 'EntryId': 2 rows share a key (rows 2, 4; values 'E1'), so data.joins.opportunity_lines[0] "
        "cannot tell which row to take. Expected: each EntryId once in Entry.csv.")
    report = check_data(folder_params(folder, **LINE_PARAMS))
    assert not report.ok and "Entry.csv, column 'EntryId': 2 rows share a key" in report.text()


def test_a_join_on_a_column_no_file_has_is_refused(tmp_path):
    folder = line_item_export(tmp_path)
    params = {**LINE_PARAMS, "joins": {"opportunity_lines": [LINE_PARAMS["joins"]["opportunity_lines"][1]]}}
    with pytest.raises(DataError, match=r"LineItem.csv: data.joins.opportunity_lines\[0\] joins on column "
                                        r"'ProductId', which no file of the table has"):
        load_inputs(folder_params(folder, **params))


# --------------------------------------------------------------------------------------------------
# one file feeding a second table


def test_a_deals_file_collapses_into_accounts_with_the_most_frequent_value():
    spec = schema.TABLES["accounts"]
    deals = pd.DataFrame({"account_id": ["A1", "A2", "A1", "A1", "A2", None, "A3"],
                          "region": ["Peru", "Chile", "Chile", "Peru", "Peru", "Chile", None],
                          "industry": ["Retail", "Energy", "Retail", None, "Energy", "Retail", "Retail"],
                          "deal_id": ["D1", "D2", "D3", "D4", "D5", "D6", "D7"]}, index=[0, 1, 2, 3, 4, 5, 6])
    accounts, adjustments = collapse.collapse_rows(deals, spec, "Deals.csv")
    # A1: Peru x2, Chile x1 -> Peru; A2: Chile x1, Peru x1 -> a tie: Chile (alphabetical); A3: no region
    assert accounts.to_dict("list") == {"account_id": ["A1", "A2", "A3"], "region": ["Peru", "Chile", None],
                                        "industry": ["Retail", "Energy", "Retail"]}
    assert accounts.index.tolist() == [0, 1, 6]  # each account keeps its first row: messages name that row
    assert [row[:4] for row in adjustments] == [("accounts", "account_id", "rows_collapsed", 3),
                                                ("accounts", "region", "collapsed_values_disagree", 2)]
    assert adjustments[0][4] == ("accounts read from Deals.csv: its 7 rows collapsed to 3 accounts, one per "
                                 "account_id (1 row with no account_id left out)")
    assert adjustments[1][4].endswith("e.g. A1: Peru ×2, Chile ×1 → Peru; A2: Chile ×1, Peru ×1 → Chile")


def test_the_same_file_feeds_opportunities_and_collapsed_accounts(tmp_path):
    tables = tiny_export()
    deals = tables.pop("opportunities").assign(region=["NA", "EMEA", "NA", "EMEA", "EMEA"])
    tables.pop("accounts")
    folder = write_export(tmp_path / "export", {**tables, "Deals": deals})
    params = folder_params(folder, files={"opportunities": "Deals.csv", "accounts": "Deals.csv"},
                           collapse=["accounts"], columns={"accounts": {"account_id": ["account_id", "name"]}})
    inputs = load_inputs(params)
    accounts = inputs.tables["accounts"]
    # A1: deals O1 NA, O4 EMEA -> a tie: EMEA; A2: O2 EMEA, O5 EMEA; A3: O3 NA
    assert accounts[["account_id", "name", "region"]].values.tolist() == [
        ["A1", "A1", "EMEA"], ["A2", "A2", "EMEA"], ["A3", "A3", "NA"]]
    assert "accounts" not in inputs.derived
    assert inputs.adjustments["rule"].tolist()[:2] == ["rows_collapsed", "collapsed_values_disagree"]
    text = check_data(params).text()
    # the deals' own created_date has the canonical name: it is read as the accounts' too (the earliest on a tie)
    assert "accounts (Deals.csv): mapped account_id → account_id, name; canonical created_date, region; collapsed to " \
           "one row per account_id (data.collapse); other columns left out opportunity_id, rep_id" in text


# --------------------------------------------------------------------------------------------------
# quotas and line items


def quotas_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["rep_id", "start_date", "amount"]).astype(
        {"rep_id": schema.TEXT_DTYPE, "start_date": "datetime64[ns]", "amount": "float64"})


QUOTAS = quotas_frame([
    ("R1", "2026-01-01", 10000.0), ("R1", "2026-02-01", 10000.0), ("R1", "2026-03-01", 20000.0),  # 2026Q1: 40,000
    ("R1", "2026-04-01", 15000.0), ("R1", "2026-05-01", 15000.0),  # 2026Q2 so far: 30,000
    ("R2", "2026-01-01", 90000.0),  # a quarterly row
])


def test_a_quarters_quota_is_the_sum_of_the_rows_starting_in_it():
    by_quarter = quota_history.quarter_quotas(QUOTAS)
    assert by_quarter.values.tolist() == [["R1", "2026Q1", 40000.0, 3], ["R2", "2026Q1", 90000.0, 1],
                                          ["R1", "2026Q2", 30000.0, 2]]


@pytest.mark.parametrize("planned, as_of, quota, why", [
    ("2026Q2", "2026-03-31", {"R1": 30000.0, "R2": None}, "2026Q2, the planned quarter"),
    # nothing starts in 2026Q3: the latest quarter ended by as_of with rows, 2026Q2 (not complete by 2026-05-31)
    ("2026Q3", "2026-06-30", {"R1": 30000.0, "R2": None}, "2026Q2, the latest complete quarter"),
    ("2026Q3", "2026-05-31", {"R1": 40000.0, "R2": 90000.0}, "2026Q1, the latest complete quarter"),
])
def test_reps_without_a_quota_take_the_planned_or_the_latest_complete_quarters(planned, as_of, quota, why):
    reps = pd.DataFrame({"rep_id": pd.array(["R1", "R2", "M1"], dtype=schema.TEXT_DTYPE),
                         "quota": [float("nan"), float("nan"), float("nan")]})
    out, adjustments = quota_history.derive_rep_quotas(reps, QUOTAS, planned, pd.Timestamp(as_of))
    assert out["quota"].tolist() == pytest.approx([quota["R1"], quota["R2"] or float("nan"), float("nan")],
                                                  nan_ok=True)
    assert adjustments[0][:4] == ("reps", "quota", "quota_from_quotas", 1 + (quota["R2"] is not None))
    assert why in adjustments[0][4]
    given = reps.assign(quota=[5.0, float("nan"), float("nan")])  # a quota of its own is kept
    assert quota_history.derive_rep_quotas(given, QUOTAS, planned, pd.Timestamp(as_of))[0]["quota"].iloc[0] == 5.0


def test_a_deal_without_product_takes_its_largest_lines_and_products_come_from_the_lines():
    lines = pd.DataFrame({"opportunity_id": ["O1", "O1", "O2", "O2", "O3"],
                          "product": ["Gateway", "Platform", "Platform", "Edge", "Edge"],
                          "quantity": [1.0, 2.0, 1.0, 1.0, 3.0], "unit_price": [500.0, 400.0, 700.0, 300.0, 100.0],
                          "amount": [None, None, 700.0, 700.0, 250.0]})
    # O1: Gateway 1 x 500 = 500 < Platform 2 x 400 = 800; O2: a tie at 700 -> Edge (alphabetical); O3 Edge
    assert line_items.deal_products(lines).to_dict() == {"O1": "Platform", "O2": "Edge", "O3": "Edge"}
    opportunities = pd.DataFrame({"opportunity_id": ["O1", "O2", "O3", "O4"],
                                  "product": pd.array([None, None, "Custom", None], dtype=schema.TEXT_DTYPE)})
    tables, adjustments = line_items.apply_rules({"opportunities": opportunities, "opportunity_lines": lines})
    assert tables["opportunities"]["product"].tolist() == ["Platform", "Edge", "Custom", pd.NA]  # O3 keeps its own
    assert tables["opportunity_lines"]["amount"].tolist() == [500.0, 800.0, 700.0, 700.0, 250.0]
    products = tables["products"]
    # medians of unit_price: Custom none (named on a deal only), Edge (300, 100) 200, Gateway 500, Platform (400, 700)
    assert products["product"].tolist() == ["Custom", "Edge", "Gateway", "Platform"]
    assert products["unit_price"].tolist() == pytest.approx([float("nan"), 200.0, 500.0, 550.0], nan_ok=True)
    assert [row[2:4] for row in adjustments] == [("line_amounts_computed", 2), ("product_from_lines", 2),
                                                 ("products_from_lines", 4)]


# --------------------------------------------------------------------------------------------------
# step 1 with a quota history


def won_deals(rows) -> pd.DataFrame:
    """(rep_id, close_date, amount, is_won) rows as an opportunities frame."""
    frame = pd.DataFrame(rows, columns=["rep_id", "close_date", "amount", "is_won"])
    return frame.assign(close_date=pd.to_datetime(frame["close_date"]), is_won=frame["is_won"].astype("boolean"))


HISTORY = quotas_frame([
    ("R1", "2027-01-01", 40.0), ("R1", "2027-02-01", 40.0), ("R1", "2027-03-01", 20.0),  # 2027Q1: 100
    ("R2", "2027-01-01", 200.0),  # one quarterly row
    ("R1", "2026-10-01", 300.0), ("R3", "2026-11-01", 50.0),  # 2026Q4
    ("R1", "2027-04-01", 999.0),  # 2027Q2: not complete on 2027-03-31
])
DEALS = won_deals([
    ("R1", "2027-01-05", 100.0, True), ("R1", "2027-03-31", 20.0, True),  # R1 2027Q1: 120
    ("R2", "2027-02-10", 100.0, True), ("R2", "2027-02-11", 500.0, False),  # R2 2027Q1: 100 (the loss is not)
    ("R1", "2026-12-31", 150.0, True), ("R3", "2026-10-02", 75.0, True),  # 2026Q4: R1 150, R3 75
])


def test_last_quarters_attainment_from_the_quota_history_without_a_previous_report():
    from salesops.collect import plan_review

    review = plan_review.review_previous_plan({}, False, DEALS, None, "2027Q2", "2027-03-31", quotas=HISTORY)
    assert review.attainment_source == plan_review.QUOTA_HISTORY
    rows = review.attainment.set_index("rep_id")
    assert rows[["quota", "bookings", "attainment"]].to_dict("list") == {
        "quota": [100.0, 200.0], "bookings": [120.0, 100.0], "attainment": [1.2, 0.5]}
    assert plan_review.review_sentences(review) == [
        "Against the quotas of the quotas table (each rep's rows starting in the quarter), 1 of 2 reps made quota; "
        "median attainment was 85%, and together they booked $220 against $300 of quota (73%)."]
    # the plan's quotas give way to the quotas reps carried
    plan = pd.DataFrame({"rep_id": ["R1", "R2"], "quota": [10.0, 10.0]})
    found = plan_review.review_previous_plan({"quotas": plan}, True, DEALS, None, "2027Q2", "2027-03-31",
                                             quotas=HISTORY)
    assert found.attainment["quota"].tolist() == [100.0, 200.0]
    without = plan_review.review_previous_plan({"quotas": plan}, True, DEALS, None, "2027Q2", "2027-03-31")
    assert without.attainment_source == plan_review.PLAN_QUOTAS and without.attainment["quota"].tolist() == [10.0, 10.0]


def test_attainment_per_rep_and_complete_quarter():
    from salesops.collect import attainment

    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "name": ["Ann", "Bo", "Cy"]})
    table = attainment.quarterly_attainment(HISTORY, DEALS, reps, "2027-03-31")
    # 2026Q4: R3 75 / 50 = 1.5, R1 150 / 300 = 0.5; 2027Q1: R1 120 / 100 = 1.2, R2 100 / 200 = 0.5; 2027Q2 not complete
    assert table[["quarter", "name", "quota", "bookings", "attainment"]].values.tolist() == [
        ["2026Q4", "Cy", 50.0, 75.0, 1.5], ["2026Q4", "Ann", 300.0, 150.0, 0.5],
        ["2027Q1", "Ann", 100.0, 120.0, 1.2], ["2027Q1", "Bo", 200.0, 100.0, 0.5]]
    assert attainment.attainment_sentence(table) == (
        "In 2027Q1, 1 of 2 reps with a quota in the quotas table made it, and the team booked 73% of its quota "
        "(measured from the quota history; the table shows the last 2 complete quarters).")
    assert attainment.quarterly_attainment(HISTORY, DEALS, None, "2027-03-31", quarters=1)["quarter"].unique().tolist() \
        == ["2027Q1"]


def test_a_required_column_one_file_lacks_is_named_with_that_file(tmp_path):
    folder = write_export(tmp_path / "export", split_activities(tiny_export()))
    params = folder_params(folder, files=ACTIVITY_FILES["files"], columns={"activities": {"TaskSubtype": "type"}})
    with pytest.raises(DataError, match=r"^Event.csv: required column 'type' \(is 'EventSubtype' it\? map it with "
                                        r"data.columns.activities: \{EventSubtype: type\}\) missing"):
        load_inputs(params)


def test_the_set_aside_rows_of_a_table_read_from_two_files_name_their_file(tmp_path):
    from salesops.contract import quarantine
    from salesops.report import present

    tables = split_activities(tiny_export())
    tables["Task"].loc[1, "opportunity_id"] = "O9"  # Task.csv row 3
    tables["Event"].iloc[0, tables["Event"].columns.get_loc("opportunity_id")] = "O8"  # Event.csv row 2
    folder = write_export(tmp_path / "export", tables)
    rejects = load_inputs(folder_params(folder, on_row_error="quarantine", max_reject_share=0.5,
                                        **ACTIVITY_FILES)).rejects
    assert quarantine.rows_set_aside(rejects, "activities") == 2
    causes = quarantine.rejects_by_cause(rejects)
    assert sorted(causes[["cause_table", "cause_file", "cause_row", "rows"]].values.tolist()) == [
        ["activities", "Event.csv", 2, 1], ["activities", "Task.csv", 3, 1]]
    page = present.rejects(rejects, causes, None).data
    assert "2 rows set aside, from 2 root causes" in page
    assert "activities (Task.csv)" in page and "activities (Event.csv)" in page
