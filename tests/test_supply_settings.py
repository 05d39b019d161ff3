"""Bad step-3 params give clear errors naming the file and key."""

import pytest
import yaml

from salesops.plan_params import ParamsError, load_params
from salesops.supply.settings import InventorySettings, SupplySettings

from builders import ROOT


@pytest.mark.parametrize("content, expected", [
    ({"supply": {"ramp_curve": [0.5, 1.2]}}, r"supply\.ramp_curve\.1: expected a share from 0 to 1 .*; got 1\.2 "),
    ({"supply": {"ramp_curve": []}}, r"supply\.ramp_curve: expected a list of shares .* with at least 1 entry"),
    ({"supply": {"attrition_annual": -0.1}}, r"supply\.attrition_annual: expected a share from 0 to below 1 .*; got -0\.1 "),
    ({"supply": {"attrition_annual": 1.0}}, r"attrition_annual: expected a share from 0 to below 1"),
    ({"inventory": {"service_level": 1.0}}, r"inventory\.service_level: expected a probability above 0 and below 1 .*got 1\.0"),
    ({"inventory": {"service_level": 0}}, r"inventory\.service_level: expected a probability above 0 and below 1"),
    ({"supply": {"max_hires_per_month": -1}}, r"max_hires_per_month: expected a whole number of hires a month of 0 or more.*; got -1"),
    ({"supply": {"productivity": {"SMB": 0}}}, r"supply\.productivity\.SMB: expected an amount above 0 .*; got 0 "),
    ({"supply": {"hiring_lead_time_months": 30}}, r"hiring_lead_time_months: expected a whole number of months from 0 to 24"),
    ({"supply": {"plan_scenario": "likely"}}, r"supply\.plan_scenario: Input should be 'downside', 'base' or 'upside'"),
    ({"supply": {"ramp_curv": [1.0]}}, r"unknown key 'supply\.ramp_curv' \(did you mean 'ramp_curve'\?\)"),
])
def test_bad_supply_params_are_explained(tmp_path, content, expected):
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump(content), encoding="utf-8")
    with pytest.raises(ParamsError, match=expected) as error:
        load_params("2027Q1", path, ROOT)
    assert "q.yaml" in str(error.value)


def test_defaults_file_matches_the_models():
    params = load_params("2027Q1", None, ROOT)
    assert params.supply.model_dump(exclude={"delivery_consultants"}) == SupplySettings().model_dump(
        exclude={"delivery_consultants"})
    assert params.inventory == InventorySettings()
