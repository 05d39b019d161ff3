"""Step 3 in one call: capacity (``capacity.py``), account-executive hires (``hiring.py``), supporting roles
and contractors (``staffing.py``) and hardware inventory (``inventory.py``) for each demand scenario, with
what each scenario costs. Definitions live in those modules; this one puts them together.
"""

from __future__ import annotations

import math

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesops.contract.schema import ROLE_NAMES, TEXT_DTYPE
from salesops.demand import plan as demand_plan
from salesops.supply import capacity, hiring, inventory, staffing
from salesops.demand.methods import SCENARIOS
from salesops.supply.settings import SupplySettings

if TYPE_CHECKING:  # only for annotations: the params are put together above every step
    from salesops.plan_params import Params

COST_COLUMNS = ("scenario", "ae_hires", "support_hires", "hires_by_role", "added_payroll", "contractor_hours",
                "contractor_cost", "inventory_units", "inventory_cost", "quarter_gap", "horizon_gap")


@dataclass(frozen=True)
class SupplyPlan:
    """Everything step 3 shows and writes. Money in the company currency; months are month starts."""

    productivity: pd.DataFrame  # capacity.measured_productivity
    attrition: pd.DataFrame  # capacity.observed_attrition
    capacity: pd.DataFrame  # capacity.sales_capacity, per segment and month
    quota_check: pd.DataFrame  # capacity.quota_capacity_check, planned quarter
    gaps: pd.DataFrame  # hiring.GAP_COLUMNS, every scenario
    hires: pd.DataFrame  # hiring.HIRE_COLUMNS plus fully_ramped, annual_cost, cost_in_horizon; every role
    workloads: pd.DataFrame  # staffing.measured_workloads
    cover: pd.DataFrame  # staffing.COVER_COLUMNS plus contractor_hours, contractor_cost
    inventory: pd.DataFrame  # inventory.PLAN_COLUMNS (empty without hardware)
    orders: pd.DataFrame  # inventory.order_scenarios
    costs: pd.DataFrame  # COST_COLUMNS, one row per scenario
    earliest_start: pd.Timestamp
    ae_hire_limit: int | None = None  # most account executives the plan may hire (``ae_hire_limit``)

    def hiring_plan(self, scenario: str) -> pd.DataFrame:
        """The dated hiring plan of one scenario (step 4's input)."""
        return self.hires.loc[self.hires["scenario"] == scenario].drop(columns="scenario").reset_index(drop=True)


def earliest_start(as_of, lead_time_months: int) -> pd.Timestamp:
    """First day a hire decided now can start: the first of the month ``lead_time_months`` after the month
    that follows ``as_of``."""
    return (pd.Timestamp(as_of).to_period("M") + 1 + lead_time_months).to_timestamp()


def annual_costs(reps: pd.DataFrame, settings: SupplySettings) -> dict[str, float]:
    """Fully loaded annual cost per role: the params', else median ``ote`` of the role × loaded_cost_factor
    (NaN when neither is known)."""
    roles = ("AE", *staffing.SUPPORT_ROLES)
    median_ote = (reps.groupby(reps["role"].astype(object))["ote"].median() if "ote" in reps
                  else pd.Series(dtype=float))
    return {role: float(settings.annual_cost.get(role, median_ote.get(role, np.nan) * settings.loaded_cost_factor))
            for role in roles}


def ae_hire_limit(reps: pd.DataFrame, as_of, settings) -> int | None:
    """Most account executives the plan may hire over the horizon: the smaller of ``headcount_budget`` and
    ``max_team_growth`` × the account executives employed on ``as_of`` (rounded up, at least one); None when
    neither limits."""
    limits = [] if settings.headcount_budget is None else [settings.headcount_budget]
    if settings.max_team_growth is not None:
        team = capacity.rep_months(reps, pd.DatetimeIndex([pd.Timestamp(as_of).to_period("M").to_timestamp()]))
        today = int(team["rep_id"].nunique())  # account executives employed in the month of as_of
        limits.append(max(1, math.ceil(settings.max_team_growth * today)))
    return min(limits) if limits else None


