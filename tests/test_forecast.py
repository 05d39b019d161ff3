"""Statistical forecast (salesops.demand.forecast): hand-made frames with hand-computed expectations, a pure
seasonal series, exact reconciliation, clear errors, and the dask engine against the local one."""

from __future__ import annotations

import importlib.util
import socket

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from pydantic import ValidationError

from salesops.contract import schema
from salesops.demand import forecast as fc
from salesops.demand.forecast import ForecastSettings

T = schema.TEXT_DTYPE
PATTERN = np.array([100, 120, 150, 90, 80, 110, 60, 55, 130, 140, 170, 200], dtype=float)


def text(values) -> pd.array:
    return pd.array(values, dtype=T)


def seasonal_series(years: int = 4, uid: str = "total") -> pd.DataFrame:
    ds = pd.date_range("2022-01-01", periods=12 * years, freq="MS")
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.tile(PATTERN, years)})


def hierarchy_series(seed: int = 7, months: int = 40) -> pd.DataFrame:
    """Bookings of 2 regions x 2 segments: seasonal, growing, noisy, from synthetic won deals."""
    rng = np.random.default_rng(seed)
    rows = []
    for r, region in enumerate(["EMEA", "NA"]):
        for s, segment in enumerate(["MM", "SMB"]):
            for month in pd.date_range("2023-01-01", periods=months, freq="MS"):
                level = (1 + r) * (2 + s) * 1000 * (1 + 0.3 * np.sin(2 * np.pi * month.month / 12))
                for _ in range(3):
                    day = month + pd.Timedelta(days=int(rng.integers(0, 28)))
                    rows.append((region, segment, day, max(0.0, level / 3 * rng.lognormal(0, 0.3))))
    deals = pd.DataFrame(rows, columns=["region", "segment", "close_date", "amount"])
    deals["is_won"] = True
    return fc.series_from_bookings(deals, end=deals["close_date"].max())


# --------------------------------------------------------------------------------------------------
# settings


def test_defaults_and_derived_values():
    settings = ForecastSettings()
    assert settings.levels == ((), ("region",), ("region", "segment"))
    assert settings.models == ("AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive", "HoltWinters", "AutoCES",
                               "DynamicOptimizedTheta", "Ensemble")
    assert settings.rule == "combination"
    assert settings.combination == ("AutoETS", "AutoARIMA", "AutoCES", "DynamicOptimizedTheta")
    assert settings.combination_label == "AutoETS + AutoARIMA + AutoCES + DynamicOptimizedTheta"
    assert settings.backtested == settings.combination  # the combination rule backtests its members only
    assert ForecastSettings(rule="top_k").backtested == settings.candidates
    assert (settings.season, settings.horizon, settings.cv_h, settings.cv_test_size) == (12, 12, 3, 9)
    assert settings.full_cv_min_periods == 12 + 6 + 36  # auto: the full horizon from 54 months of history
    weekly = ForecastSettings(freq="W", models=["MSTL", "SeasonalNaive"], horizon_quarters=0)
    assert (weekly.season, weekly.horizon, weekly.cv_step_periods) == (52, 13, 13)
    # levels are sorted top to bottom whatever order they are given in
    assert ForecastSettings(levels=[["region", "segment"], []]).levels == ((), ("region", "segment"))


def test_the_auto_profile_drops_autoarima_above_the_series_threshold():
    settings = ForecastSettings()
    assert settings.profile == "auto" and settings.fast_above_series == 1000
    assert settings.for_series(1000) == settings.model_copy(update={"profile": "full"})
    fast = settings.for_series(1001)
    assert (fast.profile, fast.models, fast.cv_refit) == ("fast", fc.FAST_PROFILE["models"], False)
    assert fast.combination == ("AutoETS", "AutoCES", "DynamicOptimizedTheta")
    assert fast.for_series(5) == fast  # resolved settings stay as they are
    assert ForecastSettings(profile="full").for_series(10**6).models == settings.models
    # the ensemble needs two members: without AutoARIMA only SeasonalNaive is left
    assert ForecastSettings(profile="fast", models=["AutoARIMA", "SeasonalNaive", "Ensemble"]).for_series(1).models \
        == ("SeasonalNaive",)

    # forecast_step resolves the profile once, for the number of series: 2 series > 1 -> fast, no AutoARIMA
    series = pd.concat([seasonal_series(uid="a"), seasonal_series(uid="b")], ignore_index=True)
    result = fc.forecast_step(series, ForecastSettings(levels=[[]], fast_above_series=1, n_jobs=1),
                              reconcile_levels=False)
    assert result.settings.profile == "fast" and not result.settings.cv_refit
    assert "AutoARIMA" not in set(result.cv_metrics["model"].astype(str))


