"""Accuracy of the workbook's forecast on real monthly sales: model selection vs single models.

    .venv/bin/python benchmarks/forecast_accuracy.py

Data (beside the repository in ``../shared/data/real/``, see each folder's SOURCE.md; the script says so and
exits 0 when the folder is absent):

* **US Census RSXFSN**: monthly US retail sales, not seasonally adjusted, 1992-01 … 2023-06 (one series,
  millions of dollars; the last four values are written as ``588220.0``, which the float parse absorbs).
* **Superstore**: Tableau's Sample Superstore order lines 2016–2019 (UTF-8 *with BOM*, so read with
  ``encoding="utf-8-sig"``; dates ``m/d/YYYY``), ``Sales`` summed per month by the workbook's own
  ``forecast.series_from_counts`` at three levels: total, Region (4), Region x Category (12) = 17 series.

Backtest (outer, rolling origin), decided as follows. At each origin the workbook sees only the history up to
it and forecasts the next **12 months** — its default horizon (the planned quarter + 3 quarters); the 12
months after the origin are the held-out truth. Inside, it runs exactly what the workbook runs with its
defaults (``ForecastSettings()``: ``rule: combination``, every series the mean of AutoETS, AutoARIMA, AutoCES
and DynamicOptimizedTheta; its rolling-origin cross-validation, 3 windows a quarter apart, then only measures
it), ``select_models``, ``forecast``. The old rule runs the same way with ``rule: top_k`` (7 candidates, each
series the mean of its k best, k chosen by a leave-one-window-out inner backtest pooled over the series). The
single models forecast the same 12 months from the same history, so every method is scored on the same points.

* RSXFSN: **8 origins one year apart**, the last one 12 months before the end (holdouts 2015-07 … 2023-06,
  non-overlapping; they include the 2020 COVID shock, which no method foresaw).
* Superstore: only 48 months, so **4 origins a quarter apart** (history of 27, 30, 33 and 36 months;
  overlapping holdouts from 2018-04 to 2019-12). Fewer than 27 months would leave too little for the
  inner backtest (9 held-out months + a season + 1) — the series would fall back to seasonal naive.

Score: MASE of each series' 12-month forecast, scaled by the in-sample seasonal naive MAE of the history
up to its origin (``forecast.cv_metrics``), averaged over series and origins (each series weighs the same).
"Best single model in hindsight" is the single model (Ensemble, the mean of all seven, included) with the
lowest such average — a choice one can only make after seeing the holdouts. Targets (issue 17): the default's
MASE at least 10 % below SeasonalNaive's and at most 2 % above the best single model's. Rows for the reconciled
selection (bottom-up, MinT) are shown for comparison, and three earlier rules: "old rule (top_k)", "one model per
series" (the same candidates and backtest, ``rule: best``: each series' lowest inner MASE) and "previous
default" (AutoETS, AutoARIMA, AutoTheta, SeasonalNaive and their Ensemble, one model per series). The targets
are judged on the workbook's default, the ``selection`` row.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from salesops.demand import forecast as fc

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = REPO_ROOT.parent / "shared" / "data" / "real"
RSXFSN = DATA / "us-census-retail-sales-rsxfsn" / "RSXFSN.csv"
SUPERSTORE = DATA / "superstore-sales" / "Sample - Superstore.csv"
HORIZON_MONTHS = 12
SINGLE = ("SeasonalNaive", "AutoETS", "AutoARIMA", "AutoTheta", "HoltWinters", "AutoCES", "DynamicOptimizedTheta",
          "Ensemble")
PREVIOUS_MODELS = ("AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive", "Ensemble")  # the default until 2026-11


def load_rsxfsn(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path)
    return pd.DataFrame({"unique_id": "total", "ds": pd.to_datetime(raw["DATE"], format="%Y-%m-%d"),
                         "y": raw["RSXFSN"].astype("float64")})


def load_superstore(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, encoding="utf-8-sig")
    raw["Order Date"] = pd.to_datetime(raw["Order Date"], format="%m/%d/%Y")
    return fc.series_from_counts(raw, "Order Date", levels=[[], ["Region"], ["Region", "Category"]],
                                 value_column="Sales", table="Superstore")


def outer_backtest(series: pd.DataFrame, origins: list[pd.Timestamp], settings: fc.ForecastSettings,
                   reconcile: bool) -> tuple[pd.DataFrame, float, list[dict]]:
    """Forecasts of every method at every origin (columns unique_id, ds, cutoff, y, <method...>), the
    workbook step's seconds, and how many models each series' forecast averages (k, counted per origin)."""
    previous = settings.model_copy(update={"models": PREVIOUS_MODELS, "rule": "best"})
    top_k = settings.model_copy(update={"rule": "top_k"})
    pieces, step_seconds, chosen = [], 0.0, []
    with fc.open_engine(settings) as engine:
        for origin in origins:
            train = series.loc[series["ds"] <= origin].reset_index(drop=True)
            began = time.perf_counter()
            metrics = fc.cross_validate(train, settings, engine=engine)
            selection = fc.select_models(metrics)
            selected = fc.forecast(train, settings, selection, engine=engine)
            step_seconds += time.perf_counter() - began
            members = selection["model"].astype(str).str.count(re.escape(fc.COMBINATION_SEPARATOR)) + 1
            chosen.append({f"k={k}": int(count) for k, count in members.value_counts().items()})
            methods = {"selection": selected}
            if reconcile:
                methods["selection, bottom-up"] = fc.reconcile(selected, train, settings)
                methods["selection, MinT"] = fc.reconcile(
                    selected, train, settings.model_copy(update={"reconciliation": "min_trace"}))
            old_metrics = fc.cross_validate(train, top_k, engine=engine)
            methods["old rule (top_k)"] = fc.forecast(train, top_k, fc.select_models(old_metrics), engine=engine)
            single = fc.select_models(old_metrics.drop(columns=["top_k", "nested_mase"]))
            methods["one model per series (rule: best)"] = fc.forecast(train, top_k, single, engine=engine)
            previous_selection = fc.select_models(fc.cross_validate(train, previous, engine=engine))
            methods["previous default"] = fc.forecast(train, previous, previous_selection, engine=engine)
            ids = train["unique_id"].astype(str).unique()
            for model in SINGLE:
                methods[model] = fc.forecast(train, settings, pd.DataFrame({"unique_id": ids, "model": model}),
                                             engine=engine)
            wide = None
            for name, frame in methods.items():
                part = frame[["unique_id", "ds", "mean"]].astype({"unique_id": str}).rename(columns={"mean": name})
                wide = part if wide is None else wide.merge(part, on=["unique_id", "ds"])
            truth = series[["unique_id", "ds", "y"]].astype({"unique_id": str})
            wide = wide.merge(truth, on=["unique_id", "ds"], how="inner").assign(cutoff=origin)
            pieces.append(wide)
    return pd.concat(pieces, ignore_index=True), step_seconds, chosen


def score(cv: pd.DataFrame, series: pd.DataFrame, methods: list[str]) -> pd.DataFrame:
    history = series[["unique_id", "ds", "y"]].astype({"unique_id": str})
    per_series = fc.cv_metrics(cv, history, 12, methods)
    table = per_series.groupby("model", sort=False)[["mase", "smape", "bias"]].mean()
    return table.reindex(methods)


def report(name: str, series: pd.DataFrame, origins: list[pd.Timestamp], reconcile: bool) -> dict:
    settings = fc.ForecastSettings(levels=[[]] if not reconcile else [[], ["Region"], ["Region", "Category"]])
    began = time.perf_counter()
    cv, step_seconds, chosen = outer_backtest(series, origins, settings, reconcile)
    total_seconds = time.perf_counter() - began
    methods = [column for column in cv.columns if column not in ("unique_id", "ds", "y", "cutoff")]
    table = score(cv, series, methods)
    naive = table.loc["SeasonalNaive", "mase"]
    singles = table.loc[list(SINGLE), "mase"]
    best_name = singles.idxmin()
    n_series = series["unique_id"].nunique()
    print(f"\n### {name}: {n_series} series x {len(origins)} origins "
          f"({origins[0]:%Y-%m} … {origins[-1]:%Y-%m}), 12-month horizon\n")
    print("| method | MASE | vs SeasonalNaive | sMAPE | bias |")
    print("| --- | --- | --- | --- | --- |")
    for method, row in table.iterrows():
        print(f"| {method} | {row['mase']:.3f} | {row['mase'] / naive - 1:+.1%} | {row['smape']:.3f} | "
              f"{row['bias']:+.1%} |")
    counts: dict[str, int] = {}
    for origin_counts in chosen:
        for model, count in origin_counts.items():
            counts[model] = counts.get(model, 0) + count
    print(f"\nModels averaged per series (series x origins): {', '.join(f'{m} {c}' for m, c in sorted(counts.items()))}. "
          f"Workbook step (backtest + selection + forecast): {step_seconds:.1f} s for {len(origins)} origins; "
          f"whole comparison {total_seconds:.1f} s.")
    selection = table.loc["selection", "mase"]
    return {"name": name, "series": n_series, "origins": len(origins), "selection": selection, "naive": naive,
            "best": singles.min(), "best_name": best_name, "step_seconds": step_seconds,
            "total_seconds": total_seconds}


def main() -> None:
    missing = [path for path in (RSXFSN, SUPERSTORE) if not path.exists()]
    if missing:
        print(f"Real data not found ({', '.join(str(p.relative_to(REPO_ROOT.parent)) for p in missing)} is "
              f"missing): the folder {DATA} is laid beside the repository on the project's machines. Nothing "
              "to measure; skipping.")
        return
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()}; statsforecast {__import__('statsforecast').__version__}")
    retail = load_rsxfsn(RSXFSN)
    end = retail["ds"].max()
    retail_origins = sorted(end - pd.DateOffset(months=HORIZON_MONTHS * k) for k in range(1, 9))
    superstore = load_superstore(SUPERSTORE)
    end = superstore["ds"].max()
    store_origins = sorted(end - pd.DateOffset(months=HORIZON_MONTHS + 3 * k) for k in range(4))

    results = [report("US Census RSXFSN", retail, retail_origins, reconcile=False),
               report("Superstore, total / Region / Region x Category", superstore, store_origins, reconcile=True)]

    print("\n| data set | series x origins | selection MASE | SeasonalNaive MASE | best single (hindsight) | "
          "selection vs naive (target <= -10 %) | selection vs best (target <= +2 %) | workbook step |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    verdicts = []
    for r in results:
        vs_naive = r["selection"] / r["naive"] - 1
        vs_best = r["selection"] / r["best"] - 1
        ok_naive, ok_best = vs_naive <= -0.10, vs_best <= 0.02
        print(f"| {r['name']} | {r['series']} x {r['origins']} | {r['selection']:.3f} | {r['naive']:.3f} | "
              f"{r['best']:.3f} ({r['best_name']}) | {vs_naive:+.1%} {'met' if ok_naive else 'NOT met'} | "
              f"{vs_best:+.1%} {'met' if ok_best else 'NOT met'} | {r['step_seconds']:.1f} s |")
        verdicts.append(f"{r['name']}: vs seasonal naive {'met' if ok_naive else 'NOT met'}, vs best single model "
                        f"{'met' if ok_best else 'NOT met'}")
    print("\n" + "\n".join(verdicts))


if __name__ == "__main__":
    sys.exit(main())
