"""Step 1: the loop — last quarter's plan against what then happened.

When the report of the quarter before the planned one sits in the same reports folder, its plan is checked
against the data now known:

* **Forecast against actual** (``forecast_vs_actual``): each method and scenario of that report's bookings
  forecast (``demand_comparison``) against the bookings actually won in that quarter.
* **Quota attainment** (``quota_attainment``): each rep's quota against the rep's bookings in that quarter, and
  a team summary. The quotas are those of the **quota history** (the ``quotas`` input table: the sum of each
  rep's rows starting in the quarter, ``history_quotas``) when it has rows starting in the quarter — the quotas
  reps actually carried — else those of the previous plan (``quotas``, written by step 4). With a quota
  history, attainment is measured even when there is no previous report.
* **Hires against plan** (``hires_against_plan``): the hires the plan (``hiring_plan``, written by step 3)
  meant to start in that quarter against the people whose hire date falls in it.

Definitions shared by every function here:

* **Quarter**: the reviewed fiscal quarter, ``[quarter_start, quarter_end]`` with both days included
  (``fiscal_calendar.quarter_start`` / ``fiscal_calendar.quarter_end``: midnight of the first and of the last day).
* **Actual bookings**: the ``amount`` of the deals won (``is_won`` true) whose ``close_date`` falls in the
  quarter — the convention of ``kpis.py`` (won on the close date, today's amounts). A rep's bookings are
  those of the deals the rep owns (``opportunities.rep_id``).
* Money is in the company currency; errors, attainment and shares are fractions (0.08 means 8 %; an
  attainment of 1.0 means exactly at quota).

Inputs are never modified; outputs are new frames with a fresh 0..n-1 index. A frame missing a column a
function needs raises ``ValueError`` naming the frame and the columns. A comparison whose inputs are missing
(an older or partial report, a table not provided) is not an error: ``review_previous_plan`` records why it
cannot be made, and ``review_sentences`` says so in one sentence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from salesops import fiscal_calendar
from salesops.checks import as_timestamp
from salesops.contract import quota_history
from salesops.contract.schema import SEGMENTS, TEXT_DTYPE
from salesops.data import artifacts
from salesops.deals import UNKNOWN, check_columns, ratio, text_array, won_mask
from salesops.demand.methods import METHOD_LABELS, SCENARIOS
from salesops.formats import money, percent
from salesops.supply.settings import SUPPORT_ROLES

#: The previous report's artifacts the review reads (file stems in its ``data`` folder), and the step that
#: writes each.
PREVIOUS_ARTIFACTS: dict[str, str] = {
    "demand_comparison": "step 2", "planning_target": "step 1", "hiring_plan": "step 3", "quotas": "step 4",
}

#: Method order of ``demand_comparison``; the blended forecast is the plan's forecast.
METHODS: tuple[str, ...] = ("statistical", "pipeline", "leads", "blended")
PLAN_METHOD = "blended"

#: Roles a hiring plan sizes: account executives (by segment), then the supporting roles (segment "All").
PLANNED_ROLES: tuple[str, ...] = ("AE", *SUPPORT_ROLES)
ALL_SEGMENTS = "All"

FORECAST_REVIEW_COLUMNS: tuple[str, ...] = (
    "quarter", "method", "scenario", "forecast", "actual", "error", "error_pct", "downside", "upside",
    "within_range", "target", "actual_vs_target",
)
ATTAINMENT_COLUMNS: tuple[str, ...] = (
    "rep_id", "name", "role", "segment", "region", "new_hire", "quota", "bookings", "attainment", "made_quota",
    "in_reps_table", "left_before_quarter_end", "counted",
)
TEAM_COLUMNS: tuple[str, ...] = (
    "reps", "reps_at_or_above_quota", "share_at_or_above_quota", "median_attainment", "total_quota",
    "total_bookings", "total_attainment", "reps_left", "reps_not_in_reps_table", "bookings_without_quota",
)
HIRES_REVIEW_COLUMNS: tuple[str, ...] = ("role", "segment", "planned", "started", "difference", "note")

_COMPARISON_COLUMNS = ("method", "scenario", "bookings")
_TARGET_COLUMNS = ("quarter", "target")
_WON_COLUMNS = ("close_date", "amount", "is_won")
_OWNED_WON_COLUMNS = ("rep_id", *_WON_COLUMNS)
_QUOTA_COLUMNS = ("rep_id", "quota")
_HIRING_PLAN_COLUMNS = ("role", "segment", "ds", "hires")
_HIRE_REP_COLUMNS = ("role", "segment", "hire_date")


# --------------------------------------------------------------------------------------------------
# where the previous report is


def previous_report_dir(out_dir: Path, quarter: str, fiscal_year_start_month: int = 1) -> Path | None:
    """The artifacts folder (``data``) of the finished report of the quarter before ``quarter``, or None
    when there is none (no such folder, or no artifact in it).

    ``out_dir`` is this quarter's artifacts folder, the ``data`` folder inside its report folder. Reports of
    different quarters are siblings named by their quarter labels: ``reports/2027Q1`` beside
    ``reports/2027Q2``. During a run the report is built in ``.build-<name>`` beside the final folder
    (``run.run_quarter``) and ``salesops run --out DIR`` may put it anywhere; in every case the report
    folder's parent is the folder that holds the final report, so the previous quarter's report is
    ``<that parent>/<previous quarter label>/data``.
    """
    report_folder = Path(out_dir).resolve().parent
    previous_label = fiscal_calendar.shift_quarter(quarter, -1, fiscal_year_start_month)
    previous_data = artifacts.artifact_folder(report_folder.parent / previous_label)
    if artifacts.artifact_files(previous_data):
        return previous_data
    return None


def earlier_report_dirs(out_dir: Path, quarter: str, fiscal_year_start_month: int = 1, quarters: int = 8
                        ) -> dict[str, Path]:
    """The artifacts folders of the finished reports of the ``quarters`` quarters before ``quarter`` that exist
    (siblings of this report folder, as in :func:`previous_report_dir`), by quarter label, oldest first."""
    report_folder = Path(out_dir).resolve().parent
    found = {}
    for back in range(quarters, 0, -1):
        label = fiscal_calendar.shift_quarter(quarter, -back, fiscal_year_start_month)
        folder = artifacts.artifact_folder(report_folder.parent / label)
        if artifacts.artifact_files(folder):
            found[label] = folder
    return found


def read_previous_plan(previous_dir: Path | None) -> dict[str, pd.DataFrame]:
    """The artifacts of ``PREVIOUS_ARTIFACTS`` found in ``previous_dir``, by name; those missing are absent
    (and all are when ``previous_dir`` is None)."""
    if previous_dir is None:
        return {}
    frames = {name: artifacts.read_optional_artifact(previous_dir, name) for name in PREVIOUS_ARTIFACTS}
    return {name: frame for name, frame in frames.items() if frame is not None}


# --------------------------------------------------------------------------------------------------
# shared helpers


def _period(quarter_start, quarter_end) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = as_timestamp(quarter_start, "quarter_start")
    end = as_timestamp(quarter_end, "quarter_end")
    if start > end:
        raise ValueError(f"quarter_start ({start.date()}) must not be after quarter_end ({end.date()})")
    return start, end


def _in_period(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Mask of the dates in ``[start, end]``, both days included; a missing date is outside."""
    dates = pd.to_datetime(dates)
    return ((dates >= start) & (dates <= end)).fillna(False).to_numpy(dtype=bool)