@pytest.mark.parametrize(("changes", "message"), [
    ({"horizon_quarters": -1}, "expected a whole number of quarters of 0 or more"),
    ({"models": ["AutoETZ", "SeasonalNaive"]}, "models.0\n  Value error, expected one of AutoETS, "),
    ({"models": ["AutoETZ", "SeasonalNaive"]}, "(did you mean 'AutoETS'?)"),
    ({"models": ["autotheta"]}, "did you mean 'AutoTheta'?"),
    ({"models": ["MSTL", "SeasonalNaive"]}, "MSTL is for weekly series only"),
    ({"models": ["AutoETS", "Ensemble"]}, "needs at least two of them"),
    ({"levels": [[], ["region", 3]]}, "expected a list of levels, each a list of column names"),
    ({"levels": ["region"]}, "each a list of column names ([] for the company total)"),
    ({"levels": [["region"], ["segment"]]}, "must contain every column the other levels use"),
    ({"reconciliation": "bottomup"}, "did you mean 'bottom_up'?"),
    ({"freq": "D"}, "expected one of M (calendar months), W (weeks starting Monday), Q (calendar quarters)"),
    ({"rule": "topk"}, "did you mean 'top_k'?"),
    ({"combination": ["AutoETS", "Ensemble"]}, "combination.1\n  Value error, expected one of AutoETS, "),
    ({"combination": ["AutoETS", "MSTL"]}, "remove MSTL from combination"),
    ({"cv_windows": 0}, "expected a whole number of backtest windows of 1 or more"),
    ({"levels_pct": [80, 100]}, "expected a whole number of percent from 1 to 99"),
    ({"horizon": 4}, "Extra inputs are not permitted"),
    ({"profile": "fastest"}, "did you mean 'fast'?"),
    ({"fast_above_series": -1}, "expected a whole number of series of 0 or more"),
    ({"engine": "spark2"}, "did you mean 'spark'?"),
    ({"engine": "dask", "dask_address": "scheduler"}, "expected a Dask scheduler address, scheme://host:port"),
    ({"engine": "dask", "dask_address": "http://scheduler:8786"}, "e.g. tcp://scheduler:8786, or null"),
    ({"engine": "dask", "dask_address": "tcp://scheduler"}, "expected a Dask scheduler address"),
    ({"dask_address": "tcp://scheduler:8786"}, "dask_address is set ('tcp://scheduler:8786') but engine is 'local'"),
])
def test_bad_settings_say_what_to_do(changes, message):
    with pytest.raises(ValidationError) as caught:
        ForecastSettings(**changes)
    assert message in str(caught.value)


# --------------------------------------------------------------------------------------------------
# series


def test_series_from_bookings_on_a_tiny_frame():
    opportunities = pd.DataFrame({
        "opportunity_id": text(["O1", "O2", "O3", "O4", "O5"]),
        "region": text(["EMEA", "NA", "EMEA", "NA", None]),
        "close_date": pd.to_datetime(["2026-01-15", "2026-01-20", "2026-03-02", "2026-03-31", "2026-02-10"]),
        "amount": [100.0, 50.0, 30.0, 999.0, 7.0],
        "is_won": pd.array([True, True, True, False, True], dtype="boolean"),
    })
    series = fc.series_from_bookings(opportunities, levels=[[], ["region"]], start="2026-01-01", end="2026-03-31")
    months = pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"] * 4)
    expected = pd.DataFrame({
        "unique_id": text(["total"] * 3 + ["region=EMEA"] * 3 + ["region=NA"] * 3 + ["region=Unknown"] * 3),
        "ds": pd.Series(months, dtype="datetime64[ns]"),
        "y": [150.0, 7.0, 30.0, 100.0, 0.0, 30.0, 50.0, 0.0, 0.0, 0.0, 7.0, 0.0],
        "region": text([None] * 3 + ["EMEA"] * 3 + ["NA"] * 3 + ["Unknown"] * 3),
    })
    assert_frame_equal(series, expected)


def test_series_from_counts_with_a_lookup_and_weekly_periods():
    leads = pd.DataFrame({"created_date": pd.to_datetime(["2026-01-05", "2026-01-11", "2026-01-12", "2026-01-26"]),
                          "rep_id": ["R1", "R2", "R1", "R1"]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "region": ["NA", "EMEA"]})
    series = fc.series_from_counts(leads, "created_date", levels=[["region"]], freq="W", segment_columns=reps)
    weeks = pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"] * 2)  # Mondays
    expected = pd.DataFrame({
        "unique_id": text(["region=EMEA"] * 4 + ["region=NA"] * 4),
        "ds": pd.Series(weeks, dtype="datetime64[ns]"),
        "y": [1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0],
        "region": text(["EMEA"] * 4 + ["NA"] * 4),
    })
    assert_frame_equal(series, expected)


def test_a_missing_level_column_names_it_and_the_columns_there_are():
    opportunities = pd.DataFrame({"close_date": pd.to_datetime(["2026-01-15"]), "amount": [1.0], "is_won": [True],
                                  "region": ["NA"]})
    with pytest.raises(ValueError, match=r"column 'segmnt' .*not in the opportunities table.*available columns: "
                                         r"\['close_date', 'amount', 'is_won', 'region'\]"):
        fc.series_from_bookings(opportunities, levels=[[], ["region", "segmnt"]])


def test_series_with_a_gap_or_missing_values_are_refused():
    series = seasonal_series(3)
    with pytest.raises(ValueError, match="gap between 2023-02-01 and 2023-04-01 in unique_id .total."):
        fc.cross_validate(series.drop(index=[14]), ForecastSettings(models=["SeasonalNaive"]))
    with pytest.raises(ValueError, match="missing or non-numeric"):
        fc.forecast(series.assign(y=np.where(series.index == 3, np.nan, series["y"])), ForecastSettings(),
                    pd.DataFrame({"unique_id": ["total"], "model": ["SeasonalNaive"]}))


