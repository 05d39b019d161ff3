"""What each step depends on and when it is taken from the previous report: the hashes, the params each step reads,
the reasons a step reruns, and the step names of --from and --only, on hand-made manifests and small folders."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from salesops.collect import plan_review
from salesops.data import artifacts
from salesops.plan_params import Params, dump, load_params
from salesops.runner import fingerprint, reuse
from salesops.runner.fingerprint import fingerprint as make_fingerprint

from builders import ROOT

STEPS = ["01_collect", "02_demand", "03_supply", "04_align"]


@pytest.fixture(scope="module")
def params():
    return dump(load_params("2027Q1", None, ROOT))


def changed(params, section, key, value):
    return {**params, section: {**params[section], key: value}}


def test_changed_params_names_the_keys_a_step_reads_that_changed(params):
    after = changed(params, "demand", "slippage", not params["demand"]["slippage"])
    assert fingerprint.changed_params("02_demand", params, after) == ["demand.slippage"]
    assert fingerprint.changed_params("01_collect", params, after) == []  # step 1 does not read demand
    renamed = {**params, "company": "Other Co"}
    assert fingerprint.changed_params("01_collect", params, renamed) == ["company"]  # shared: every step
    assert fingerprint.changed_params("04_align", params, renamed) == ["company"]


def test_step_1_reads_only_the_forecast_keys_of_the_datas_horizon(params):
    models = changed(params, "forecast", "models", ["SeasonalNaive"])
    horizon = changed(params, "forecast", "horizon_quarters", params["forecast"]["horizon_quarters"] + 1)
    step1 = {name: make_fingerprint("01_collect", "code", p, {}, {}, None).parts["params"]
             for name, p in (("base", params), ("models", models), ("horizon", horizon))}
    assert step1["models"] == step1["base"] != step1["horizon"]
    step2 = [make_fingerprint("02_demand", "code", p, None, {}, None).parts["params"] for p in (params, models)]
    assert step2[0] != step2[1]


def test_every_section_of_the_params_is_read_by_some_step_or_shared():
    declared = {key.split(".")[0] for keys in fingerprint.STEP_PARAMS.values() for key in keys}
    assert set(Params.model_fields) <= declared | set(fingerprint.SHARED_PARAMS)
    assert set(fingerprint.STEP_PARAMS) == set(STEPS)


def test_upstream_counts_only_the_artifacts_of_earlier_steps():
    produced = {"table_opportunities": "a", "demand_comparison": "b", "quotas": "c", "unknown": "d"}
    assert fingerprint.upstream_artifacts("01_collect", produced) == {}
    assert fingerprint.upstream_artifacts("03_supply", produced) == {"demand_comparison": "b",
                                                                     "table_opportunities": "a"}
    assert fingerprint.upstream_artifacts("04_align", produced) == {"demand_comparison": "b",
                                                                    "table_opportunities": "a"}


def test_earlier_report_reads_come_from_the_catalog():
    assert set(plan_review.PREVIOUS_ARTIFACTS) <= set(fingerprint.earlier_report_reads("01_collect"))
    assert fingerprint.earlier_report_reads("02_demand") == ("demand_comparison",)
    assert fingerprint.earlier_report_reads("03_supply") == fingerprint.earlier_report_reads("04_align") == ()


def test_earlier_reports_hash_what_a_step_reads_from_the_reports_beside_this_one(tmp_path):
    this = tmp_path / "reports" / ".build-2027Q1-x" / "data"
    earlier = tmp_path / "reports" / "2026Q4" / "data"
    earlier.mkdir(parents=True)
    frame = pd.DataFrame({"method": ["blended"], "scenario": ["base"], "bookings": [100.0]})
    artifacts.write_artifact(frame, earlier, "demand_comparison")
    artifacts.write_artifact(frame, earlier, "summary_02_demand")  # not read from earlier reports
    first = fingerprint.earlier_reports("02_demand", this, "2027Q1", 1)
    assert list(first) == ["2026Q4"] and list(first["2026Q4"]) == ["demand_comparison"]
    assert fingerprint.earlier_reports("03_supply", this, "2027Q1", 1) is None
    artifacts.write_artifact(frame.assign(bookings=120.0), earlier, "demand_comparison")
    assert fingerprint.earlier_reports("02_demand", this, "2027Q1", 1) != first


def test_input_files_are_hashed_by_path_with_hidden_files_left_out(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "opportunities.csv").write_text("a\n1\n")
    (tmp_path / "sub" / "Task.csv").write_text("b\n2\n")
    (tmp_path / ".complete").write_text("ok\n")
    files = fingerprint.input_files(tmp_path)
    assert list(files) == ["opportunities.csv", "sub/Task.csv"]
    (tmp_path / "sub" / "Task.csv").write_text("b\n3\n")
    assert fingerprint.input_files(tmp_path)["sub/Task.csv"] != files["sub/Task.csv"]


def test_the_code_part_changes_with_the_notebook_and_the_package_versions(tmp_path):
    notebook = tmp_path / "02_demand.ipynb"
    notebook.write_text("{}")
    base = fingerprint.code_part("lib", notebook, {"pandas": "2.2"})
    assert base == fingerprint.code_part("lib", notebook, {"pandas": "2.2"})
    assert base != fingerprint.code_part("lib", notebook, {"pandas": "2.3"})
    assert base != fingerprint.code_part("lib2", notebook, {"pandas": "2.2"})
    notebook.write_text('{"cells": []}')
    assert base != fingerprint.code_part("lib", notebook, {"pandas": "2.2"})


# --------------------------------------------------------------------------------------------------
# when a step is taken from the previous report


def previous_report(folder, params, depends, files):
    """A report folder whose manifest records ``depends`` (a Fingerprint) and ``files`` (path -> text) for step 2."""
    folder.mkdir(parents=True)
    hashes = {}
    for relative, text in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
        hashes[relative] = artifacts.file_sha256(folder / relative)
    manifest = {"params": params, "steps": [{"step": depends.step, "depends_on": depends.record(), "files": hashes}]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return reuse.previous_report(folder)


def test_a_step_with_the_same_fingerprint_and_files_is_reused_and_copied(tmp_path, params):
    depends = make_fingerprint("02_demand", "code", params, None, {"table_opportunities": "a"}, {})
    previous = previous_report(tmp_path / "old", params, depends,
                               {"data/demand_comparison.parquet": "x", "02_demand.html": "page"})
    assert reuse.why_stale(depends, previous, params) is None
    build = tmp_path / "build"
    assert reuse.take(previous, "02_demand", build) == {
        "demand_comparison": artifacts.file_sha256(tmp_path / "old" / "data" / "demand_comparison.parquet")}
    assert (build / "02_demand.html").read_text() == "page"


def test_why_a_step_reruns(tmp_path, params):
    depends = make_fingerprint("02_demand", "code", params, None, {"table_opportunities": "a"}, {})
    previous = previous_report(tmp_path / "old", params, depends, {"data/demand_comparison.parquet": "x"})
    assert reuse.why_stale(depends, None, params) == "no previous report of this quarter"
    other_step = make_fingerprint("03_supply", "code", params, None, {}, None)
    assert reuse.why_stale(other_step, previous, params) == "the previous report has no record of 03_supply's dependencies"
    after = changed(params, "forecast", "cv_windows", 5)
    now = make_fingerprint("02_demand", "new code", after, None, {"table_opportunities": "b"}, {"2026Q4": {}})
    assert reuse.why_stale(now, previous, after) == (
        "the code (library, notebook or package versions) changed; params forecast.cv_windows changed; the artifacts "
        "of an earlier step changed; the reports of earlier quarters it reads changed")
    (tmp_path / "old" / "data" / "demand_comparison.parquet").write_text("by hand")
    assert reuse.why_stale(depends, previous, params) == (
        "data/demand_comparison.parquet changed since the previous run wrote it (a notebook run by hand?)")
    (tmp_path / "old" / "data" / "demand_comparison.parquet").unlink()
    assert reuse.why_stale(depends, previous, params) == (
        "data/demand_comparison.parquet is missing from the previous report")


def test_the_first_step_sure_to_run_is_known_before_any_step_is_taken(tmp_path, params):
    drafts = [make_fingerprint(step, "code", params, {"files": {}} if step == "01_collect" else None, {}, None)
              for step in STEPS]
    folder = tmp_path / "old"
    folder.mkdir()
    records = [{"step": d.step, "depends_on": {**d.record(), "parts": {**d.parts, "upstream": "old"}}} for d in drafts]
    (folder / "manifest.json").write_text(json.dumps({"params": params, "steps": records}))
    previous = reuse.previous_report(folder)
    assert reuse.first_to_run(drafts, previous) is None  # upstream parts differ, but are not known yet
    after = changed(params, "quotas", "over_assignment", 0.3)
    changed_drafts = [make_fingerprint(d.step, "code", after, {"files": {}} if d.step == "01_collect" else None, {},
                                       None) for d in drafts]
    assert reuse.first_to_run(changed_drafts, previous) == "04_align"
    assert reuse.first_to_run(drafts, None) == "01_collect"


def test_a_manifest_naming_files_outside_the_report_is_not_reused(tmp_path, params):
    depends = make_fingerprint("02_demand", "code", params, None, {}, {})
    previous = previous_report(tmp_path / "old", params, depends, {"data/demand_comparison.parquet": "x"})
    for outside in ("../secret.txt", "/etc/hostname"):
        record = previous.record("02_demand")
        record["files"] = {outside: "0" * 64}
        assert "does not list 02_demand's files as files inside the report" in reuse.why_stale(depends, previous, params)


def test_a_report_without_a_readable_manifest_is_no_previous_report(tmp_path):
    assert reuse.previous_report(tmp_path) is None
    (tmp_path / "manifest.json").write_text("{not json")
    assert reuse.previous_report(tmp_path) is None


@pytest.mark.parametrize("text", ["align", "04_align", "4", "04", " Align "])
def test_a_step_is_named_by_name_number_or_both(text):
    assert reuse.step_name(text, STEPS) == "04_align"


def test_an_unknown_step_or_two_choices_are_a_wrong_command_line():
    with pytest.raises(reuse.StepChoiceError, match=r"no step named 'plan': the steps are 01_collect \(collect\), "):
        reuse.step_name("plan", STEPS)
    with pytest.raises(reuse.StepChoiceError, match="--from and --force cannot be combined"):
        reuse.selection(STEPS, from_step="align", force=True)


def test_what_each_choice_forces_to_run():
    forced = {mode: [s for s in STEPS if choice.forces(s, STEPS)] for mode, choice in (
        ("auto", reuse.selection(STEPS)), ("from", reuse.selection(STEPS, from_step="demand")),
        ("only", reuse.selection(STEPS, only="3")), ("force", reuse.selection(STEPS, force=True)))}
    assert forced == {"auto": [], "from": STEPS[1:], "only": ["03_supply"], "force": STEPS}
