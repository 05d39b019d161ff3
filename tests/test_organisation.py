"""Unit tests of salesops.align.organisation: the stage rule at each boundary, the roles it recommends, and ARR
measured on a tiny hand-made frame."""

from __future__ import annotations

from functools import partial

import pandas as pd
import pytest
from pydantic import ValidationError

from salesops.align import organisation
from salesops.align.organisation import OrganisationSettings
from salesops.contract.schema import TEXT_DTYPE

import builders

AS_OF = pd.Timestamp("2026-12-31")


#: rows: (close_date, is_won, amount, product).
make_opportunities = partial(builders.make_opportunities, columns=["close_date", "is_won", "amount", "product"])


PRODUCTS = pd.DataFrame({"product": ["Platform", "Analytics", "Onboarding", "Gateway"],
                         "kind": ["subscription", "subscription", "service", "hardware"]})


# --------------------------------------------------------------------------------------------------
# settings


def test_default_settings():
    settings = OrganisationSettings()
    assert settings.arr is None and settings.boundaries == (1_000_000.0, 10_000_000.0)
    assert settings.current_roles == ()


@pytest.mark.parametrize("bad, words", [
    ({"arr": -1}, ["arr", "expected an amount of 0 or more (company currency)"]),
    ({"boundaries": [10_000_000, 1_000_000]}, ["two ascending ARR amounts"]),
    ({"boundaries": [1_000_000]}, ["two ascending ARR amounts"]),
    ({"current_roles": ["Chief Vibes Officer"]}, ["unknown role(s) ['Chief Vibes Officer']",
                                                  "Sales enablement manager"]),
    ({"current_roles": "Sales ops analyst"}, ["current_roles", "expected a list of role titles"]),
    ({"team": []}, ["Extra inputs are not permitted"]),
])
def test_bad_settings(bad, words):
    with pytest.raises(ValidationError) as error:
        OrganisationSettings(**bad)
    for word in words:
        assert word in str(error.value)


# --------------------------------------------------------------------------------------------------
# stage rule


@pytest.mark.parametrize("arr, stage", [
    (0, "under_1m"),
    (999_999, "under_1m"),
    (1_000_000, "1m_to_10m"),
    (9_999_999, "1m_to_10m"),
    (10_000_000, "10m_plus"),
    (250_000_000, "10m_plus"),
])
def test_stage_at_each_boundary(arr, stage):
    assert organisation.organisation_stage(arr) == stage


def test_boundaries_in_another_currency():
    settings = OrganisationSettings(boundaries=[920_000, 9_200_000])  # USD 1M / 10M at 0.92 EUR
    assert organisation.organisation_stage(950_000, settings) == "1m_to_10m"
    assert organisation.stage_label("1m_to_10m", settings, "EUR") == "ARR from €920,000 to under €9,200,000"
    with pytest.raises(ValueError, match="arr must be an annual amount"):
        organisation.organisation_stage(float("nan"))


@pytest.mark.parametrize("arr, needed", [
    (999_999, [True, False, False]),
    (1_000_000, [True, True, False]),
    (9_999_999, [True, True, False]),
    (10_000_000, [True, True, True]),
])
def test_roles_needed_at_each_boundary(arr, needed):
    table = organisation.recommend_organisation(arr, ["Sales operations specialist"])
    assert list(table.columns) == list(organisation.RECOMMENDATION_COLUMNS)
    assert list(table["role"]) == ["sales_ops_specialist", "sales_enablement_manager", "sales_ops_director"]
    assert list(table["needed"]) == needed
    assert list(table["needed_from_arr"]) == [0.0, 1_000_000.0, 10_000_000.0]


def test_recommendations_say_keep_hire_or_plan():
    table = organisation.recommend_organisation(1_000_000, ["sales ops analyst", "Director of Sales Operations"])
    assert table.attrs["stage"] == "1m_to_10m"
    assert table.attrs["stage_label"] == "ARR from $1,000,000 to under $10,000,000"
    assert list(table["present"]) == [True, False, True]
    keep, hire, ahead = table["recommendation"]
    assert keep.startswith("Keep the sales operations specialist")
    assert hire.startswith("Hire or appoint a sales enablement manager") and "onboards and trains" in hire
    assert ahead.startswith("Already in place ahead of the stage") and "$10,000,000" in ahead


