"""Whole runs under stress, through the command line as a user starts them: two runs of one quarter at once,
a run killed half-way, and the rerun after it, which must give the same bytes as the first report.

These start real kernels (about a minute in all), so the runs are shared through one module-scoped fixture.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from salesops.data import artifacts
from salesops.runner.report_folder import MARKER

from builders import ROOT, tiny_export, write_export

pytestmark = pytest.mark.e2e


def every_file(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): artifacts.file_sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def start_run(export: Path, out: Path, *options: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "salesops", "run", "2027Q1", "--data", str(export),
                             "--out", str(out), *options], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


@pytest.fixture(scope="module")
def two_at_once(tmp_path_factory):
    base = tmp_path_factory.mktemp("safety")
    export = write_export(base / "export", tiny_export())
    out = base / "reports" / "2027Q1"
    first = start_run(export, out)
    time.sleep(0.5)
    second = start_run(export, out)
    results = [(process.wait(timeout=600), *process.communicate()) for process in (first, second)]
    return {"base": base, "export": export, "out": out, "results": results}


def test_two_runs_of_one_quarter_give_one_report_and_one_clear_refusal(two_at_once):
    (first_code, first_out, first_err), (second_code, _, second_err) = two_at_once["results"]
    assert first_code == 0, first_err
    assert second_code == 3  # busy: try again later (docs/automation.md)
    assert "another run of 2027Q1 into" in second_err and "is in progress (pid" in second_err
    assert "Traceback" not in second_err + first_err
    out = two_at_once["out"]
    assert (out / "index.html").is_file() and (out / MARKER).is_file()
    assert not list(out.parent.glob(".build-*")) and not (out.parent / "2027Q1.failed").exists()


def test_a_killed_run_leaves_the_last_good_report_and_the_next_run_cleans_up(two_at_once):
    out, export = two_at_once["out"], two_at_once["export"]
    good = every_file(out)
    victim = start_run(export, out, "--force")  # else every step is taken from the report in place, at once
    deadline = time.monotonic() + 300
    while not list(out.parent.glob(".build-*/data/table_opportunities.parquet")):  # step 1 is under way
        assert victim.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
        time.sleep(0.2)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    time.sleep(3)  # the orphaned kernel notices its parent is gone and stops
    assert every_file(out) == good  # byte for byte
    assert list(out.parent.glob(".build-*"))  # the killed run's build folder is still there...

    rerun = start_run(export, out, "--json")
    code, stdout, err = rerun.wait(timeout=600), *rerun.communicate()
    assert code == 0, err
    summary = json.loads(stdout)  # --json: one line, nothing else
    assert summary["status"] == "done" and summary["report"] == str(out / "index.html") and summary["seconds"] > 0
    assert not list(out.parent.glob(".build-*")) and not list(out.parent.glob(".old-*"))  # ...and now gone
    assert not (out.parent / "2027Q1.failed").exists()
    again = every_file(out)
    assert set(again) == set(good) and len(good) > 30
    # a rerun of the same inputs, params and code takes every step from the report in place and writes the same
    # bytes, in another build folder: only the timings differ
    assert summary["steps_run"] == [] and len(summary["steps_reused"]) == 4
    assert [name for name in good if good[name] != again[name]] == ["timings.json"]
    assert "plan.xlsx" in good and "analyst/04_align.html" in good
    notebook = (out / "notebooks" / "01_collect.ipynb").read_text()
    assert ".build-" not in notebook and "start_time" not in notebook  # no build path, no run times


def test_a_step_whose_kernel_dies_fails_with_a_clear_error_instead_of_waiting(tmp_path):
    # the system ends a kernel (e.g. for memory) while a cell runs: the step fails at once, with a notebook to show
    import nbformat

    from salesops.runner import run

    notebook = tmp_path / "01_collect.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
        nbformat.v4.new_code_cell("print('never')")]), notebook)
    output = tmp_path / "out.ipynb"
    run.ensure_kernel()
    said = {}
    worker = threading.Thread(target=lambda: said.update(error=run.execute_notebook(notebook, output, {}, tmp_path)),
                              daemon=True)
    worker.start()
    worker.join(120)
    assert not worker.is_alive(), "the step still waits for its dead kernel after 2 minutes"
    assert said["error"] == run.KERNEL_DIED and "ran out of memory" in said["error"]
    shown = nbformat.read(output, as_version=4)
    assert shown.cells[0].source.startswith("**This step stopped before it finished:** the step's Python process")
