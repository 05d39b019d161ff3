"""The stage history (``opportunity_history``): the pipeline as it stood on a past date, the pipeline at past
quarter starts against what it became, and the table read from an export (stage mapping shared with the
opportunities, dates after the deal's creation, deals that exist). Every figure is worked out by hand below."""

from __future__ import annotations

import math
from functools import partial

import pandas as pd
import pytest

from salesops.collect import pipeline_history as ph
from salesops.data.inputs import load_inputs
from salesops.errors import DataError
from salesops.report import plots
from salesops.runner.check import check_data

from builders import ROOT, W, L, canonical_frame, folder_params, make_opportunities, tiny_export, write_export

history_frame = partial(canonical_frame, "opportunity_history",
                        columns=("opportunity_id", "changed_at", "stage", "amount", "close_date"))

#: Six deals of 2026, each for one rule (the comments give what the history says of it).
OPPS = make_opportunities([
    ("O1", "R1", "2026-01-05", "2026-02-10", W, 100.0),           # won 10 Feb, history to match
    ("O2", "R1", "2026-01-10", "2026-04-20", "proposal", 200.0),  # open; two changes at the same moment
    ("O3", "R2", "2026-01-20", "2026-03-15", L, 300.0),           # history starts after its creation
    ("O4", "R2", "2026-02-01", "2026-05-01", "demo", 400.0),      # no history at all
    ("O5", "R2", "2026-01-15", "2026-03-30", W, 500.0),           # won 30 Mar, entered as won on 2 Apr
    ("O6", "R1", "2026-02-01", "2026-04-10", W, 600.0),           # no history, won in April
], ["opportunity_id", "rep_id", "created_date", "close_date", "stage", "amount"])
HISTORY = history_frame([
    ("O1", "2026-01-05 09:00", "qualify", 80.0, "2026-03-31"),
    ("O1", "2026-02-10 10:00", W, 100.0, "2026-02-10"),
    ("O2", "2026-01-10 00:00", "qualify", None, "2026-03-20"),      # no amount yet: the deal's current one
    ("O2", "2026-03-01 00:00", "discover", 200.0, None),
    ("O2", "2026-03-01 00:00", "proposal", 250.0, "2026-04-20"),    # same moment, later row: the later change
    ("O3", "2026-02-15 00:00", "discover", 300.0, "2026-03-15"),
    ("O3", "2026-03-15 00:00", L, 300.0, "2026-03-15"),
    ("O5", "2026-01-15 00:00", "qualify", 500.0, "2026-03-31"),
    ("O5", "2026-04-02 00:00", W, 500.0, "2026-03-30"),
    ("X9", "2026-01-07 00:00", "negotiate", 999.0, "2026-02-01"),   # a deal not in opportunities: ignored
])


def rows(frame: pd.DataFrame, columns=("opportunity_id", "stage", "amount", "close_date", "basis", "from_deal")):
    """The frame's rows as tuples, missing values as None and dates as text, for exact comparison."""
    out = []
    for record in frame[list(columns)].astype(object).itertuples(index=False):
        out.append(tuple(None if pd.isna(v) else (v.strftime("%Y-%m-%d") if isinstance(v, pd.Timestamp) else v)
                         for v in record))
    return out


# -- the pipeline on a past date ---------------------------------------------------------------------


def test_pipeline_as_of_a_date_early_in_the_history():
    got = ph.pipeline_as_of(OPPS, HISTORY, "2026-01-31")
    assert list(got.columns) == ["opportunity_id", "rep_id", "created_date", "stage", "amount", "close_date",
                                 "basis", "from_deal"]
    assert rows(got) == [
        ("O1", "qualify", 80.0, "2026-03-31", "history", False),
        ("O2", "qualify", 200.0, "2026-03-20", "history", True),            # amount: the deal's current one
        ("O3", "discover", 300.0, "2026-03-15", "first_history_row", False),  # created before its first row
        ("O5", "qualify", 500.0, "2026-03-31", "history", False),
    ]  # O4 and O6 were created in February; X9 is no deal


