"""The committed mappings of the real third-party exports (``examples/<name>/``) still pass ``salesops check`` on
the export files as they are. The exports live outside the project (``../shared/data/exports/``); without them
these tests skip, saying so."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from salesops.align import actions

from salesops.plan_params import load_params
from salesops.runner.check import check_data

from builders import ROOT
from in_process import FAST_PARAMS, run_in_process

EXPORTS = ROOT.parent / "shared" / "data" / "exports"
#: Each example with the quarter its README plans.
EXAMPLES = {"sfdc-wave-sdo": "2017Q3", "hubspot-dummy": "2025Q3", "latam-pipeline-semicolon": "2026Q3"}


@pytest.mark.parametrize("name, quarter", sorted(EXAMPLES.items()))
def test_each_example_mapping_passes_check_on_its_export(name, quarter):
    export = EXPORTS / name
    if not export.is_dir():
        pytest.skip(f"the real export {name} is not beside the project (expected in ../shared/data/exports/)")
    readme = (ROOT / "examples" / name / "README.md").read_text(encoding="utf-8")
    assert f"--quarter {quarter}" in readme and f"salesops run {quarter}" in readme  # the commands it documents
    report = check_data(load_params(quarter, ROOT / "examples" / name / "params.yaml", ROOT), data_dir=export)
    assert report.ok, report.text()


@pytest.mark.e2e
@pytest.mark.parametrize("name, quarter", sorted(EXAMPLES.items()))
def test_each_example_runs_all_four_steps_and_every_empty_section_says_why(name, quarter, tmp_path, monkeypatch):
    """The four steps' code on each export as it is (the notebooks' cells in this process, with the fast forecast
    params: these vary the data, not the models): every step completes, a section that shows nothing says why, no
    finding prints an unmeasured number, and every action comes from a table its page shows."""
    export = EXPORTS / name
    if not export.is_dir():
        pytest.skip(f"the real export {name} is not beside the project (expected in ../shared/data/exports/)")
    params = yaml.safe_load((ROOT / "examples" / name / "params.yaml").read_text(encoding="utf-8"))
    params_path = tmp_path / "params.yaml"
    params_path.write_text(yaml.safe_dump({**params, **FAST_PARAMS}), encoding="utf-8")
    out = tmp_path / "out"
    pages = run_in_process(monkeypatch, params_path, export, out, quarter)
    assert {step: page.unexplained() for step, page in pages.items() if page.unexplained()} == {}
    for summary in sorted(out.glob("summary_*.parquet")):
        texts = pd.read_parquet(summary)["display"].astype(str)
        assert not texts.str.contains(r"(?<![\w.])(?:nan|NaN|inf|NaT)(?!\w)", regex=True).any(), summary.name
    for source in pd.read_parquet(out / "actions.parquet")["source"]:
        artifact = actions.ACTION_SOURCES[source]
        assert artifact is None or len(pd.read_parquet(out / f"{artifact}.parquet")), (source, artifact)