# --------------------------------------------------------------------------------------------------
# metrics and selection


def test_cv_metrics_against_hand_computation():
    # history 1..6 with season 2: seasonal differences |3-1|, |4-2| ... all 2, so the scale is 2
    series = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2026-01-01", periods=8, freq="MS"),
                           "y": [1.0, 2, 3, 4, 5, 6, 10, 4]})
    cv = pd.DataFrame({
        "unique_id": "a",
        "ds": pd.to_datetime(["2026-06-01", "2026-07-01", "2026-07-01", "2026-08-01"]),
        "cutoff": pd.to_datetime(["2026-05-01", "2026-05-01", "2026-06-01", "2026-06-01"]),
        "y": [6.0, 10.0, 10.0, 4.0],
        "M": [5.0, 12.0, 10.0, 6.0],
    })
    metrics = fc.cv_metrics(cv, series, season_length=2)
    # window 1 (history 1..5): scale mean(|3-1|,|4-2|,|5-3|) = 2, MAE (1 + 2) / 2 = 1.5 -> 0.75
    # window 2 (history 1..6): scale 2, MAE (0 + 2) / 2 = 1 -> 0.5; MASE = mean(0.75, 0.5) = 0.625
    smape = np.mean([2 * 1 / 11, 2 * 2 / 22, 0.0, 2 * 2 / 10])
    bias = (np.mean([5, 12, 10, 6]) - np.mean([6, 10, 10, 4])) / np.mean([6, 10, 10, 4])
    expected = pd.DataFrame({"unique_id": text(["a"]), "model": text(["M"]), "mase": [0.625], "smape": [smape],
                             "bias": [bias], "windows": np.array([2], dtype="int64")})
    assert_frame_equal(metrics, expected)


def test_select_models_takes_the_lowest_mase_and_breaks_ties_by_simplicity():
    metrics = pd.DataFrame({
        "unique_id": ["a", "a", "a", "b", "b", "b", "c"],
        "model": ["AutoETS", "AutoARIMA", "SeasonalNaive", "Ensemble", "AutoETS", "SeasonalNaive", "HistoricAverage"],
        "mase": [0.8, 0.7, 0.9, 0.5, 0.5 * (1 + 1e-9), 0.9, np.nan],
        "candidate": [True, True, False, True, True, True, True],
        "note": ["", "", "", "", "", "", "short history"],
    })
    expected = pd.DataFrame({"unique_id": text(["a", "b", "c"]),
                             "model": text(["AutoARIMA", "AutoETS", "HistoricAverage"]),
                             "note": text(["", "", "short history"])})
    assert_frame_equal(fc.select_models(metrics), expected)


def test_top_k_backtest_against_hand_computation():
    # history 0, 2, ..., 10 with season 1: every difference is 2, so every window's scale is 2
    series = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2026-01-01", periods=6, freq="MS"),
                           "y": [0.0, 2, 4, 6, 8, 10]})
    cv = pd.DataFrame({"unique_id": "a", "ds": pd.to_datetime(["2026-05-01", "2026-06-01"]),
                       "cutoff": pd.to_datetime(["2026-04-01", "2026-05-01"]), "y": [8.0, 10.0],
                       "A": [8.0, 14.0], "B": [12.0, 10.0], "C": [4.0, 8.0]})
    points, table = fc.top_k_backtest(cv, series, 1, ["A", "B", "C"])
    # window MASE: A 0 and 2, B 2 and 0, C 2 and 1 -> backtest MASE 1, 1, 1.5: ranking A, B (tie: listed first), C
    np.testing.assert_allclose(points["top1"], [8.0, 14.0])
    np.testing.assert_allclose(points["top2"], [10.0, 12.0])
    np.testing.assert_allclose(points["top3"], [8.0, 32 / 3])
    assert table["members"].tolist() == ["A", "A + B", "A + B + C"]
    # leave window 1 out: ranked on window 2 -> B, C, A; on window 1: B 2, mean(B, C) = 8 -> 0, all three -> 0.
    # leave window 2 out: ranked on window 1 -> A, B, C (B, C tie); on window 2: A 2, mean(A, B) = 12 -> 1,
    # all three 32/3 -> 1/3. Nested MASE per k: (2 + 2) / 2, (0 + 1) / 2, (0 + 1/3) / 2
    np.testing.assert_allclose(table["nested_mase"], [2.0, 0.5, 1 / 6])
    assert table["k"].tolist() == [1, 2, 3]


