"""The plan's headline figures, computed once: forecast and range, target and the gap to it, pipeline coverage
against the coverage needed and the pipeline still to create, capacity against the target, hires, the full cost
and the quotas. Step 4 writes them as the ``plan_facts`` artifact; the quarter's index, step 4's page and the
Summary sheet of ``plan.xlsx`` show them from there, so a figure reads the same wherever it appears.

Nothing here measures anything: each fact is read from the artifact of the step that measured it (named in its
``basis``), or is a sum or difference of such facts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from salesops.align.compensation import TOTAL, scenario_totals
from salesops.contract.schema import roles_in_words
from salesops.demand.plan.pipeline_gap import opportunities
from salesops.formats import money, number, percent
from salesops.supply.overview import capacity_vs_target_metric, quarter_capacity

if TYPE_CHECKING:
    from salesops.plan_params import Params

FACT_COLUMNS: tuple[str, ...] = ("key", "label", "value", "display", "note", "basis")


@dataclass(frozen=True)
class PlanInputs:
    """What the facts are read from: the artifacts of steps 1-3 and step 4's quota table and payout simulation
    (None: the section did not run)."""

    comparison: pd.DataFrame  # step 2: demand_comparison
    target: float
    target_basis: str
    pipeline_need: pd.DataFrame  # step 2: one row
    pipeline_to_create: pd.DataFrame  # step 2: per month
    gaps: pd.DataFrame  # step 3: capacity_gaps
    costs: pd.DataFrame  # step 3: supply_scenarios
    inventory: pd.DataFrame | None  # step 3: inventory_plan
    quotas: pd.DataFrame  # step 4: quota table
    payouts: pd.DataFrame | None  # step 4: payout simulation
    commission_reason: str = ""  # why the payouts were not simulated (empty when they were)


def _fact(key: str, label: str, value: float, display: str, note: str, basis: str) -> dict:
    return {"key": key, "label": label, "value": float(value) if value is not None else math.nan,
            "display": display, "note": note, "basis": basis}


def commission_cost(payouts: pd.DataFrame | None) -> float:
    """The expected commission of the quarter in the plan's base scenario (the payout simulation's total row),
    NaN when payouts were not simulated."""
    if payouts is None:
        return math.nan
    total = payouts[(payouts["rep_id"].astype(str) == TOTAL) & (payouts["scenario"].astype(str) == "base")]
    return float(total["expected_payout"].iloc[0]) if len(total) else math.nan


def plan_facts(inputs: PlanInputs, params: Params) -> pd.DataFrame:
    """The headline figures, one row each: ``key`` (stable name), ``label`` (as pages show it), ``value`` (money in
    the company currency, shares as fractions, coverage as a multiple, counts), ``display`` (formatted),
    ``note`` (one line of context) and ``basis`` (measured from which step's data, or assumed from which param)."""
    currency, quarter, scenario = params.currency, params.quarter, params.supply.plan_scenario
    cash = lambda value: money(value, currency, compact=True)  # noqa: E731
    forecast = scenario_totals(inputs.comparison)
    target = inputs.target
    gap = target - forecast["base"]
    need = inputs.pipeline_need.iloc[0]
    capacity, added = quarter_capacity(inputs.gaps, scenario, quarter)
    with_hires = capacity + added
    short = capacity_vs_target_metric(inputs.gaps, target, params)
    cost = inputs.costs.set_index("scenario").loc[scenario]
    commission = commission_cost(inputs.payouts)
    hardware = float(cost["inventory_cost"]) if pd.notna(cost["inventory_cost"]) else 0.0
    parts = {"payroll": float(cost["added_payroll"]), "contractors": float(cost["contractor_cost"]),
             "hardware": hardware, "commission": commission}
    unknown = [name for name, amount in parts.items() if math.isnan(amount)]
    full_cost = sum(amount for amount in parts.values() if not math.isnan(amount))
    quotas_total = float(inputs.quotas["quota"].sum())
    hires = int(cost["ae_hires"] + cost["support_hires"])
    horizon = f"{quarter} and the {params.forecast.horizon_quarters} quarters after"
    facts = [
        _fact("forecast_base", f"Forecast {quarter}, base", forecast["base"], cash(forecast["base"]),
              f"{cash(forecast['downside'])} – {cash(forecast['upside'])} · {percent(forecast['base'] / target - 1, signed=True)}"
              " vs target", "measured: step 2's blend of the statistical, pipeline and lead forecasts"),
        _fact("forecast_downside", f"Forecast {quarter}, downside", forecast["downside"], cash(forecast["downside"]),
              "1-in-10 chance of landing below", "measured: step 2"),
        _fact("forecast_upside", f"Forecast {quarter}, upside", forecast["upside"], cash(forecast["upside"]),
              "1-in-10 chance of landing above", "measured: step 2"),
        _fact("target", f"Target {quarter}", target, cash(target), inputs.target_basis,
              "assumed: " + inputs.target_basis if "set in the params" in inputs.target_basis
              else f"{inputs.target_basis}: the bookings measured, the growth assumed"),
        _fact("gap_to_target", "Gap to target", gap, cash(gap) if gap > 0 else "none",
              "target − base forecast" if gap > 0 else f"the base forecast is {cash(-gap)} above the target",
              "derived: target − forecast"),
        _fact("pipeline_coverage", f"Pipeline coverage {quarter}", need["coverage"], f"{need['coverage']:.2f}×",
              "won + open pipeline closing in the quarter ÷ target", "measured: step 1's open pipeline"),
        _fact("coverage_needed", "Coverage needed", need["coverage_needed"],
              f"{need['coverage_needed']:.2f}×" if pd.notna(need["coverage_needed"]) else "not measurable",
              "at the stage close rates and slippage measured in the history",
              "measured: step 2's pipeline forecast"),
        _fact("bookings_from_new_pipeline", "Bookings new pipeline must add", need["bookings_to_add"],
              cash(need["bookings_to_add"]) if need["bookings_to_add"] > 0 else "none", str(need["basis"]),
              "derived: step 2"),
    ]
    to_create = inputs.pipeline_to_create
    if len(to_create):
        per_month = int(to_create["opportunities"].iloc[0])
        usual = float(to_create["usual_opportunities"].iloc[0])
        leads = to_create["leads"].iloc[0]
        facts.append(_fact(
            "opportunities_to_create", "New opportunities to create a month", per_month, number(per_month),
            f"{to_create['ds'].min():%b} – {to_create['ds'].max():%b %Y}, on top of the "
            f"{number(usual)} created in a usual month" + (f", {per_month / usual:.0f} times as many" if usual and
                                                              per_month > 2 * usual else "")
            + (f"; about {number(leads)} leads a month" if pd.notna(leads) else ""),
            "derived: step 2, from the creation yield and lead conversion measured in the history"))
    facts += [
        _fact("capacity", f"Sales capacity {quarter}", capacity, cash(capacity),
              f"today's team; hires starting in {quarter} add {cash(added)}",
              "measured: step 3, bookings per ramped rep-month × ramped headcount"),
        _fact("capacity_vs_target", short.label, short.value, short.display, short.note,
              "derived: capacity with the quarter's hires − target (step 3 shows the same)"),
        _fact("hires", f"Hires ({scenario})", hires, number(hires),
              f"{roles_in_words(str(cost['hires_by_role']))}, over {params.forecast.horizon_quarters + 1} quarters"
              if hires else "no hires",
              f"derived: step 3's {scenario} scenario"),
        _fact("cost_payroll", "Payroll of the hires", cost["added_payroll"],
              cash(cost["added_payroll"]) if pd.notna(cost["added_payroll"]) else "not known",
              f"over {horizon}" if pd.notna(cost["added_payroll"]) else
              "no on-target earnings in the reps table nor supply.annual_cost to cost the hires",
              "measured: the reps' on-target earnings, or assumed: supply.annual_cost"),
        _fact("cost_contractors", "Contractors", cost["contractor_cost"], cash(cost["contractor_cost"]),
              f"{number(cost['contractor_hours'])} hours over {horizon}", "assumed: supply.contractor_hourly_rate"),
        _fact("cost_hardware", "Hardware stock to order", hardware, cash(hardware),
              f"{number(cost['inventory_units'])} units in {quarter}" if hardware else "none to order",
              "measured: step 3's inventory plan"),
        _fact("cost_commission", f"Commission {quarter}", commission,
              cash(commission) if not math.isnan(commission) else "not simulated",
              "expected payout if the base forecast is booked" if not math.isnan(commission) else
              inputs.commission_reason or "the payouts were not simulated", "measured: step 4's payout simulation"),
        _fact("cost_total", "Full cost of the plan" if not unknown else "Known cost of the plan", full_cost,
              cash(full_cost), f"payroll and contractors over {horizon}; hardware and commission of {quarter}"
              + (f"; not included: {' and '.join(unknown)}" if unknown else ""), "derived: the sum of what is known"),
        _fact("quotas_total", f"Quotas {quarter}", quotas_total, cash(quotas_total),
              f"target + {percent(params.quotas.over_assignment, 0)} over {number(len(inputs.quotas))} account "
              f"executives; {percent(quotas_total / with_hires - 1, signed=True) if with_hires else '–'} vs capacity",
              "assumed: quotas.over_assignment"),
    ]
    facts += _stockout_facts(inputs.inventory)
    return pd.DataFrame(facts, columns=list(FACT_COLUMNS)).astype(
        {"key": "string", "label": "string", "display": "string", "note": "string", "basis": "string"})


def _stockout_facts(inventory: pd.DataFrame | None) -> list[dict]:
    """The riskiest hardware product's two stock-out chances (step 3's inventory plan), or none."""
    if inventory is None or inventory.empty:
        return []
    row = inventory.sort_values("stockout_risk_before_delivery", ascending=False).iloc[0]
    return [
        _fact("stockout_before_delivery", f"Stock-out risk, {row['product']}", row["stockout_risk_before_delivery"],
              percent(row["stockout_risk_before_delivery"], 0),
              f"before an order placed now arrives ({number(row['lead_time_days'])}-day lead time)",
              "measured: step 3, from the orders' monthly spread"),
        _fact("stockout_quarter", f"Stock-out risk with the order, {row['product']}", row["stockout_risk_quarter"],
              percent(row["stockout_risk_quarter"], 0), "over the quarter, stock on hand + the order",
              "measured: step 3"),
    ]


def fact_values(facts: pd.DataFrame) -> Mapping[str, pd.Series]:
    """The facts by key (each a row: label, value, display, note, basis)."""
    return {str(row["key"]): row for _, row in facts.iterrows()}


BRIDGE_COLUMNS: tuple[str, ...] = ("step", "amount", "how")


def gap_bridge(facts: pd.DataFrame, params: Params) -> pd.DataFrame:
    """From the forecast to the target, and what the team can book: one row per step, ``amount`` in the company
    currency and ``how`` in words (what closes it, or why it stays open). Read from :func:`plan_facts` only."""
    fact = fact_values(facts)
    quarter = params.quarter
    base, target = fact["forecast_base"]["value"], fact["target"]["value"]
    to_add = fact["bookings_from_new_pipeline"]["value"]
    rows = [("Base forecast", base, fact["forecast_base"]["basis"].removeprefix("measured: ").capitalize())]
    if to_add > 0:
        create = fact.get("opportunities_to_create")
        how = (f"create {opportunities(int(create['value']))} a month ({create['note']})" if create is not None
               else "build pipeline: the history measures no deal created and won within one quarter")
        rows.append(("+ Bookings from new pipeline", to_add, how[0].upper() + how[1:]))
    remaining = target - base - max(to_add, 0.0)
    if remaining > 0.005 * target:
        rows.append(("+ Still open", remaining, "The open pipeline covers the target at the measured close rates; "
                                                "the other forecasts expect less: review the pipeline's close dates"))
    rows.append((f"= Target {quarter}", target, fact["target"]["note"]))
    with_hires = fact["capacity_vs_target"]["value"] + target
    today = fact["capacity"]["value"]
    rows.append((f"Team capacity {quarter}", with_hires,
                 f"Today's team {money(today, params.currency, compact=True)} + hires starting in the quarter "
                 f"{money(with_hires - today, params.currency, compact=True)}, at the productivity measured in step 3"))
    if with_hires < target:
        rows.append(("Capacity short of the target", with_hires - target,
                     "Hires start too late to ramp in the quarter: move accounts to reps with spare capacity, run an "
                     "incentive on ramped reps, or lean on partners"))
    rows.append((fact["quotas_total"]["label"], fact["quotas_total"]["value"], fact["quotas_total"]["note"].capitalize()))
    return pd.DataFrame(rows, columns=list(BRIDGE_COLUMNS)).astype({"step": "string", "how": "string"})