def _won_in_period(opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The deals won with close_date in ``[start, end]``."""
    return opportunities.loc[won_mask(opportunities) & _in_period(opportunities["close_date"], start, end)]


# --------------------------------------------------------------------------------------------------
# 1. forecast against actual


def forecast_vs_actual(previous_comparison: pd.DataFrame, previous_target: pd.DataFrame | None,
                       opportunities: pd.DataFrame, quarter_start, quarter_end) -> pd.DataFrame:
    """The previous plan's bookings forecast of the quarter against the bookings actually won in it.

    ``previous_comparison``: the previous report's ``demand_comparison`` (method, scenario, bookings: the
    forecast of the quarter by each method and scenario). ``previous_target``: its ``planning_target``
    (quarter, target), or None when it is not available. ``opportunities``: today's deals (close_date,
    amount, is_won).

    One row per method (in ``METHODS`` order, others after) and scenario (downside, base, upside). Columns:

    * ``quarter``: the reviewed quarter's label from ``previous_target`` (missing without it).
    * ``forecast``: the planned bookings of that method and scenario (company currency).
    * ``actual``: bookings won with close_date in ``[quarter_start, quarter_end]`` (the same on every row).
    * ``error`` = actual − forecast (positive: more was booked than forecast).
    * ``error_pct`` = error ÷ forecast = actual ÷ forecast − 1 (fraction; NaN when the forecast is 0).
    * ``downside``, ``upside``: the method's downside and upside forecasts.
    * ``within_range``: downside ≤ actual ≤ upside of the method (missing when a bound is missing).
    * ``target``: the previous plan's bookings target; ``actual_vs_target`` = actual ÷ target − 1.
    """
    check_columns(previous_comparison, _COMPARISON_COLUMNS, "previous demand_comparison")
    check_columns(opportunities, _WON_COLUMNS, "opportunities")
    if previous_target is not None:
        check_columns(previous_target, _TARGET_COLUMNS, "previous planning_target")
    start, end = _period(quarter_start, quarter_end)
    actual = float(_won_in_period(opportunities, start, end)["amount"].sum())
    has_target = previous_target is not None and len(previous_target) > 0
    target = float(previous_target["target"].iloc[0]) if has_target else math.nan
    label = str(previous_target["quarter"].iloc[0]) if has_target else None

    forecasts = previous_comparison.assign(method=previous_comparison["method"].astype(object),
                                           scenario=previous_comparison["scenario"].astype(object))
    by_method = forecasts.pivot_table(index="method", columns="scenario", values="bookings", aggfunc="sum")
    by_method = by_method.reindex(columns=list(SCENARIOS))
    order = {method: index for index, method in enumerate(METHODS)}
    methods = sorted(by_method.index, key=lambda method: (order.get(method, len(order)), method))
    rows = []
    for method in methods:
        downside, upside = by_method.at[method, "downside"], by_method.at[method, "upside"]
        within = pd.NA if pd.isna(downside) or pd.isna(upside) else bool(downside <= actual <= upside)
        for scenario in SCENARIOS:
            forecast = by_method.at[method, scenario]
            if pd.isna(forecast):
                continue
            error = actual - float(forecast)
            rows.append((label, method, scenario, float(forecast), actual, error, ratio(error, forecast),
                         float(downside), float(upside), within, target, ratio(actual, target) - 1))
    out = pd.DataFrame(rows, columns=list(FORECAST_REVIEW_COLUMNS))
    return out.astype({"quarter": TEXT_DTYPE, "method": TEXT_DTYPE, "scenario": TEXT_DTYPE, "forecast": "float64",
                       "actual": "float64", "error": "float64", "error_pct": "float64", "downside": "float64",
                       "upside": "float64", "within_range": "boolean", "target": "float64",
                       "actual_vs_target": "float64"})


# --------------------------------------------------------------------------------------------------
# 2. quota attainment


def quota_attainment(previous_quotas: pd.DataFrame, opportunities: pd.DataFrame, reps: pd.DataFrame | None,
                     quarter_start, quarter_end) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each rep's quarterly quota in the previous plan against the rep's bookings in the quarter.

    ``previous_quotas``: the previous report's ``quotas`` (rep_id, quota; name, role, segment, region and
    new_hire are carried when present). ``reps``: today's reps table (rep_id, end_date, name), or None.

    Returns ``(per_rep, team)``. ``per_rep``, one row per rep in the plan, highest attainment first:

    * ``quota``: the rep's quota for the quarter (company currency).
    * ``bookings``: the rep's won bookings with close_date in ``[quarter_start, quarter_end]``.
    * ``attainment`` = bookings ÷ quota (fraction, 1.0 = at quota; NaN when the quota is 0 or missing).
    * ``made_quota``: attainment ≥ 1 (missing when attainment is).
    * ``in_reps_table``: the rep_id is in today's reps table (missing without a reps table). A quota line that
      is not — a planned new hire's placeholder, a deleted record — owns no deals.
    * ``left_before_quarter_end``: the reps table has an ``end_date`` before ``quarter_end`` (missing when the
      rep is not in it or there is no reps table).
    * ``counted``: in the team summary — a positive quota, in the reps table (when there is one) and not
      having left before the quarter ended (a rep who left had no full quarter to sell in).

    ``team``, one row over the counted reps: ``reps`` (count), ``reps_at_or_above_quota`` (count),
    ``share_at_or_above_quota`` (fraction of ``reps``), ``median_attainment``, ``total_quota``,
    ``total_bookings``, ``total_attainment`` = total_bookings ÷ total_quota, ``reps_left`` and
    ``reps_not_in_reps_table`` (quota lines of the plan not counted for those reasons, counts),
    ``bookings_without_quota`` (won in the quarter by reps with no quota in the plan: people the plan did not
    foresee, managers, deals handed over).
    """
    check_columns(previous_quotas, _QUOTA_COLUMNS, "previous quotas")
    check_columns(opportunities, _OWNED_WON_COLUMNS, "opportunities")
    if reps is not None:
        check_columns(reps, ("rep_id",), "reps")
    start, end = _period(quarter_start, quarter_end)
    won = _won_in_period(opportunities, start, end)
    rep_ids = won["rep_id"].astype(object)
    bookings_by_rep = won["amount"].astype("float64").groupby(rep_ids.to_numpy()).sum()

    plan = previous_quotas.assign(rep_id=previous_quotas["rep_id"].astype(object))
    quota = plan["quota"].astype("float64")
    bookings = plan["rep_id"].map(bookings_by_rep).fillna(0.0).astype("float64")
    attainment = bookings / quota.where(quota > 0)
    names = plan["name"].astype(object) if "name" in plan else pd.Series(pd.NA, index=plan.index, dtype=object)
    left = pd.Series(pd.NA, index=plan.index, dtype="boolean")
    known = pd.Series(pd.NA, index=plan.index, dtype="boolean")
    if reps is not None:
        people = reps.assign(rep_id=reps["rep_id"].astype(object)).drop_duplicates("rep_id").set_index("rep_id")
        known = plan["rep_id"].isin(people.index).astype("boolean")
        if "end_date" in people:
            ended = pd.to_datetime(plan["rep_id"].map(people["end_date"]))
            left = pd.Series(np.where(known, (ended < end).fillna(False), pd.NA), index=plan.index, dtype="boolean")
        if "name" in people:
            names = names.where(names.notna(), plan["rep_id"].map(people["name"].astype(object)))
    counted = ((quota > 0).to_numpy() & known.fillna(True).to_numpy(dtype=bool)
               & ~left.fillna(False).to_numpy(dtype=bool))

    carried = {column: plan[column] if column in plan else pd.Series(pd.NA, index=plan.index, dtype=object)
               for column in ("role", "segment", "region", "new_hire")}
    per_rep = pd.DataFrame({
        "rep_id": text_array(plan["rep_id"]),
        "name": text_array(names),
        "role": text_array(carried["role"]),
        "segment": text_array(carried["segment"]),
        "region": text_array(carried["region"]),
        "new_hire": pd.array(carried["new_hire"].astype(object), dtype="boolean"),
        "quota": quota.to_numpy(),
        "bookings": bookings.to_numpy(),
        "attainment": attainment.to_numpy(dtype="float64"),
        "made_quota": pd.array(np.where(attainment.isna(), pd.NA, attainment >= 1), dtype="boolean"),
        "in_reps_table": known.array,
        "left_before_quarter_end": left.array,
        "counted": counted,
    })
    per_rep = per_rep.sort_values(["attainment", "rep_id"], ascending=[False, True], na_position="last",
                                  kind="mergesort").reset_index(drop=True)

    team_reps = per_rep.loc[per_rep["counted"]]
    at_or_above = int((team_reps["attainment"] >= 1).sum())
    total_quota, total_bookings = float(team_reps["quota"].sum()), float(team_reps["bookings"].sum())
    without_quota = float(bookings_by_rep[~bookings_by_rep.index.isin(plan["rep_id"])].sum())
    team = pd.DataFrame({
        "reps": [len(team_reps)],
        "reps_at_or_above_quota": [at_or_above],
        "share_at_or_above_quota": [ratio(at_or_above, len(team_reps))],
        "median_attainment": [float(team_reps["attainment"].median()) if len(team_reps) else math.nan],
        "total_quota": [total_quota],
        "total_bookings": [total_bookings],
        "total_attainment": [ratio(total_bookings, total_quota)],
        "reps_left": [int(per_rep["left_before_quarter_end"].fillna(False).sum())],
        "reps_not_in_reps_table": [int((~per_rep["in_reps_table"].fillna(True)).sum())],
        "bookings_without_quota": [without_quota],
    }).astype({"reps": "int64", "reps_at_or_above_quota": "int64", "reps_left": "int64",
               "reps_not_in_reps_table": "int64"})
    return per_rep, team


