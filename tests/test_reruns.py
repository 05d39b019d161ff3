"""Step-level reruns through the runner: which steps a run executes and which it takes from the quarter's previous
report, on the tiny export.

The runner is the real one (fingerprints, the previous report, copying, manifest, index); only the kernel is
replaced: each step notebook's code runs in this process (``in_process``) and its pages are stand-ins, so a run
takes a second or two. One module-scoped sequence of runs is shared by the tests, each run starting from the
report the one before it left.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

import in_process
from salesops.data import artifacts
from salesops.plan_params import load_params
from salesops.demand import forecast
from salesops.runner import ahead, cli, reuse, run, step
from salesops.runner.run import run_quarter

from builders import ROOT, tiny_export, write_export
from in_process import FAST_PARAMS

QUARTER = "2027Q1"
ALL = ["01_collect", "02_demand", "03_supply", "04_align"]


class Kernels:
    """Stands in for the runner's kernel warm-up: no kernel starts; the work ahead is done in this process, as the
    step's kernel would do it (``runner.ahead``)."""

    def __init__(self, build, timeline=None, parameters=None):
        self.parameters = parameters

    def warm(self, notebook, ahead=False):
        if ahead:
            p = self.parameters
            computed_ahead(notebook.stem, p["quarter"], p["params_path"], p["data_dir"])

    def take(self, notebook):
        return None

    def discard(self):
        pass


#: Per step run in the module's runs, in order: (step, forecasts computed ahead that no step had taken after it).
ahead_left: list[tuple[str, int]] = []
#: Per step whose work was done ahead: how many forecasts that work left for it.
computed: list[tuple[str, int]] = []


def computed_ahead(step: str, quarter: str, params_path: str, data_dir: str) -> None:
    ahead.compute_ahead(step, quarter, params_path, data_dir)
    computed.append((step, forecast.pending_ahead()))


