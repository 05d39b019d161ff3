"""Step 2's statistical forecast on many series, on this machine and on a Dask cluster.

    .venv/bin/python benchmarks/forecast_scale.py                         # 1,000, 10,000, 100,000 series
    .venv/bin/python benchmarks/forecast_scale.py --sizes 1000 10000 --engines dask
    .venv/bin/python benchmarks/forecast_scale.py --budget 40             # skip a run projected past 40 minutes

What runs is ``forecast.forecast_step`` with the default ``ForecastSettings()`` — the call step 2 makes on the
bookings series, with the default profile (``profile: auto``: the *full* profile up to ``fast_above_series`` =
1,000 series, the *fast* one above) and the reconciliation of the hierarchy. Two engines:

* ``local``: ``engine: local``, statsforecast's own worker processes (``n_jobs: -1``, one per core);
* ``dask``: ``engine: dask`` on a dask.distributed ``LocalCluster`` of 2 worker processes x 1 thread started by
  the script, the forecast pointed at it by its address (``dask_address``), as at an existing cluster.

Series: ``synthetic_hierarchy`` — monthly bookings shaped like the sample company's segment series: 36 months
(2024-01 to 2026-12), bookings of a Poisson number of deals a month (0.3 to 40 on average, so the small
segments have months with no deal, as the sample's enterprise segments do: 0-58 % of months), growing about
30 % a year, with the sample's season (December strongest, July and August weakest, quarter-end months up)
and one series in ten starting 6 to 20 months late (a new segment, some too short to backtest). They form
the workbook's hierarchy: a total, regions and region x segment (three segments a region), so ``n`` series
are 1 total + (n - 1) / 4 regions + the rest at the bottom. Seeded: the same ``n`` gives the same series.

Each (engine, n) runs in a fresh process. Printed: wall time of ``forecast_step`` (the cluster's start-up is
not in it; statsforecast's numba compilation is, as in a workbook run), series per second, and peak memory:
of the process that calls ``forecast_step`` (the client) and of the largest worker (the local engine's worker
processes, or the Dask workers: their resident memory sampled every second through the cluster); and the CPU
seconds a series (of the client and of its worker processes, their start-up included), which a machine busy
with other work inflates less than the wall time. A size whose run is projected (from the last size measured
with the same profile and engine) past ``--budget`` minutes is not run; its projection is printed, marked as
such: at the measured wall rate, and on two idle cores (CPU seconds a series x n / 2).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd

from salesops.demand import forecast as fc

SEED = 20261130
MONTHS = 36
END = pd.Timestamp("2026-12-01")
SEGMENTS_PER_REGION = 3
#: The sample company's monthly season: quarter-end months up, July and August down, December strongest.
SEASON = np.array([0.90, 0.90, 1.15, 0.90, 0.90, 1.10, 0.75, 0.70, 1.15, 0.95, 0.95, 1.45])


def synthetic_hierarchy(n: int, seed: int = SEED) -> pd.DataFrame:
    """``n`` (at least 5) monthly bookings series: a total, regions and region x segment, in step 2's long format
    (``unique_id, ds, y, region, segment``; NA where a level does not split by a column)."""
    if n < 5:
        raise ValueError(f"n must be at least 5 (a total, a region and three segments); got {n}")
    rng = np.random.default_rng(seed)
    regions = (n - 1) // (SEGMENTS_PER_REGION + 1)
    bottom = n - 1 - regions
    ds = pd.date_range(end=END, periods=MONTHS, freq="MS")
    t = np.arange(MONTHS) / 12.0 - 1.5  # years from the middle of the history
    rate = np.exp(rng.uniform(np.log(0.3), np.log(40.0), size=bottom))  # deals a month, mid-history
    growth = rng.normal(0.30, 0.15, size=bottom).clip(-0.2, None)  # a year
    amplitude = rng.uniform(0.5, 1.5, size=bottom)  # of the company's season
    season = 1 + amplitude[:, None] * (SEASON[ds.month.to_numpy() - 1] - 1)[None, :]
    expected = rate[:, None] * (1 + growth[:, None]) ** t[None, :] * season.clip(0.05, None)
    late = rng.random(bottom) < 0.1
    start = np.where(late, rng.integers(6, 21, size=bottom), 0)
    expected[np.arange(MONTHS)[None, :] < start[:, None]] = 0.0
    deals = rng.poisson(expected)
    size = np.exp(rng.normal(9.5, 0.8, size=bottom))  # mean deal, company currency
    spread = rng.lognormal(0.0, 0.6 / np.sqrt(np.maximum(deals, 1)))  # a sum of deals varies less than one deal
    y_bottom = np.round(deals * size[:, None] * spread, -2)

    region_of = np.arange(bottom) % regions
    segment_of = np.arange(bottom) // regions
    y_region = np.zeros((regions, MONTHS))
    np.add.at(y_region, region_of, y_bottom)
    y_total = y_bottom.sum(axis=0, keepdims=True)

    region_names = np.array([f"R{r:05d}" for r in range(regions)], dtype=object)
    segment_names = np.array([f"S{s}" for s in range(segment_of.max() + 1)], dtype=object)
    ids = np.concatenate([
        [fc.TOTAL_ID],
        "region=" + region_names,
        "region=" + region_names[region_of] + "/segment=" + segment_names[segment_of],
    ])
    region_col = np.concatenate([[pd.NA], region_names, region_names[region_of]])
    segment_col = np.concatenate([[pd.NA] * (1 + regions), segment_names[segment_of]])
    y = np.vstack([y_total, y_region, y_bottom])
    text = "string"
    return pd.DataFrame({
        "unique_id": pd.array(np.repeat(ids, MONTHS), dtype=text),
        "ds": np.tile(ds.to_numpy(), len(ids)),
        "y": y.ravel(),
        "region": pd.array(np.repeat(region_col, MONTHS), dtype=text),
        "segment": pd.array(np.repeat(segment_col, MONTHS), dtype=text),
    })


class _WorkerMemory:
    """Peak resident memory of a Dask cluster's workers, sampled every ``every`` seconds in a thread."""

    def __init__(self, client, every: float = 1.0):
        self.client, self.every, self.peak = client, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                workers = self.client.scheduler_info(n_workers=-1)["workers"].values()
                self.peak = max([self.peak, *(w["metrics"]["memory"] for w in workers)])
            except Exception:  # noqa: BLE001 - a missed sample is not an error of the benchmark
                pass
            self._stop.wait(self.every)

    def __enter__(self) -> "_WorkerMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_one(engine: str, n: int) -> dict:
    series = synthetic_hierarchy(n)
    settings = fc.ForecastSettings()
    cpu = _cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    if engine == "local":
        began = time.perf_counter()
        result = fc.forecast_step(series, settings)
        seconds = time.perf_counter() - began
        worker_bytes = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    else:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
                Client(cluster) as client, _WorkerMemory(client) as workers:
            settings = settings.model_copy(update={"engine": "dask", "dask_address": cluster.scheduler_address})
            began = time.perf_counter()
            result = fc.forecast_step(series, settings)
            seconds = time.perf_counter() - began
        worker_bytes = workers.peak
    # CPU of this process and of its finished children: the local engine's worker processes, or the Dask workers
    # (start-up and numba compilation included), which a busy machine does not inflate as it does wall time
    cpu = _cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN) - cpu
    sizes = {name: int(getattr(result, name).memory_usage(deep=True).sum())
             for name in ("cv_metrics", "forecasts", "reconciled")}
    return {
        "engine": engine, "series": n, "profile": result.settings.profile, "seconds": seconds, "cpu_seconds": cpu,
        "load": (load + os.getloadavg()[0]) / 2,
        "client_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "worker_mb": worker_bytes / 2**20,
        "input_mb": series.memory_usage(deep=True).sum() / 2**20,
        "results_mb": {name: size / 2**20 for name, size in sizes.items()},
        "fallbacks": int((result.backtest["windows"] == 0).sum()),
    }


