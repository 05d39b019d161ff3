"""Step 3 in one call: ``run(step)`` reads what steps 1 and 2 wrote, plans sales capacity, hires, supporting
roles, contractors and hardware stock (``supply.plan.plan_supply``), and returns a ``SupplyResult`` with
everything the page shows; ``write(step, result)`` writes the step's artifacts and its summary.

A section the data cannot support carries the sentence saying why (``*_reason``: empty when the section has
its table), so the notebook shows either the table or that sentence and decides nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from salesops import sanity
from salesops.collect import overview as collect_overview
from salesops.contract import analyses
from salesops.demand import overview as demand_overview
from salesops.report.present import Metric
from salesops.supply import overview as supply_overview
from salesops.supply import plan as supply_plan

if TYPE_CHECKING:
    from salesops.runner.step import Step

NO_HIRES = "No hires are needed in this scenario."
RAMP_FALLBACK = " Until then every rep counts as fully ramped and no attrition is seen."
INVENTORY_COLUMNS = ["product", "quarter_demand", "sigma_monthly", "lead_time_days", "safety_stock", "reorder_point",
                     "on_hand", "units_to_order", "units_orderable", "stockout_risk_before_delivery",
                     "stockout_risk_quarter", "order_cost"]


@dataclass
class SupplyResult:
    """What step 3's page shows. Money is in the company currency; months are month starts. A frame is None
    when its section could not run, and the section's ``*_reason`` says why."""

    scenario: str  # the planned scenario (``supply.plan_scenario``)
    drivers: pd.DataFrame  # step 2's demand drivers per scenario
    plan: supply_plan.SupplyPlan
    hiring_plan: pd.DataFrame  # the dated hires of the planned scenario
    metrics: list[Metric]
    findings: list[str]
    warnings: list[str]  # sanity invariants violated (``salesops.sanity``): shown first, never hidden
    ramp_reason: str  # why the team cannot be shown ramping (no hire dates); empty when it can
    team: pd.DataFrame | None  # account executives per month in the planned scenario
    roles_reason: str  # why supporting roles are not planned; empty when they are
    inventory_reason: str  # why there is no hardware stock plan; empty when there is
    scenario_sentences: list[str]

    def artifacts(self) -> dict[str, pd.DataFrame | None]:
        """The step's artifacts by name."""
        plan = self.plan
        return {"sales_capacity": plan.capacity, "productivity": plan.productivity, "attrition": plan.attrition,
                "quota_capacity": plan.quota_check, "capacity_gaps": plan.gaps, "hires": plan.hires,
                "hiring_plan": self.hiring_plan, "support_workloads": plan.workloads, "support_cover": plan.cover,
                "inventory_plan": plan.inventory, "inventory_orders": plan.orders, "supply_scenarios": plan.costs,
                "scenario_drivers": self.drivers}


def run(step: Step) -> SupplyResult:
    """Step 3 from the artifacts of steps 1 and 2 and the params of ``step``."""
    params = step.params
    tables = step.read_tables(("reps", "opportunities", "accounts", "leads", "products", "orders"))
    tables["opportunities"] = collect_overview.attach_segments(tables["opportunities"], tables.get("reps"),
                                                              tables.get("accounts"))
    supported = step.read("analyses")
    segment_demand = step.read("segment_demand")
    drivers = supply_plan.scenario_drivers(segment_demand, tables, params)
    plan = supply_plan.plan_supply(tables, segment_demand, drivers, step.read_optional("hardware_units"), params)
    scenario = params.supply.plan_scenario
    missing_ramp = analyses.missing_sentence(supported, "Ramp and attrition")
    findings = (supply_overview.supply_findings(plan, params)
                + supply_overview.segment_sentences(plan, params, step.read("quality_checks")))
    quarter_capacity = float(demand_overview.in_quarter(plan.capacity, params)["capacity"].sum())
    warnings = (sanity.unmeasured_sentences(findings)
              + sanity.measured_without_window(plan.productivity, "Bookings per ramped rep-month")
              + sanity.in_proportion(f"Today's team's capacity in {params.quarter}", quarter_capacity,
                                     sanity.recent_bookings(step.read("growth_quarterly")),
                                     "the mean bookings of the last complete quarters", params.currency))
    return SupplyResult(
        warnings=warnings, scenario=scenario, drivers=drivers, plan=plan, hiring_plan=plan.hiring_plan(scenario),
        metrics=supply_overview.supply_metrics(plan, params, float(step.read("planning_target")["target"].iloc[0])),
        findings=findings,
        ramp_reason=missing_ramp + RAMP_FALLBACK if missing_ramp else "",
        team=None if missing_ramp else supply_overview.team_plan(plan, params, scenario),
        roles_reason=analyses.missing_sentence(supported, "Supporting roles"),
        inventory_reason=supply_overview.inventory_note(plan, supported, tables.get("products")),
        scenario_sentences=supply_overview.scenario_sentences(plan, params))


def write(step: Step, result: SupplyResult) -> None:
    """Write step 3's artifacts and its summary."""
    step.write_all(result.artifacts())
    step.write_summary(result.metrics, result.warnings + result.findings)


# ------------------------------------------------------------------------------------------------------------------
# what the page shows, each section's table or the sentence saying why it has none


def planned_gaps(result: SupplyResult) -> pd.DataFrame:
    """The gap per quarter and segment in the planned scenario."""
    gaps = result.plan.gaps
    return gaps[gaps["scenario"] == result.scenario].drop(columns="scenario")


def planned_hires(result: SupplyResult) -> pd.DataFrame | None:
    """The hiring plan of the planned scenario, or None when it has no hires (``NO_HIRES`` says so)."""
    return result.hiring_plan if len(result.hiring_plan) else None


def hires_by_month(result: SupplyResult) -> pd.DataFrame:
    """Hires per scenario, role and start month, over every month of the horizon."""
    return supply_plan.hires_by_month(result.plan.hires, sorted(result.plan.capacity["ds"].unique()))


def workloads(result: SupplyResult) -> pd.DataFrame | None:
    """The workload one person of each supporting role carries (None when the roles are not planned:
    ``roles_reason``)."""
    return None if result.roles_reason else result.plan.workloads


def role_summary(result: SupplyResult) -> pd.DataFrame | None:
    """Supporting roles over the horizon in the planned scenario (None when they are not planned)."""
    return None if result.roles_reason else supply_plan.role_summary(result.plan, result.scenario)


def inventory_table(result: SupplyResult) -> pd.DataFrame | None:
    """The hardware stock plan as shown (None without one: ``inventory_reason`` says why)."""
    return None if result.inventory_reason else result.plan.inventory[INVENTORY_COLUMNS]