def test_select_models_pools_k_over_the_series_and_averages_each_ones_best():
    metrics = pd.DataFrame({
        "unique_id": ["a"] * 4 + ["b"] * 3,
        "model": ["AutoETS", "HoltWinters", "HoltWinters + AutoETS", "Ensemble",
                  "SeasonalNaive", "AutoETS", "AutoETS + SeasonalNaive"],
        "mase": [0.8, 0.7, 0.75, 0.9, 0.5, 0.6, 0.55],
        "candidate": [True, True, False, True, True, True, False],
        "top_k": [0, 1, 2, 0, 1, 0, 2],
        # pooled nested MASE: k = 1 (0.9 + 0.5) / 2 = 0.7, k = 2 (0.7 + 0.6) / 2 = 0.65 -> k = 2 for both series
        "nested_mase": [np.nan, 0.9, 0.7, np.nan, 0.5, np.nan, 0.6],
        "note": [""] * 7,
    })
    chosen = fc.select_models(metrics)
    assert chosen["model"].tolist() == ["HoltWinters + AutoETS", "AutoETS + SeasonalNaive"]
    # series b alone would keep its single best (0.5 < 0.6); without top-k rows the lowest MASE wins
    assert fc.select_models(metrics.loc[metrics["unique_id"] == "b"])["model"].tolist() == ["SeasonalNaive"]
    assert fc.select_models(metrics.drop(columns=["top_k", "nested_mase"]))["model"].tolist() == \
        ["HoltWinters", "SeasonalNaive"]


def test_a_combination_is_forecast_as_the_mean_of_its_members():
    series = seasonal_series(3).assign(y=lambda f: f["y"] * (1 + 0.01 * np.arange(len(f))))
    settings = ForecastSettings(models=["SeasonalNaive", "HoltWinters", "AutoTheta"], levels=[[]], n_jobs=1,
                                rule="top_k")
    metrics = fc.cross_validate(series, settings)
    combined = metrics.loc[metrics["top_k"] >= 2]
    assert combined["top_k"].tolist() == [2, 3] and not combined["candidate"].any()
    assert set(combined["model"].iloc[1].split(" + ")) == {"SeasonalNaive", "HoltWinters", "AutoTheta"}
    assert (metrics["top_k"] == 1).sum() == 1 and np.isfinite(metrics["nested_mase"]).sum() == 3
    pair = combined["model"].iloc[0]
    both = fc.forecast(series, settings, pd.DataFrame({"unique_id": ["total"], "model": [pair]}))
    singles = [fc.forecast(series, settings, pd.DataFrame({"unique_id": ["total"], "model": [name]}))
               for name in pair.split(" + ")]
    np.testing.assert_allclose(both["mean"], (singles[0]["mean"] + singles[1]["mean"]) / 2)
    assert both["model"].unique().tolist() == [pair]
    table = fc.backtest_table(metrics, pd.DataFrame({"unique_id": ["total"], "model": [pair]}))
    assert table.loc[0, "mase"] == combined["mase"].iloc[0]
    # rule best: no top-k rows, one model per series as before
    single = fc.cross_validate(series, settings.model_copy(update={"rule": "best"}))
    assert (single["top_k"] == 0).all() and len(single) == 3


def test_the_combination_rule_gives_every_series_the_mean_of_its_members():
    series = pd.concat([seasonal_series(3, "pure"),
                        seasonal_series(3, "growing").assign(y=lambda f: f["y"] * (1 + 0.02 * np.arange(len(f))))],
                       ignore_index=True)
    settings = ForecastSettings(combination=["HoltWinters", "SeasonalNaive"], levels=[[]], n_jobs=1)
    metrics = fc.cross_validate(series, settings)
    label = "HoltWinters + SeasonalNaive"
    assert metrics.loc[metrics["unique_id"] == "pure", "model"].tolist() == ["HoltWinters", "SeasonalNaive", label]
    assert metrics.loc[metrics["candidate"], "model"].tolist() == [label, label]  # nothing else is chosen from
    # no choice per series: even where seasonal naive was perfect in the backtest (MASE 0), the combination
    pure = metrics.loc[metrics["unique_id"] == "pure"].set_index("model")["mase"]
    assert pure["SeasonalNaive"] == 0.0 and pure[label] > 0
    selection = fc.select_models(metrics)
    assert selection["model"].tolist() == [label, label] and (selection["note"] == "").all()
    # its backtest is that of the mean of its members' backtest forecasts: the top-2 mean of the same two models
    top_k = fc.cross_validate(series, settings.model_copy(update={"rule": "top_k", "models": ("HoltWinters",
                                                                                             "SeasonalNaive")}))
    pair = top_k.loc[top_k["top_k"] == 2].set_index("unique_id")["mase"]
    np.testing.assert_allclose(metrics.loc[metrics["model"] == label].set_index("unique_id")["mase"], pair)
    out = fc.forecast(series, settings, selection)
    singles = [fc.forecast(series, settings, selection.assign(model=name)) for name in settings.combination]
    for column in ("mean", "lo-80", "hi-95"):
        np.testing.assert_allclose(out[column], (singles[0][column] + singles[1][column]) / 2)
    table = fc.backtest_table(metrics, selection)
    assert table["mase"].tolist() == metrics.loc[metrics["candidate"], "mase"].tolist()


def test_a_top_k_mean_equal_to_the_combination_is_one_row_of_the_backtest_table():
    label = "AutoETS + AutoCES"
    metrics = pd.DataFrame({"unique_id": ["a", "a", "a", "a"], "model": ["AutoETS", "AutoCES", label, label],
                            "mase": [0.9, 1.1, 0.8, 0.8], "smape": 0.1, "bias": 0.0, "windows": 3, "cv_h": 3,
                            "candidate": [False, False, True, False], "top_k": [1, 0, 0, 2]})
    table = fc.backtest_table(metrics, pd.DataFrame({"unique_id": ["a"], "model": [label]}))
    assert table[["model", "mase"]].values.tolist() == [[label, 0.8]]


