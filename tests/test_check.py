"""``salesops check`` tells the truth: it evaluates what a plan needs (``requirements.unmet``) exactly as a run
does before its first step, so "the data can run" means the run does not stop on data grounds. Each check
case is paired with a run of the same folder."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from salesops.data.inputs import load_inputs
from salesops.errors import DataError
from salesops.runner.check import check_data
from salesops.runner.requirements import unmet
from salesops.runner.run import run_quarter
from salesops.plan_params import load_params

from builders import ROOT, tiny_export, write_export


def opportunities_only(tmp_path, frame: pd.DataFrame, **sections):
    """An export holding only ``frame`` as opportunities.csv, a params file pointing at it (plus ``sections``,
    e.g. ``collect={"target": 50000}``) and those params loaded."""
    folder = write_export(tmp_path / "export", {"opportunities": frame})
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"data": {"source": "folder", "dir": str(folder)}, **sections}), encoding="utf-8")
    return folder, load_params("2027Q1", path, ROOT), path


def lost(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(stage=frame["stage"].replace({"Closed Won": "Closed Lost"}),
                        forecast_category=frame["forecast_category"].replace({"closed": "omitted"}))


# -- the requirements, on hand-made validated tables ------------------------------------------------


def validated(tmp_path, frame, **sections):
    _, params, _ = opportunities_only(tmp_path, frame, **sections)
    return load_inputs(params).tables, params


def test_no_won_deal_is_unmet(tmp_path):
    tables, params = validated(tmp_path, lost(tiny_export()["opportunities"]))
    problems = unmet(tables, params, {"opportunities": "opportunities.csv"})
    assert problems[0].startswith("opportunities.csv holds no won deal closed by 31 Dec 2026 (the end of the "
                                  "history the forecast learns from; data up to 31 Dec 2026): no row has the stage "
                                  "closed_won.")
    assert "map the CRM's won stage onto closed_won under data.values.opportunities.stage" in problems[0]


def won_only_in_a_partial_quarter(frame):
    """Deals from 15 Feb 2026, so 2026Q1 is only partly in the data; its one won deal is the only one before 2027."""
    frame = frame.assign(created_date="2026-02-15", close_date="2027-01-20", stage="Proposal")
    frame.loc[0, ["close_date", "stage"]] = ["2026-02-20", "Closed Won"]
    return frame


def test_no_bookings_in_a_complete_quarter_is_unmet_unless_a_target_is_set(tmp_path):
    frame = won_only_in_a_partial_quarter(tiny_export()["opportunities"])
    tables, params = validated(tmp_path, frame)
    assert unmet(tables, params, {"opportunities": "opportunities.csv"}) == [
        "opportunities.csv holds no won bookings in a quarter wholly in the data (deals from 15 Feb 2026 to 31 Dec "
        "2026), from which the 2027Q1 target is derived (the same quarter a year before, else the mean of the last "
        "complete quarters, grown by collect.target_growth). Fix: set collect.target in the params to the 2027Q1 "
        "bookings target (company currency), or add the won deals of earlier quarters to the export."]
    tables, params = validated(tmp_path, frame, collect={"target": 50000})
    assert unmet(tables, params) == []


def test_won_deals_only_after_the_history_are_unmet(tmp_path):
    frame = tiny_export()["opportunities"].iloc[[0]].assign(close_date="2027-01-02", created_date="2026-12-20")
    tables, params = validated(tmp_path, frame, collect={"target": 50000})
    [problem] = unmet(tables, params)
    assert "holds no won deal closed by 31 Dec 2026" in problem and ": its 1 won deal closes later" in problem


# -- check paired with a run -------------------------------------------------------------------------


@pytest.mark.parametrize("case, expected", [
    ("single_open_row", "holds no won deal closed by"),
    ("no_won_deal", "holds no won deal closed by"),
    ("no_bookings_in_a_complete_quarter", "holds no won bookings in a quarter wholly in the data"),
])
def test_check_and_run_agree_the_data_cannot_run(tmp_path, case, expected):
    frame = tiny_export()["opportunities"]
    if case == "single_open_row":
        frame = frame.iloc[[3]]
    elif case == "no_won_deal":
        frame = lost(frame)
    else:
        frame = won_only_in_a_partial_quarter(frame)
    folder, params, path = opportunities_only(tmp_path, frame)
    report = check_data(params)
    assert not report.ok and expected in report.text()
    with pytest.raises(DataError) as error:  # before any notebook starts: no report folder at all
        run_quarter("2027Q1", params_path=path, data_dir=folder, out_dir=tmp_path / "report", log=lambda _: None)
    assert expected in str(error.value)
    [line] = [line.strip() for line in report.text().splitlines() if expected in line]
    assert line in str(error.value)  # the same message, word for word
    assert not (tmp_path / "report").exists()


@pytest.mark.e2e
def test_check_and_run_agree_a_single_won_row_can_run(tmp_path):
    frame = tiny_export()["opportunities"].iloc[[2]]  # one won deal, in 2026Q2, and the target given
    folder, params, path = opportunities_only(tmp_path, frame, collect={"target": 50000})
    report = check_data(params)
    assert report.ok, report.text()
    index = run_quarter("2027Q1", params_path=path, data_dir=folder, out_dir=tmp_path / "report", log=lambda _: None)
    assert index.exists()
