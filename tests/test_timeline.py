"""Where a run's time goes (salesops.runner.timeline) and the work a step's kernel does ahead (salesops.runner.ahead):
the phases on hand-made notebooks and clocks, the code a kernel is given, and work ahead that cannot be done."""

from __future__ import annotations

import pytest
import yaml

from salesops.demand import forecast
from salesops.runner import ahead, requirements, timeline


def cell(source: str, seconds: float | None, kind: str = "code") -> dict:
    metadata = {} if seconds is None else {"papermill": {"duration": seconds}}
    return {"cell_type": kind, "source": source, "metadata": metadata}


def test_cells_are_counted_by_what_they_do():
    notebook = {"cells": [
        cell("quarter = '2027Q1'", 0.01),  # the parameters: a display cell like any other
        cell("step = start(...)\ndemand = demand_workflow.run(step)", 4.0),
        cell("present.cards(demand.metrics)", 0.25),
        cell("# Heading", 9.0, kind="markdown"),  # not code: not counted
        cell("plots.forecast_fan(...)", 0.5),
        cell("demand_workflow.write(step, demand)", 0.75),
        cell("present.table(x)", None),  # not run (a failed step stops before it): nothing
    ]}
    assert timeline.cell_seconds(notebook) == {"compute": 4.0, "display": 0.76, "write": 0.75}
    assert timeline.cell_kind("collected = collect_workflow.run(step)") == "compute"
    assert timeline.cell_kind("x = run(step)") == "display"


def test_phases_add_up_per_name_in_the_order_first_measured(monkeypatch):
    clock = iter([10.0, 10.5, 20.0, 21.25])
    monkeypatch.setattr(timeline.time, "perf_counter", lambda: next(clock))
    line = timeline.Timeline()
    with line.measure(timeline.step_phase("01_collect", "render")):
        pass
    line.add("check", 1.004)
    with pytest.raises(RuntimeError), line.measure("01_collect/render"):  # measured even when it fails
        raise RuntimeError("page")
    assert line.record() == {"01_collect/render": 1.75, "check": 1.0}


def test_only_step_2_has_work_ahead_and_its_code_names_the_run_parameters():
    parameters = {"quarter": "2027Q1", "params_path": "/p/q.yaml", "data_dir": "", "out_dir": "data"}
    assert set(ahead.AHEAD) == {"02_demand"}
    assert ahead.ahead_code("03_supply", parameters) == ""
    code = ahead.ahead_code("02_demand", parameters)
    assert code.splitlines() == ["from salesops.runner.ahead import compute_ahead",
                                 "compute_ahead('02_demand', '2027Q1', '/p/q.yaml', '')"]


def test_work_ahead_that_cannot_be_done_is_left_to_the_step(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    ahead.compute_ahead("02_demand", "2027Q1", str(missing), "")  # no such params file: nothing, and no error
    ahead.compute_ahead("02_demand", "2027Q1", "", str(tmp_path))  # an empty data folder: the same
    ahead.compute_ahead("01_collect", "2027Q1", "", "")  # a step without work ahead
    assert forecast.pending_ahead() == 0


@pytest.mark.parametrize(("data", "reads"), [({"source": "sql", "sql": {"url": "sqlite:///crm.db"}}, False),
                                             ({"source": "folder"}, True)])
def test_no_work_ahead_queries_a_database_a_second_time(data, reads, tmp_path, monkeypatch):
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"data": {**data, "dir": str(tmp_path)}}), encoding="utf-8")
    read = []
    monkeypatch.setattr(requirements, "planning_tables", lambda *args: read.append(args))  # returns None: no work
    ahead.compute_ahead("02_demand", "2027Q1", str(params), "")
    assert bool(read) is reads
