"""Prediction intervals rescaled on the backtest (salesops.demand.forecast.intervals), on hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops.demand.forecast import intervals


def backtest(y, mean, half_lo, half_hi, model="M", level=80):
    y, mean = np.asarray(y, dtype=float), np.asarray(mean, dtype=float)
    return pd.DataFrame({"y": y, model: mean, f"{model}-lo-{level}": mean - np.asarray(half_lo, dtype=float),
                         f"{model}-hi-{level}": mean + np.asarray(half_hi, dtype=float)})


def test_the_factor_is_the_conformal_quantile_of_errors_over_half_widths():
    # 24 points, mean 100, bands +-10; errors 1..24 alternate above and below the mean, so ratios are 0.1..2.4
    errors = np.arange(1, 25, dtype=float)
    y = 100 + np.where(np.arange(24) % 2 == 0, errors, -errors)
    cv = backtest(y, [100] * 24, [10] * 24, [10] * 24)
    out = intervals.interval_factors(cv, ["M"], [80])
    row = out.iloc[0]
    assert (row["model"], row["level"], row["points"]) == ("M", 80, 24)
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


def test_calibrate_stretches_measured_periods_and_only_widens_later_ones():
    forecasts = pd.DataFrame({"unique_id": ["a"] * 3 + ["b"] * 2, "ds": pd.to_datetime(
        ["2027-01-01", "2027-02-01", "2027-03-01", "2027-01-01", "2027-02-01"]), "model": "M",
        "mean": [100.0, 100.0, 100.0, 10.0, 10.0], "lo-80": [90.0, 90.0, 90.0, 8.0, 8.0],
        "hi-80": [120.0, 120.0, 120.0, 12.0, 12.0]})
    factors = pd.DataFrame({"unique_id": ["a", "b"], "cv_h": [2, 1], "factor-80": [0.5, 3.0]})
    out = intervals.calibrate(forecasts, factors)
    # a: periods 1-2 measured, halved (95, 110); period 3 beyond the backtest: 0.5 would narrow, so kept
    assert out["lo-80"].tolist() == [95.0, 95.0, 90.0, 4.0, 4.0]
    assert out["hi-80"].tolist() == [110.0, 110.0, 120.0, 16.0, 16.0]
    # b: tripled everywhere (widening is allowed beyond the backtest); lower bound clipped at 0 only when needed
    wide = intervals.calibrate(forecasts, factors.assign(**{"factor-80": [1.0, 6.0]}))
    assert wide["lo-80"].tolist()[3:] == [0.0, 0.0]
    assert intervals.calibrate(forecasts, factors.assign(**{"factor-80": [1.0, 6.0]}), nonnegative=False)[
        "lo-80"].tolist()[3:] == [-2.0, -2.0]
    assert forecasts["lo-80"].tolist() == [90.0, 90.0, 90.0, 8.0, 8.0]  # input untouched
    kept = intervals.calibrate(forecasts, factors.assign(**{"factor-80": [np.nan, np.nan]}))
    pd.testing.assert_frame_equal(kept, forecasts)


def test_series_factors_take_the_row_of_each_series_model():
    metrics = pd.DataFrame({"unique_id": ["a", "a", "b"], "model": ["X", "Y", "X"], "cv_h": [3, 3, 1],
                            "factor-80": [1.2, 0.9, 1.2], "factor-95": [1.5, 1.1, 1.5]})
    selection = pd.DataFrame({"unique_id": ["a", "b", "c"], "model": ["Y", "X", "Z"]})
    out = intervals.series_factors(metrics, selection)
    assert out["unique_id"].tolist() == ["a", "b", "c"]
    assert out["cv_h"].tolist() == [3, 1, 0]
    assert out["factor-80"].tolist()[:2] == [0.9, 1.2] and np.isnan(out["factor-80"].iloc[2])
