"""The runner end to end: pages, manifest, byte-identical artifacts, failure handling, quarantine.

Each run starts a real kernel, so runs are shared between tests through module-scoped fixtures.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys

import nbformat
import openpyxl
import pandas as pd
import pytest
import yaml
from nbclient import NotebookClient

from salesops.align import actions
from salesops.data import artifacts
from salesops.errors import StepError
from salesops.runner.run import run_quarter

from builders import ROOT, tiny_export, write_export

QUARTER = "2027Q1"
pytestmark = pytest.mark.e2e

STEPS = [p.stem for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]


def hashes(folder):
    return {p.name: artifacts.file_sha256(p) for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("tiny")
    export = write_export(base / "export", tiny_export())
    before = hashes(export)
    index = run_quarter(QUARTER, data_dir=export, out_dir=base / "report", log=lambda _: None)
    return {"base": base, "export": export, "before": before, "index": index, "report": base / "report"}


def test_run_writes_pages_manifest_and_artifacts(tiny_run):
    report = tiny_run["report"]
    assert tiny_run["index"] == report / "index.html"
    for step in STEPS:
        for page in (f"{step}.html", f"analyst/{step}.html", f"notebooks/{step}.ipynb"):
            assert (report / page).exists(), page
    assert (report / "index.html").exists()
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["quarter"] == QUARTER
    assert manifest["inputs"]["files"] == tiny_run["before"]
    assert manifest["params"]["data"]["on_row_error"] == "error"
    assert [s["step"] for s in manifest["steps"]] == STEPS and STEPS[:2] == ["01_collect", "02_demand"]
    timings = json.loads((report / "timings.json").read_text())
    assert list(timings["steps"]) == STEPS and timings["steps"]["01_collect"] > 0 and timings["total_seconds"] > 0
    # where the time went: the check, each step's kernel and cells (step 2's kernel also forecast ahead), the index
    phases = timings["phases"]
    assert {"check", "index", "01_collect/compute", "01_collect/write", "02_demand/work ahead",
            "04_align/display", "04_align/render"} <= set(phases) and all(v >= 0 for v in phases.values())
    assert {"pandas", "papermill", "statsforecast", "python"} <= set(manifest["packages"])
    assert "table_opportunities.parquet" in manifest["artifacts"]
    assert not list(report.parent.glob(".build-*")) and not list(report.parent.glob(".old-*"))


def test_input_files_are_never_modified(tiny_run):
    assert hashes(tiny_run["export"]) == tiny_run["before"]


@pytest.mark.parametrize("step", STEPS)
def test_executive_pages_have_no_code_noise_or_outside_links(tiny_run, step):
    page = (tiny_run["report"] / f"{step}.html").read_text()
    assert not re.search(r'class="[^"]*jp-InputArea-editor', page) and "from salesops" not in page
    assert "Traceback" not in page and "Warning" not in page
    assert 'class="jp-OutputArea-output" data-mime-type="application/vnd.jupyter.stderr"' not in page
    assert page.count("data:image/png;base64") >= 2
    for html_file in (f"{step}.html", f"analyst/{step}.html", "index.html"):
        text = (tiny_run["report"] / html_file).read_text()
        outside = re.findall(r"""(?:src|href)\s*=\s*["']?((?:https?:)?//[^"' >]+)""", text)
        assert outside == [], f"{html_file} refers outside the page: {outside[:3]}"
    assert "<script>alert(1)" not in page  # CRM text is escaped


def test_collect_page_reads_as_a_report(tiny_run):
    page = (tiny_run["report"] / "01_collect.html").read_text()
    assert "What to fix first" in page and page.count("data:image/png;base64") >= 4


def test_analyst_page_shows_code(tiny_run):
    page = (tiny_run["report"] / "analyst" / "01_collect.html").read_text()
    assert re.search(r'class="[^"]*jp-InputArea-editor', page) and "collect_workflow" in page


def test_index_is_the_executive_summary(tiny_run):
    index = (tiny_run["report"] / "index.html").read_text()
    for step in STEPS:
        assert f'href="{step}.html"' in index and f'href="analyst/{step}.html"' in index
    assert "Sales operations plan for 2027Q1" in index
    for card in ("Forecast 2027Q1, base", "Target 2027Q1", "Gap to target", "Capacity vs target", "Hires (base)"):
        assert card in index
    assert "Top actions" in index and 'href="plan.xlsx"' in index
    # hand check on step 1's page: closed in the 12 months to 2026-12-31: won O1 (10,000) and O3 (40,000),
    # lost O2 -> 2/3
    assert "66.7%" in (tiny_run["report"] / "01_collect.html").read_text()


def test_plan_adds_up(tiny_run):
    data = tiny_run["report"] / "data"
    target = pd.read_parquet(data / "planning_target.parquet")["target"].iloc[0]
    quotas = pd.read_parquet(data / "quotas.parquet")
    assert quotas["quota"].sum() == round(target * 1.15)  # over-assignment 15% by default
    assignment = pd.read_parquet(data / "territory_assignment.parquet")
    accounts = pd.read_parquet(data / "table_accounts.parquet")
    assert sorted(assignment["account_id"]) == sorted(accounts["account_id"])  # each account exactly once
    workbook = openpyxl.load_workbook(tiny_run["report"] / "plan.xlsx", read_only=True)
    assert {"Summary", "Quotas", "Territories", "Hiring plan", "Compensation plan", "Actions"} <= set(workbook.sheetnames)


def assert_actions_trace_to_shown_tables(data):
    """Every action of a run comes from an analysis that ran: its source is one the steps know, and the table that
    source's page shows was written with rows (an action from a section marked "not shown" would fail here)."""
    action_list = pd.read_parquet(data / "actions.parquet")
    assert len(action_list)
    for source in action_list["source"]:
        assert source in actions.ACTION_SOURCES, source
        artifact = actions.ACTION_SOURCES[source]
        if artifact is not None:
            assert (data / f"{artifact}.parquet").exists(), (source, artifact)
            assert len(pd.read_parquet(data / f"{artifact}.parquet")), (source, artifact)


def test_every_action_traces_to_a_table_its_page_shows(tiny_run):
    assert_actions_trace_to_shown_tables(tiny_run["report"] / "data")


def test_failed_step_keeps_last_good_report_and_shows_the_error(tiny_run, tmp_path):
    report = tmp_path / "report"
    shutil.copytree(tiny_run["report"], report)  # the module's good report of the same export: one run less
    good = hashes(report)
    broken = write_export(tmp_path / "broken", tiny_export())
    frame = pd.read_csv(broken / "opportunities.csv", dtype=str)
    frame.loc[2, "amount"] = "-40000"
    frame.to_csv(broken / "opportunities.csv", index=False)
    with pytest.raises(StepError) as error:
        run_quarter(QUARTER, data_dir=broken, out_dir=report, log=lambda _: None)
    message = str(error.value)
    assert "step 01_collect failed" in message and "negative number" in message
    failed_page = tmp_path / "report.failed" / "analyst" / "01_collect.html"
    assert str(failed_page) in message
    assert "opportunities.csv, column &#x27;amount&#x27;" in failed_page.read_text() or \
        "opportunities.csv, column 'amount'" in failed_page.read_text()
    assert "negative number" in (tmp_path / "report.failed" / "01_collect.html").read_text()
    assert hashes(report) == good  # the last good report is untouched
    run_quarter(QUARTER, data_dir=tiny_run["export"], out_dir=report, log=lambda _: None)
    assert not (tmp_path / "report.failed").exists()  # a success clears the failed evidence


def test_a_step_4_param_change_reruns_step_4_alone_and_an_unchanged_rerun_none(tiny_run, tmp_path):
    report = tmp_path / "report"
    shutil.copytree(tiny_run["report"], report)  # the module's report: one whole run less
    before = hashes(report / "data")
    params = yaml.safe_load((ROOT / "params" / f"{QUARTER}.yaml").read_text()) or {}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({**params, "quotas": {"over_assignment": 0.3}}), encoding="utf-8")
    log = []
    run_quarter(QUARTER, params_path=path, data_dir=tiny_run["export"], out_dir=report, log=log.append)
    assert [line.split(": ", 1)[1][:6] for line in log[:4]] == ["reused"] * 3 + ["done i"], log
    assert "(params quotas.over_assignment changed)" in log[3]
    after = hashes(report / "data")
    changed = sorted(name for name in before if before[name] != after[name])
    assert "quotas.parquet" in changed and not [n for n in changed if n.startswith(("table_", "demand_", "summary_0"))
                                                and n != "summary_04_align.parquet"]
    for page in ("01_collect.html", "analyst/03_supply.html", "notebooks/02_demand.ipynb"):
        assert (report / page).read_bytes() == (tiny_run["report"] / page).read_bytes()  # copied, not re-rendered
    log.clear()
    run_quarter(QUARTER, params_path=path, data_dir=tiny_run["export"], out_dir=report, log=log.append)
    assert all("reused from the previous report" in line for line in log[:4]) and "0 step(s) run" in log[-1]
    assert hashes(report / "data") == after