def test_pipeline_as_of_the_end_of_a_quarter():
    got = ph.pipeline_as_of(OPPS, HISTORY, pd.Timestamp("2026-03-31"))
    assert rows(got) == [
        ("O2", "proposal", 250.0, "2026-04-20", "history", False),  # the later of two changes at one moment
        ("O4", "demo", 400.0, "2026-05-01", "deal", True),          # no history: its current values
        ("O6", None, 600.0, "2026-04-10", "deal", True),            # won later: its stage then is not known
    ]  # O1 and O3 closed in the history; O5 closed on 30 Mar although entered as won on 2 Apr


def test_a_change_counts_from_the_day_it_was_made_and_a_gap_takes_the_earlier_value():
    before, on = (ph.pipeline_as_of(OPPS, HISTORY, day).set_index("opportunity_id").loc["O2"]
                  for day in ("2026-02-28", "2026-03-01"))
    assert (before["stage"], before["amount"], before["close_date"]) == ("qualify", 200.0, pd.Timestamp("2026-03-20"))
    assert (on["stage"], on["amount"], on["close_date"]) == ("proposal", 250.0, pd.Timestamp("2026-04-20"))
    first_change_only = HISTORY.iloc[[2, 3]]  # discover at 1 Mar leaves the close date empty: 20 Mar from before
    got = ph.pipeline_as_of(OPPS, first_change_only, "2026-03-01").set_index("opportunity_id").loc["O2"]
    assert (got["stage"], got["amount"], got["close_date"], got["from_deal"]) == (
        "discover", 200.0, pd.Timestamp("2026-03-20"), False)


def test_a_stage_only_history_takes_amounts_and_dates_from_the_deal_and_says_so():
    stages_only = HISTORY[["opportunity_id", "changed_at", "stage"]]
    got = ph.pipeline_as_of(OPPS, stages_only, "2026-01-31")
    assert rows(got) == [
        ("O1", "qualify", 100.0, "2026-02-10", "history", True),
        ("O2", "qualify", 200.0, "2026-04-20", "history", True),
        ("O3", "discover", 300.0, "2026-03-15", "first_history_row", True),
        ("O5", "qualify", 500.0, "2026-03-30", "history", True),
    ]


def test_forecast_category_comes_along_when_the_history_has_it_and_inputs_stay_unchanged():
    history = HISTORY.assign(forecast_category=pd.array(["pipeline", "closed", "pipeline", None, "commit", "pipeline",
                                                         "omitted", "best_case", "closed", "commit"], dtype="string"))
    opps, copy = OPPS.drop(columns="rep_id"), history.copy()
    got = ph.pipeline_as_of(opps, history, "2026-03-31")
    assert "rep_id" not in got.columns
    assert rows(got, ("opportunity_id", "forecast_category")) == [("O2", "commit"), ("O4", None), ("O6", None)]
    pd.testing.assert_frame_equal(history, copy)


def test_missing_columns_and_bad_dates_are_refused():
    with pytest.raises(ValueError, match=r"opportunity_history is missing required column\(s\) \['changed_at'\]"):
        ph.pipeline_as_of(OPPS, HISTORY.drop(columns="changed_at"), "2026-03-31")
    with pytest.raises(ValueError, match="opportunities is missing"):
        ph.pipeline_as_of(OPPS.drop(columns="created_date"), HISTORY, "2026-03-31")
    with pytest.raises(ValueError, match="date must be a date"):
        ph.pipeline_as_of(OPPS, HISTORY, "soon")


# -- quarter starts --------------------------------------------------------------------------------


