"""Supporting roles sized from the demand drivers: SDRs, sales engineers, customer success, support and
delivery consultants, with contractors for short gaps.

People needed in a month, per role (``workload`` = what one person carries per month):

* SDR — qualified leads to work ÷ workload (leads per SDR-month);
* SE — opportunities to support ÷ workload (opportunities per SE-month);
* CSM — customers looked after ÷ workload: today's customers plus the new customers won from the first
  month of the horizon on (a book that grows; churn is not modelled);
* SUPPORT — today's support team (which carries today's tickets) + tickets of the new customers ÷ workload;
* CONSULTANT — delivery hours ÷ workload (billable hours per consultant-month).

Available: people of the role employed on the last day of known data × the chance they stay
(``capacity.survival``); consultants from the params. A gap (needed − available) that lasts at least
``contractor_max_months`` consecutive months of the horizon from a month on which a hire can start is
filled by hires (its smallest value over those months, rounded to the nearest whole person, starting that
month: peaks are left to contractors); everything else — gaps before the earliest
start, short gaps, and the part of a person left by rounding — is contractor time.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from salesops.contract.schema import TEXT_DTYPE
from salesops.deals import won_mask
from salesops.supply.capacity import observed_attrition, survival
from salesops.supply.hiring import HIRE_COLUMNS, hire_contribution
from salesops.supply.settings import SUPPORT_ROLES

#: Workloads used when there is nothing to measure them on and the params give none.
DEFAULT_WORKLOAD = {"SUPPORT": 250.0, "CONSULTANT": 120.0}
#: The demand-driver column each role's volume comes from.
DRIVER_OF_ROLE = {"SDR": "qualified_leads", "SE": "opportunities", "CSM": "new_customers",
                  "SUPPORT": "support_tickets", "CONSULTANT": "delivery_hours"}
UNIT_OF_ROLE = {"SDR": "qualified leads per month", "SE": "opportunities per month", "CSM": "customers",
                "SUPPORT": "tickets per month", "CONSULTANT": "delivery hours per month"}
COVER_COLUMNS = ("scenario", "role", "ds", "volume", "workload", "needed", "available", "hired",
                 "contractor_fte")


def headcount_today(reps: pd.DataFrame, as_of, consultants: int = 0) -> dict[str, float]:
    """People per role employed on ``as_of`` (hired by then, no end date before it); CONSULTANT from params."""
    as_of = pd.Timestamp(as_of)
    employed = np.ones(len(reps), dtype=bool)
    if "hire_date" in reps:
        employed &= ~(pd.to_datetime(reps["hire_date"]) > as_of).to_numpy(bool)
    if "end_date" in reps:
        employed &= ~(pd.to_datetime(reps["end_date"]) < as_of).to_numpy(bool)
    counts = reps.loc[employed, "role"].astype(object).value_counts()
    out = {role: float(counts.get(role, 0)) for role in SUPPORT_ROLES if role != "CONSULTANT"}
    out["CONSULTANT"] = float(consultants)
    return out


def customers_today(opportunities: pd.DataFrame, as_of) -> int:
    """Accounts with at least one deal won on or before ``as_of`` (0 without an account_id column)."""
    if "account_id" not in opportunities:
        return 0
    won = won_mask(opportunities)
    closed = (pd.to_datetime(opportunities["close_date"]) <= pd.Timestamp(as_of)).to_numpy(bool)
    return int(opportunities.loc[won & closed, "account_id"].dropna().nunique())


def measured_workloads(reps: pd.DataFrame, opportunities: pd.DataFrame, leads: pd.DataFrame | None, as_of,
                       history_months: int, overrides: Mapping[str, float] | None = None,
                       consultants: int = 0) -> pd.DataFrame:
    """What one person of each supporting role carries per month today, and the workload the plan uses.

    SDR: leads created per month over the ``history_months`` months to ``as_of`` ÷ average SDR headcount
    then; SE: opportunities created per month ÷ average SE headcount; CSM: customers today ÷ CSMs today.
    Columns: role, measured (NaN where nothing to measure), workload (override, else measured, else
    DEFAULT_WORKLOAD), source ("params", "measured" or "default"), unit.
    """
    as_of = pd.Timestamp(as_of)
    average = observed_attrition(reps, as_of, history_months).set_index("role")["average_headcount"]
    window_start = as_of.to_period("M").to_timestamp() - pd.DateOffset(months=history_months - 1)

    def per_month(dates: pd.Series) -> float:
        dates = pd.to_datetime(dates)
        return float(((dates >= window_start) & (dates <= as_of)).sum()) / history_months

    today = headcount_today(reps, as_of, consultants)
    measured = {
        "SDR": per_month(leads["created_date"]) / average.get("SDR", np.nan) if leads is not None else np.nan,
        "SE": per_month(opportunities["created_date"]) / average.get("SE", np.nan),
        "CSM": customers_today(opportunities, as_of) / today["CSM"] if today["CSM"] > 0 else np.nan,
        "SUPPORT": np.nan,
        "CONSULTANT": np.nan,
    }
    rows = []
    for role in SUPPORT_ROLES:
        value = measured[role]
        value = np.nan if not np.isfinite(value) or value <= 0 else value
        if overrides and role in overrides:
            rows.append((role, value, float(overrides[role]), "params"))
        elif not np.isnan(value):
            rows.append((role, value, value, "measured"))
        else:
            rows.append((role, value, DEFAULT_WORKLOAD.get(role, np.nan), "default"))
    out = pd.DataFrame(rows, columns=["role", "measured", "workload", "source"])
    out["unit"] = out["role"].map(UNIT_OF_ROLE)
    return out.astype({"role": TEXT_DTYPE, "source": TEXT_DTYPE, "unit": TEXT_DTYPE})


def support_needs(drivers: pd.DataFrame, workloads: pd.DataFrame, today: Mapping[str, float],
                  customers: int) -> pd.DataFrame:
    """People needed per scenario, role and month.

    ``drivers``: scenario, segment, ds and the driver columns of ``demand.plan.demand_drivers`` (summed over
    segments here). Columns: scenario, role, ds, volume (in the role's unit), workload, needed. A role
    without a workload (nothing measured, none given) is left out.
    """
    missing = [c for c in ("scenario", "ds", *DRIVER_OF_ROLE.values()) if c not in drivers]
    if missing:
        raise ValueError(f"demand drivers need the column(s) {', '.join(missing)}")
    by_month = drivers.groupby(["scenario", "ds"], sort=True)[list(DRIVER_OF_ROLE.values())].sum().reset_index()
    rate = workloads.set_index("role")["workload"]
    frames = []
    for role, driver in DRIVER_OF_ROLE.items():
        per_person = float(rate.get(role, np.nan))
        if not np.isfinite(per_person) or per_person <= 0:
            continue
        volume = by_month[driver].astype(float)
        if role == "CSM":
            volume = customers + volume.groupby(by_month["scenario"]).cumsum()
        needed = volume / per_person
        if role == "SUPPORT":
            needed = needed + today.get("SUPPORT", 0.0)
        frames.append(pd.DataFrame({"scenario": by_month["scenario"], "role": role, "ds": by_month["ds"],
                                    "volume": volume, "workload": per_person, "needed": needed}))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["scenario", "role", "ds", "volume", "workload", "needed"])
    return out.astype({"scenario": TEXT_DTYPE, "role": TEXT_DTYPE, "ds": "datetime64[ns]"})


def plan_support_hires(needs: pd.DataFrame, today: Mapping[str, float], as_of, earliest_start,
                       attrition_annual: float, contractor_max_months: int,
                       budget: Mapping[str, int | None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hires and contractor time per scenario and role (rule in the module docstring).

    ``budget``: most hires per scenario over the horizon for these roles (None: no limit); roles are served
    in the order of SUPPORT_ROLES. Returns ``(hires, cover)``: hires with HIRE_COLUMNS (segment "All"), and
    per scenario, role and month COVER_COLUMNS (``hired``: planned hires still employed, ``contractor_fte``:
    person-months of contractor time).
    """
    earliest = pd.Timestamp(earliest_start).to_period("M").to_timestamp()
    hire_rows, cover_frames = [], []
    for scenario, scenario_needs in needs.groupby("scenario", sort=False):
        budget_left = np.inf if budget is None or budget.get(scenario) is None else float(budget[scenario])
        for role in [r for r in SUPPORT_ROLES if r in set(scenario_needs["role"])]:
            rows = scenario_needs.loc[scenario_needs["role"] == role].sort_values("ds")
            months = pd.DatetimeIndex(rows["ds"])
            available = today.get(role, 0.0) * survival(months, as_of, attrition_annual)
            gap = rows["needed"].to_numpy(float) - available
            hired = np.zeros(len(months))
            for index, start in enumerate(months):
                if start < earliest or budget_left <= 0:
                    continue
                sustained = (gap - hired)[index:index + contractor_max_months]
                if len(sustained) < contractor_max_months:  # too near the horizon's end to know it lasts
                    continue
                count = int(np.floor(max(0.0, sustained.min()) + 0.5))
                count = int(min(count, budget_left))
                if count > 0:
                    hired += count * hire_contribution(start, months, [1.0], attrition_annual)
                    hire_rows.append((scenario, role, "All", start, count))
                    budget_left -= count
            contractor = np.clip(gap - hired, 0, None)
            cover_frames.append(pd.DataFrame({
                "scenario": scenario, "role": role, "ds": months, "volume": rows["volume"].to_numpy(float),
                "workload": rows["workload"].to_numpy(float), "needed": rows["needed"].to_numpy(float),
                "available": available, "hired": hired, "contractor_fte": contractor}))
    hires = pd.DataFrame(hire_rows, columns=list(HIRE_COLUMNS)).astype(
        {"scenario": TEXT_DTYPE, "role": TEXT_DTYPE, "segment": TEXT_DTYPE, "ds": "datetime64[ns]", "hires": "int64"})
    cover = (pd.concat(cover_frames, ignore_index=True) if cover_frames
             else pd.DataFrame(columns=list(COVER_COLUMNS)))
    return hires, cover.astype({"scenario": TEXT_DTYPE, "role": TEXT_DTYPE, "ds": "datetime64[ns]"})