def history_quotas(quotas: pd.DataFrame, reps: pd.DataFrame | None, quarter: str,
                   fiscal_year_start_month: int = 1) -> pd.DataFrame | None:
    """The quotas of ``quarter`` in the quota history (the ``quotas`` table: rep_id, start_date, amount), as
    ``quota_attainment`` reads a plan's: ``rep_id``, ``quota`` (the sum of the rep's rows starting in the quarter,
    company currency) and, from ``reps`` when given, ``role``, ``segment`` and ``region``. None when no row
    starts in the quarter."""
    check_columns(quotas, ("rep_id", "start_date", "amount"), "quotas")
    by_quarter = quota_history.quarter_quotas(quotas, fiscal_year_start_month)
    mine = by_quarter.loc[(by_quarter["quarter"] == quarter).to_numpy(bool), ["rep_id", "quota"]]
    if mine.empty:
        return None
    mine = mine.reset_index(drop=True)
    if reps is None:
        return mine
    people = reps.assign(rep_id=reps["rep_id"].astype(object)).drop_duplicates("rep_id").set_index("rep_id")
    carried = {column: mine["rep_id"].astype(object).map(people[column]) for column in ("role", "segment", "region")
               if column in people.columns}
    return mine.assign(**carried)


# --------------------------------------------------------------------------------------------------
# 3. hires against plan