def every_file(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): artifacts.file_sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Runs one after another into one report folder; for each, the steps executed (or the error) and the files."""
    base = tmp_path_factory.mktemp("reruns")
    export = write_export(base / "export", tiny_export())
    params = base / "params.yaml"
    params.write_text(yaml.safe_dump(FAST_PARAMS), encoding="utf-8")
    changed = base / "params-demand.yaml"  # a step-2 param changed (another file: in_process caches params by path)
    changed.write_text(yaml.safe_dump({**FAST_PARAMS, "demand": {"slippage": False}}), encoding="utf-8")
    out = base / "reports" / QUARTER
    executed: list[str] = []
    ahead_left.clear()
    log: list[str] = []
    found = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        def execute(notebook, output, parameters, build, kernel=None, timeline=None):
            executed.append(notebook.stem)
            in_process.run_notebook(notebook, {**parameters, "out_dir": str(build / "data")}, monkeypatch)
            ahead_left.append((notebook.stem, forecast.pending_ahead()))
            shutil.copyfile(notebook, output)
            return None

        def render(build, step, failed, params=None, steps=None, printer=None, timeline=None):
            page, analyst = run.page_names(step)
            for name in (page, analyst):
                (build / name).parent.mkdir(parents=True, exist_ok=True)
                (build / name).write_text(f"page of {step}", encoding="utf-8")
            return page, analyst

        monkeypatch.setattr(run, "execute_notebook", execute)
        monkeypatch.setattr(run, "_render", render)
        monkeypatch.setattr(run, "_NextKernel", Kernels)
        monkeypatch.setattr(run, "ensure_kernel", lambda: None)

        def go(name, params_path=params, **options):
            executed.clear()
            log.clear()
            try:
                run_quarter(QUARTER, params_path=params_path, data_dir=export, out_dir=out, log=log.append, **options)
                error = None
            except reuse.RerunError as exc:
                error = str(exc)
            found[name] = {"executed": list(executed), "error": error, "files": every_file(out),
                           "log": list(log)}

        go("first")
        go("unchanged")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            code = cli.main(["run", QUARTER, "--params", str(params), "--data", str(export), "--out", str(out),
                             "--json"])
        found["json"] = {"code": code, "printed": printed.getvalue(), "executed": list(executed),
                         "facts": pd.read_parquet(out / "data" / "plan_facts.parquet")}
        by_hand = artifacts.artifact_path(artifacts.artifact_folder(out), "capacity_gaps")
        pd.read_parquet(by_hand).head(0).to_parquet(by_hand)  # as a notebook run by hand would overwrite it
        go("artifact changed by hand")
        go("step-2 param changed", changed)
        go("only, upstream stale", params, only="align")  # step 2 was made with the changed param: out of date
        go("from step 4", changed, from_step="align")
        go("only step 3", changed, only="03")
        frame = pd.read_csv(export / "opportunities.csv", dtype=str)
        frame.loc[0, "amount"] = str(float(frame.loc[0, "amount"]) + 1000)
        frame.to_csv(export / "opportunities.csv", index=False)
        go("input file changed", changed)
    return {**found, "out": out}


def test_the_first_run_executes_every_step(runs):
    assert runs["first"]["executed"] == ALL


def test_an_unchanged_rerun_executes_no_step_and_writes_the_same_bytes(runs):
    assert runs["unchanged"]["executed"] == []
    first, again = runs["first"]["files"], runs["unchanged"]["files"]
    assert set(first) == set(again) and "plan.xlsx" in first and "analyst/04_align.html" in first
    assert [name for name in first if first[name] != again[name]] == ["timings.json"]
    assert all("reused from the previous report" in line for line in runs["unchanged"]["log"][:4])
    assert runs["unchanged"]["log"][-1].endswith("0 step(s) run, reused 01_collect, 02_demand, 03_supply, 04_align.")


def test_json_says_in_one_line_which_steps_ran_and_which_were_reused(runs):
    assert runs["json"]["code"] == cli.EXIT_OK and runs["json"]["executed"] == []
    assert len(runs["json"]["printed"].splitlines()) == 1
    summary = json.loads(runs["json"]["printed"])
    assert summary["status"] == "done" and summary["exit_code"] == 0 and summary["quarter"] == QUARTER
    assert summary["out"] == str(runs["out"]) and summary["report"] == str(runs["out"] / "index.html")
    assert summary["steps_run"] == [] and summary["steps_reused"] == ALL
    facts = runs["json"]["facts"]
    assert summary["headline"] == {key: (None if pd.isna(value) else value)
                                   for key, value in zip(facts["key"], facts["value"])}
    assert {"forecast_base", "target", "gap_to_target", "capacity_vs_target", "hires"} <= set(summary["headline"])


def test_an_artifact_changed_by_hand_reruns_its_step_only(runs):
    assert runs["artifact changed by hand"]["executed"] == ["03_supply"]  # its artifacts came out as before: 4 kept
    assert "data/capacity_gaps.parquet changed since the previous run wrote it" in runs["artifact changed by hand"]["log"][2]
    assert runs["artifact changed by hand"]["files"] == {**runs["unchanged"]["files"],
                                                         "timings.json": runs["artifact changed by hand"]["files"]["timings.json"]}


def test_a_step_2_param_reruns_steps_2_to_4_and_names_the_param(runs):
    assert runs["step-2 param changed"]["executed"] == ["02_demand", "03_supply", "04_align"]
    assert "(params demand.slippage changed)" in runs["step-2 param changed"]["log"][1]


def test_only_with_a_stale_upstream_step_stops_before_anything_runs(runs):
    stale = runs["only, upstream stale"]
    assert stale["executed"] == [] and stale["files"] == runs["step-2 param changed"]["files"]  # report untouched
    assert "--only 04_align runs 04_align alone" in stale["error"]
    assert "02_demand is out of date there: params demand.slippage changed" in stale["error"]
    assert "salesops run 2027Q1 --from 02_demand" in stale["error"]


def test_from_a_step_runs_it_and_the_later_ones(runs):
    assert runs["from step 4"]["executed"] == ["04_align"]
    assert "asked for by --from 04_align" in runs["from step 4"]["log"][3]


def test_only_runs_one_step_and_keeps_later_steps_that_are_still_up_to_date(runs):
    assert runs["only step 3"]["executed"] == ["03_supply"]
    assert "reused" in runs["only step 3"]["log"][3]


def test_an_input_file_change_reruns_every_step(runs):
    assert runs["input file changed"]["executed"] == ALL
    assert "the input files changed" in runs["input file changed"]["log"][0]


def test_the_manifest_records_what_each_step_depends_on_and_wrote(runs):
    manifest = json.loads(runs["out"].joinpath("manifest.json").read_text())
    steps = {record["step"]: record for record in manifest["steps"]}
    assert list(steps) == ALL
    assert set(steps["01_collect"]["depends_on"]["parts"]) == {"code", "params", "inputs", "upstream", "earlier_reports"}
    assert steps["03_supply"]["depends_on"]["parts"]["inputs"] is None  # only step 1 reads the input files
    assert "data/table_opportunities.parquet" in steps["01_collect"]["files"]
    assert "plan.xlsx" in steps["04_align"]["files"] and "notebooks/04_align.ipynb" in steps["04_align"]["files"]
    assert steps["04_align"]["files"]["data/quotas.parquet"] == manifest["artifacts"]["quotas.parquet"]
    assert manifest["run"]["params"].endswith("params-demand.yaml") and manifest["run"]["data"].endswith("export")


def test_the_last_runs_params_and_data_are_found_for_a_notebook_opened_by_hand(runs, tmp_path):
    params_path, data_dir = step.last_run_options(runs["out"], ROOT)
    assert params_path.endswith("params-demand.yaml") and data_dir.endswith("export")
    assert step.last_run_options(tmp_path / "no report", ROOT) == ("", "")


def test_a_notebook_opened_with_its_defaults_uses_the_last_runs_params(tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(ROOT / "params", root / "params")
    (root / "params" / "by-hand.yaml").write_text("company: Given On The Command Line\n", encoding="utf-8")
    report = root / "reports" / QUARTER
    report.mkdir(parents=True)
    (report / "manifest.json").write_text(json.dumps({"run": {"params": "params/by-hand.yaml", "data": None}}))
    monkeypatch.setenv("SALESOPS_ROOT", str(root))
    assert step.start("04_align", QUARTER).params.company == "Given On The Command Line"
    (root / "params" / "by-hand.yaml").unlink()  # gone since: the quarter's own params file
    assert step.start("04_align", QUARTER).params.company == load_params(QUARTER, None, root).company


def test_step_4_opened_by_hand_with_its_defaults_runs_on_the_last_runs_artifacts(runs, tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(ROOT / "params", root / "params")
    shutil.copytree(runs["out"], root / "reports" / QUARTER)  # the last run, made with --params and --data
    data = root / "reports" / QUARTER / "data"
    made = every_file(data)
    (data / "quotas.parquet").unlink()
    monkeypatch.setenv("SALESOPS_ROOT", str(root))
    notebook = next(n for n in in_process.NOTEBOOKS if n.stem == "04_align")
    in_process.run_notebook(notebook, {"quarter": QUARTER, "params_path": "", "data_dir": "", "out_dir": ""},
                            monkeypatch)  # the parameters cell as committed
    assert every_file(data) == made  # the same params as that run: the same bytes


def test_step_2_takes_the_forecasts_its_kernel_computed_while_step_1_ran(runs):
    # each time step 1 ran, the runner started step 2's kernel with its work ahead: the bookings forecast (the tiny
    # export has no leads to forecast), taken by step 2: its series from step 1's artifacts were those of the files
    ran_step_1 = [step for step, _ in ahead_left].count("01_collect")
    assert ran_step_1 >= 2 and computed == [("02_demand", 1)] * ran_step_1
    assert {left for step, left in ahead_left if step == "02_demand"} == {0}