def test_snapshots_of_two_quarters_by_stage():
    got = ph.pipeline_snapshots(OPPS, HISTORY, ["2026-01-01", "2026-04-01"])
    assert list(got.columns) == list(ph.SNAPSHOT_COLUMNS)
    q1 = got[got["quarter"] == "2026Q1"]
    assert q1["stage"].tolist() == ["qualify", "discover", "demo", "proposal", "negotiate"]  # no unknown row
    assert q1["open_deals"].sum() == 0 and q1["open_value"].sum() == 0.0  # nothing created before 2026
    assert set(q1["quarter_won_deals"]) == {2} and set(q1["quarter_won_value"]) == {600.0}  # O1 100 + O5 500
    q2 = got[got["quarter"] == "2026Q2"].set_index("stage")
    assert q2.index.tolist() == ["qualify", "discover", "demo", "proposal", "negotiate", "unknown"]
    assert q2["quarter_start"].iloc[0] == pd.Timestamp("2026-04-01")
    assert q2["quarter_end"].iloc[0] == pd.Timestamp("2026-06-30")
    columns = ["open_deals", "open_value", "due_deals", "due_value", "due_won_deals", "due_won_value", "won_deals",
               "won_value", "estimated_deals"]
    assert q2.loc["demo", columns].tolist() == [1, 400.0, 1, 400.0, 0, 0.0, 0, 0.0, 1]      # O4, still open
    assert q2.loc["proposal", columns].tolist() == [1, 250.0, 1, 250.0, 0, 0.0, 0, 0.0, 0]  # O2, still open
    assert q2.loc["unknown", columns].tolist() == [1, 600.0, 1, 600.0, 1, 600.0, 1, 600.0, 1]  # O6 won 10 Apr
    assert q2.loc[["qualify", "discover", "negotiate"], "open_deals"].tolist() == [0, 0, 0]
    assert set(q2["quarter_won_deals"]) == {1} and set(q2["quarter_won_value"]) == {600.0}  # O5 won in March


def test_a_deal_won_in_the_quarter_but_expected_later_counts_as_won_not_due():
    history = pd.concat([HISTORY, history_frame([("O6", "2026-02-01 00:00", "negotiate", 550.0, "2026-07-15")])],
                        ignore_index=True)
    negotiate = ph.pipeline_snapshots(OPPS, history, ["2026-04-01"]).set_index("stage").loc["negotiate"]
    assert (negotiate["open_value"], negotiate["due_deals"], negotiate["due_won_value"], negotiate["won_deals"],
            negotiate["won_value"]) == (550.0, 0, 0.0, 1, 600.0)  # open at 550 then, booked at 600


def test_quarter_starts_must_be_first_days_of_fiscal_quarters():
    fiscal = ph.pipeline_snapshots(OPPS, HISTORY, ["2026-02-01"], fiscal_year_start_month=2)
    assert fiscal["quarter"].iloc[0] == "2027Q1"  # the fiscal year is named by the year it ends in
    with pytest.raises(ValueError, match="quarter_starts must be first days of fiscal quarters.*inside 2026Q1"):
        ph.pipeline_snapshots(OPPS, HISTORY, ["2026-02-01"])
    empty = ph.pipeline_snapshots(OPPS, HISTORY, [])
    assert empty.empty and list(empty.columns) == list(ph.SNAPSHOT_COLUMNS)


def test_snapshot_quarters_are_complete_and_inside_the_history():
    known = HISTORY[HISTORY["opportunity_id"] != "X9"]  # changes from 5 Jan to 2 Apr 2026
    assert ph.snapshot_quarter_starts(known, "2026-06-30") == [pd.Timestamp("2026-04-01")]
    assert ph.snapshot_quarter_starts(known, "2026-06-29") == []  # 2026Q2 not over
    assert ph.snapshot_quarter_starts(known, "2027-12-31") == [pd.Timestamp("2026-04-01")]  # 2026Q3: after 2 Apr
    assert ph.snapshot_quarter_starts(known, "2026-06-30", fiscal_year_start_month=2) == [pd.Timestamp("2026-02-01")]
    assert ph.snapshot_quarter_starts(known.iloc[0:0], "2026-06-30") == []


