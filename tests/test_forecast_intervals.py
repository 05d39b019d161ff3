"""Prediction intervals rescaled on the backtest (salesops.demand.forecast.intervals), on hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops.demand.forecast import intervals


def backtest(y, mean, half_lo, half_hi, model="M", level=80, step=1):
    y, mean = np.asarray(y, dtype=float), np.asarray(mean, dtype=float)
    return pd.DataFrame({"step": step, "y": y, model: mean, f"{model}-lo-{level}": mean - np.asarray(half_lo, dtype=float),
                         f"{model}-hi-{level}": mean + np.asarray(half_hi, dtype=float)})


def test_the_factor_is_the_conformal_quantile_of_errors_over_half_widths():
    # 24 points, mean 100, bands +-10; errors 1..24 alternate above and below the mean, so ratios are 0.1..2.4
    errors = np.arange(1, 25, dtype=float)
    y = 100 + np.where(np.arange(24) % 2 == 0, errors, -errors)
    cv = backtest(y, [100] * 24, [10] * 24, [10] * 24)
    out = intervals.interval_factors(cv, ["M"], [80])
    row = out.iloc[0]
    assert (row["model"], row["level"], row["step"], row["points"]) == ("M", 80, 1, 24)
    assert row["covered"] == pytest.approx(10 / 24)  # ratios 0.1..1.0 are inside
    # rank ceil(25 * 0.8) = 20: the 20th smallest ratio, 2.0: bands twice as wide would have held 80 %
    assert row["factor"] == pytest.approx(2.0)


def test_each_side_is_measured_against_its_own_half_width():
    # the band is 5 below and 20 above; every outcome is 10 off: below the mean it falls outside (ratio 2),
    # above it inside (ratio 0.5)
    y = [90] * 12 + [110] * 12
    cv = backtest(y, [100] * 24, [5] * 24, [20] * 24)
    row = intervals.interval_factors(cv, ["M"], [80]).iloc[0]
    assert row["covered"] == pytest.approx(0.5)
    assert row["factor"] == pytest.approx(2.0)  # the 20th of twelve 0.5s and twelve 2s


def test_too_few_points_or_a_zero_width_band_that_missed_give_no_factor():
    few = intervals.interval_factors(backtest([101] * 19, [100] * 19, [10] * 19, [10] * 19), ["M"], [80])
    assert few.iloc[0]["points"] == 19 and np.isnan(few.iloc[0]["factor"]) and few.iloc[0]["covered"] == 1.0
    flat = intervals.interval_factors(backtest([101] * 30, [100] * 30, [0] * 30, [0] * 30), ["M"], [80])
    assert flat.iloc[0]["covered"] == 0.0 and np.isnan(flat.iloc[0]["factor"])
    missing = intervals.interval_factors(backtest([101] * 30, [100] * 30, [1] * 30, [1] * 30), ["Other"], [80])
    assert missing.empty


def test_each_step_gets_its_own_factor():
    # step 1: every error 5 on bands of 10 (ratio 0.5); step 2: every error 30 on bands of 10 (ratio 3)
    cv = pd.concat([backtest([105] * 20, [100] * 20, [10] * 20, [10] * 20, step=1),
                    backtest([70] * 20, [100] * 20, [10] * 20, [10] * 20, step=2)])
    out = intervals.interval_factors(cv, ["M"], [80])
    assert out[["step", "points", "covered", "factor"]].values.tolist() == [[1, 20, 1.0, 0.5], [2, 20, 0.0, 3.0]]


FORECASTS = pd.DataFrame({
    "unique_id": ["a"] * 3 + ["b"] * 2, "ds": pd.to_datetime(
        ["2027-01-01", "2027-02-01", "2027-03-01", "2027-01-01", "2027-02-01"]), "model": "M",
    "mean": [100.0, 100.0, 100.0, 10.0, 10.0], "lo-80": [90.0, 90.0, 90.0, 8.0, 8.0],
    "hi-80": [120.0, 120.0, 120.0, 12.0, 12.0]})


def factors(rows):
    return pd.DataFrame(rows, columns=["model", "level", "step", "points", "covered", "factor"])


def test_calibrate_stretches_measured_steps_and_only_widens_later_ones():
    selection = pd.DataFrame({"unique_id": ["a", "b"], "model": ["X", "Y"]})
    table = factors([("X", 80, 1, 30, 1.0, 0.5), ("X", 80, 2, 30, 1.0, 0.5),
                     ("Y", 80, 1, 30, 0.2, 3.0)])
    out = intervals.calibrate(FORECASTS, table, selection)
    # a (X): steps 1-2 measured, halved (95, 110); step 3 beyond the backtest: 0.5 would narrow, so kept
    assert out["lo-80"].tolist() == [95.0, 95.0, 90.0, 4.0, 4.0]
    # b (Y): step 1 measured x3; step 2 beyond it takes step 1's factor, which widens: x3 too
    assert out["hi-80"].tolist() == [110.0, 110.0, 120.0, 16.0, 16.0]
    wide = factors([("Y", 80, 1, 30, 0.2, 6.0)])
    assert intervals.calibrate(FORECASTS, wide, selection)["lo-80"].tolist()[3:] == [0.0, 0.0]  # clipped at 0
    assert intervals.calibrate(FORECASTS, wide, selection, nonnegative=False)["lo-80"].tolist()[3:] == [-2.0, -2.0]
    assert FORECASTS["lo-80"].tolist() == [90.0, 90.0, 90.0, 8.0, 8.0]  # input untouched


def test_a_model_or_step_without_a_factor_keeps_its_band():
    selection = pd.DataFrame({"unique_id": ["a", "b"], "model": ["X", "X + Y"]})
    table = factors([("X", 80, 1, 10, 1.0, np.nan), ("X", 80, 2, 30, 1.0, 2.0)])
    out = intervals.calibrate(FORECASTS, table, selection)
    assert out["hi-80"].tolist() == [120.0, 140.0, 140.0, 12.0, 12.0]
    pd.testing.assert_frame_equal(intervals.calibrate(FORECASTS, factors([]), selection), FORECASTS)


def test_range_held_pools_the_first_steps_by_points():
    table = factors([("X", 80, 1, 30, 0.6, 1.5), ("X", 80, 2, 10, 1.0, np.nan), ("X", 80, 4, 50, 0.0, 9.0),
                     ("X", 95, 1, 30, 0.9, 1.1)])
    covered, factor, points = intervals.range_held(table, "X", 80, 3)
    assert (covered, factor, points) == (pytest.approx((0.6 * 30 + 1.0 * 10) / 40), 1.5, 40)
    assert np.isnan(intervals.range_held(table, "Z", 80, 3)[0])
