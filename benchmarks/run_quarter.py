"""Wall time and peak memory of a whole quarter run on the sample company, with each step's share, and of the
reruns that take unchanged steps from the previous report.

    .venv/bin/python benchmarks/run_quarter.py [--scales 1 10] [--quarter 2027Q1] [--runs cold warm step4 nothing]

Each scale runs as separate `salesops run` processes into one report folder: cold (the sample company is
generated first) and warm (the cached sample is reused), both with --force so that every step runs; then a rerun
after a step-4 param change (quotas.over_assignment: step 4 runs, steps 1-3 are taken from the warm run's report)
and a rerun with nothing changed (every step taken). Peak memory is the largest resident set of the runner or of
any process it started (the notebook kernels), sampled every half second (``watch_tree``); CPU time adds up the user
and system time of the command and of every process below it (a better guide than wall time when other work shares
the cores). ``--runs`` picks among those four runs (``--runs warm`` for the warm whole run alone; ``--runs cold``
for one whole run per large scale). Prints Markdown tables for benchmarks/README.md: the runs, the reruns, and where
the time of the last whole run went (``breakdown``: the process start and the command's imports measured here, every
other phase from the run's ``timings.json``, see ``salesops.runner.timeline``).
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
        "import time; began = time.time(); import os, resource, sys; "
        "from salesops.runner.cli import main, skip_slow_optional_imports; skip_slow_optional_imports(); "
        "import salesops.runner.run; imported = time.time(); code = main(sys.argv[1:]); "
        "own = resource.getrusage(resource.RUSAGE_SELF); kids = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print('PEAK_KB', max(own.ru_maxrss, kids.ru_maxrss), file=sys.stderr); "
        "print('STARTED', began - float(os.environ['BENCHMARK_LAUNCHED']), imported - began, file=sys.stderr); "
        "print('CPU', own.ru_utime + own.ru_stime, file=sys.stderr); "
        "sys.stdout.flush(); sys.stderr.flush(); os._exit(code)"
    )
    launched = time.time()
    began = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", script, "run", quarter, "--params", str(params), "--out", str(out), *options],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr, text=True,
            env={**os.environ, "BENCHMARK_LAUNCHED": repr(launched)})
        tree = watch_tree(process)
        seconds = time.perf_counter() - began
        stderr.seek(0)
        result = subprocess.CompletedProcess(process.args, process.returncode, "", stderr.read())
    if result.returncode != 0:
        raise SystemExit(f"run at scale {scale} failed:\n{result.stderr}")
    said = {line.split()[0]: line.split()[1:] for line in result.stderr.splitlines()
            if line.startswith(("PEAK_KB", "STARTED", "CPU"))}
    peak_kb = max(int(said["PEAK_KB"][0]), tree["peak_kb"])
    timings = json.loads((out / "timings.json").read_text())
    phases = {"process start": float(said["STARTED"][0]), "command imports": float(said["STARTED"][1]),
              **timings.get("phases", {})}
    sample = next(folder for folder in (ROOT / ".cache" / "sample").glob(f"*_scale{scale:g}_*")
                  if (folder / ".complete").exists())  # counted in the sample: the activities stay in step 1
    rows = {name: pq.ParquetFile(sample / f"{name}.parquet").metadata.num_rows
            for name in ("opportunities", "activities", "leads")}
    return {"scale": scale, "cold": cold, "kind": kind, "seconds": seconds, "peak_mb": peak_kb / 1024,
            "together_mb": tree["together_kb"] / 1024, "steps": timings["steps"], "reused": timings.get("reused", []),
            "rows": rows, "phases": phases, "run_seconds": timings["total_seconds"],
            "cpu": max(float(said["CPU"][0]), tree["cpu"])}


def breakdown(run: dict) -> list[tuple[str, float, str]]:
    """Where the time of ``run`` went, as (phase, seconds, how it counts) rows: ``critical`` phases happen one after
    the other and add up (with ``other``, the rest) to the wall time; ``background`` ones overlap them."""
    phases = dict(run["phases"])
    rows = [(name, phases.pop(name, 0.0), "critical") for name in ("process start", "command imports", "set-up",
                                                                  "check", "imports for the pages")]
    steps = sorted({name.split("/")[0] for name in phases if "/" in name})
    for step in steps:
        notebook = phases.pop(f"{step}/notebook", 0.0)
        cells = {kind: phases.pop(f"{step}/{kind}", 0.0) for kind in ("compute", "display", "write")}
        rows.append((f"{step}: waiting for its kernel", phases.pop(f"{step}/waiting for kernel", 0.0), "critical"))
        rows += [(f"{step}: {kind} cells", spent, "critical") for kind, spent in cells.items()]
        rows.append((f"{step}: papermill around the cells", notebook - sum(cells.values()), "critical"))
        rows += [(f"{step}: {phase}", phases.pop(f"{step}/{phase}", 0.0), "background")
                 for phase in ("kernel start", "kernel imports", "work ahead", "render", "print")]
    rows += [(name, phases.pop(name, 0.0), "critical") for name in ("index", "index print", "waiting for pages",
                                                                   "manifest", "board pack")]
    rows += [(name, spent, "critical") for name, spent in phases.items()]
    rows.append(("other (publishing the folder, exit)", run["seconds"] - sum(s for _, s, how in rows if how == "critical"),
                 "critical"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", type=float, default=[1.0, 10.0])
    parser.add_argument("--quarter", default="2027Q1")
    parser.add_argument("--runs", nargs="+", choices=("cold", "warm", "step4", "nothing"),
                        default=["cold", "warm", "step4", "nothing"])
    args = parser.parse_args()
    results, reruns = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales:
            for cold in [kind == "cold" for kind in ("cold", "warm") if kind in args.runs]:
                result = run_once(args.quarter, scale, Path(tmp), cold)
                results.append(result)
                print(f"scale {scale:g} {'cold' if cold else 'warm'}: {result['seconds']:.1f} s, "
                      f"CPU {result['cpu']:.1f} s, all processes at once {result['together_mb']:.0f} MB, "
                      f"peak {result['peak_mb']:.0f} MB, steps {result['steps']}, load {os.getloadavg()[0]:.1f}",
                      file=sys.stderr, flush=True)
            kinds = [k for key, k in (("step4", "step 4 param changed"), ("nothing", "nothing changed"))
                     if key in args.runs]
            whole = results[-1] if results else None
            for kind in kinds if whole else []:
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
    last = results[-1]
    print(f"\nWhere the time of the last whole run went (scale {last['scale']:g}, "
          f"{'generated' if last['cold'] else 'cached'} sample, {last['seconds']:.1f} s wall; CPU of the command "
          f"and its kernels {last['cpu']:.1f} s):\n")
    print("| phase | seconds | |")
    print("| --- | --- | --- |")
    for name, spent, how in breakdown(last):
        print(f"| {name} | {spent:.2f} | {'' if how == 'critical' else 'in the background'} |")

    print("\n| scale | rerun | steps run | steps reused | wall time | share of the warm whole run | peak memory |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in reruns:
        ran = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in r["steps"].items()) or "none"
        print(f"| {r['scale']:g} | {r['kind']} | {ran} | {', '.join(r['reused']) or 'none'} | {r['seconds']:.1f} s | "
              f"{r['ratio']:.0%} | {r['peak_mb']:,.0f} MB |")


if __name__ == "__main__":
    main()
