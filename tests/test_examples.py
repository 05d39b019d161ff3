"""The committed mappings of the real third-party exports (``examples/<name>/``) still pass ``salesops check`` on
the export files as they are. The exports live outside the project (``../shared/data/exports/``); without them
these tests skip, saying so."""

from __future__ import annotations

import pytest

from salesops.plan_params import load_params
from salesops.runner.check import check_data

from builders import ROOT

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