def plan_supply(tables: Mapping[str, pd.DataFrame], segment_demand: pd.DataFrame, drivers: pd.DataFrame,
                hardware: pd.DataFrame | None, params: Params) -> SupplyPlan:
    """Step 3 for the planned quarter and the quarters of step 2's horizon.

    ``segment_demand``: segment, ds, downside, base, upside (bookings per month); ``drivers``: the demand
    drivers of each scenario stacked with a ``scenario`` column; ``hardware``: step 2's hardware units or None.
    """
    settings, as_of = params.supply, params.data_end
    reps, opportunities = tables["reps"], tables["opportunities"]
    months = pd.DatetimeIndex(sorted(pd.to_datetime(segment_demand["ds"]).unique()))
    start = earliest_start(as_of, settings.hiring_lead_time_months)

    productivity = capacity.measured_productivity(opportunities, reps, as_of, settings.history_months,
                                                  settings.ramp_curve, settings.productivity)
    sales = capacity.sales_capacity(reps, months, as_of, productivity, settings.ramp_curve,
                                    settings.attrition_annual)
    quota_check = capacity.quota_capacity_check(reps, sales, params.quarter_start, params.quarter_end)

    ae_budget = ae_hire_limit(reps, as_of, settings)
    ae_hires, gaps = [], []
    for scenario in SCENARIOS:
        hires, gap = hiring.plan_sales_hires(sales, segment_demand, scenario, start, settings.ramp_curve,
                                             settings.attrition_annual, settings.max_hires_per_month,
                                             ae_budget, params.fiscal_year_start_month)
        ae_hires.append(hires)
        gaps.append(gap)
    ae_hires = pd.concat(ae_hires, ignore_index=True)

    workloads = staffing.measured_workloads(reps, opportunities, tables.get("leads"), as_of,
                                            settings.history_months, settings.workload,
                                            settings.delivery_consultants)
    today = staffing.headcount_today(reps, as_of, settings.delivery_consultants)
    needs = staffing.support_needs(drivers, workloads, today, staffing.customers_today(opportunities, as_of))
    budget = None
    if settings.headcount_budget is not None:
        used = ae_hires.groupby("scenario")["hires"].sum()
        budget = {s: max(0, settings.headcount_budget - int(used.get(s, 0))) for s in SCENARIOS}
    support_hires, cover = staffing.plan_support_hires(needs, today, as_of, start, settings.attrition_annual,
                                                       settings.contractor_max_months, budget)
    cover = cover.assign(contractor_hours=cover["contractor_fte"] * settings.hours_per_fte_month)
    cover["contractor_cost"] = cover["contractor_hours"] * settings.contractor_hourly_rate

    all_hires = _costed(pd.concat([ae_hires, support_hires], ignore_index=True), months, annual_costs(reps, settings),
                        settings)
    stock, orders = _inventory(tables, hardware, params)
    costs = _scenario_costs(all_hires, cover, orders, pd.concat(gaps, ignore_index=True), params)
    return SupplyPlan(productivity, capacity.observed_attrition(reps, as_of, settings.history_months), sales,
                      quota_check, pd.concat(gaps, ignore_index=True), all_hires, workloads, cover, stock, orders,
                      costs, start, ae_budget)


def _costed(hires: pd.DataFrame, months: pd.DatetimeIndex, costs: dict[str, float],
            settings: SupplySettings) -> pd.DataFrame:
    """Hires with the month each is fully ramped (AEs: the last month of the ramp curve; others: the start
    month), the annual cost of one, and the cost of all of them over the horizon (payroll while expected
    to stay)."""
    out = hires.copy()
    ramp_months = len(settings.ramp_curve) - 1
    out["fully_ramped"] = [ds + pd.DateOffset(months=ramp_months if role == "AE" else 0)
                           for role, ds in zip(out["role"], out["ds"])]
    out["fully_ramped"] = out["fully_ramped"].astype("datetime64[ns]")
    out["annual_cost"] = out["role"].astype(object).map(costs).astype(float)
    employed_months = [hiring.hire_contribution(ds, months, [1.0], settings.attrition_annual).sum()
                       for ds in out["ds"]]
    out["cost_in_horizon"] = out["hires"] * out["annual_cost"] / 12 * np.asarray(employed_months, dtype=float)
    return out