def _hire_group(role: pd.Series, segment: pd.Series) -> pd.Series:
    """The segment a hire is compared in: an AE's own segment (Unknown when missing), "All" for other roles."""
    own = segment.astype(object).where(segment.notna(), UNKNOWN)
    return own.where(role.astype(object) == "AE", ALL_SEGMENTS)


def hires_against_plan(previous_hiring_plan: pd.DataFrame, reps: pd.DataFrame, quarter_start,
                       quarter_end) -> pd.DataFrame:
    """Hires the previous plan meant to start in the quarter against the people who started in it.

    ``previous_hiring_plan``: the previous report's ``hiring_plan`` (role, segment, ds = start month, hires).
    ``reps``: today's reps table (role, segment, hire_date).

    One row per role of ``PLANNED_ROLES`` — account executives per segment, other roles with segment "All" —
    that had hires planned or people starting in the quarter; AE first, then the supporting roles in
    ``PLANNED_ROLES`` order, segments in ``schema.SEGMENTS`` order. Columns:

    * ``planned``: sum of ``hires`` of the plan rows whose start month ``ds`` is in
      ``[quarter_start, quarter_end]`` (count).
    * ``started``: people of that role (and segment) in the reps table whose ``hire_date`` is in the
      quarter (count) — whoever they replace: the reps table does not say which hire filled which plan line.
      Missing for a role the reps table never lists (e.g. delivery consultants), whose starts cannot be seen.
    * ``difference`` = started − planned (negative: fewer started than planned).
    * ``note``: why ``started`` is missing, else empty.

    Managers are not planned and not shown.
    """
    check_columns(previous_hiring_plan, _HIRING_PLAN_COLUMNS, "previous hiring_plan")
    check_columns(reps, _HIRE_REP_COLUMNS, "reps")
    start, end = _period(quarter_start, quarter_end)

    plan = previous_hiring_plan.loc[_in_period(previous_hiring_plan["ds"], start, end)]
    plan = plan.loc[plan["role"].astype(object).isin(PLANNED_ROLES).to_numpy(dtype=bool)]
    planned = (plan.assign(role=plan["role"].astype(object), segment=_hire_group(plan["role"], plan["segment"]))
               .groupby(["role", "segment"])["hires"].sum())
    people = reps.loc[reps["role"].astype(object).isin(PLANNED_ROLES).to_numpy(dtype=bool)]
    listed_roles = set(people["role"].astype(object))
    joiners = people.loc[_in_period(people["hire_date"], start, end)]
    started = (joiners.assign(role=joiners["role"].astype(object),
                              segment=_hire_group(joiners["role"], joiners["segment"]))
               .groupby(["role", "segment"]).size())

    role_order = {role: index for index, role in enumerate(PLANNED_ROLES)}
    segment_order = {segment: index for index, segment in enumerate((*SEGMENTS, UNKNOWN, ALL_SEGMENTS))}
    keys = sorted(set(planned.index) | set(started.index),
                  key=lambda key: (role_order[key[0]], segment_order.get(key[1], len(segment_order)), key[1]))
    rows = []
    for role, segment in keys:
        planned_count = int(planned.get((role, segment), 0))
        if role in listed_roles:
            started_count, note = int(started.get((role, segment), 0)), ""
        else:
            started_count, note = pd.NA, f"the reps table lists no {role}, so their starts cannot be counted"
        difference = pd.NA if started_count is pd.NA else started_count - planned_count
        rows.append((role, segment, planned_count, started_count, difference, note))
    out = pd.DataFrame(rows, columns=list(HIRES_REVIEW_COLUMNS))
    return out.astype({"role": TEXT_DTYPE, "segment": TEXT_DTYPE, "planned": "int64", "started": "Int64",
                       "difference": "Int64", "note": TEXT_DTYPE})


