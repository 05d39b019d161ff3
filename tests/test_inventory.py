"""Hardware inventory: safety stock, reorder point, order quantity and stock-out risk by hand."""

import math

import pandas as pd
import pytest
from scipy.stats import norm

from salesops.supply import inventory
from salesops.supply.settings import InventorySettings

AS_OF = pd.Timestamp("2026-12-31")
Z95 = 1.6448536269514722


def inputs(lead_time_days=45, on_hand=30):
    orders = pd.DataFrame({"order_date": pd.to_datetime(["2026-10-05", "2026-11-05", "2026-12-05", "2026-12-06"]),
                           "product": "Box", "units": [10, 20, 10, 20]})  # 10, 20, 30 units a month
    products = pd.DataFrame({"product": ["Box"], "kind": ["hardware"], "lead_time_days": [lead_time_days],
                             "on_hand": [on_hand], "unit_cost": [100.0]})
    forecast = pd.DataFrame({"product": "Box", "region": "NA", "ds": pd.date_range("2027-01-01", periods=3, freq="MS"),
                             "units": 20.0})
    return forecast, orders, products


def test_plan_by_hand():
    forecast, orders, products = inputs()
    settings = InventorySettings(service_level=0.95, max_units_per_month={"Box": 10})
    row = inventory.inventory_plan(forecast, orders, products, AS_OF, 3, settings).iloc[0]
    lead = 45 / 30.4375
    safety = Z95 * 10 * math.sqrt(lead)  # σ of 10, 20, 30 is 10
    assert row["sigma_monthly"] == pytest.approx(10.0)
    assert row["safety_stock"] == pytest.approx(safety)
    assert row["reorder_point"] == pytest.approx(20 * lead + safety)
    assert row["units_to_order"] == math.ceil(60 + safety - 30)  # 50
    assert row["units_orderable"] == 30  # supplier: 10 a month × 3
    assert row["stockout_risk_before_delivery"] == pytest.approx(norm.sf((30 - 20 * lead) / (10 * math.sqrt(lead))))
    assert row["stockout_risk_quarter"] == pytest.approx(norm.sf((30 + 30 - 60) / (10 * math.sqrt(3))))
    assert row["order_cost"] == 3_000


def test_lead_time_falls_back_to_params_and_months_without_orders_count_zero():
    forecast, orders, products = inputs(lead_time_days=None)
    row = inventory.inventory_plan(forecast, orders, products, AS_OF, 6,
                                   InventorySettings(lead_time_days=61)).iloc[0]
    assert row["lead_time_days"] == 61
    assert row["sigma_monthly"] == pytest.approx(pd.Series([0, 0, 0, 10, 20, 30]).std())


def test_scenarios_move_demand_by_the_interval():
    forecast, orders, products = inputs(on_hand=1_000)
    plan = inventory.inventory_plan(forecast, orders, products, AS_OF, 3)
    orders_by = inventory.order_scenarios(plan, 3, 0.8).set_index("scenario")
    spread = norm.ppf(0.9) * 10 * math.sqrt(3)
    assert orders_by.loc["upside", "quarter_demand"] == pytest.approx(60 + spread)
    assert orders_by.loc["downside", "quarter_demand"] == pytest.approx(60 - spread)
    assert orders_by["units_to_order"].tolist() == [0, 0, 0]  # plenty in stock


def test_no_hardware_gives_an_empty_plan():
    forecast, orders, products = inputs()
    assert inventory.inventory_plan(forecast.iloc[0:0], orders, products, AS_OF, 3).empty
