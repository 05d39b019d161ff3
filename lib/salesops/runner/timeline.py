"""Where a run's time goes: the runner's phases (set-up, the check before step 1, each step's kernel, cells, pages
and board-pack print, the index, the board pack), recorded as they happen and written to ``timings.json`` beside
each step's total, for ``benchmarks/run_quarter.py``.

Every figure is seconds of wall time. Phases that run in the background — a kernel starting and importing while
the step before it runs, a step's pages rendering and printing while the next step runs — overlap the others, so
the phases add up to more than the run; ``waiting for kernel`` is the part of a kernel's start the run waited for.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

#: What a step notebook's cells do, by the call that marks them; every other cell shows tables and charts.
_CELL_KINDS = (("compute", "_workflow.run("), ("write", "_workflow.write("))


class Timeline:
    """Seconds per phase, added to from any thread. A phase is named ``"<step>/<phase>"`` for one step's part
    (``01_collect/compute``) or by its name alone for the run's own (``check``, ``index``)."""

    def __init__(self):
        self._seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, phase: str, seconds: float) -> None:
        with self._lock:
            self._seconds[phase] = self._seconds.get(phase, 0.0) + seconds

    @contextlib.contextmanager
    def measure(self, phase: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.add(phase, time.perf_counter() - began)

    def record(self) -> dict[str, float]:
        """Every phase measured so far, in the order first measured, rounded to 10 ms."""
        with self._lock:
            return {phase: round(seconds, 2) for phase, seconds in self._seconds.items()}


def cell_kind(source: str) -> str:
    """What a step notebook's cell of code ``source`` does: ``compute`` (it calls the step's ``run``: the step's
    analyses, after the imports and ``start``), ``write`` (it calls the step's ``write``: the artifacts and the
    summary) or ``display`` (it shows a table, chart or sentences; also the parameters cells)."""
    return next((kind for kind, marker in _CELL_KINDS if marker in source), "display")


def cell_seconds(notebook: dict) -> dict[str, float]:
    """Seconds an executed notebook (as ``nbformat`` reads it) spent in its cells of each kind (:func:`cell_kind`),
    from the durations papermill records in each cell's metadata; a cell without one counts nothing."""
    seconds = {"compute": 0.0, "display": 0.0, "write": 0.0}
    for cell in notebook.get("cells", []):
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if cell.get("cell_type") == "code" and isinstance(duration, (int, float)):
            seconds[cell_kind(cell.get("source", ""))] += float(duration)
    return seconds


def step_phase(step: str | Path, phase: str) -> str:
    """The name of one step's phase: ``"01_collect/compute"``."""
    return f"{Path(step).stem}/{phase}"