def test_quarterly_series_are_a_frequency_of_their_own():
    from salesops.demand.overview import history_end

    deals = pd.DataFrame({"close_date": pd.to_datetime(["2026-01-15", "2026-03-31", "2026-05-01", "2026-11-30"]),
                          "amount": [10.0, 5.0, 7.0, 2.0], "is_won": True})
    series = fc.series_from_bookings(deals, levels=[[]], freq="Q")
    expected = pd.DataFrame({"unique_id": text(["total"] * 4),
                             "ds": pd.to_datetime(["2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01"]),
                             "y": [15.0, 7.0, 0.0, 2.0]})
    assert_frame_equal(series, expected)
    assert history_end("2026-11-29", "Q") == pd.Timestamp("2026-09-30")  # the last complete quarter
    assert history_end("2026-12-31", "Q") == pd.Timestamp("2026-12-31")

    quarterly = ForecastSettings(freq="q", levels=[[]], models=["SeasonalNaive", "AutoTheta"], rule="best", n_jobs=1)
    # a season is 4 quarters; the horizon the planned quarter + 3; backtest windows one quarter apart
    assert (quarterly.freq, quarterly.season, quarterly.horizon, quarterly.cv_h, quarterly.cv_step_periods) == \
        ("Q", 4, 4, 1, 1)
    assert quarterly.min_history_periods == 8  # 24 months; the backtest needs 1 + 2 + 4 + 1 = 8 too
    assert quarterly.full_cv_min_periods == 4 + 2 + 3 * 4
    with pytest.raises(ValueError, match=r"period starts for freq 'Q' \(the first day of a calendar quarter"):
        fc.cross_validate(pd.DataFrame({"unique_id": "a", "ds": pd.to_datetime(["2026-02-01"]), "y": [1.0]}),
                          quarterly)

    pattern = np.array([100.0, 150.0, 80.0, 120.0])
    history = pd.DataFrame({"unique_id": "total", "ds": pd.date_range("2021-01-01", periods=20, freq="QS"),
                            "y": np.tile(pattern, 5)})
    result = fc.forecast_step(history, quarterly)
    assert result.selection["model"].tolist() == ["SeasonalNaive"]
    # 20 quarters >= 18: backtested over the whole 4-quarter horizon, 3 windows
    assert result.backtest[["cv_h", "windows"]].values.tolist() == [[4, 3]]
    assert result.reconciled["ds"].tolist() == list(pd.date_range("2026-01-01", periods=4, freq="QS"))
    np.testing.assert_allclose(result.reconciled["mean"], pattern)


# --------------------------------------------------------------------------------------------------
# forecasting