# --------------------------------------------------------------------------------------------------
# the review as a whole


@dataclass(frozen=True)
class PlanReview:
    """The previous quarter's plan against what happened.

    ``quarter``: the reviewed quarter's label; ``found``: whether its report was found. Each comparison is a
    frame, or None when it cannot be made, with the reason in ``missing`` (keyed ``forecast``,
    ``attainment``, ``hires``). ``actuals_end``: the last day whose deals and hires count — the quarter's
    last day, or the last day of known data when that comes first. ``attainment_source``: whose quotas the
    attainment is measured against, ``QUOTA_HISTORY`` or ``PLAN_QUOTAS`` (empty without attainment).
    """

    quarter: str
    found: bool
    quarter_end: pd.Timestamp
    actuals_end: pd.Timestamp
    forecast: pd.DataFrame | None = None
    attainment: pd.DataFrame | None = None
    team: pd.DataFrame | None = None
    hires: pd.DataFrame | None = None
    missing: dict[str, str] = field(default_factory=dict)
    attainment_source: str = ""

    def artifacts(self) -> dict[str, pd.DataFrame]:
        """The comparisons made, by artifact name: ``plan_review_forecast``, ``plan_review_attainment``,
        ``plan_review_attainment_team``, ``plan_review_hires``."""
        frames = {"plan_review_forecast": self.forecast, "plan_review_attainment": self.attainment,
                  "plan_review_attainment_team": self.team, "plan_review_hires": self.hires}
        return {name: frame for name, frame in frames.items() if frame is not None}