def test_totals_and_the_reading_of_the_snapshots():
    snapshots = ph.pipeline_snapshots(OPPS, HISTORY, ["2026-01-01", "2026-04-01"])
    totals = ph.snapshot_totals(snapshots)
    assert list(totals.columns) == list(ph.TOTAL_COLUMNS)
    assert totals["quarter"].tolist() == ["2026Q1", "2026Q2"]
    assert totals[["open_deals", "open_value", "due_value", "due_won_value", "quarter_won_value",
                   "estimated_deals"]].values.tolist() == [[0, 0.0, 0.0, 0.0, 600.0, 0], [3, 1250.0, 1250.0, 600.0,
                                                                                         600.0, 2]]
    assert math.isnan(totals["due_won_share"].iloc[0]) and totals["due_won_share"].iloc[1] == pytest.approx(0.48)
    assert ph.snapshot_findings(snapshots, "USD") == [
        "Of the open pipeline expected to close within each quarter at its start (2 quarters, 2026Q1–2026Q2), 48% "
        "by value was won in that quarter; those wins made 50% of the $1k booked in these quarters (measured from "
        "the stage history).",
        "2 of the 3 open deals counted had no history row of the snapshot day for their stage, amount or expected "
        "close date and carry their first recorded or current values, so their figures are less certain."]


def test_the_reading_with_nothing_due_and_with_a_spread_over_quarters():
    nothing_due = ph.pipeline_snapshots(OPPS, HISTORY, ["2026-01-01"])
    assert ph.snapshot_findings(nothing_due, "EUR") == [
        "At the start of the 1 quarter, 2026Q1, no open deal with an amount was expected to close within the "
        "quarter: the history gives the pipeline forecast nothing to be tested on."]
    spread = ph.pipeline_snapshots(OPPS, HISTORY, ["2026-02-01", "2026-05-01"], fiscal_year_start_month=2)
    # 2027Q1 (Feb-Apr 2026), as of 31 Jan: O1 80 due 31 Mar, won 10 Feb at 100; O2 200 due 20 Mar; O3 300 due
    # 15 Mar, lost; O5 500 due 31 Mar, won 30 Mar: due 1,080, won 600 (56%); O6 won 10 Apr, created later: booked
    # 1,200. 2027Q2 (May-Jul), as of 30 Apr: O2 250 due 20 Apr (not in it), O4 400 due 1 May: due 400, won 0.
    # Over both: 600 / 1,480 = 41% of the due value won, 600 / 1,200 = 50% of what was booked.
    assert ph.snapshot_findings(spread, "USD")[0] == (
        "Of the open pipeline expected to close within each quarter at its start (2 quarters, 2027Q1–2027Q2), 41% "
        "by value was won in that quarter (lowest 2027Q2 0%, highest 2027Q1 56%); those wins made 50% of the $1k "
        "booked in these quarters (measured from the stage history).")
    assert ph.snapshot_findings(ph.pipeline_snapshots(OPPS, HISTORY, []), "USD") == []


def test_snapshots_or_the_sentence_saying_why_not():
    assert ph.snapshots_or_reason(OPPS, None, "2026-06-30", 1, absent="This section would show …") == (
        None, "This section would show …")
    frame, reason = ph.snapshots_or_reason(OPPS, HISTORY, "2026-06-30", 1, absent="")
    assert reason == "" and frame["quarter"].unique().tolist() == ["2026Q2"]
    assert ph.snapshots_or_reason(OPPS, HISTORY, "2026-05-31", 1, absent="") == (None, (
        "The stage history holds from 05 Jan 2026 to 02 Apr 2026: no quarter both started inside it and ended by "
        "31 May 2026, so no past pipeline can be set against what it became."))


def test_the_chart_has_a_title_axes_and_units():
    totals = ph.snapshot_totals(ph.pipeline_snapshots(OPPS, HISTORY, ["2026-01-01", "2026-04-01"]))
    fig = plots.pipeline_snapshots(totals, "EUR", "Pipeline at quarter starts")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Pipeline at quarter starts"
    assert ax.get_ylabel() == "Value (EUR)" and ax.get_xlabel().startswith("Quarter")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2026Q1", "2026Q2"]