def test_a_pure_seasonal_series_is_forecast_by_its_season():
    series = seasonal_series(4)
    settings = ForecastSettings(levels=[[]], n_jobs=1, rule="best")
    result = fc.forecast_step(series, settings)
    assert result.selection["model"].tolist() == ["SeasonalNaive"]
    forecasts = result.reconciled
    assert forecasts.columns.tolist() == ["unique_id", "ds", "model", "mean", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert forecasts["ds"].tolist() == list(pd.date_range("2026-01-01", periods=12, freq="MS"))
    np.testing.assert_allclose(forecasts["mean"].to_numpy(), PATTERN, rtol=0.01)
    assert result.backtest.loc[0, "mase"] == 0.0
    assert result.scenarios.columns.tolist() == ["unique_id", "ds", "downside", "base", "upside"]


def test_a_forecast_computed_ahead_is_taken_once_by_the_call_with_the_same_inputs():
    settings = ForecastSettings(levels=[[]], n_jobs=1, models=["SeasonalNaive", "AutoETS"], rule="best",
                                cv_windows=1)
    series = seasonal_series(3)
    fc.compute_ahead(series, settings)
    assert fc.pending_ahead() == 1
    changed = series.assign(y=series["y"].where(series.index != 5, 999.0))  # one month differs: computed anew
    other = fc.forecast_step(changed, settings)
    fc.forecast_step(series, settings, reconcile_levels=False)  # not the same call either
    assert fc.pending_ahead() == 1
    taken = fc.forecast_step(series.copy(), settings)  # equal values, another frame: the one computed ahead
    assert fc.pending_ahead() == 0
    again = fc.forecast_step(series, settings)  # taken once: computed as usual, to the same numbers
    assert again is not taken
    for name in ("cv_metrics", "selection", "forecasts", "reconciled", "scenarios", "backtest"):
        assert_frame_equal(getattr(taken, name), getattr(again, name))
    assert not other.forecasts.equals(taken.forecasts)


def test_reconciled_levels_add_up_with_every_method():
    series = hierarchy_series()
    settings = ForecastSettings(models=["AutoTheta", "SeasonalNaive", "Ensemble"], n_jobs=1, rule="top_k")
    metrics = fc.cross_validate(series, settings)
    assert set(metrics["unique_id"]) == set(series["unique_id"])  # 1 total + 2 regions + 4 region x segment
    selection = fc.select_models(metrics)
    raw = fc.forecast(series, settings, selection)
    assert len(raw) == 7 * 12
    for method in fc.RECONCILIATIONS:
        out = fc.reconcile(raw, series, settings.model_copy(update={"reconciliation": method}))
        means = out.pivot(index="ds", columns="unique_id", values="mean")
        regions = means[["region=EMEA", "region=NA"]].sum(axis=1)
        bottom = means[[c for c in means.columns if "segment=" in c]].sum(axis=1)
        np.testing.assert_allclose(means["total"], regions, rtol=1e-12, err_msg=method)
        np.testing.assert_allclose(means["total"], bottom, rtol=1e-12, err_msg=method)
        np.testing.assert_allclose(means["region=EMEA"], means["region=EMEA/segment=MM"]
                                   + means["region=EMEA/segment=SMB"], rtol=1e-12, err_msg=method)
        assert (out["lo-80"] <= out["mean"] + 1e-9).all() and (out["mean"] <= out["hi-80"] + 1e-9).all()
    bottom_up = fc.reconcile(raw, series, settings)
    bottom_rows = bottom_up["unique_id"].str.contains("segment=")
    assert_frame_equal(bottom_up.loc[bottom_rows], raw.loc[bottom_rows])  # bottom-up keeps the bottom forecasts

    table = fc.backtest_table(metrics, selection)
    assert table.columns.tolist() == ["unique_id", "model", "mase", "smape", "bias", "seasonal_naive_mase",
                                      "improvement_vs_naive", "windows", "cv_h", "note"]
    expected = 1 - table["mase"] / table["seasonal_naive_mase"]
    np.testing.assert_allclose(table["improvement_vs_naive"], expected)


def test_auto_backtests_the_full_horizon_only_on_long_histories():
    series = pd.concat([seasonal_series(5, "five years"), seasonal_series(4, "four years")], ignore_index=True)
    metrics = fc.cross_validate(series, ForecastSettings(models=["SeasonalNaive"], levels=[[]], n_jobs=1, rule="best"))
    assert dict(zip(metrics["unique_id"], metrics["cv_h"])) == {"five years": 12, "four years": 3}
    quarter = fc.cross_validate(series, ForecastSettings(models=["SeasonalNaive"], cv_horizon="quarter", n_jobs=1,
                                                         rule="best"))
    assert quarter["cv_h"].tolist() == [3, 3]


def test_a_shared_engine_uses_the_settings_of_each_call():
    series = seasonal_series(4)
    with fc.open_engine(ForecastSettings()) as engine:
        metrics = fc.cross_validate(series, ForecastSettings(models=["SeasonalNaive"], cv_windows=2, n_jobs=1,
                                                             rule="best"),
                                    engine=engine)
    assert metrics["windows"].tolist() == [2]


def test_reconcile_bottom_up_sums_an_uneven_hierarchy_by_hand():
    # region A has segments x and y, region B only x: a segment name shared by two regions is two series
    ids = ["total", "region=A", "region=B", "region=A/segment=x", "region=A/segment=y", "region=B/segment=x"]
    regions, segments = [None, "A", "B", "A", "A", "B"], [None, None, None, "x", "y", "x"]
    series = pd.DataFrame({"unique_id": text(ids * 2), "ds": pd.to_datetime(["2026-01-01"] * 6 + ["2026-02-01"] * 6),
                           "y": 1.0, "region": text(regions * 2), "segment": text(segments * 2)})
    forecasts = pd.DataFrame({"unique_id": text(ids), "ds": pd.to_datetime(["2026-03-01"] * 6),
                              "model": text(["AutoETS"] * 6), "mean": [100.0, 50, 50, 1, 2, 4],
                              "lo-80": [90.0, 45, 45, 0.5, 1, 2], "hi-80": [110.0, 55, 55, 1.5, 3, 6]})
    settings = ForecastSettings(levels_pct=[80])
    out = fc.reconcile(forecasts, series, settings)
    assert out.set_index("unique_id")["mean"].to_dict() == {
        "total": 7.0, "region=A": 3.0, "region=B": 4.0, "region=A/segment=x": 1.0, "region=A/segment=y": 2.0,
        "region=B/segment=x": 4.0}
    childless = pd.concat([series, pd.DataFrame({"unique_id": text(["region=C"]), "ds": pd.to_datetime(["2026-01-01"]),
                                                 "y": [1.0], "region": text(["C"]), "segment": text([None])})])
    with pytest.raises(ValueError, match=r"series 'region=C' has no series below it at the bottom level "
                                         r"\['region', 'segment'\]"):
        fc.reconcile(forecasts, childless, settings)


def test_reconcile_by_hand():
    # history: A sold 1 and 3, B sold 3 and 1 in the last season (season_length 2): shares 4/8 and 4/8
    ds = pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"])
    series = pd.DataFrame({
        "unique_id": text(["total"] * 3 + ["region=A"] * 3 + ["region=B"] * 3), "ds": list(ds) * 3,
        "y": [9.0, 4, 4, 9, 1, 3, 0, 3, 1], "region": text([None] * 3 + ["A"] * 3 + ["B"] * 3)})
    forecasts = pd.DataFrame({
        "unique_id": text(["total", "region=A", "region=B"]), "ds": pd.to_datetime(["2026-04-01"] * 3),
        "model": text(["AutoETS"] * 3), "mean": [12.0, 4.0, 6.0], "lo-80": [9.0, 2.0, 3.0], "hi-80": [15.0, 6.0, 9.0]})
    settings = ForecastSettings(levels=[[], ["region"]], season_length=2, levels_pct=[80])

    def means(method):
        out = fc.reconcile(forecasts, series, settings.model_copy(update={"reconciliation": method}))
        return out.set_index("unique_id")["mean"].to_dict(), out

    bottom_up, out = means("bottom_up")
    assert bottom_up == {"total": 10.0, "region=A": 4.0, "region=B": 6.0}
    # the total's bounds keep their width relative to its mean: x 10/12
    assert out.loc[0, "lo-80"] == pytest.approx(7.5) and out.loc[0, "hi-80"] == pytest.approx(12.5)
    assert means("top_down")[0] == {"total": 12.0, "region=A": 6.0, "region=B": 6.0}
    # MinT (structural): S = [[1, 1], [1, 0], [0, 1]], W = diag(2, 1, 1): bottom = (4.5, 6.5)
    min_trace = means("min_trace")[0]
    assert min_trace == pytest.approx({"total": 11.0, "region=A": 4.5, "region=B": 6.5})


def test_the_weekly_path_end_to_end():
    """freq W through forecast_step: weekly bookings of two regions (130 weeks), MSTL among the candidates."""
    from salesops.demand.overview import history_end

    rng = np.random.default_rng(3)
    rows = []
    for region, base in (("EMEA", 500.0), ("NA", 900.0)):
        for day in pd.date_range("2024-01-01", "2026-07-01", freq="D"):
            if rng.random() < 0.5:
                season = 1 + 0.3 * np.sin(2 * np.pi * day.dayofyear / 365.25)
                rows.append((region, day, base * season * rng.lognormal(0, 0.2)))
    deals = pd.DataFrame(rows, columns=["region", "close_date", "amount"]).assign(is_won=True)
    end = history_end("2026-07-01", "W")  # a Wednesday: the last complete week ends on Sunday 2026-06-28
    assert end == pd.Timestamp("2026-06-28")
    series = fc.series_from_bookings(deals, levels=[[], ["region"]], freq="W", end=end)
    assert series["ds"].max() == pd.Timestamp("2026-06-22") and (series["ds"].dt.dayofweek == 0).all()
    settings = ForecastSettings(freq="W", levels=[[], ["region"]], n_jobs=1,
                                models=["AutoETS", "SeasonalNaive", "MSTL", "Ensemble"], rule="top_k")
    result = fc.forecast_step(series, settings)

    single = result.cv_metrics.loc[result.cv_metrics["top_k"] <= 1, "model"].astype(str)
    assert set(single) == {"AutoETS", "SeasonalNaive", "MSTL", "Ensemble"}
    combined = result.cv_metrics.loc[result.cv_metrics["top_k"] >= 2, "model"].astype(str)  # means of the 2 or 3 best
    assert all(set(label.split(" + ")) <= {"AutoETS", "SeasonalNaive", "MSTL"} for label in combined)
    assert (result.backtest["cv_h"] == 13).all() and (result.backtest["windows"] == 3).all()  # a quarter, 13 weeks
    assert result.backtest["mase"].notna().all()
    forecasts = result.reconciled
    weeks = pd.date_range("2026-06-29", periods=52, freq="W-MON")
    for uid in ("total", "region=EMEA", "region=NA"):
        assert forecasts.loc[forecasts["unique_id"] == uid, "ds"].tolist() == list(weeks)
    wide = forecasts.pivot(index="ds", columns="unique_id", values="mean")
    assert np.allclose(wide["total"], wide["region=EMEA"] + wide["region=NA"])
    # the same bookings a week as the history's last year, roughly (1,400 × 7 × 0.5 a week, seasonal ±30 %)
    last_year = series.loc[series["unique_id"] == "total", "y"].tail(52).sum()
    assert 0.8 < wide["total"].sum() / last_year < 1.25
    scenarios = result.scenarios
    assert (scenarios["downside"] <= scenarios["base"]).all() and (scenarios["base"] <= scenarios["upside"]).all()


def test_short_series_fall_back_with_a_note():
    long = seasonal_series(3, "long")
    # 14 months of history after leading zeros: seasonal naive; 5 months: the mean of its history
    medium = seasonal_series(3, "medium").assign(y=lambda f: np.where(f.index < 22, 0.0, f["y"]))
    short = seasonal_series(3, "short").assign(y=lambda f: np.where(f.index < 31, 0.0, 10.0))
    series = pd.concat([long, medium, short], ignore_index=True)
    settings = ForecastSettings(models=["SeasonalNaive", "AutoTheta"], levels=[[]], n_jobs=1, rule="best")
    metrics = fc.cross_validate(series, settings)
    selection = fc.select_models(metrics)
    chosen = dict(zip(selection["unique_id"], selection["model"]))
    assert chosen == {"long": "SeasonalNaive", "medium": "SeasonalNaive", "short": "HistoricAverage"}
    notes = dict(zip(selection["unique_id"], selection["note"]))
    assert notes["short"].startswith("short history (5 months, needs 24")
    assert "seasonal naive" in notes["medium"] and notes["long"] == ""
    out = fc.forecast(series, settings, selection)
    np.testing.assert_allclose(out.loc[out["unique_id"] == "short", "mean"], 10.0)


def test_scenarios_are_the_80_percent_band_with_the_downside_clipped():
    forecasts = pd.DataFrame({"unique_id": text(["a", "a"]), "ds": pd.to_datetime(["2027-01-01", "2027-02-01"]),
                              "model": text(["AutoETS"] * 2), "mean": [10.0, 4.0], "lo-80": [6.0, -1.0],
                              "hi-80": [14.0, 9.0], "lo-95": [4.0, -3.0], "hi-95": [16.0, 11.0]})
    expected = pd.DataFrame({"unique_id": text(["a", "a"]), "ds": pd.to_datetime(["2027-01-01", "2027-02-01"]),
                             "downside": [6.0, 0.0], "base": [10.0, 4.0], "upside": [14.0, 9.0]})
    assert_frame_equal(fc.scenarios(forecasts), expected)
    with pytest.raises(ValueError, match="level 90 is not among its interval levels"):
        fc.scenarios(forecasts, level=90)


@pytest.mark.parametrize("address", ["tcp://10.0.0.5:8786", "scheduler.example.com:8786", " tls://[::1]:8786 ",
                                     "inproc://10.0.0.5/1234/1"])
def test_dask_addresses_accepted(address):
    assert ForecastSettings(engine="dask", dask_address=address).dask_address == address.strip()


def test_spark_and_ray_engines_say_what_to_install_when_missing():
    for engine, package in (("spark", "pyspark"), ("ray", "ray")):
        if importlib.util.find_spec(package) is not None:
            continue
        with pytest.raises(ValueError, match=rf"engine '{engine}' needs {package} and Fugue's support for it: pip "
                                             rf"install 'fugue\[{engine}\]'"):
            with fc.open_engine(ForecastSettings(engine=engine)):
                pass


def test_a_dask_address_without_scheduler_or_workers_says_what_to_do():
    pytest.importorskip("distributed", reason="dask.distributed is not installed: pip install 'dask[distributed]'")
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with socket.socket() as free:  # a port nothing listens on
            free.bind(("127.0.0.1", 0))
            address = f"tcp://127.0.0.1:{free.getsockname()[1]}"
        with pytest.raises(ValueError, match=rf"no Dask scheduler answered at '{address}' within 1s"):
            with fc.open_engine(ForecastSettings(engine="dask", dask_address=address)):
                pass
        with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as empty:
            settings = ForecastSettings(engine="dask", dask_address=empty.scheduler_address)
            with pytest.raises(ValueError, match=r"has no worker \(none joined within 1s\); start workers with "
                                                 r"`dask worker "):
                with fc.open_engine(settings):
                    pass


def test_dask_engine_equals_the_local_engine():
    pytest.importorskip("distributed", reason="dask.distributed is not installed: pip install 'dask[distributed]'")
    pytest.importorskip("dask.dataframe", reason="dask.dataframe is not installed: pip install 'dask[dataframe]'")
    from distributed import LocalCluster

    series = hierarchy_series(seed=3, months=36)
    local = ForecastSettings(models=["AutoETS", "AutoTheta", "SeasonalNaive", "Ensemble"], n_jobs=1, rule="top_k")
    metrics, intervals = fc.backtest(series, local)
    selection = fc.select_models(metrics)
    expected = fc.forecast(series, local, selection)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        distributed = local.model_copy(update={"engine": "dask", "dask_address": cluster.scheduler_address})
        with fc.open_engine(distributed) as engine:
            dask_metrics, dask_intervals = fc.backtest(series, distributed, engine=engine)
            got = fc.forecast(series, distributed, selection, engine=engine)
    assert_frame_equal(dask_metrics, metrics)  # the same statsforecast code on partitions of whole series
    assert_frame_equal(dask_intervals, intervals)  # the backtest's bands too
    assert not intervals.empty
    assert_frame_equal(got, expected)


def test_forecast_step_rescales_the_bands_by_what_its_backtest_measured():
    # 7 series (total, 2 regions, 4 segments) x 3 windows = 21 points a step: enough for a factor
    series = hierarchy_series()
    settings = ForecastSettings(profile="fast", n_jobs=1)
    result = fc.forecast_step(series, settings)
    label = settings.model_copy(update={"profile": "fast"}).for_series(7).combination_label
    measured = result.intervals.loc[result.intervals["model"].astype(str) == label]
    assert sorted(measured["level"].unique()) == [80, 95]
    assert measured["step"].max() == result.backtest["cv_h"].max()
    assert (measured["points"] == 21).all() and measured["factor"].notna().all()
    # the bands are the plain forecast's rescaled by those factors; the means are untouched
    plain = fc.forecast(series, result.settings, result.selection)
    pd.testing.assert_frame_equal(result.forecasts, fc.calibrate(plain, result.intervals, result.selection))
    assert np.allclose(result.forecasts["mean"], plain["mean"])
    assert not np.allclose(result.forecasts["hi-80"], plain["hi-80"])
    unscaled = fc.backtest(series, result.settings.model_copy(update={"calibrate_intervals": False}))[1]
    assert unscaled.empty