def in_fresh_process(engine: str, n: int) -> dict:
    command = [sys.executable, __file__, "--one", engine, str(n)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{engine} on {n:,} series failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GB, Python {platform.python_version()}, "
            f"{platform.system()}; load average {load}")


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000], help="run in this order")
    parser.add_argument("--engines", nargs="+", default=["local", "dask"], choices=["local", "dask"])
    parser.add_argument("--budget", type=float, default=40.0, help="minutes a run may be projected to take")
    parser.add_argument("--one", nargs=2, metavar=("ENGINE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]))))
        return

    print(f"Machine: {machine()}", flush=True)
    rows = []
    for n in args.sizes:
        profile = fc.ForecastSettings().for_series(n).profile
        for engine in args.engines:
            measured = [row for row in rows if row["engine"] == engine and row["profile"] == profile]
            if measured:
                rate = measured[-1]["series"] / measured[-1]["seconds"]
                if n / rate > args.budget * 60:
                    idle = measured[-1]["cpu_seconds"] / measured[-1]["series"] * n / 2
                    rows.append({"engine": engine, "series": n, "profile": profile, "seconds": n / rate,
                                 "idle_seconds": idle, "projected_from": measured[-1]["series"]})
                    print(f"{engine:5s} {n:>7,} series: NOT RUN, projected {_duration(n / rate)} from the "
                          f"{measured[-1]['series']:,}-series rate ({rate:.1f} series/s), {_duration(idle)} on two "
                          "idle cores", flush=True)
                    continue
            row = in_fresh_process(engine, n)
            print(f"{engine:5s} {n:>7,} series ({row['profile']}): {_duration(row['seconds'])}, "
                  f"{n / row['seconds']:.1f} series/s, {row['cpu_seconds'] / n * 1000:.0f} CPU ms a series, load "
                  f"{row['load']:.1f}, client peak {row['client_mb']:,.0f} MB, largest worker "
                  f"{row['worker_mb']:,.0f} MB, input {row['input_mb']:.0f} MB, results "
                  f"{ {k: round(v) for k, v in row['results_mb'].items()} } MB", flush=True)
            rows.append(row)

    print(f"\nMachine at the end: {machine()}\n")
    print("| engine | series | profile | wall time | series/s | CPU a series | load average | peak memory: client | "
          "largest worker |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        if "projected_from" in row:
            print(f"| {row['engine']} | {row['series']:,} | {row['profile']} | **projected** "
                  f"{_duration(row['seconds'])} at the {row['projected_from']:,}-series rate, "
                  f"{_duration(row['idle_seconds'])} on two idle cores | — | — | — | — | — |")
            continue
        print(f"| {row['engine']} | {row['series']:,} | {row['profile']} | {_duration(row['seconds'])} | "
              f"{row['series'] / row['seconds']:.1f} | {row['cpu_seconds'] / row['series'] * 1000:.0f} ms | "
              f"{row['load']:.1f} | {row['client_mb']:,.0f} MB | {row['worker_mb']:,.0f} MB |")


if __name__ == "__main__":
    main()