#: Whose quotas attainment is measured against: the quota history of the input data, or the previous plan's.
QUOTA_HISTORY, PLAN_QUOTAS = "quota history", "plan"


def _absent(previous_quarter: str, name: str) -> str:
    return (f"the {previous_quarter} report has no {name.replace('_', ' ')}, so it was made without "
            f"{PREVIOUS_ARTIFACTS[name]}, which writes it")


def review_previous_plan(previous_plan: Mapping[str, pd.DataFrame], found: bool, opportunities: pd.DataFrame,
                         reps: pd.DataFrame | None, quarter: str, as_of,
                         fiscal_year_start_month: int = 1, quotas: pd.DataFrame | None = None) -> PlanReview:
    """Every comparison of the plan for the quarter before ``quarter`` that its artifacts and today's tables
    allow.

    ``previous_plan``: that report's artifacts by name (``read_previous_plan``); ``found``: whether the
    report was found at all. ``as_of``: the last day of known data; when it falls before the reviewed
    quarter's last day, actuals (deals and hires) count up to it only. A previous report planning another
    quarter than the one before ``quarter`` is not compared. ``quotas``: the quota history (the ``quotas``
    input table), or None; with rows starting in the reviewed quarter, attainment is measured against them,
    with or without a previous report.
    """
    previous_quarter = fiscal_calendar.shift_quarter(quarter, -1, fiscal_year_start_month)
    start = fiscal_calendar.quarter_start(previous_quarter, fiscal_year_start_month)
    end = fiscal_calendar.quarter_end(previous_quarter, fiscal_year_start_month)
    actuals_end = min(end, as_timestamp(as_of, "as_of"))
    base = {"quarter": previous_quarter, "found": found, "quarter_end": end, "actuals_end": actuals_end}
    history = (history_quotas(quotas, reps, previous_quarter, fiscal_year_start_month)
               if quotas is not None and start <= actuals_end else None)
    if not found:
        if history is None:
            return PlanReview(**base)
        attainment, team = quota_attainment(history, opportunities, reps, start, actuals_end)
        return PlanReview(**base, attainment=attainment, team=team, attainment_source=QUOTA_HISTORY)
    target = previous_plan.get("planning_target")
    planned_quarter = str(target["quarter"].iloc[0]) if target is not None and len(target) else previous_quarter
    if planned_quarter != previous_quarter:
        reason = f"the report in the {previous_quarter} folder plans {planned_quarter}, not {previous_quarter}"
        return PlanReview(**base, missing={"forecast": reason, "attainment": reason, "hires": reason})
    if start > actuals_end:
        reason = f"the data end on {actuals_end:%d %b %Y}, before {previous_quarter} began"
        return PlanReview(**base, missing={"forecast": reason, "attainment": reason, "hires": reason})

    frames: dict[str, pd.DataFrame] = {}
    missing: dict[str, str] = {}
    if "demand_comparison" in previous_plan:
        frames["forecast"] = forecast_vs_actual(previous_plan["demand_comparison"], target, opportunities, start,
                                                actuals_end)
    else:
        missing["forecast"] = _absent(previous_quarter, "demand_comparison")
    source = ""
    if history is not None or "quotas" in previous_plan:
        source = QUOTA_HISTORY if history is not None else PLAN_QUOTAS
        frames["attainment"], frames["team"] = quota_attainment(
            history if history is not None else previous_plan["quotas"], opportunities, reps, start, actuals_end)
    else:
        missing["attainment"] = _absent(previous_quarter, "quotas")
    if "hiring_plan" not in previous_plan:
        missing["hires"] = _absent(previous_quarter, "hiring_plan")
    elif reps is None or "hire_date" not in reps.columns:
        missing["hires"] = "this quarter's data has no reps table with hire dates to see who started"
    else:
        frames["hires"] = hires_against_plan(previous_plan["hiring_plan"], reps, start, actuals_end)
    return PlanReview(**base, **frames, missing=missing, attainment_source=source)


