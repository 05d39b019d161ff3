"""Unit tests of salesops.collect.rep_forecast_accuracy on tiny hand-made frames; every expectation is computed by
hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from pydantic import ValidationError

from salesops.collect import rep_forecast_accuracy
from salesops.collect.rep_forecast_accuracy import AccuracySettings
from salesops.contract.schema import TEXT_DTYPE
from salesops.data.sample import generate_sample

import builders
from builders import L, W, make_submissions

AS_OF = pd.Timestamp("2026-07-15")  # inside 2026Q3: the last complete quarter is 2026Q2
SETTINGS = AccuracySettings(quarters=2, flag_quarters=2, flag_min=2)  # shows 2026Q1 and 2026Q2


def make_opportunities(rows) -> pd.DataFrame:
    """rows: (opportunity_id, rep_id, close_date, stage, amount); created 30 days before closing."""
    frame = builders.make_opportunities(rows, ["opportunity_id", "rep_id", "close_date", "stage", "amount"])
    return frame.assign(created_date=frame["close_date"] - pd.Timedelta(days=30))


@pytest.fixture
def submissions() -> pd.DataFrame:
    return make_submissions([
        ("2026-01-05", "R1", "2026Q1", "commit", 100),
        ("2026-02-01", "R1", "2026Q1", "commit", 110),  # re-submitted: the last one wins
        ("2026-04-02", "R1", "2026Q1", "commit", 999),  # after the quarter ended: ignored
        ("2026-02-02", "R1", "2026Q1", "best_case", 500),  # other category: ignored
        ("2026-04-03", "R1", "2026Q2", "commit", 90),
        ("2026-01-06", "R2", "2026Q1", "commit", 200),
        ("2026-04-04", "R2", "2026Q2", "commit", 50),
        ("2025-10-01", "R3", "2025Q4", "commit", 70),  # older than the 2 quarters shown
        ("2026-06-30", "R3", "2026Q2", "commit", 30),  # on the quarter's last day: counts, and is the last
        ("2026-04-01", "R3", "2026Q2", "commit", 40),
        ("2026-07-01", "R4", "2026Q3", "commit", 80),  # quarter not complete on as_of
    ])


@pytest.fixture
def opportunities() -> pd.DataFrame:
    return make_opportunities([
        ("O1", "R1", "2026-02-15", W, 100),  # R1 2026Q1 actual 100
        ("O2", "R1", "2026-06-30", W, 100),  # R1 2026Q2 actual 100 (last day of the quarter)
        ("O3", "R1", "2026-05-01", L, 500),  # lost: not actual
        ("O4", "R2", "2026-01-01", W, 150),  # R2 2026Q1 actual 150 + 10
        ("O5", "R2", "2026-03-31", W, 10),
        ("O6", "R3", "2026-04-01", W, 100),  # R3 2026Q2 actual 100
        ("O7", "R3", "2026-07-02", W, 999),  # 2026Q3: not complete
        ("O8", "R2", "2026-09-01", "proposal", 70),  # open
    ])


def expected_table() -> pd.DataFrame:
    nan = np.nan
    return pd.DataFrame({
        "rep_id": pd.array(["R1", "R1", "R2", "R2", "R3"], dtype=TEXT_DTYPE),
        "quarter": pd.array(["2026Q1", "2026Q2", "2026Q1", "2026Q2", "2026Q2"], dtype=TEXT_DTYPE),
        "forecast": [110.0, 90.0, 200.0, 50.0, 30.0],
        "actual": [100.0, 100.0, 160.0, 0.0, 100.0],
        # 110 / 100 - 1 = +10 % and 90 / 100 - 1 = -10 %: exactly the tolerance, so accurate
        "signed_bias": [110 / 100 - 1, 90 / 100 - 1, 200 / 160 - 1, nan, 30 / 100 - 1],
        "absolute_percentage_error": [10 / 100, 10 / 100, 40 / 160, nan, 70 / 100],
        "forecast_to_actual": [1.1, 0.9, 1.25, nan, 0.3],
        # R2 2026Q2 forecast 50 and closed nothing: optimistic
        "direction": pd.array(["accurate", "accurate", "optimistic", "optimistic", "pessimistic"], dtype=TEXT_DTYPE),
    })


# --------------------------------------------------------------------------------------------------
# settings


def test_default_settings():
    settings = AccuracySettings()
    assert (settings.quarters, settings.flag_quarters, settings.flag_min, settings.category, settings.tolerance) == (
        8, 4, 3, "commit", 0.1)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"quarters": 0}, "quarters\n  Value error, expected a whole number of quarters from 1 to 40"),
        ({"quarters": True}, "quarters\n  Value error, expected a whole number"),
        ({"flag_quarters": 2.5}, "flag_quarters\n  Value error, expected a whole number"),
        ({"category": "pipeline"}, "category\n  Value error, expected one of commit, best_case"),
        ({"tolerance": 1.0}, r"tolerance\n  Value error, expected a share from 0 to below 1 \(0.15 = 15%\)"),
        ({"tolerance": -0.1}, "tolerance\n  Value error, expected a share"),
        ({"quarters": 3}, r"flag_quarters \(4\) must not exceed quarters \(3\)"),
        ({"flag_min": 5}, r"flag_min \(5\) must not exceed flag_quarters \(4\)"),
        ({"flag_min": 2}, r"flag_min \(2\) must be more than half of flag_quarters \(4\)"),
        ({"tolerence": 0.2}, "Extra inputs are not permitted"),
    ],
)
def test_bad_settings_are_clear_errors(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        AccuracySettings(**kwargs)


# --------------------------------------------------------------------------------------------------
# forecast_vs_actual


def test_forecast_vs_actual_hand_computed(submissions, opportunities):
    out = rep_forecast_accuracy.forecast_vs_actual(submissions, opportunities, AS_OF, settings=SETTINGS)
    assert_frame_equal(out, expected_table())


def test_tolerance_boundary(submissions, opportunities):
    """R1 is exactly 10 % off both ways; with a 9 % tolerance that is optimistic in Q1 and pessimistic in Q2."""
    tight = SETTINGS.model_copy(update={"tolerance": 0.09})
    out = rep_forecast_accuracy.forecast_vs_actual(submissions, opportunities, AS_OF, settings=tight)
    assert list(out["direction"])[:2] == ["optimistic", "pessimistic"]
    # zero forecast and zero actual is accurate
    zero = make_submissions([("2026-01-05", "R9", "2026Q1", "commit", 0)])
    out = rep_forecast_accuracy.forecast_vs_actual(zero, opportunities, AS_OF, settings=SETTINGS)
    assert list(out["direction"]) == ["accurate"] and np.isnan(out["signed_bias"].iloc[0])


def test_quarters_shown_and_category(submissions, opportunities):
    # 3 quarters: R3's 2025Q4 commit (70, nothing won) joins
    out = rep_forecast_accuracy.forecast_vs_actual(submissions, opportunities, AS_OF,
                                                   settings=SETTINGS.model_copy(update={"quarters": 3}))
    assert list(zip(out["rep_id"], out["quarter"]))[-2] == ("R3", "2025Q4")
    # best case: only R1's 2026Q1 best case of 500 against 100 won
    out = rep_forecast_accuracy.forecast_vs_actual(submissions, opportunities, AS_OF,
                                                   settings=SETTINGS.model_copy(update={"category": "best_case"}))
    assert list(out["forecast"]) == [500.0] and list(out["forecast_to_actual"]) == [5.0]


def test_fiscal_year_starting_in_february():
    """With a February start FY2027Q1 is Feb-Apr 2026: a deal on 2026-01-31 belongs to FY2026Q4."""
    subs = make_submissions([("2026-02-03", "R1", "2027Q1", "commit", 120)])
    opps = make_opportunities([("O1", "R1", "2026-01-31", W, 500), ("O2", "R1", "2026-04-30", W, 100)])
    out = rep_forecast_accuracy.forecast_vs_actual(subs, opps, "2026-04-30", fiscal_year_start_month=2,
                                                   settings=SETTINGS)
    assert list(out["quarter"]) == ["2027Q1"] and list(out["actual"]) == [100.0]
    assert out["signed_bias"].iloc[0] == pytest.approx(0.2)


def test_no_submissions_table_gives_an_empty_table(opportunities):
    out = rep_forecast_accuracy.forecast_vs_actual(None, opportunities, AS_OF, settings=SETTINGS)
    assert_frame_equal(out, expected_table().iloc[:0].reset_index(drop=True))
    findings = rep_forecast_accuracy.accuracy_findings(out, rep_forecast_accuracy.flag_reps(out),
                                                       rep_forecast_accuracy.team_trend(out), SETTINGS)
    assert len(findings) == 1 and "Add a forecast_submissions table" in findings[0]


def test_bad_period_label_is_a_clear_error(submissions, opportunities):
    bad = pd.concat([submissions, make_submissions([("2026-01-05", "R1", "Q1 2026", "commit", 10)])],
                    ignore_index=True)
    with pytest.raises(ValueError, match=r"'period' must hold quarter labels written YYYYQn.*rows \[11\].*Q1 2026"):
        rep_forecast_accuracy.forecast_vs_actual(bad, opportunities, AS_OF, settings=SETTINGS)
    with pytest.raises(ValueError, match=r"forecast_submissions is missing required column\(s\) \['amount'\]"):
        rep_forecast_accuracy.forecast_vs_actual(submissions.drop(columns="amount"), opportunities, AS_OF,
                                                 settings=SETTINGS)


def test_inputs_are_not_modified(submissions, opportunities):
    before = submissions.copy(), opportunities.copy()
    table = rep_forecast_accuracy.forecast_vs_actual(submissions, opportunities, AS_OF, settings=SETTINGS)
    table_before = table.copy()
    flags, trend = rep_forecast_accuracy.flag_reps(table, SETTINGS), rep_forecast_accuracy.team_trend(table)
    flags_before, trend_before = flags.copy(), trend.copy()
    rep_forecast_accuracy.accuracy_findings(table, flags, trend, SETTINGS)
    assert_frame_equal(submissions, before[0])
    assert_frame_equal(opportunities, before[1])
    assert_frame_equal(table, table_before)
    assert_frame_equal(flags, flags_before)
    assert_frame_equal(trend, trend_before)


# --------------------------------------------------------------------------------------------------
# flag_reps


def make_table(rows) -> pd.DataFrame:
    """rows: (rep_id, quarter, forecast, actual, direction); the measures are not used by flag_reps."""
    frame = pd.DataFrame(rows, columns=["rep_id", "quarter", "forecast", "actual", "direction"])
    for column in ("rep_id", "quarter", "direction"):
        frame[column] = frame[column].astype(TEXT_DTYPE)
    return frame.astype({"forecast": "float64", "actual": "float64"})


def test_flag_reps_exactly_three_of_four():
    """Default settings: the last 4 quarters of the table are 2025Q3 .. 2026Q2."""
    table = make_table([
        ("R1", "2025Q2", 50, 10, "pessimistic"),  # outside the 4 quarters
        ("R1", "2025Q3", 130, 100, "optimistic"),
        ("R1", "2025Q4", 120, 100, "optimistic"),
        ("R1", "2026Q1", 100, 100, "accurate"),
        ("R1", "2026Q2", 150, 100, "optimistic"),  # 3 of 4 optimistic: flagged
        ("R2", "2025Q2", 200, 100, "optimistic"),  # would be the third, but is too old
        ("R2", "2025Q3", 200, 100, "optimistic"),
        ("R2", "2025Q4", 200, 100, "optimistic"),
        ("R2", "2026Q1", 100, 100, "accurate"),
        ("R2", "2026Q2", 50, 100, "pessimistic"),  # 2 optimistic: not flagged
        ("R3", "2025Q4", 50, 100, "pessimistic"),
        ("R3", "2026Q1", 60, 100, "pessimistic"),
        ("R3", "2026Q2", 70, 100, "pessimistic"),  # 3 of the 3 seen: flagged
        ("R4", "2025Q2", 70, 100, "pessimistic"),  # no quarter in the last 4: no row
    ])
    expected = pd.DataFrame({
        "rep_id": pd.array(["R1", "R3", "R2"], dtype=TEXT_DTYPE),
        "quarters_seen": pd.array([4, 3, 4], dtype="Int64"),
        "optimistic": pd.array([3, 0, 2], dtype="Int64"),
        "pessimistic": pd.array([0, 3, 1], dtype="Int64"),
        "forecast": [500.0, 180.0, 550.0],  # 130 + 120 + 100 + 150; 50 + 60 + 70; 200 + 200 + 100 + 50
        "actual": [400.0, 300.0, 400.0],
        "bias": [500 / 400 - 1, 180 / 300 - 1, 550 / 400 - 1],
        "flag": pd.array(["optimistic", "pessimistic", ""], dtype=TEXT_DTYPE),
    })
    assert_frame_equal(rep_forecast_accuracy.flag_reps(table, AccuracySettings()), expected)
    # needing all 4 of 4, nobody is flagged
    strict = rep_forecast_accuracy.flag_reps(table, AccuracySettings(flag_min=4))
    assert list(strict["flag"]) == ["", "", ""]


# --------------------------------------------------------------------------------------------------
# team_trend and findings


def test_team_trend_hand_computed():
    expected = pd.DataFrame({
        "quarter": pd.array(["2026Q1", "2026Q2"], dtype=TEXT_DTYPE),
        "reps": pd.array([2, 3], dtype="Int64"),
        "forecast": [310.0, 170.0],  # 110 + 200; 90 + 50 + 30
        "actual": [260.0, 200.0],  # 100 + 160; 100 + 0 + 100
        "team_bias": [310 / 260 - 1, 170 / 200 - 1],
        "median_absolute_percentage_error": [0.175, 0.4],  # median(0.1, 0.25); median(0.1, 0.7), NaN skipped
        "share_within_tolerance": [1 / 2, 1 / 3],
    })
    assert_frame_equal(rep_forecast_accuracy.team_trend(expected_table()), expected)


def test_accuracy_findings_hand_computed():
    table = expected_table()
    # last 2 quarters: R2 optimistic twice, R1 accurate, R3 once
    flags = rep_forecast_accuracy.flag_reps(table, SETTINGS)
    assert list(zip(flags["rep_id"], flags["flag"])) == [("R2", "optimistic"), ("R1", ""), ("R3", "")]
    findings = rep_forecast_accuracy.accuracy_findings(table, flags, rep_forecast_accuracy.team_trend(table), SETTINGS)
    assert findings == [
        # R2: forecast 200 + 50 = 250, closed 160 + 0 = 160: 250 / 160 - 1 = 56 %
        "1 rep was optimistic in at least 2 of their last 2 quarters; their commits ran 56% above what they closed "
        "($250 vs $160): managers should inspect their commit deals weekly and ask for evidence (a dated next step, "
        "a confirmed decision process) before a deal stays in commit.",
        "No rep was pessimistic in at least 2 of their last 2 quarters.",
        # +19 % (310 / 260 - 1) to -15 % (170 / 200 - 1): smaller in size, improving
        "Team forecast bias went from +19% in 2026Q1 to -15% in 2026Q2 (improving); in 2026Q2 33% of 3 reps landed "
        "within ±10% of their commit (median error 40%).",
        # 2 of 5 optimistic, 1 pessimistic, 2 accurate
        "Forecasts lean optimistic: over the last 2 quarters 40% of rep-quarters were optimistic, 20% pessimistic "
        "and 40% within ±10%.",
        "1 rep-quarter(s) forecast $50 but closed nothing: check that won deals are marked won with the right close "
        "date and owner before reading these reps as optimistic.",
    ]


# --------------------------------------------------------------------------------------------------
# the sample company: the planted optimists are found


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    return generate_sample(end_date="2026-12-31", scale=0.3)


def test_sample_optimistic_reps_are_flagged(sample):
    settings = AccuracySettings()
    table = rep_forecast_accuracy.forecast_vs_actual(sample["forecast_submissions"], sample["opportunities"],
                                                     "2026-12-31", settings=settings)
    assert table["quarter"].nunique() == 8 and table["quarter"].max() == "2026Q4"
    flags = rep_forecast_accuracy.flag_reps(table, settings)
    optimistic = flags.loc[flags["flag"] == "optimistic"]
    assert len(optimistic) >= 2
    assert (optimistic["bias"].dropna() > settings.tolerance).all()
    findings = rep_forecast_accuracy.accuracy_findings(table, flags, rep_forecast_accuracy.team_trend(table), settings)
    assert findings[0].startswith(f"{len(optimistic)} reps were optimistic in at least 3 of their last 4 quarters")
