"""The four step notebooks run in this process, their displays recorded instead of drawn: every analysis,
workflow helper and argument a page computes runs, without a kernel (see tests/test_optional_data.py)."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd

from salesops.plan_params import load_params
from salesops.report import plots, present
from salesops.runner import step as step_module
from salesops.runner.requirements import ensure_data_can_run

from builders import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
#: As valid as the defaults, and faster: one forecasting model and backtest window, no worker processes, a
#: smaller payout simulation. Tests that vary what the data holds, not the models, run with these.
FAST_PARAMS = {"forecast": {"models": ["SeasonalNaive"], "cv_windows": 1, "rule": "best", "n_jobs": 1},
               "compensation": {"simulation_draws": 200}}


@dataclass
class Shown:
    """What one display call of a page showed: in which part (the heading above it), whether it showed anything,
    and the reason or sentences it gave."""

    part: str
    call: str
    empty: bool
    sentences: list[str] = field(default_factory=list)


class Page:
    """Records the display calls of one page in order (``present`` and ``plots`` stand in for the real ones)."""

    def __init__(self):
        self.part = ""
        self.shown: list[Shown] = []

    def record(self, call: str, content, sentences=()) -> None:
        empty = content is None or (hasattr(content, "__len__") and len(content) == 0)
        self.shown.append(Shown(self.part, call, empty, [s for s in sentences if s]))

    def section(self, content, reason: str = "", *args, **kwargs) -> None:
        sentences = content if isinstance(content, list) and content and isinstance(content[0], str) else []
        self.record("section", content, [reason] if content is None else sentences)

    def bullets(self, sentences) -> None:
        self.record("bullets", sentences, sentences)

    def table(self, frame, *args, **kwargs) -> None:
        self.record("table", frame)

    def unexplained(self) -> list[str]:
        """The display calls that showed nothing, with no reason of their own nor one shown before them in
        their part of the page."""
        said, missing = set(), []
        for shown in self.shown:
            if shown.sentences:
                said.add(shown.part)
            elif shown.empty and shown.part not in said:
                missing.append(f"{shown.call} in part {shown.part!r}")
        return missing


def displays(monkeypatch, page: Page) -> None:
    """Replace what draws or renders with ``page``'s recorders (the arguments are still computed)."""
    monkeypatch.setattr(present, "section", page.section)
    monkeypatch.setattr(present, "bullets", page.bullets)
    monkeypatch.setattr(present, "table", page.table)
    monkeypatch.setattr(present, "cards", lambda metrics: page.record("cards", metrics))
    for name in ("header_line", "rejects", "callout"):
        monkeypatch.setattr(present, name, lambda *a, **k: None)
    for name, function in vars(plots).items():
        if callable(function) and getattr(function, "__module__", "") == plots.__name__ and name != "set_theme":
            monkeypatch.setattr(plots, name, lambda data, *a, **k: page.record("chart", data))
    monkeypatch.setattr(plots, "set_theme", lambda: None)
    monkeypatch.setattr(logging.getLogger(), "level", logging.getLogger().level)  # start() quiets the log
    monkeypatch.setattr(step_module, "load_params", same_params)  # read once, not once a step


@functools.cache
def same_params(quarter: str, params_path: str | None, root: Path):
    """``load_params``, once per file: the params are frozen, and reading the YAML costs a tenth of a run."""
    return load_params(quarter, params_path, root)


def run_in_process(monkeypatch, params_path: Path, data: Path, out: Path, quarter: str = "2027Q1"
                   ) -> dict[str, Page]:
    """Run the four notebooks' code cells in this process on ``data``; the pages' display calls by step."""
    ensure_data_can_run(load_params(quarter, params_path, ROOT), ROOT, data)  # what the runner checks first
    pages = {}
    with pd.option_context("display.max_columns", pd.get_option("display.max_columns")):  # start() sets it
        for path in NOTEBOOKS:
            pages[path.stem] = run_notebook(path, {"quarter": quarter, "params_path": str(params_path),
                                                   "data_dir": str(data), "out_dir": str(out)}, monkeypatch)
    return pages


def run_notebook(path: Path, namespace: dict, monkeypatch) -> Page:
    """Execute the code cells of notebook ``path`` but its parameters cell in ``namespace``, the displays recorded."""
    page = Page()
    displays(monkeypatch, page)
    for number, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "markdown" and cell.source.startswith("#"):
            page.part = cell.source.splitlines()[0].lstrip("# ")
        elif cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            exec(compile(cell.source, f"{path.name}, cell {number}", "exec"), namespace)
    return page
