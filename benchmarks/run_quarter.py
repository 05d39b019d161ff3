"""Wall time and peak memory of a whole quarter run on the sample company, with each step's share, and of the
reruns that take unchanged steps from the previous report.

    .venv/bin/python benchmarks/run_quarter.py [--scales 1 10] [--quarter 2027Q1]

Each scale runs as separate `salesops run` processes into one report folder: cold (the sample company is
generated first) and warm (the cached sample is reused), both with --force so that every step runs; then a rerun
after a step-4 param change (quotas.over_assignment: step 4 runs, steps 1-3 are taken from the warm run's report)
and a rerun with nothing changed (every step taken). Peak memory is the largest resident set of the runner or of
any process it started (the notebook kernels), sampled every half second (``watch_tree``); CPU time adds up the user
and system time of the command and of every process below it (a better guide than wall time when other work shares
the cores). Prints Markdown tables for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]


#: The rerun measured after the whole runs: what it changes in the params, and the command-line options it adds.
RERUNS = {"whole": ("", ("--force",)), "step 4 param changed": ("quotas:\n  over_assignment: 0.2\n", ()),
          "nothing changed": ("quotas:\n  over_assignment: 0.2\n", ())}


def watch_tree(process: subprocess.Popen, every: float = 0.5) -> dict:
    """Until ``process`` ends: the largest resident set of it or any process below it (the kernels, which the
    command no longer waits for as it exits, so the operating system's own count of children misses them), the
    largest sum of them all at one moment, and their CPU time (user + system, last seen for each process)."""
    import psutil

    root = psutil.Process(process.pid)
    peak = together = 0
    cpu: dict[int, float] = {}
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            tree = []
        resident = 0
        for member in tree:
            try:
                rss = member.memory_info().rss
                times = member.cpu_times()
            except psutil.Error:
                continue
            resident += rss
            peak = max(peak, rss)
            cpu[member.pid] = times.user + times.system
        together = max(together, resident)
        time.sleep(every)
    return {"peak_kb": peak // 1024, "together_kb": together // 1024, "cpu": sum(cpu.values())}


def run_once(quarter: str, scale: float, workdir: Path, cold: bool, kind: str = "whole") -> dict:
    change, options = RERUNS[kind]
    params = workdir / f"scale{scale:g}.yaml"
    params.write_text(f"sample:\n  scale: {scale}\n{change}", encoding="utf-8")
    out = workdir / f"report-{scale:g}"
    if cold:
        for cached in (ROOT / ".cache" / "sample").glob(f"*_scale{scale:g}_*"):
            shutil.rmtree(cached)
    script = (
        "import resource, sys; from salesops.runner.cli import main; code = main(sys.argv[1:]); "
        "own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
        "print('PEAK_KB', max(own, kids), file=sys.stderr); "
        "cpu = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) "
        "for f in ('ru_utime', 'ru_stime')); print('CPU_S', cpu, file=sys.stderr); sys.exit(code)"
    )
    began = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", script, "run", quarter, "--params", str(params), "--out", str(out), *options],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr, text=True)
        tree = watch_tree(process)
        seconds = time.perf_counter() - began
        stderr.seek(0)
        result = subprocess.CompletedProcess(process.args, process.returncode, "", stderr.read())
    if result.returncode != 0:
        raise SystemExit(f"run at scale {scale} failed:\n{result.stderr}")
    peak_kb = max(int(next(line.split()[1] for line in result.stderr.splitlines() if line.startswith("PEAK_KB"))),
                  tree["peak_kb"])
    cpu = max(float(next(line.split()[1] for line in result.stderr.splitlines() if line.startswith("CPU_S"))),
              tree["cpu"])
    timings = json.loads((out / "timings.json").read_text())
    sample = next(folder for folder in (ROOT / ".cache" / "sample").glob(f"*_scale{scale:g}_*")
                  if (folder / ".complete").exists())  # counted in the sample: the activities stay in step 1
    rows = {name: pq.ParquetFile(sample / f"{name}.parquet").metadata.num_rows
            for name in ("opportunities", "activities", "leads")}
    return {"scale": scale, "cold": cold, "kind": kind, "seconds": seconds, "cpu": cpu, "peak_mb": peak_kb / 1024,
            "together_mb": tree["together_kb"] / 1024,
            "steps": timings["steps"], "reused": timings.get("reused", []), "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", type=float, default=[1.0, 10.0])
    parser.add_argument("--quarter", default="2027Q1")
    parser.add_argument("--cold-only", action="store_true",
                        help="one whole run per scale with the sample generated first; no cached run, no reruns "
                             "(for the large scales, where each run takes minutes)")
    parser.add_argument("--cached-only", action="store_true",
                        help="one whole run per scale on the sample already in .cache/sample (generated first, and "
                             "timed, only when absent); no reruns")
    args = parser.parse_args()
    results, reruns = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales:
            for cold in (True,) if args.cold_only else (False,) if args.cached_only else (True, False):
                result = run_once(args.quarter, scale, Path(tmp), cold)
                results.append(result)
                print(f"scale {scale:g} {'cold' if cold else 'warm'}: {result['seconds']:.1f} s, "
                      f"CPU {result['cpu']:.1f} s, all processes at once {result['together_mb']:.0f} MB, "
                      f"peak {result['peak_mb']:.0f} MB, steps {result['steps']}, load {os.getloadavg()[0]:.1f}",
                      file=sys.stderr, flush=True)
            if args.cold_only or args.cached_only:
                continue
            whole = results[-1]
            for kind in ("step 4 param changed", "nothing changed"):
                rerun = run_once(args.quarter, scale, Path(tmp), False, kind)
                reruns.append({**rerun, "ratio": rerun["seconds"] / whole["seconds"]})
                print(f"scale {scale:g} rerun, {kind}: {rerun['seconds']:.1f} s ({rerun['seconds'] / whole['seconds']:.0%} "
                      f"of the warm whole run), ran {list(rerun['steps'])}", file=sys.stderr)
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.system()}\n")
    print("| scale | sample | opportunities | activities | leads | wall time | CPU time | peak memory | step shares |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        total = sum(r["steps"].values()) or 1
        shares = ", ".join(f"{step} {seconds / r['seconds']:.0%}" for step, seconds in r["steps"].items())
        other = 1 - total / r["seconds"]
        print(f"| {r['scale']:g} | {'generated' if r['cold'] else 'cached'} | {r['rows']['opportunities']:,} | "
              f"{r['rows']['activities']:,} | {r['rows']['leads']:,} | {r['seconds']:.1f} s | {r['cpu']:.0f} s | "
              f"{r['peak_mb']:,.0f} MB | "
              f"{shares}, set-up and rendering of the index {other:.0%} |")

    print("\n| scale | rerun | steps run | steps reused | wall time | share of the warm whole run | peak memory |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in reruns:
        ran = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in r["steps"].items()) or "none"
        print(f"| {r['scale']:g} | {r['kind']} | {ran} | {', '.join(r['reused']) or 'none'} | {r['seconds']:.1f} s | "
              f"{r['ratio']:.0%} | {r['peak_mb']:,.0f} MB |")


if __name__ == "__main__":
    main()
