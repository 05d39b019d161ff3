"""Account executives to hire so that capacity meets demand, honest about hiring lead time and ramp.

The rule (per demand scenario):

1. The gap of a segment in a quarter is demand − capacity of today's team (bookings, company currency).
2. Hires start on the first of a month, no earlier than ``earliest_start``. A hire starting in month ``s``
   adds ``productivity × ramp(tenure) × survival`` to each later month (the same ramp and attrition as
   today's team).
3. Month by month from ``earliest_start``, one hire at a time goes to the segment that needs the most
   hires: for a hire starting in ``s`` the need is the largest, over the *target quarters* of ``s``, of
   remaining gap ÷ what one such hire adds in that quarter. Target quarters are those starting once the
   hire is fully ramped (the last quarter of the horizon when none does); what one hire adds is counted as
   a ramped rep, so hires are sized to the steady state, not to a gap no hire could close in time.
   Hiring stops for a segment when its need falls below half a hire (needs are rounded to the nearest
   whole hire), and when ``max_hires_per_month`` or the headcount budget is used up.
4. What remains is reported per quarter with why: covered; closed by hires; open because no hire can
   start before the quarter ends, or none can be fully ramped by its start; less than half a hire short;
   or open because of the hiring limits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesops.fiscal_calendar import quarter_freq, quarter_label
from salesops.contract.schema import TEXT_DTYPE
from salesops.supply.capacity import ramp_factor, survival

GAP_COLUMNS = ("scenario", "segment", "quarter", "demand", "capacity", "added_capacity", "gap_before",
               "gap_after", "status")
HIRE_COLUMNS = ("scenario", "role", "segment", "ds", "hires")


def hire_contribution(start: pd.Timestamp, months: pd.DatetimeIndex, ramp_curve: Sequence[float],
                      attrition_annual: float) -> np.ndarray:
    """Ramped equivalents one person starting on the first of ``start`` adds in each of ``months``: ramp by
    tenure month × the chance they are still employed (attrition from their start to the middle of the month)."""
    starts = pd.DatetimeIndex(months)
    start_period = pd.Timestamp(start).to_period("M")
    periods = starts.to_period("M")
    tenure = (periods.year - start_period.year) * 12 + periods.month - start_period.month + 1
    return ramp_factor(np.asarray(tenure, dtype=float), ramp_curve) * survival(starts, start, attrition_annual)


def plan_sales_hires(
    capacity: pd.DataFrame,
    demand: pd.DataFrame,
    scenario: str,
    earliest_start,
    ramp_curve: Sequence[float],
    attrition_annual: float,
    max_hires_per_month: int,
    budget: int | None = None,
    fiscal_year_start_month: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Account-executive hires for one scenario.

    ``capacity``: segment, ds, capacity, productivity (``capacity.sales_capacity``); ``demand``: segment, ds and
    the ``scenario`` column (bookings per month). Months and segments are those of ``demand``; a segment with
    no measured productivity gets no hires, and the capacity of a segment without demand covers no other segment. Returns ``(hires, gaps)``: hires with columns scenario, role
    ("AE"), segment, ds (start month), hires (count); gaps per segment and fiscal quarter with GAP_COLUMNS
    (``added_capacity``: bookings the planned hires add).
    """
    if scenario not in demand.columns:
        raise ValueError(f"demand has no {scenario!r} column; it has {', '.join(map(str, demand.columns))}")
    table = demand[["segment", "ds", scenario]].rename(columns={scenario: "demand"}).merge(
        capacity[["segment", "ds", "capacity", "productivity"]], on=["segment", "ds"], how="left")
    table["capacity"] = table["capacity"].fillna(0.0)
    months = pd.DatetimeIndex(sorted(table["ds"].unique()))
    segments = sorted(table["segment"].astype(object).unique())
    freq = quarter_freq(fiscal_year_start_month)
    quarter_of_month = np.array([quarter_label(p) for p in months.to_period(freq)])
    quarters = list(dict.fromkeys(quarter_of_month))
    in_quarter = np.array([[q == label for label in quarter_of_month] for q in quarters], dtype=float)

    # dropna=False keeps the productivity block when no demand segment has a measured productivity (the
    # capacity side has none of the demand side's segments): those segments then get no hires
    grid = table.pivot_table(index="segment", columns="ds", values=["demand", "capacity", "productivity"],
                             aggfunc="first", dropna=False).reindex(index=segments)
    demand_grid = grid["demand"].reindex(columns=months).fillna(0.0).to_numpy()
    capacity_grid = grid["capacity"].reindex(columns=months).fillna(0.0).to_numpy()
    productivity = grid["productivity"].reindex(columns=months).ffill(axis=1).bfill(axis=1).iloc[:, 0].to_numpy()
    added = np.zeros_like(capacity_grid)

    earliest = pd.Timestamp(earliest_start).to_period("M").to_timestamp()
    full_ramp = len(ramp_curve)
    budget_left = np.inf if budget is None else budget
    hires: list[tuple[str, pd.Timestamp, int]] = []
    limited_by_rules = False
    for start in months:
        if start < earliest:
            continue
        per_hire = hire_contribution(start, months, ramp_curve, attrition_annual)
        ramped_from = start + pd.DateOffset(months=full_ramp)
        targets = [i for i, q in enumerate(quarters) if months[quarter_of_month == q][0] >= ramped_from]
        # needs are sized on a ramped hire: one in the target quarters, or, past the horizon, one present for
        # all of the last quarter (what the hire will carry once ramped)
        per_ramped_hire = hire_contribution(start if targets else months[0], months, [1.0], attrition_annual)
        targets = targets or [len(quarters) - 1]
        slots = max_hires_per_month
        while True:
            gap_by_quarter = (demand_grid - capacity_grid - added) @ in_quarter.T
            per_hire_by_quarter = (per_ramped_hire[None, :] * productivity[:, None]) @ in_quarter.T
            with np.errstate(divide="ignore", invalid="ignore"):
                need = np.where(per_hire_by_quarter[:, targets] > 0,
                                gap_by_quarter[:, targets] / per_hire_by_quarter[:, targets], 0.0).max(axis=1)
            need = np.nan_to_num(need, nan=0.0)
            best = int(np.argmax(need)) if len(need) else 0
            if not len(need) or need[best] < 0.5:
                break
            if slots <= 0 or budget_left <= 0:
                limited_by_rules = True
                break
            added[best] += per_hire * productivity[best]
            hires.append((segments[best], start, 1))
            slots -= 1
            budget_left -= 1

    hire_frame = pd.DataFrame(hires, columns=["segment", "ds", "hires"])
    hire_frame = (hire_frame.groupby(["segment", "ds"], as_index=False)["hires"].sum()
                  if len(hire_frame) else pd.DataFrame({"segment": [], "ds": pd.Series(dtype="datetime64[ns]"),
                                                        "hires": pd.Series(dtype="int64")}))
    hire_frame.insert(0, "role", "AE")
    hire_frame.insert(0, "scenario", scenario)
    hire_frame = hire_frame[list(HIRE_COLUMNS)].astype(
        {"scenario": TEXT_DTYPE, "role": TEXT_DTYPE, "segment": TEXT_DTYPE, "ds": "datetime64[ns]",
         "hires": "int64"})

    rows = []
    for q_index, quarter in enumerate(quarters):
        mask = in_quarter[q_index].astype(bool)
        quarter_start, quarter_end = months[mask][0], months[mask][-1] + pd.offsets.MonthEnd(0)
        for s_index, segment in enumerate(segments):
            demand_q = demand_grid[s_index, mask].sum()
            capacity_q = capacity_grid[s_index, mask].sum()
            added_q = added[s_index, mask].sum()
            before, after = demand_q - capacity_q, demand_q - capacity_q - added_q
            half_hire = 0.5 * productivity[s_index] * mask.sum() if np.isfinite(productivity[s_index]) else np.inf
            rows.append((scenario, segment, quarter, demand_q, capacity_q, added_q, before, after,
                         _status(before, after, half_hire, quarter_start, quarter_end, earliest, full_ramp,
                                 limited_by_rules)))
    gaps = pd.DataFrame(rows, columns=list(GAP_COLUMNS)).astype(
        {"scenario": TEXT_DTYPE, "segment": TEXT_DTYPE, "quarter": TEXT_DTYPE, "status": TEXT_DTYPE})
    return hire_frame, gaps


def _status(before: float, after: float, half_hire: float, quarter_start: pd.Timestamp, quarter_end: pd.Timestamp,
            earliest: pd.Timestamp, full_ramp: int, limited: bool) -> str:
    """Why a quarter's gap is where it is. ``half_hire``: what half a ramped rep books in the quarter."""
    if before <= 0:
        return "covered"
    if after <= 0:
        return "closed by hires"
    if quarter_end < earliest:
        return "open: no hire can start before it ends"
    if quarter_start < earliest + pd.DateOffset(months=full_ramp):
        return "open: hires are still ramping"
    if after < half_hire:
        return "open: less than half a hire short"
    return "open: hiring limits" if limited else "open"
