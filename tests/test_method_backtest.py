"""The pipeline method backtested on the stage history: the opportunities as they stood on a past day, and the
pipeline and statistical forecasts compared on the same past quarters, their errors weighing the blend."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops.demand import method_backtest
from salesops.demand.plan import pipeline_backtest

from builders import make_opportunities


def _deals():
    return make_opportunities([
        ("D0", "R1", "2026-01-02", "2026-02-20", "closed_won", 60.0, "negotiate"),
        ("D1", "R1", "2026-01-10", "2026-05-10", "closed_won", 100.0, "negotiate"),
        ("D2", "R1", "2026-02-01", "2026-03-15", "closed_lost", 50.0, "demo"),
        ("D3", "R1", "2026-03-20", "2026-06-30", "proposal", None, None),
        ("D4", "R1", "2026-04-05", "2026-06-30", "qualify", 10.0, None),
    ], ["opportunity_id", "rep_id", "created_date", "close_date", "stage", "amount", "max_stage"])


def _history():
    return pd.DataFrame({
        "opportunity_id": ["D0", "D1", "D1", "D1", "D2", "D2", "D3", "D3"],
        "changed_at": pd.to_datetime(["2026-02-20", "2026-01-10", "2026-03-01", "2026-05-10", "2026-02-01",
                                      "2026-03-15", "2026-03-20", "2026-04-20"]),
        "stage": ["closed_won", "qualify", "proposal", "closed_won", "qualify", "closed_lost", "qualify", "proposal"],
        "amount": [60.0, 90.0, 100.0, 100.0, 50.0, 50.0, 40.0, None],
        "close_date": pd.to_datetime(["2026-02-20", "2026-04-30", "2026-05-15", "2026-05-10", "2026-03-31",
                                      "2026-03-15", "2026-06-30", "2026-06-30"]),
    })


def test_opportunities_as_they_stood_on_a_past_day():
    then = pipeline_backtest.opportunities_as_of(_deals(), _history(), "2026-03-31", value_rule="none")
    by_id = then.set_index("opportunity_id")
    assert list(by_id.index) == ["D0", "D2", "D1", "D3"]  # closed by then first; D4 not created yet
    assert by_id.loc["D2", "stage"] == "closed_lost" and bool(by_id.loc["D2", "is_closed"])  # as it closed
    # D1 open then, at proposal with 100 due 15 May; the furthest stage it reached later is not known then
    assert by_id.loc["D1", ["stage", "amount"]].tolist() == ["proposal", 100.0]
    assert by_id.loc["D1", "close_date"] == pd.Timestamp("2026-05-15")
    assert not bool(by_id.loc["D1", "is_won"]) and pd.isna(by_id.loc["D1", "max_stage"])
    assert by_id.loc["D3", ["stage", "amount"]].tolist() == ["qualify", 40.0]


def test_methods_compared_on_the_quarters_both_forecast():
    pipeline = pd.DataFrame({"quarter": ["2026Q1", "2026Q2"], "base": [120.0, 90.0], "actual": [100.0, 100.0]})
    statistical = pd.DataFrame({"quarter": ["2026Q2"], "forecast": [95.0]})
    compared = method_backtest.compare_methods(pipeline, statistical)
    assert compared[["quarter", "method", "forecast"]].values.tolist() == [["2026Q2", "pipeline", 90.0],
                                                                          ["2026Q2", "statistical", 95.0]]
    assert compared["error"].tolist() == pytest.approx([-0.1, -0.05])
    assert method_backtest.method_errors(compared) == pytest.approx({"pipeline": 0.1, "statistical": 0.05})
    assert method_backtest.method_errors(compared.iloc[0:0]) is None


def test_pipeline_backtest_forecasts_each_quarter_from_its_eve_and_sets_it_against_what_was_booked():
    backtest = pipeline_backtest.pipeline_backtest(_deals(), _history(), [pd.Timestamp("2026-04-01")],
                                                   value_rule="none")
    row = backtest.iloc[0]
    assert (row["quarter"], row["as_of"]) == ("2026Q2", pd.Timestamp("2026-03-31"))
    assert row["open_deals"] == 2 and row["open_value"] == 140.0  # D1 100 and D3 40 due in 2026Q2
    assert row["actual"] == 100.0  # D1 won on 10 May
    # closed by the eve: D0 won (passed every stage), D2 lost at demo -> proposal 1/1, qualify 1/2; nothing slipped
    # and no past quarter lies inside the data for new deals: base = 100 × 1 + 40 × 0.5 = 120
    assert row["base"] == pytest.approx(120.0) and row["error"] == pytest.approx(0.2)
    summary = pipeline_backtest.backtest_summary(backtest)
    assert summary["quarters"] == 1 and summary["mape"] == pytest.approx(abs(row["error"]))
    # without D0 no deal closed by then had reached proposal: that quarter cannot be forecast, so it is left out
    assert pipeline_backtest.pipeline_backtest(_deals().iloc[1:], _history().iloc[1:], [pd.Timestamp("2026-04-01")],
                                               value_rule="none").empty


def test_a_lost_deal_gets_the_furthest_stage_its_history_shows():
    from salesops.contract import derive

    deals = _deals().assign(max_stage=pd.Series([None] * 5, dtype="string"))
    filled, count = derive.max_stage_from_history(deals, _history())
    # D0 only closed_won in its history: no open stage; D1 reached proposal; D2 was lost at qualify; D3 proposal
    assert pd.isna(filled["max_stage"].iloc[0])
    assert filled.set_index("opportunity_id").loc[["D1", "D2", "D3"], "max_stage"].tolist() == [
        "proposal", "qualify", "proposal"]
    assert count == 3 and deals["max_stage"].isna().all()  # input untouched


def test_without_a_stage_history_the_forecasts_earlier_reports_made_are_compared_with_what_was_booked():
    made = pd.DataFrame({"method": ["statistical", "pipeline", "leads", "blended"] * 2,
                         "scenario": ["base"] * 4 + ["upside"] * 4, "bookings": [90.0, 150.0, 100.0, 110.0] * 2})
    compared = method_backtest.forecasts_made({"2026Q2": made, "2026Q3": made}, _deals(), "2026-07-15")
    # 2026Q2 booked D1's 100 (won 10 May); 2026Q3 is not over on 15 July
    assert compared[["quarter", "method", "forecast"]].values.tolist() == [
        ["2026Q2", "leads", 100.0], ["2026Q2", "pipeline", 150.0], ["2026Q2", "statistical", 90.0]]
    assert compared["error"].tolist() == pytest.approx([0.0, 0.5, -0.1])
    assert method_backtest.method_errors(compared) == pytest.approx({"leads": 0.0, "pipeline": 0.5,
                                                                     "statistical": 0.1})


def test_earlier_reports_are_the_sibling_folders_of_earlier_quarters(tmp_path):
    from salesops.collect import plan_review

    for label in ("2026Q2", "2026Q4", "2025Q1"):
        (tmp_path / label / "data").mkdir(parents=True)
        (tmp_path / label / "data" / "planning_target.parquet").write_bytes(b"x")
    found = plan_review.earlier_report_dirs(tmp_path / "2027Q1" / "data", "2027Q1", 1, quarters=4)
    assert list(found) == ["2026Q2", "2026Q4"]  # 2025Q1 is more than four quarters back