def test_unknown_team_asks_for_it_and_later_roles_are_planned():
    table = organisation.recommend_organisation(500_000, settings=OrganisationSettings())
    assert table["present"].isna().all()
    assert "organisation.current_roles" in table.loc[0, "recommendation"]
    assert table.loc[1, "recommendation"] == "Not needed yet: plan the role for when ARR reaches $1,000,000."


def test_current_roles_come_from_settings_unless_given():
    settings = OrganisationSettings(current_roles=["Sales enablement manager"])
    table = organisation.recommend_organisation(2_000_000, settings=settings)
    assert list(table["present"]) == [False, True, False]
    with pytest.raises(ValueError, match="unknown role"):
        organisation.recommend_organisation(2_000_000, ["Wizard"])


# --------------------------------------------------------------------------------------------------
# measured ARR


@pytest.fixture
def deals() -> pd.DataFrame:
    return make_opportunities([
        ("2026-01-01", True, 100.0, "Platform"),     # first day of the window: counts
        ("2026-06-30", True, 200.0, "Analytics"),
        ("2026-12-31", True, 400.0, "Platform"),     # as_of: counts
        ("2025-12-31", True, 800.0, "Platform"),     # before the window
        ("2027-01-01", True, 1_600.0, "Platform"),   # after as_of
        ("2026-05-01", False, 3_200.0, "Platform"),  # lost
        ("2026-05-01", True, 6_400.0, "Onboarding"),  # service
        ("2026-05-01", True, 12_800.0, "Gateway"),   # hardware
        ("2026-05-01", True, 25_600.0, "Mystery"),   # not in the products table
    ])


def test_measured_arr_counts_won_subscriptions_of_the_trailing_year(deals):
    arr, basis = organisation.measured_arr(deals, PRODUCTS, AS_OF)
    assert arr == 700.0  # 100 + 200 + 400
    assert "from 2026-01-01 to 2026-12-31" in basis
    assert "3 of 6 won deals ($700 of $45,500)" in basis  # 100 + 200 + 400 + 6,400 + 12,800 + 25,600
    assert "1 won deal(s) whose product has no kind or is not in the products table are not counted" in basis


def test_measured_arr_without_products_counts_every_won_deal(deals):
    arr, basis = organisation.measured_arr(deals, None, AS_OF)
    assert arr == 45_500.0
    assert "no products table" in basis and "may be counted as recurring revenue" in basis
    arr, basis = organisation.measured_arr(deals.drop(columns="product"), PRODUCTS, AS_OF)
    assert arr == 45_500.0 and "no product column" in basis
    # products derived from line items carry no kind: what is recurring is not known either
    arr, basis = organisation.measured_arr(deals, PRODUCTS.assign(kind=pd.NA), AS_OF)
    assert arr == 45_500.0 and "products carry no kind" in basis


def test_measured_arr_with_products_that_carry_no_kind_counts_every_won_deal_and_says_so(deals):
    """Products without a kind change nothing silently: the ARR is the one without a products table (not $0 for
    lack of subscriptions), and the basis says why and what mapping counts subscriptions only."""
    for products in (PRODUCTS.drop(columns="kind"), PRODUCTS.assign(kind=pd.Series(pd.NA, dtype=TEXT_DTYPE))):
        arr, basis = organisation.measured_arr(deals, products, AS_OF)
        assert arr == 45_500.0 == organisation.measured_arr(deals, None, AS_OF).arr
        assert basis.startswith("All won deals closed from 2026-01-01 to 2026-12-31 ($45,500): The products carry "
                                "no kind (subscription, service or hardware), so services and hardware may be "
                                "counted as recurring revenue (or set organisation.arr): map the export's "
                                "product-type column onto kind under data.columns.products")
    # one product with a kind is enough to count subscriptions: Platform's 100 + 400; Analytics has none now
    partly = PRODUCTS.assign(kind=PRODUCTS["kind"].where(PRODUCTS["product"] == "Platform"))
    arr, basis = organisation.measured_arr(deals, partly, AS_OF)
    assert arr == 500.0 and "4 won deal(s) whose product has no kind or is not in the products table" in basis


def test_measured_arr_bad_arguments(deals):
    with pytest.raises(ValueError, match="opportunities is missing required column"):
        organisation.measured_arr(deals.drop(columns="amount"), PRODUCTS, AS_OF)
    with pytest.raises(ValueError, match="products must be a pandas DataFrame or None"):
        organisation.measured_arr(deals, "products", AS_OF)
    with pytest.raises(ValueError, match="as_of must be a date"):
        organisation.measured_arr(deals, PRODUCTS, "soon")
