"""Inventory of hardware products for the planned quarter: safety stock, reorder point, what to order and
the risk of running out.

Per product (all regions together, units):

* ``quarter_demand`` — forecast units of the quarter (step 2's ``hardware_units``), ``monthly_demand`` its
  mean per month;
* ``sigma_monthly`` — standard deviation of the monthly units ordered over the history window (months
  without orders count 0): the uncertainty of a month's demand around its forecast, taken as the spread
  seen (it includes trend and seasonality, so it errs on the safe side);
* ``lead_time_months`` — the product's supplier lead time in days (else the params') ÷ 30.44;
* ``safety_stock`` = z · sigma_monthly · √lead_time_months, z the standard-normal quantile of the
  service level;
* ``reorder_point`` = monthly_demand · lead_time_months + safety_stock: order when stock falls to it;
* ``units_to_order`` = max(0, quarter_demand + safety_stock − on_hand) rounded up: enough to meet the quarter's
  forecast and end it holding the safety stock; ``units_orderable`` caps it at the supplier's monthly
  limit × the quarter's months;
* ``stockout_risk_before_delivery`` — chance that demand during one lead time exceeds today's stock, i.e.
  of running out before an order placed today arrives (normal demand, mean monthly_demand · L,
  sd sigma_monthly · √L);
* ``stockout_risk_quarter`` — chance the quarter's demand exceeds on_hand + units_orderable (sd
  sigma_monthly · √months).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from salesops.contract.schema import TEXT_DTYPE
from salesops.supply.capacity import DAYS_PER_MONTH
from salesops.supply.settings import InventorySettings

PLAN_COLUMNS = ("product", "quarter_demand", "monthly_demand", "sigma_monthly", "lead_time_days",
                "lead_time_months", "safety_stock", "reorder_point", "on_hand", "units_to_order",
                "supplier_limit", "units_orderable", "stockout_risk_before_delivery", "stockout_risk_quarter",
                "unit_cost", "order_cost")


def monthly_spread(orders: pd.DataFrame, products: list[str], as_of, history_months: int) -> pd.Series:
    """Standard deviation (ddof 1) of units ordered per calendar month over the ``history_months`` months
    ending with the month of ``as_of``, per product; months with no order count 0."""
    as_of = pd.Timestamp(as_of)
    months = pd.period_range(end=as_of.to_period("M"), periods=history_months, freq="M")
    dates = pd.to_datetime(orders["order_date"])
    keep = (orders["product"].astype(object).isin(products) & (dates >= months[0].start_time)
            & (dates <= as_of)).to_numpy(bool)
    units = (orders.loc[keep, "units"].astype(float)
             .groupby([orders.loc[keep, "product"].astype(object), dates[keep].dt.to_period("M")]).sum())
    grid = units.unstack(fill_value=0.0).reindex(index=products, columns=months, fill_value=0.0)
    return grid.std(axis=1, ddof=1).fillna(0.0)


def empty_plan() -> pd.DataFrame:
    """A plan with PLAN_COLUMNS and no product: there is no hardware to stock."""
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in PLAN_COLUMNS}).astype({"product": TEXT_DTYPE})


def inventory_plan(units_forecast: pd.DataFrame, orders: pd.DataFrame, products: pd.DataFrame, as_of,
                   history_months: int, settings: InventorySettings | None = None) -> pd.DataFrame:
    """One row per hardware product of ``units_forecast`` (product, region, ds, units), PLAN_COLUMNS."""
    settings = settings or InventorySettings()
    for name, frame, columns in (("hardware units", units_forecast, ("product", "ds", "units")),
                                 ("orders", orders, ("order_date", "product", "units")),
                                 ("products", products, ("product",))):
        missing = [c for c in columns if c not in frame]
        if missing:
            raise ValueError(f"{name} needs the column(s) {', '.join(missing)}")
    if units_forecast.empty:
        return empty_plan()
    demand = units_forecast.groupby(units_forecast["product"].astype(object))["units"].sum()
    n_months = units_forecast["ds"].nunique()
    names = list(demand.index)
    info = products.assign(product=products["product"].astype(object)).set_index("product").reindex(names)

    def column(name: str, default: float) -> pd.Series:
        values = info[name].astype("float64") if name in info else pd.Series(np.nan, index=names)
        return values.fillna(default)

    z = float(norm.ppf(settings.service_level))
    sigma = monthly_spread(orders, names, as_of, history_months).reindex(names).fillna(0.0)
    lead_days = column("lead_time_days", float(settings.lead_time_days))
    lead_months = lead_days / DAYS_PER_MONTH
    on_hand = column("on_hand", 0.0)
    monthly = demand / n_months
    safety = z * sigma * np.sqrt(lead_months)
    to_order = np.ceil(np.clip(demand + safety - on_hand, 0, None))
    limit = pd.Series({p: settings.max_units_per_month.get(p, np.nan) for p in names}, dtype=float) * n_months
    orderable = np.minimum(to_order, limit.fillna(np.inf))
    out = pd.DataFrame({
        "product": names,
        "quarter_demand": demand.to_numpy(),
        "monthly_demand": monthly.to_numpy(),
        "sigma_monthly": sigma.to_numpy(),
        "lead_time_days": lead_days.to_numpy(),
        "lead_time_months": lead_months.to_numpy(),
        "safety_stock": safety.to_numpy(),
        "reorder_point": (monthly * lead_months + safety).to_numpy(),
        "on_hand": on_hand.to_numpy(),
        "units_to_order": to_order.to_numpy(),
        "supplier_limit": limit.to_numpy(),
        "units_orderable": orderable.to_numpy(),
        "stockout_risk_before_delivery": _exceed(monthly * lead_months, sigma * np.sqrt(lead_months), on_hand),
        "stockout_risk_quarter": _exceed(demand, sigma * np.sqrt(n_months), on_hand + orderable),
        "unit_cost": column("unit_cost", np.nan).to_numpy(),
    })
    out["order_cost"] = out["units_orderable"] * out["unit_cost"]
    return out.astype({"product": TEXT_DTYPE})


def order_scenarios(plan: pd.DataFrame, n_months: int, interval: float = 0.8) -> pd.DataFrame:
    """Units to order per product if the downside / base / upside quarter comes: quarter demand ∓ the
    normal quantile of ``interval`` × sigma_monthly × √n_months, then the same ordering rule and cap.
    Columns: scenario, product, quarter_demand, units_to_order, order_cost."""
    spread = norm.ppf(0.5 + interval / 2) * plan["sigma_monthly"] * np.sqrt(n_months)
    frames = []
    for scenario, shift in (("downside", -1.0), ("base", 0.0), ("upside", 1.0)):
        quarter = np.clip(plan["quarter_demand"] + shift * spread, 0, None)
        units = np.ceil(np.clip(quarter + plan["safety_stock"] - plan["on_hand"], 0, None))
        units = np.minimum(units, plan["supplier_limit"].fillna(np.inf))
        frames.append(pd.DataFrame({"scenario": scenario, "product": plan["product"], "quarter_demand": quarter,
                                    "units_to_order": units, "order_cost": units * plan["unit_cost"]}))
    return pd.concat(frames, ignore_index=True).astype({"scenario": TEXT_DTYPE, "product": TEXT_DTYPE})


def _exceed(mean: pd.Series, sd: pd.Series, stock: pd.Series) -> np.ndarray:
    """P(normal(mean, sd) > stock); with sd 0, 1 when mean > stock else 0."""
    mean, sd, stock = (np.asarray(x, dtype=float) for x in (mean, sd, stock))
    with np.errstate(divide="ignore", invalid="ignore"):
        risk = norm.sf((stock - mean) / sd)
    return np.where(sd > 0, risk, (mean > stock).astype(float))
