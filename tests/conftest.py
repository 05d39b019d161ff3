"""Shared fixtures: a tiny, valid CRM export written as files (the builders are in ``builders.py``)."""

from __future__ import annotations

import os

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