def test_quarantine_lists_rejected_rows_on_the_page(tmp_path):
    tables = tiny_export()
    tables["opportunities"].loc[4, "close_date"] = "2026-01-01"  # before its created date
    export = write_export(tmp_path / "export", tables)
    params = tmp_path / "q.yaml"
    params.write_text(yaml.safe_dump({"data": {"on_row_error": "quarantine", "max_reject_share": 0.5}}))
    run_quarter(QUARTER, params_path=params, data_dir=export, out_dir=tmp_path / "report", log=lambda _: None)
    rejects = pd.read_parquet(tmp_path / "report" / "data" / "rejects.parquet")
    assert rejects[["table", "row", "problem"]].values.tolist() == [
        ["activities", 5, "orphan_key"], ["opportunities", 6, "date_order"]]
    page = (tmp_path / "report" / "01_collect.html").read_text()
    assert "Rows set aside (quarantined)" in page and "date_order" in page


def test_cli_reports_bad_quarter_and_exits_non_zero():
    result = subprocess.run([sys.executable, "-m", "salesops", "run", "2027-Q1"], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 1
    assert "is not a quarter label: write YYYYQn, e.g. 2027Q1" in result.stderr


def test_cli_runs_the_sample_company_end_to_end(sample_project):
    result, out = sample_project["result"], sample_project["out"]
    assert result.returncode == 0, result.stderr
    assert "[1/" in result.stdout and "done in" in result.stdout
    assert result.stdout.strip().endswith(f"Report: {out / 'index.html'}")
    assert result.stderr == ""  # no kernel or library noise on the terminal
    page = (out / "01_collect.html").read_text()
    assert "stale_open_opportunities" in page and "Rows set aside" not in page
    cache = sample_project["root"] / ".cache" / "sample"
    sample_leads = next(cache.glob("seed42_scale0.2_*_end2026-12-31")) / "leads.parquet"
    leads = pd.read_parquet(sample_leads)
    personal = leads["email"].dropna().tolist() + leads["phone"].dropna().tolist()
    assert personal and not [value for value in personal if value in page]  # no personal data of leads on pages
    artifact = pd.read_parquet(out / "data" / "table_leads.parquet")
    assert {"email", "phone"}.isdisjoint(artifact.columns) and len(artifact) == len(leads)  # nor in artifacts


def test_every_action_of_the_sample_traces_to_a_table_its_page_shows(sample_project):
    assert sample_project["result"].returncode == 0, sample_project["result"].stderr
    assert_actions_trace_to_shown_tables(sample_project["out"] / "data")


def test_notebook_run_by_hand_matches_the_runner(sample_project, monkeypatch):
    root = sample_project["root"]
    assert sample_project["result"].returncode == 0, sample_project["result"].stderr
    monkeypatch.setenv("SALESOPS_ROOT", str(root))
    data = root / "reports" / QUARTER / "data"
    by_runner = hashes(data)
    shutil.rmtree(data)
    # as in JupyterLab: each committed notebook as it is, default parameters, run top to bottom, in order
    for step in STEPS:
        notebook = nbformat.read(root / "notebooks" / f"{step}.ipynb", as_version=4)
        NotebookClient(notebook, kernel_name="salesops",
                       resources={"metadata": {"path": str(root / "notebooks")}}).execute()
    assert hashes(data) == by_runner


# --------------------------------------------------------------------------------------------------
# one plan, one set of numbers (the sample quarter above)

#: The cards of an executive page or the index: label, then value.
CARD = re.compile(r'class="(?:so-)?label">(.*?)</div>\s*<div class="(?:so-)?value">(.*?)</div>', re.S)
#: The labels a plan fact carries on the step pages besides its own (step 2 says "demand", step 1 "target" last).
FACT_ALIASES = {"forecast_base": ("Demand 2027Q1, base",), "forecast_downside": ("Downside",),
                "forecast_upside": ("Upside",), "target": ("2027Q1 target",)}
SHOWN = re.compile(r"^(?P<sign>[-−]?)[^\d]*(?P<number>[\d,]+(?:\.(?P<decimals>\d+))?)(?P<suffix>[kMB%×]?)$")


def shown_number(text: str) -> tuple[float, float]:
    """A figure as a page shows it (``$13.7M``, ``−$421k``, ``1.39×``, ``-10.2%``, ``32``) → its value and half a
    unit of its last shown digit (what display rounding may hide)."""
    match = SHOWN.match(text.strip())
    assert match, f"not a figure: {text!r}"
    scale = {"k": 1e3, "M": 1e6, "B": 1e9, "%": 0.01}.get(match["suffix"], 1.0)
    sign = -1.0 if match["sign"] else 1.0
    decimals = len(match["decimals"] or "")
    return sign * float(match["number"].replace(",", "")) * scale, 0.5 * 10.0 ** -decimals * scale


def test_every_headline_figure_reads_the_same_on_every_page_and_in_the_workbook(sample_project):
    out = sample_project["out"]
    assert sample_project["result"].returncode == 0, sample_project["result"].stderr
    facts = pd.read_parquet(out / "data" / "plan_facts.parquet").set_index("key")
    label_of = {label: key for key, row in facts.iterrows() for label in (row["label"], *FACT_ALIASES.get(key, ()))}
    seen: dict[str, list[str]] = {}
    for page in ["index.html", *(f"{step}.html" for step in STEPS)]:
        for label, value in CARD.findall((out / page).read_text(encoding="utf-8")):
            label, value = html.unescape(label).strip(), html.unescape(value).strip()
            if label not in label_of or not re.search(r"\d", value):
                continue
            key = label_of[label]
            shown, rounding = shown_number(value)
            assert shown == pytest.approx(facts.loc[key, "value"], abs=rounding + 1e-9), (page, label, value)
            seen.setdefault(key, []).append(page)
    for key in ("forecast_base", "target", "hires", "capacity_vs_target", "pipeline_coverage"):
        assert len(seen.get(key, [])) >= 1, f"{key} is on no page"
    assert len(seen["forecast_base"]) >= 2 and len(seen["target"]) >= 2 and len(seen["hires"]) >= 2, seen
    summary = openpyxl.load_workbook(out / "plan.xlsx", read_only=True)["Summary"]
    rows = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row and row[0] in set(facts["label"])}
    assert rows == dict(zip(facts["label"], facts["display"]))
    align_page = html.unescape((out / "04_align.html").read_text(encoding="utf-8"))
    assert all(display in align_page for display in facts["display"])