# -- the table read from an export -----------------------------------------------------------------


def export_with_history(tmp_path, history: dict[str, list[str]], name: str = "opportunity_history"):
    tables = {**tiny_export(), name: pd.DataFrame(history)}
    return write_export(tmp_path / "export", tables)


HISTORY_TEXT = {  # O1 created 5 Jan 2026 and won 20 Feb; O4 created 1 Sep, open in Proposal
    "history_id": ["H1", "H2", "H3"], "opportunity_id": ["O1", "O1", "O4"],
    "changed_at": ["2026-01-05 10:00:00", "2026-02-20 09:00:00", "2026-09-01 08:00:00"],
    "stage": ["Prospecting", "Closed Won", "Verbal Yes"], "amount": ["9000", "10000", "15000"],
    "close_date": ["2026-03-31", "2026-02-20", "2027-01-20"], "forecast_category": ["pipeline", "closed", "best_case"],
}


def test_the_opportunities_stage_mapping_applies_to_the_history_unless_it_has_its_own(tmp_path):
    folder = export_with_history(tmp_path, HISTORY_TEXT)
    own = {"opportunities": {"stage": {"Verbal Yes": "negotiate"}}}
    history = load_inputs(folder_params(folder, values=own)).tables["opportunity_history"]
    assert history["stage"].tolist() == ["qualify", "closed_won", "negotiate"]  # defaults + the params' own
    assert history["changed_at"].iloc[0] == pd.Timestamp("2026-01-05 10:00")
    overridden = {**own, "opportunity_history": {"stage": {"Verbal Yes": "proposal"}}}
    tables = load_inputs(folder_params(folder, values=overridden)).tables
    assert tables["opportunity_history"]["stage"].tolist() == ["qualify", "closed_won", "proposal"]
    assert tables["opportunities"]["stage"].tolist()[3] == "proposal"  # O4's own stage: Proposal
    with pytest.raises(DataError, match="opportunity_history.csv, column 'stage': 1 row hold a value absent from"):
        load_inputs(folder_params(folder))  # Verbal Yes is mapped nowhere


def test_a_change_before_its_deal_was_created_and_a_change_of_no_deal_are_reported(tmp_path):
    bad = {**HISTORY_TEXT, "opportunity_id": ["O1", "O9", "O4"], "changed_at": ["2026-01-04 23:00:00",
                                                                                  "2026-02-20 09:00:00",
                                                                                  "2026-09-01 08:00:00"]}
    folder = export_with_history(tmp_path, bad)
    values = {"opportunities": {"stage": {"Verbal Yes": "negotiate"}}}
    with pytest.raises(DataError) as error:
        load_inputs(folder_params(folder, values=values))
    message = str(error.value)
    assert ("opportunity_history.csv, column 'changed_at': 1 row have dates in the wrong order (row 2; values "
            "'2026-01-04 < 2026-01-05 (created_date of opportunities O1)'). Expected: changed_at on or after the "
            "created_date of its opportunities row (opportunities.csv)") in message
    assert ("opportunity_history.csv, column 'opportunity_id': 1 row point to an id that does not exist (row 3"
            in message)
    report = check_data(folder_params(folder, values=values))  # check says the same, in one pass
    assert not report.ok and "have dates in the wrong order" in report.text()
    kept = load_inputs(folder_params(folder, values=values, on_row_error="quarantine", max_reject_share=0.7))
    assert kept.tables["opportunity_history"]["history_id"].tolist() == ["H3"]
    assert sorted(kept.rejects.loc[kept.rejects["table"] == "opportunity_history", "row"]) == [2, 3]


