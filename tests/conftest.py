"""Shared fixtures: a tiny, valid CRM export written as files (the builders are in ``builders.py``)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys

# One OpenMP thread per test process (scikit-learn's gradient boosting is the user), set before numpy or
# scikit-learn loads: pytest-xdist already runs one worker per core, and the OpenMP threads of two workers on the
# same two cores spin waiting for each other (the gradient-boosting test alone, under load: 69 s with the default
# threads, 17 s with one). The kernels of whole-quarter tests inherit it. A value set outside is kept.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path

import pytest

from builders import ROOT, folder_params, tiny_export, write_export  # noqa: F401  (older imports name conftest)


@pytest.fixture
def export_dir(tmp_path) -> Path:
    return write_export(tmp_path / "export", tiny_export())


# The board pack is printed by a browser; the whole-quarter runs of the tests make none (it would add seconds to
# each), except the sample run below, which the browser tests check.
os.environ.setdefault("SALESOPS_BROWSER", "none")

SAMPLE_QUARTER = "2027Q1"


def _run_sample_project(base: Path) -> dict:
    root = base / "project"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "params", root / "params")
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    params = root / "params" / f"{SAMPLE_QUARTER}.yaml"
    params.write_text("sample:\n  scale: 0.2\n", encoding="utf-8")
    out = root / "reports" / SAMPLE_QUARTER  # where a notebook run by hand with its default parameters writes too
    env = {name: value for name, value in os.environ.items() if name != "SALESOPS_BROWSER"}
    result = subprocess.run(
        [sys.executable, "-m", "salesops", "run", SAMPLE_QUARTER, "--params", str(params), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, env={**env, "SALESOPS_ROOT": str(root)},
    )
    return {"root": str(root), "out": str(out),
            "result": {"args": result.args, "returncode": result.returncode, "stdout": result.stdout,
                       "stderr": result.stderr}}


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory):
    """A copy of the project (notebooks and params; 2027Q1 planned on the sample company at scale 0.2) and one
    run of it by the command line, with its board pack. One run for the whole test session: under pytest-xdist
    the first worker that needs it runs it while the others wait, and every worker reads the same report."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = tmp_path_factory.getbasetemp().parent / "sample-run" if worker else tmp_path_factory.mktemp("sample")
    base.mkdir(exist_ok=True)
    with open(base.parent / "sample-run.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = base / "run.json"
        if not done.exists():
            done.write_text(json.dumps(_run_sample_project(base)), encoding="utf-8")
        run = json.loads(done.read_text(encoding="utf-8"))
    return {"root": Path(run["root"]), "out": Path(run["out"]), "result": subprocess.CompletedProcess(**run["result"])}


# --------------------------------------------------------------------------------------------------
# The fast loop (`make test-fast`, `pytest -m "not e2e"`) leaves out every test marked e2e. A test that
# starts a notebook kernel (a whole step or quarter) without the mark would slow the fast loop down
# unnoticed, so such a test fails here, naming the mark to add — in the full run too.

_RUNNING = {"item": None}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _RUNNING["item"] = item  # covers the set-up of module- and session-scoped fixtures the item needs
    try:
        return (yield)
    finally:
        _RUNNING["item"] = None


def pytest_configure(config):
    from nbclient import NotebookClient

    start_kernel = NotebookClient.create_kernel_manager

    def create_kernel_manager_in_e2e_tests_only(client):
        item = _RUNNING["item"]
        if item is not None and item.get_closest_marker("e2e") is None:
            raise RuntimeError(
                f"{item.nodeid} starts a notebook kernel (a whole step or quarter) but is not marked e2e: add "
                "@pytest.mark.e2e to the test (or pytestmark = pytest.mark.e2e to its module), so that the fast "
                "loop (pytest -m 'not e2e') leaves it out.")
        return start_kernel(client)

    NotebookClient.create_kernel_manager = create_kernel_manager_in_e2e_tests_only