def test_step_3_plans_for_step_2s_scenarios_and_commission_for_the_base_forecast(sample_project):
    data = sample_project["out"] / "data"
    segment_demand = pd.read_parquet(data / "segment_demand.parquet")
    quarter = segment_demand["ds"].dt.to_period("Q").astype(str)  # the sample's fiscal year starts in January
    by_quarter = segment_demand.assign(quarter=quarter).groupby("quarter")[["downside", "base", "upside"]].sum()
    gaps = pd.read_parquet(data / "capacity_gaps.parquet")
    planned = gaps.groupby(["scenario", "quarter"])["demand"].sum()
    for (scenario, label), demand in planned.items():
        assert demand == pytest.approx(by_quarter.loc[label, scenario]), (scenario, label)
    comparison = pd.read_parquet(data / "demand_comparison.parquet").query("method == 'blended'")
    for scenario, bookings in zip(comparison["scenario"], comparison["bookings"]):
        assert planned[(scenario, QUARTER)] == pytest.approx(bookings)
    payouts = pd.read_parquet(data / "payout_simulation.parquet").query("rep_id == 'total'").set_index("scenario")
    for scenario, bookings in zip(comparison["scenario"], comparison["bookings"]):
        assert payouts.loc[scenario, "expected_bookings"] == pytest.approx(bookings)


def test_the_summary_shows_the_gap_and_builds_pipeline_whenever_coverage_is_short(sample_project):
    out = sample_project["out"]
    need = pd.read_parquet(out / "data" / "pipeline_need.parquet").iloc[0]
    action_list = pd.read_parquet(out / "data" / "actions.parquet")
    index = html.unescape((out / "index.html").read_text(encoding="utf-8"))
    assert "Gap to target" in index and "From the forecast to the target" in index
    if need["coverage"] < need["coverage_needed"]:
        pipeline = action_list[action_list["kind"] == "pipeline"]
        assert len(pipeline) == 1 and pipeline["on_summary"].all() and pipeline["impact"].iloc[0] > 0
        assert pipeline["title"].iloc[0] in index and pipeline["owner"].iloc[0] in index
    else:
        assert not (action_list["kind"] == "pipeline").any()