def test_the_salesforce_preset_reads_opportunity_history_as_the_data_export_writes_it(tmp_path):
    api = {"Id": ["0081", "0082"], "OpportunityId": ["O1", "O1"],
           "CreatedDate": ["2026-01-05T10:00:00.000Z", "2026-02-20T09:00:00.000Z"],
           "StageName": ["Qualification", "Closed Won"], "Amount": ["9000", "10000"],
           "CloseDate": ["2026-03-31", "2026-02-20"], "ForecastCategory": ["BestCase", "Forecast"]}
    folder = export_with_history(tmp_path, api)
    history = load_inputs(folder_params(folder, preset="salesforce")).tables["opportunity_history"]
    assert history["history_id"].tolist() == ["0081", "0082"]
    assert history["stage"].tolist() == ["qualify", "closed_won"]
    assert history["forecast_category"].tolist() == ["best_case", "commit"]  # API values: BestCase, Forecast
    assert history["changed_at"].tolist() == [pd.Timestamp("2026-01-05 10:00"), pd.Timestamp("2026-02-20 09:00")]


def test_the_hubspot_preset_reads_a_deal_stage_history_of_internal_values(tmp_path):
    stages = {"dealId": ["O1", "O1"], "value": ["appointmentscheduled", "closedwon"],
              "timestamp": ["2026-01-05T10:00:00Z", "2026-02-20T09:00:00Z"]}
    folder = export_with_history(tmp_path, stages)
    history = load_inputs(folder_params(folder, preset="hubspot")).tables["opportunity_history"]
    assert history[["opportunity_id", "stage"]].values.tolist() == [["O1", "qualify"], ["O1", "closed_won"]]


# -- the Salesforce demo export (outside the project; skipped without it) -----------------------------


def test_snapshots_of_the_salesforce_demo_export_equal_a_count_straight_from_its_files():
    from salesops.plan_params import load_params

    export = ROOT.parent / "shared" / "data" / "exports" / "sfdc-wave-sdo"
    if not export.is_dir():
        pytest.skip("the real export sfdc-wave-sdo is not beside the project (expected in ../shared/data/exports/)")
    tables = load_inputs(load_params("2017Q3", ROOT / "examples" / "sfdc-wave-sdo" / "params.yaml", ROOT),
                         data_dir=export).tables
    quarters = {"2016Q3": "2016-07-01", "2016Q4": "2016-10-01", "2017Q1": "2017-01-01", "2017Q2": "2017-04-01"}
    got = ph.snapshot_totals(ph.pipeline_snapshots(tables["opportunities"], tables["opportunity_history"],
                                                   list(quarters.values()))).set_index("quarter")
    raw = pd.read_csv(export / "OpportunityHistory.csv", parse_dates=["CreatedDate__c", "CloseDate__c"])
    deals = pd.read_csv(export / "Opportunity.csv", parse_dates=["CloseDate", "DateTimeCreated__c"]).set_index(
        "External_Id__c")
    for quarter, start in quarters.items():
        start = pd.Timestamp(start)
        end = start + pd.offsets.QuarterEnd(0)
        last = (raw[raw["CreatedDate__c"] < start].sort_values("CreatedDate__c", kind="stable")
                .groupby("Opportunity.External_Id__c").tail(1).set_index("Opportunity.External_Id__c"))
        deal = deals.loc[last.index]
        closed_before = deal["StageName"].str.startswith("Closed") & (deal["CloseDate"] < start)
        open_then = last[~last["StageName__c"].str.startswith("Closed") & ~closed_before
                         & (deal["DateTimeCreated__c"] < start)]
        due = open_then["CloseDate__c"].between(start, end)
        won_in_quarter = (deals["StageName"] == "Closed Won") & deals["CloseDate"].between(start, end)
        won = won_in_quarter.loc[open_then.index]
        expected = [len(open_then), open_then["Amount__c"].sum(), open_then.loc[due, "Amount__c"].sum(),
                    deals.loc[open_then.index[due & won], "Amount"].sum(), deals.loc[won_in_quarter, "Amount"].sum()]
        columns = ["open_deals", "open_value", "due_value", "due_won_value", "quarter_won_value"]
        assert got.loc[quarter, columns].tolist() == expected, quarter