def no_previous_report_sentence(quarter: str, fiscal_year_start_month: int = 1) -> str:
    """What the page says when the previous quarter's report is not in the reports folder."""
    previous_quarter = fiscal_calendar.shift_quarter(quarter, -1, fiscal_year_start_month)
    return (f"{quarter} is the first planned quarter in this report folder (there is no {previous_quarter} "
            f"report beside it), so there is no earlier plan to compare with what happened yet.")


def _forecast_sentences(review: PlanReview, currency: str) -> list[str]:
    table = review.forecast
    fmt = lambda value: money(value, currency, compact=True)  # noqa: E731
    methods = table["method"].astype(object)
    plan_method = PLAN_METHOD if (methods == PLAN_METHOD).any() or table.empty else methods.iloc[0]
    plan = table.loc[(methods == plan_method).to_numpy() & (table["scenario"] == "base").to_numpy()]
    if plan.empty:
        return [f"The {review.quarter} forecast cannot be compared with actual bookings: the plan's forecast has no "
                f"base scenario."]
    row = plan.iloc[0]
    to_date = "" if review.actuals_end >= review.quarter_end else f" up to {review.actuals_end:%d %b %Y}"
    inside = {True: "inside", False: "outside"}.get(row["within_range"] if pd.notna(row["within_range"]) else None)
    range_text = (f", {inside} the downside–upside range of {fmt(row['downside'])}–{fmt(row['upside'])}"
                  if inside else "")
    label = ("base forecast" if plan_method == PLAN_METHOD else
             f"{METHOD_LABELS.get(plan_method, plan_method)} base forecast")
    versus_target = row["actual_vs_target"]
    target_text = (f"; {percent(abs(versus_target), 0)} {'below' if versus_target < 0 else 'above'} the target of "
                   f"{fmt(row['target'])}" if pd.notna(versus_target) else "")
    sentences = [f"{review.quarter}: booked {fmt(row['actual'])}{to_date} against a {label} of "
                 f"{fmt(row['forecast'])} ({percent(row['error_pct'], 0, signed=True)}){range_text}{target_text}."]
    methods_base = table.loc[(methods != PLAN_METHOD).to_numpy() & (table["scenario"] == "base").to_numpy()]
    methods_base = methods_base.loc[methods_base["error_pct"].notna()]
    if len(methods_base) >= 2:
        ranked = methods_base.assign(_miss=methods_base["error_pct"].abs()).sort_values("_miss", kind="mergesort")
        best, worst = ranked.iloc[0], ranked.iloc[-1]
        name = lambda method: METHOD_LABELS.get(method, method)  # noqa: E731
        sentences.append(f"Of the forecast methods, {name(best['method'])} came closest "
                         f"({percent(best['error_pct'], 0, signed=True)}) and {name(worst['method'])} was furthest off "
                         f"({percent(worst['error_pct'], 0, signed=True)}).")
    return sentences


