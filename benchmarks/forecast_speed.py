"""Speed of the statistical forecast step on many synthetic monthly series.

    .venv/bin/python benchmarks/forecast_speed.py            # 100, 1,000 and 10,000 series
    .venv/bin/python benchmarks/forecast_speed.py --full     # also the default profile on 10,000 (over an hour)
    .venv/bin/python benchmarks/forecast_speed.py --sizes 100 1000

The *forecast step* is what the workbook runs for every series: ``forecast.cross_validate`` (rolling-origin
backtest of every candidate) + ``forecast.select_models`` + ``forecast.forecast`` (the chosen model per series,
with 80 % and 95 % intervals), on the local engine with ``n_jobs=-1`` (every core). No reconciliation: the
synthetic series are not a hierarchy (reconciling is a sparse matrix product, milliseconds).

Series: generated with numpy from a fixed seed, 36–48 months of history each (uniform), a level spread over
two orders of magnitude, a trend of about +6 % a year (s.d. 12 %), a yearly season of 10–50 % amplitude with two
harmonics and a random phase, and 5–25 % multiplicative noise. Twelve more months are generated and held out:
the table shows the mean MASE of each profile's 12-month forecast on them (scale: in-sample seasonal naive
MAE), so the speed of a profile can be weighed against its accuracy.

Profiles: ``default`` (``ForecastSettings()``, what the workbook runs: ``profile: auto``, i.e. ``full`` up to
``fast_above_series`` = 1,000 series and ``fast`` above), ``full`` (AutoETS, AutoARIMA, AutoTheta,
SeasonalNaive, Ensemble; 3 backtest windows, models re-estimated at each), ``estimate-once`` (the same models,
estimated once in the backtest: ``cv_refit=False``) and ``fast`` (``profile: fast``, i.e.
``forecast.FAST_PROFILE``: no AutoARIMA, estimated once). Each (profile, size) runs in a fresh process, so the peak memory (largest resident set of the process or of one of
its workers) is its own. The target is 10,000 series in under 10 minutes on 2 cores; a profile whose
1,000-series rate puts it past 30 minutes is not run on 10,000 (the estimate is printed instead) unless
``--full`` is given. The synthetic histories (36–48 months) are shorter than ``cv_horizon="auto"``'s 54, so
every series is backtested over one quarter.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from salesops.demand import forecast as fc

SEED = 20261126
HOLDOUT = 12
TARGET_SECONDS = 600
TARGET_SERIES = 10_000
PROFILES = {"default": {}, "full": {"profile": "full"}, "estimate-once": {"profile": "full", "cv_refit": False},
            "fast": {"profile": "fast"}}


def synthetic_series(n: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history, held-out next 12 months) of ``n`` seasonal monthly series, long format."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(36, 49, size=n)  # months of history
    level = np.exp(rng.normal(9.0, 1.0, size=n))
    growth = rng.normal(0.005, 0.01, size=n)  # per month
    amplitude = rng.uniform(0.1, 0.5, size=n)
    phase = rng.uniform(0, 2 * np.pi, size=n)
    second = rng.uniform(0.0, 0.5, size=n)
    noise = rng.uniform(0.05, 0.25, size=n)
    end = pd.Timestamp("2026-12-01")
    ids, dss, ys, held = [], [], [], []
    for i in range(n):
        total = lengths[i] + HOLDOUT
        t = np.arange(total)
        ds = pd.date_range(end=end + pd.DateOffset(months=HOLDOUT), periods=total, freq="MS")
        angle = 2 * np.pi * ds.month.to_numpy() / 12 + phase[i]
        season = 1 + amplitude[i] * (np.sin(angle) + second[i] * np.sin(2 * angle)) / (1 + second[i])
        y = level[i] * (1 + growth[i]) ** t * season * (1 + noise[i] * rng.standard_normal(total))
        ids.append(np.full(total, f"s{i:05d}"))
        dss.append(ds.to_numpy())
        ys.append(np.clip(y, 0, None))
        held.append(t >= lengths[i])
    frame = pd.DataFrame({"unique_id": np.concatenate(ids), "ds": np.concatenate(dss), "y": np.concatenate(ys)})
    future = np.concatenate(held)
    return frame.loc[~future].reset_index(drop=True), frame.loc[future].reset_index(drop=True)


def holdout_mase(history: pd.DataFrame, actual: pd.DataFrame, forecasts: pd.DataFrame, column: str = "mean") -> float:
    """Mean over series of the 12-month MASE (scale: in-sample seasonal naive MAE of the history)."""
    cutoff = history.groupby("unique_id")["ds"].max().rename("cutoff")
    cv = actual.merge(forecasts[["unique_id", "ds", column]].astype({"unique_id": str}), on=["unique_id", "ds"])
    cv = cv.merge(cutoff, left_on="unique_id", right_index=True)
    return float(fc.cv_metrics(cv, history, 12, [column])["mase"].mean())


def seasonal_naive(history: pd.DataFrame) -> pd.DataFrame:
    last = history.groupby("unique_id").tail(12)
    return last.assign(ds=last["ds"] + pd.DateOffset(months=12)).rename(columns={"y": "naive"})


def run_one(profile: str, n: int) -> dict:
    history, actual = synthetic_series(n)
    settings = fc.ForecastSettings(levels=[[]], **PROFILES[profile])
    began = time.perf_counter()
    with fc.open_engine(settings) as engine:
        metrics = fc.cross_validate(history, settings, engine=engine)
        backtested = time.perf_counter()
        selection = fc.select_models(metrics)
        forecasts = fc.forecast(history, settings, selection, engine=engine)
    seconds = time.perf_counter() - began
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    members = selection["model"].astype(str).str.count(re.escape(fc.COMBINATION_SEPARATOR)) + 1
    shares = members.map(lambda k: f"mean of {k}" if k > 1 else "one model").value_counts(normalize=True)
    return {
        "profile": profile, "series": n, "seconds": seconds, "cv_seconds": backtested - began,
        "peak_mb": max(self_kb, children_kb) / 1024, "main_mb": self_kb / 1024, "worker_mb": children_kb / 1024,
        "mase": holdout_mase(history, actual, forecasts),
        "naive_mase": holdout_mase(history, actual, seasonal_naive(history), "naive"),
        "shares": {model: round(float(share), 3) for model, share in shares.items()},
    }


def in_fresh_process(profile: str, n: int) -> dict:
    command = [sys.executable, __file__, "--one", profile, str(n)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{profile} on {n:,} series failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GB, Python {platform.python_version()}, "
            f"{platform.system()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=list(PROFILES))
    parser.add_argument("--full", action="store_true", help="run every profile on every size, however long")
    parser.add_argument("--one", nargs=2, metavar=("PROFILE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]))))
        return

    print(f"Machine: {machine()}", flush=True)
    rows, notes = [], []
    for profile in args.profiles:
        rates: dict[str, tuple[int, float]] = {}  # resolved profile -> (series, series/s) of its last run
        for n in sorted(args.sizes):
            resolved = fc.ForecastSettings(**PROFILES[profile]).for_series(n).profile
            measured, rate = rates.get(resolved, (0, None))
            estimate = n / rate if rate else None
            if estimate is not None and estimate > 3 * TARGET_SECONDS and not args.full:
                notes.append(f"`{profile}` on {n:,} series not run: the {measured:,}-series rate "
                             f"({rate:.1f} series/s) puts it at about {estimate / 60:.0f} minutes "
                             f"(target {TARGET_SECONDS // 60}); `--full` runs it anyway.")
                print(notes[-1], flush=True)
                continue
            result = in_fresh_process(profile, n)
            rate = result["series"] / result["seconds"]
            rates[resolved] = (n, rate)
            rows.append(result)
            print(f"{profile:8s} {n:>6,} series: {result['seconds']:8.1f} s ({rate:7.1f} series/s, backtest "
                  f"{result['cv_seconds']:.1f} s), peak {result['peak_mb']:,.0f} MB, holdout MASE {result['mase']:.3f} "
                  f"(seasonal naive {result['naive_mase']:.3f}), chosen {result['shares']}", flush=True)

    print()
    print("| profile | models | backtest windows (re-estimated) | series | wall time | series/s | peak memory | "
          "12-month holdout MASE (seasonal naive) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        settings = fc.ForecastSettings(**PROFILES[row["profile"]]).for_series(row["series"])
        refit = "each" if settings.cv_refit else "once"
        name = f"{row['profile']} ({settings.profile})" if row["profile"] == "default" else row["profile"]
        print(f"| {name} | {', '.join(settings.models)} | {settings.cv_windows} ({refit}) | "
              f"{row['series']:,} | "
              f"{_duration(row['seconds'])} | {row['series'] / row['seconds']:,.1f} | {row['peak_mb']:,.0f} MB | "
              f"{row['mase']:.3f} ({row['naive_mase']:.3f}) |")
    for note in notes:
        print(f"\n{note}")
    for profile in args.profiles:
        big = [row for row in rows if row["profile"] == profile and row["series"] >= TARGET_SERIES]
        if big:
            met = big[0]["seconds"] * TARGET_SERIES / big[0]["series"] <= TARGET_SECONDS
            print(f"\nTarget ({TARGET_SERIES:,} series in under {TARGET_SECONDS // 60} minutes) with `{profile}`: "
                  f"{'met' if met else 'NOT met'} ({_duration(big[0]['seconds'])}).")


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


if __name__ == "__main__":
    main()