def _inventory(tables: Mapping[str, pd.DataFrame], hardware: pd.DataFrame | None,
               params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    if hardware is None or hardware.empty or not {"orders", "products"} <= set(tables):
        return inventory.empty_plan(), inventory.order_scenarios(inventory.empty_plan(), 3, params.demand.interval)
    plan = inventory.inventory_plan(hardware, tables["orders"], tables["products"], params.data_end,
                                    params.demand.history_months, params.inventory)
    return plan, inventory.order_scenarios(plan, hardware["ds"].nunique(), params.demand.interval)


def _scenario_costs(hires: pd.DataFrame, cover: pd.DataFrame, orders: pd.DataFrame, gaps: pd.DataFrame,
                    params: Params) -> pd.DataFrame:
    rows = []
    for scenario in SCENARIOS:
        h = hires.loc[hires["scenario"] == scenario]
        c = cover.loc[cover["scenario"] == scenario]
        o = orders.loc[orders["scenario"] == scenario]
        g = gaps.loc[gaps["scenario"] == scenario]
        by_role = h.groupby(h["role"].astype(object))["hires"].sum()
        rows.append((
            scenario,
            int(by_role.get("AE", 0)),
            int(by_role.drop("AE", errors="ignore").sum()),
            ", ".join(f"{int(n)} {ROLE_NAMES.get(role, role)}{'s' if n != 1 else ''}"  # "2 sales engineers"
                      for role, n in by_role.items() if n) or "none",
            float(h["cost_in_horizon"].sum(min_count=1)) if len(h) else 0.0,  # NaN: hires of unknown cost
            float(c["contractor_hours"].sum()),
            float(c["contractor_cost"].sum()),
            float(o["units_to_order"].sum()),
            float(o["order_cost"].sum(min_count=1)) if len(o) else 0.0,
            float(g.loc[g["quarter"] == params.quarter, "gap_after"].clip(lower=0).sum()),
            float(g["gap_after"].clip(lower=0).sum()),
        ))
    return pd.DataFrame(rows, columns=list(COST_COLUMNS)).astype({"scenario": TEXT_DTYPE,
                                                                  "hires_by_role": TEXT_DTYPE})


def scenario_drivers(segment_demand: pd.DataFrame, tables: Mapping[str, pd.DataFrame], params: Params) -> pd.DataFrame:
    """Step 2's demand drivers (``demand.plan.demand_drivers``) for each scenario, stacked with a ``scenario``
    column. ``tables["opportunities"]`` needs its ``segment`` (``collect.overview.attach_segments``)."""
    return pd.concat([
        demand_plan.demand_drivers(segment_demand, tables["opportunities"], tables.get("leads"), tables.get("products"),
                                   params.data_end, params.demand, value_column=scenario).assign(scenario=scenario)
        for scenario in SCENARIOS], ignore_index=True).astype({"scenario": TEXT_DTYPE})


def role_summary(plan: SupplyPlan, scenario: str) -> pd.DataFrame:
    """Per supporting role over the horizon: needed and available (monthly averages, people), hires,
    contractor_hours and contractor_cost (totals)."""
    cover = plan.cover[plan.cover["scenario"] == scenario]
    hires = plan.hires[plan.hires["scenario"] == scenario].groupby("role")["hires"].sum()
    out = (cover.groupby("role", sort=False)
           .agg(needed=("needed", "mean"), available=("available", "mean"),
                contractor_hours=("contractor_hours", "sum"), contractor_cost=("contractor_cost", "sum"))
           .reset_index())
    out.insert(3, "hires", out["role"].map(hires).fillna(0).astype(int))
    return out


def hires_by_month(hires: pd.DataFrame, months) -> pd.DataFrame:
    """Hires (``SupplyPlan.hires``) of every scenario by role (account executives by segment) and start month:
    one row per scenario and role, one column per month of ``months`` (``Mon YYYY``), counts (0 when none)."""
    labels = [f"{pd.Timestamp(ds):%b %Y}" for ds in months]
    if hires.empty:
        return pd.DataFrame(columns=["scenario", "role", *labels])
    named = hires.assign(role=np.where(hires["role"] == "AE", "AE " + hires["segment"].astype(str),
                                       hires["role"].astype(str)),
                         month=hires["ds"].dt.strftime("%b %Y"))
    table = named.pivot_table(index=["scenario", "role"], columns="month", values="hires", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=labels, fill_value=0).reset_index()
    order = {s: i for i, s in enumerate(SCENARIOS)}
    return table.sort_values(["scenario", "role"], key=lambda c: c.map(order) if c.name == "scenario" else c,
                             kind="stable").reset_index(drop=True)