def _attainment_sentence(review: PlanReview, currency: str) -> str:
    team = review.team.iloc[0]
    fmt = lambda value: money(value, currency, compact=True)  # noqa: E731
    if team["reps"] == 0:
        return f"No rep with a quota in the {review.quarter} plan sold through the whole quarter."
    reps, made, reps_left, not_found = (int(team[column]) for column in (
        "reps", "reps_at_or_above_quota", "reps_left", "reps_not_in_reps_table"))
    excluded = [text for count, text in ((reps_left, f"{reps_left} who left during the quarter"),
                                         (not_found, f"{not_found} not in the reps table, such as a planned hire"))
                if count]
    left = f" (not counted: {'; '.join(excluded)})" if excluded else ""
    against = ("Against the quotas of the quotas table (each rep's rows starting in the quarter), "
               if review.attainment_source == QUOTA_HISTORY else "")
    return (f"{against}{made} of {reps} reps made quota{left}; median attainment was "
            f"{percent(team['median_attainment'], 0)}, and together they booked {fmt(team['total_bookings'])} "
            f"against {fmt(team['total_quota'])} of quota ({percent(team['total_attainment'], 0)}).")


def _hires_word(count: int) -> str:
    return "hire" if count == 1 else "hires"


def _started_text(planned: int, started: int, role_name: str) -> str:
    """"3 of 5 planned AE hires started" or "6 AE hires started against 5 planned"."""
    if started <= planned:
        return f"{started} of {planned} planned {role_name} {_hires_word(planned)} started"
    return f"{started} {role_name} {_hires_word(started)} started against {planned} planned"


def _hires_sentence(review: PlanReview) -> str:
    table = review.hires
    if table.empty:
        return f"The {review.quarter} plan had no hires starting in the quarter, and nobody of a planned role started."
    seen = table.loc[table["started"].notna()]
    role = seen["role"].astype(object)
    parts = []
    account_executives = seen.loc[(role == "AE").to_numpy()]
    if len(account_executives):
        parts.append(_started_text(int(account_executives["planned"].sum()),
                                   int(account_executives["started"].sum()), "AE"))
    supporting = seen.loc[(role != "AE").to_numpy()]
    if len(supporting):
        by_role = ", ".join(f"{r} {s} against {p}" for r, s, p in
                            zip(supporting["role"], supporting["started"], supporting["planned"]))
        parts.append(f"supporting roles: {int(supporting['started'].sum())} started against "
                     f"{int(supporting['planned'].sum())} planned ({by_role})")
    unseen = table.loc[table["started"].isna()]
    if len(unseen):
        roles = " and ".join(f"{int(p)} {r}" for r, p in zip(unseen["role"], unseen["planned"]))
        parts.append(f"the planned {roles} {_hires_word(int(unseen['planned'].sum()))} cannot be checked, because "
                     f"the reps table does not list {'that role' if len(unseen) == 1 else 'those roles'}")
    return f"In {review.quarter}, " + "; ".join(parts) + "."


def review_sentences(review: PlanReview, currency: str = "USD") -> list[str]:
    """Two to five plain sentences for an executive: the plan's base forecast against what was booked (and
    which method came closest), how many reps made quota, how many planned hires started; for a comparison
    that cannot be made, one sentence saying why. Without a previous report (see ``no_previous_report_sentence``)
    only the attainment against the quota history, when there is one, else nothing."""
    if not review.found:
        return [_attainment_sentence(review, currency)] if review.team is not None else []
    quarter, missing = review.quarter, review.missing
    sentences = (_forecast_sentences(review, currency) if review.forecast is not None else
                 [f"The {quarter} forecast cannot be compared with actual bookings: {missing['forecast']}."])
    sentences.append(_attainment_sentence(review, currency) if review.team is not None else
                     f"Quota attainment in {quarter} cannot be measured: {missing['attainment']}.")
    sentences.append(_hires_sentence(review) if review.hires is not None else
                     f"Hires in {quarter} cannot be compared with the plan: {missing['hires']}.")
    return sentences
