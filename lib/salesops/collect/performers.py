"""Step 1: top vs bottom performers — what the best account executives do differently, and the coaching
that closes the gap.

The rules, in the order they are applied:

* **Window** (``as_of``, ``window_months``): the same window as ``collect``: ``(as_of - window_months
  calendar months, as_of]``, cut into ``window_months`` one-month *slots* ending on ``as_of`` (with as_of
  2026-12-31 and 12 months: January ... December 2026; with as_of 2026-05-15 the slots run 16th to 15th).
* **Who is compared**: reps with role ``AE`` (every rep when ``reps`` has no ``role`` column) who are
  employed on ``as_of`` (``hire_date`` on or before it, ``end_date`` empty or on/after it). Reps who have
  left are not coaching targets and are left out; so are owners of deals missing from ``reps``.
* **Tenure adjustment** (``ramped_after_months``): a rep is *ramped* from ``hire_date +
  ramped_after_months`` calendar months on. Only the window's slots that start on or after that day count
  (``ramped_months``, a whole number 0 .. window_months); everything measured for the rep — bookings,
  closed deals, activities, opportunities created — comes from those ramped slots only, i.e. from the
  rep's own interval ``(start, as_of]`` where ``start`` is ``as_of - ramped_months months``. Bookings and
  volumes are divided by that ramped time, so a rep hired ten months ago is judged on their four ramped
  months, not on the six spent learning. A rep with fewer than ``min_ramped_months`` ramped months is left
  out altogether (too little to judge): **a new hire is never "bottom"**. A rep with no ``hire_date`` is
  taken as ramped for the whole window.
* **Groups** (``quartile``): within each ``segment`` (an SMB rep is only ranked against SMB reps, whose
  deals are smaller and faster), reps are ranked by ``bookings_per_month`` (ties by ``rep_id``). With ``n``
  reps in the segment, ``k = quartile x n`` rounded half up (at most ``n // 2``) are ``top``, the lowest ``k``
  are ``bottom``, the rest ``middle``; a segment of one rep has only ``middle``. Reps with no segment form
  one group of their own. So top and bottom hold the same number of reps from each segment, and pooled
  means compare like with like.
* **Too few reps** (``min_reps``): with fewer ramped AEs than that in total, no rep is ranked (``group`` is
  missing) and the reason is kept in ``performance.attrs["comparison_note"]``; ``compare_groups`` then returns
  an empty comparison carrying the same note, ``coaching_table`` is empty and ``coaching_findings`` returns that
  note as its only line.
* **Coaching** (``coaching_table``): each gap priced by the bookings it goes with among reps of the same segment
  (a Theil-Sen slope × the gap, currency per rep-month; an association, not a proven cause), one advice per
  training, largest first; see section 3 below.
* **Quota attainment** (``quotas``, the quota history, optional): a rep's won bookings in the ramped interval ÷
  the sum of the rep's quota rows starting in it (a monthly row per ramped month; a quarterly row counts whole
  when it starts in the interval). Without a quota history, or for a rep without rows there, it is NaN and,
  when no rep has one, not compared. Reps are still ranked by bookings per month.
* **No activities** (``activities=None``): every activity column (``*_per_week``,
  ``selling_hours_per_week``, ``time_share_*``, ``demos_per_opportunity``) is NaN, their comparison rows are
  NaN and the findings skip them; bookings, win rate, deal size, cycle, opportunities and stage conversions
  are still compared. Without ``duration_minutes`` only hours and time shares are NaN.

Money is in the company currency; rates, shares and conversions are fractions (0.25 means 25 %).
Inputs are never modified.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pydantic import model_validator

from salesops import deals
from salesops.checks import as_timestamp
from salesops.collect import kpis
from salesops.contract.schema import ACTIVITY_TYPES, OPEN_STAGES, SEGMENTS, TEXT_DTYPE
from salesops.formats import money, number, percent
from salesops.settings.base import Settings, settings_or_default
from salesops.settings.fields import Count, Months, Number

# --------------------------------------------------------------------------------------------------
# settings


class PerformerSettings(Settings):
    """How top and bottom performers are chosen (``performers:`` in the params).

    * ``window_months``: months of history measured, ending on as_of (1-60).
    * ``ramped_after_months``: months after ``hire_date`` from which a rep counts as ramped (0-36); only
      their ramped months in the window are measured.
    * ``min_ramped_months``: a rep needs at least this many ramped months in the window to be compared
      (1 .. window_months).
    * ``quartile``: share of each segment's reps called top, and the same share called bottom (0 < q <= 0.5).
    * ``min_reps``: below this many ramped AEs in total, top and bottom are not compared (at least 2).
    """

    window_months: Months(1, 60, example=12) = 12
    ramped_after_months: Months(0, 36, example=6) = 6
    min_ramped_months: Months(1, 60, example=3) = 3
    quartile: Number("a share", 0.25, gt=0, le=0.5, note="0.25 = 25%: the top quarter and the bottom quarter") = 0.25
    min_reps: Count("ramped account executives", 2, 10_000, example=8) = 8

    @model_validator(mode="after")
    def _ramped_fits_window(self) -> "PerformerSettings":
        if self.min_ramped_months > self.window_months:
            raise ValueError(
                f"min_ramped_months ({self.min_ramped_months}) must not exceed window_months "
                f"({self.window_months}): no rep could have that many ramped months in the window"
            )
        return self



# --------------------------------------------------------------------------------------------------
# output columns

#: Activity type -> its per-week column and its time-share column.
PER_WEEK_COLUMNS: dict[str, str] = {kind: f"{plural}_per_week" for kind, plural in kpis.ACTIVITY_COLUMNS.items()}
TIME_SHARE_COLUMNS: dict[str, str] = {kind: f"time_share_{kind}" for kind in ACTIVITY_TYPES}
#: Open stage -> its reach-to-next conversion column (the last open stage: reach-to-won).
CONVERSION_COLUMNS: dict[str, str] = {stage: f"conversion_{stage}" for stage in OPEN_STAGES}
ACTIVITY_METRICS: tuple[str, ...] = (
    *PER_WEEK_COLUMNS.values(), "selling_hours_per_week", *TIME_SHARE_COLUMNS.values(), "demos_per_opportunity",
)

#: Metrics compared between top and bottom, in report order.
COMPARED_METRICS: tuple[str, ...] = (
    "bookings_per_month", "attainment", "win_rate", "average_deal_size", "median_cycle_days",
    "opportunities_per_month", *ACTIVITY_METRICS, *CONVERSION_COLUMNS.values(),
)
#: Compared only when some rep has a value (attainment needs a quota history).
OPTIONAL_METRICS: tuple[str, ...] = ("attainment",)

PERFORMANCE_COLUMNS: tuple[str, ...] = (
    "rep_id", "name", "segment", "ramped_months", "deals_closed", *COMPARED_METRICS, "group",
)
COMPARISON_COLUMNS: tuple[str, ...] = ("metric", "top", "bottom", "difference", "relative_difference")
COACHING_COLUMNS: tuple[str, ...] = ("metric", "family", "gap", "suggested_training", "metrics",
                                     "effect_per_rep_month", "bottom_reps", "impact", "evidence")
GROUPS: tuple[str, ...] = ("top", "middle", "bottom")

# --------------------------------------------------------------------------------------------------
# 1. per-rep performance


def rep_performance(
    opportunities: pd.DataFrame,
    activities: pd.DataFrame | None,
    reps: pd.DataFrame,
    as_of,
    settings: PerformerSettings | None = None,
    quotas: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per ramped AE employed on ``as_of`` (see the module docstring for who counts and why).

    Columns (all measured over the rep's ramped slots of the window, ``(start, as_of]``):

    * ``rep_id``, ``name``, ``segment`` (text); ``ramped_months`` (count of ramped one-month slots);
      ``deals_closed`` (count of deals won or lost).
    * ``bookings_per_month``: won amount / ramped_months (company currency per month).
    * ``attainment``: won amount / the rep's quota rows (``quotas``: rep_id, start_date, amount) starting in the
      ramped interval (fraction; NaN without quotas or rows).
    * ``win_rate``: won / closed, by count (fraction; NaN when nothing closed).
    * ``average_deal_size`` (mean won amount), ``median_cycle_days`` (median days created -> won), NaN when
      nothing was won — both from ``kpis.deal_size_and_cycle``.
    * ``opportunities_per_month``: opportunities created / ramped_months.
    * ``emails_per_week`` ... ``proposals_per_week``: activities of that type per week (days / 7);
      ``selling_hours_per_week``: logged duration per week, hours.
    * ``time_share_email`` ... ``time_share_proposal``: share of logged duration spent on that type, of all
      the logged duration (type ``other`` included, so the five may add up to less than 1; NaN when no duration
      was logged). ``selling_hours_per_week`` counts type ``other`` too.
    * ``demos_per_opportunity``: demos logged / opportunities created in the same interval (NaN when none
      was created).
    * ``conversion_<stage>``: of the rep's closed deals that reached the stage, the share that reached the
      next one (for ``negotiate``: that were won), with ``kpis.stage_funnel``'s stage logic.
    * ``group``: ``top`` / ``middle`` / ``bottom`` by bookings_per_month within the segment; missing for
      everyone when fewer than ``min_reps`` reps qualify (reason in ``attrs["comparison_note"]``).

    Sorted by segment (SMB, MM, ENT, others, none), then bookings_per_month high to low, then rep_id.
    """
    settings = settings_or_default(settings, PerformerSettings)
    deals.check_opportunities(opportunities)
    deals.check_columns(opportunities, ("rep_id",), "opportunities")
    deals.check_columns(reps, ("rep_id",), "reps")
    if activities is not None:
        deals.check_columns(activities, ("rep_id", "timestamp", "type"), "activities")
    as_of = as_timestamp(as_of, "as_of")
    window = settings.window_months

    roster = _ramped_roster(reps, as_of, settings)
    start_of = dict(zip(roster["rep_id"], roster["start"]))
    ids = list(roster["rep_id"])

    # deals closed in each rep's ramped interval: within the full window, after the rep's own start
    opp_start = _starts(opportunities["rep_id"], start_of)
    mine = opportunities.loc[(opportunities["close_date"] > opp_start).to_numpy(dtype=bool)]
    rates = _by_rep(kpis.win_rates(mine, as_of, window, by="rep_id"), ids)
    sizes = _by_rep(kpis.deal_size_and_cycle(mine, as_of, window, by="rep_id"), ids)
    conversions = _conversions(mine.loc[deals.closed_in_window(mine, as_of, window)], ids)

    # opportunities created and activities logged in each rep's ramped interval
    created = opportunities.loc[
        ((opportunities["created_date"] > opp_start) & (opportunities["created_date"] <= as_of)).to_numpy(dtype=bool)
    ]
    has_activities = activities is not None
    if has_activities:
        act_start = _starts(activities["rep_id"], start_of) + pd.Timedelta(days=1)
        stamp = activities["timestamp"]
        used = [c for c in ("rep_id", "timestamp", "type", "duration_minutes") if c in activities.columns]
        logged = activities.loc[((stamp >= act_start) & (stamp < as_of + pd.Timedelta(days=1))).to_numpy(dtype=bool),
                                used]  # the columns counted, not a copy of every column
    else:
        logged = pd.DataFrame({"rep_id": pd.Series([], dtype=TEXT_DTYPE),
                               "timestamp": pd.Series([], dtype="datetime64[ns]"),
                               "type": pd.Series([], dtype=TEXT_DTYPE)})
    inputs = kpis.input_kpis(logged, created.astype({"rep_id": logged["rep_id"].dtype}), freq="M", by="rep_id")
    inputs = _by_rep(inputs.drop(columns="period").groupby("rep_id", dropna=False).sum(), ids, indexed=True)

    months = roster["ramped_months"].to_numpy(dtype="float64")
    weeks = (as_of - roster["start"]).dt.days.to_numpy(dtype="float64") / 7.0
    won_value = rates["won_value"].fillna(0.0).to_numpy()
    created_count = inputs["opportunities_created"].fillna(0).to_numpy(dtype="float64")
    out = pd.DataFrame({
        "rep_id": pd.array(ids, dtype=TEXT_DTYPE),
        "name": pd.array(roster["name"], dtype=TEXT_DTYPE),
        "segment": pd.array(roster["segment"], dtype=TEXT_DTYPE),
        "ramped_months": pd.array(roster["ramped_months"], dtype="Int64"),
        "deals_closed": pd.array((rates["won"].fillna(0) + rates["lost"].fillna(0)).astype("int64"), dtype="Int64"),
        "bookings_per_month": won_value / months,
        "attainment": _attainment(won_value, roster, quotas, as_of),
        "win_rate": rates["win_rate_count"].to_numpy(dtype="float64"),
        "average_deal_size": sizes["average_deal_size"].to_numpy(dtype="float64"),
        "median_cycle_days": sizes["median_cycle_days"].to_numpy(dtype="float64"),
        "opportunities_per_month": created_count / months,
    })

    if has_activities:
        for kind, plural in kpis.ACTIVITY_COLUMNS.items():
            out[PER_WEEK_COLUMNS[kind]] = inputs[plural].fillna(0).to_numpy(dtype="float64") / weeks
        if "duration_minutes" in logged.columns:
            hours = inputs["selling_hours"].fillna(0.0).to_numpy(dtype="float64")
            out["selling_hours_per_week"] = hours / weeks
            shares = _time_shares(logged, ids)
            for kind, column in TIME_SHARE_COLUMNS.items():
                out[column] = shares[kind].to_numpy(dtype="float64")
        else:
            out["selling_hours_per_week"] = np.nan
            for column in TIME_SHARE_COLUMNS.values():
                out[column] = np.nan
        demos = inputs["demos"].fillna(0).to_numpy(dtype="float64")
        out["demos_per_opportunity"] = np.divide(demos, created_count, out=np.full(len(ids), np.nan),
                                                 where=created_count > 0)
    else:
        for column in ACTIVITY_METRICS:
            out[column] = np.nan
    for stage, column in CONVERSION_COLUMNS.items():
        out[column] = conversions[stage].to_numpy(dtype="float64")

    note = ""
    if len(out) < settings.min_reps:
        note = (
            f"Top and bottom performers are not compared: only {len(out)} AE(s) employed on {as_of.date()} had "
            f"at least {settings.min_ramped_months} ramped month(s) in the last {window} months, and the "
            f"comparison needs at least {settings.min_reps} (performers.min_reps). Lower min_reps or "
            "ramped_after_months, or widen window_months, to compare a small team."
        )
        out["group"] = pd.array([pd.NA] * len(out), dtype=TEXT_DTYPE)
    else:
        out["group"] = pd.array(_groups(out, settings.quartile), dtype=TEXT_DTYPE)

    out = _sort(out)[list(PERFORMANCE_COLUMNS)]
    out.attrs["comparison_note"] = note
    return out


def _ramped_roster(reps: pd.DataFrame, as_of: pd.Timestamp, settings: PerformerSettings) -> pd.DataFrame:
    """rep_id, name, segment, ramped_months, start (exclusive left end of the ramped interval) of every AE
    employed on as_of with at least min_ramped_months ramped months in the window."""
    window = settings.window_months
    n = len(reps)
    missing_dates = pd.Series(pd.NaT, index=reps.index, dtype="datetime64[ns]")
    hire = pd.to_datetime(reps["hire_date"]) if "hire_date" in reps.columns else missing_dates
    end = pd.to_datetime(reps["end_date"]) if "end_date" in reps.columns else missing_dates
    if "role" in reps.columns:
        is_ae = reps["role"].astype(object).eq("AE").to_numpy(dtype=bool)
    else:
        is_ae = np.ones(n, dtype=bool)
    employed = ((hire.isna() | (hire <= as_of)) & (end.isna() | (end >= as_of))).to_numpy(dtype=bool)

    # boundaries[j] = as_of - j months (j = 0 .. window); slot j is (boundaries[j], boundaries[j - 1]]
    boundaries = [as_of, *(deals.window_start(as_of, j) for j in range(1, window + 1))]
    slot_first_days = np.array([b + pd.Timedelta(days=1) for b in boundaries[1:]], dtype="datetime64[ns]")
    ramp_date = (hire + pd.DateOffset(months=settings.ramped_after_months)).to_numpy(dtype="datetime64[ns]")
    ramped = (ramp_date[:, None] <= slot_first_days[None, :]).sum(axis=1)
    ramped = np.where(np.isnat(ramp_date), window, ramped)

    keep = is_ae & employed & (ramped >= settings.min_ramped_months)
    ramped_months = ramped[keep].astype("int64")
    segment = reps["segment"] if "segment" in reps.columns else pd.Series(pd.NA, index=reps.index)
    name = reps["name"] if "name" in reps.columns else pd.Series(pd.NA, index=reps.index)
    return pd.DataFrame({
        "rep_id": reps["rep_id"].astype(object).to_numpy()[keep],
        "name": name.astype(object).to_numpy()[keep],
        "segment": segment.astype(object).to_numpy()[keep],
        "ramped_months": ramped_months,
        "start": pd.to_datetime(np.array([boundaries[m] for m in ramped_months], dtype="datetime64[ns]")),
    })


def _attainment(won_value: np.ndarray, roster: pd.DataFrame, quotas: pd.DataFrame | None, as_of) -> np.ndarray:
    """Won value ÷ the quota rows starting in each rep's ramped interval ``(start, as_of]`` (NaN without)."""
    if quotas is None:
        return np.full(len(roster), np.nan)
    deals.check_columns(quotas, ("rep_id", "start_date", "amount"), "quotas")
    start = _starts(quotas["rep_id"], dict(zip(roster["rep_id"], roster["start"])))
    inside = ((quotas["start_date"] > start) & (quotas["start_date"] <= as_of)).to_numpy(dtype=bool)
    quota = (quotas.loc[inside, "amount"].astype("float64")
             .groupby(quotas.loc[inside, "rep_id"].astype(object).to_numpy()).sum())
    return deals.ratio(won_value, roster["rep_id"].map(quota).to_numpy(dtype="float64")).to_numpy()


def _starts(rep_ids: pd.Series, start_of: dict) -> pd.Series:
    """Each row's rep start (NaT for reps not compared), as datetime64 aligned on ``rep_ids``; looked up once per
    distinct rep (the activities name a few thousand reps on tens of millions of rows)."""
    codes, reps = pd.factorize(rep_ids)
    starts = pd.to_datetime(pd.Series(np.asarray(reps, dtype=object)).map(start_of)).astype("datetime64[ns]")
    found = np.append(starts.to_numpy(), np.datetime64("NaT", "ns"))[np.where(codes < 0, len(starts), codes)]
    return pd.Series(found, index=rep_ids.index)


def _by_rep(frame: pd.DataFrame, ids: Sequence, indexed: bool = False) -> pd.DataFrame:
    """``frame`` (with a rep_id column, or indexed by rep_id) reindexed on ``ids`` in order."""
    if not indexed:
        frame = frame.set_index("rep_id")
    frame.index = frame.index.astype(object)
    return frame.reindex(list(ids))


def _conversions(closed: pd.DataFrame, ids: Sequence) -> pd.DataFrame:
    """Per rep (rows, in ``ids`` order) and open stage (columns): advanced / reached of the closed deals."""
    progress = pd.Series(deals.stage_progress(closed), index=closed["rep_id"].astype(object).to_numpy())
    out = {}
    for index, stage in enumerate(OPEN_STAGES):
        reached = (progress >= index).groupby(level=0).sum().reindex(list(ids), fill_value=0)
        advanced = (progress >= index + 1).groupby(level=0).sum().reindex(list(ids), fill_value=0)
        out[stage] = deals.ratio(advanced, reached)
    return pd.DataFrame(out, index=list(ids))


def _time_shares(logged: pd.DataFrame, ids: Sequence) -> pd.DataFrame:
    """Per rep (rows) and activity type (columns): share of the logged duration (NaN when none logged)."""
    # grouped on the columns as they are: a text copy of rep and type per activity took GBs at scale 100
    minutes = (logged["duration_minutes"].astype("float64").groupby([logged["rep_id"], logged["type"]]).sum()
               .unstack(fill_value=0.0))
    minutes = minutes.set_axis(minutes.index.astype(object), axis=0).set_axis(minutes.columns.astype(object), axis=1)
    minutes = minutes.reindex(index=list(ids), fill_value=0.0)
    total = minutes.sum(axis=1)  # every logged minute, type other (notes, tasks) included
    named = minutes.reindex(columns=list(ACTIVITY_TYPES), fill_value=0.0)
    return named.div(total.where(total > 0), axis=0)


def _groups(performance: pd.DataFrame, quartile: float) -> list:
    """top / middle / bottom by bookings_per_month within each segment (ties by rep_id)."""
    groups = pd.Series("middle", index=performance.index, dtype=object)
    segment = performance["segment"].astype(object).fillna("\x00none")
    for _, members in performance.groupby(segment, sort=False):
        ranked = members.assign(_rep=members["rep_id"].astype(object)).sort_values(
            ["bookings_per_month", "_rep"], ascending=[False, True], kind="stable"
        )
        n = len(ranked)
        k = min(int(math.floor(quartile * n + 0.5)), n // 2)
        if k > 0:
            groups.loc[ranked.index[:k]] = "top"
            groups.loc[ranked.index[n - k:]] = "bottom"
    return list(groups)


def _sort(performance: pd.DataFrame) -> pd.DataFrame:
    segment = performance["segment"].astype(object)
    known = {name: index for index, name in enumerate(SEGMENTS)}
    rank = segment.map(lambda s: (2, "") if pd.isna(s) else (0, f"{known[s]:03d}") if s in known else (1, s))
    order = sorted(
        range(len(performance)),
        key=lambda i: (rank.iloc[i], -performance["bookings_per_month"].iloc[i], str(performance["rep_id"].iloc[i])),
    )
    return performance.iloc[order].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# 2. top vs bottom


def compare_groups(performance: pd.DataFrame) -> pd.DataFrame:
    """Mean of every compared metric for the ``top`` and the ``bottom`` group.

    Columns: ``metric`` (text, in ``COMPARED_METRICS`` order, those present in ``performance``), ``top``,
    ``bottom`` (means over the group's reps, skipping NaN), ``difference`` = bottom - top, and
    ``relative_difference`` = (bottom - top) / top (fraction; -0.4 means bottom reps have 40 % less; NaN
    when top is 0 or NaN). Without a top or a bottom rep the frame is empty; its
    ``attrs["comparison_note"]`` then says why.
    """
    deals.check_columns(performance, ("group",), "performance")
    group = performance["group"].astype(object)
    top_rows = performance.loc[group.eq("top").fillna(False).to_numpy(dtype=bool)]
    bottom_rows = performance.loc[group.eq("bottom").fillna(False).to_numpy(dtype=bool)]
    metrics = [metric for metric in COMPARED_METRICS if metric in performance.columns
               and (metric not in OPTIONAL_METRICS or performance[metric].notna().any())]
    note = performance.attrs.get("comparison_note", "")
    if len(top_rows) == 0 or len(bottom_rows) == 0:
        metrics = []
        note = note or ("Top and bottom performers are not compared: the performance table has no top or no "
                        "bottom rep (too few ramped AEs; see performers.min_reps).")
    top = np.array([top_rows[m].astype("float64").mean() for m in metrics], dtype="float64")
    bottom = np.array([bottom_rows[m].astype("float64").mean() for m in metrics], dtype="float64")
    difference = bottom - top
    relative = np.divide(difference, top, out=np.full(len(metrics), np.nan), where=(top != 0) & ~np.isnan(top))
    out = pd.DataFrame({
        "metric": pd.array(metrics, dtype=TEXT_DTYPE),
        "top": top,
        "bottom": bottom,
        "difference": difference,
        "relative_difference": relative,
    })
    out.attrs["comparison_note"] = note
    return out


# --------------------------------------------------------------------------------------------------
# 3. coaching, ranked by measured effect
#
# A gap is worth coaching when closing it goes with more bookings. For each compared behaviour, the slope of
# bookings_per_month on the metric is measured among the ramped reps of ``rep_performance`` (all of them, not
# only top and bottom), and the gap is priced: effect = slope × (top mean − bottom mean), in currency per
# rep-month.
#
# * **Slope**: Theil-Sen within segments — the median, over every pair of reps of the same segment whose metric
#   values differ, of (bookings_i − bookings_j) / (metric_i − metric_j). The median shrugs off a few extreme
#   reps, and pairing only reps of one segment compares like with like (as the groups do): across segments,
#   enterprise reps book more with fewer, longer activities, which a pooled slope would read as "fewer calls,
#   more bookings". Reps without a segment pair among themselves.
# * **Enough reps**: a metric is priced only when at least ``min_reps`` ramped reps (``performers.min_reps``, 8
#   by default: the same minimum as the comparison itself) have a value for it, and some pair differs.
# * **Sign**: only effects above 0 count — the direction in which bottom reps trail is the direction that goes
#   with more bookings — and only where a training is written for that direction (``COACHING``: ``None``
#   means "no coaching gap this way", e.g. bottom reps spending *less* time on e-mail).
# * **An association, not a proven cause**: reps who book more may hold more meetings because they have more
#   deals to meet about. Each metric's effect is its own simple slope; the metrics overlap (demos per week and
#   demos per opportunity measure one habit), so effects of different metrics do not add up.
# * **One advice per training**: metrics sharing a training are merged into one row led by the largest effect,
#   citing every metric; its effect is the largest, not the sum (they measure one behaviour).
# * **Impact** (what step 4's action list ranks by, in bookings of a quarter like its other actions): effect ×
#   bottom-quartile reps × 3 months — the bookings at stake if every bottom-quartile rep closed the gap for the
#   whole quarter, an upper bound.

#: Months in a quarter: the impact of a coaching action is over the planned quarter.
MONTHS_PER_QUARTER = 3

#: Advice -> the training it suggests. A metric's direction points at one advice; metrics that point at the
#: same advice are one action.
TRAINING: dict[str, str] = {
    "e-mail cadence": "set a weekly follow-up cadence with e-mail sequences so no open deal goes a week without a "
                      "touch",
    "conversations": "shift time from e-mail and calls to meetings and demos, where top reps spend theirs",
    "call blocks": "run protected call blocks with a weekly call target — top reps spend more of their time on calls",
    "call planning": "coach call planning so each call moves a deal forward rather than adding volume",
    "meeting-setting": "coach meeting-setting — every call and e-mail asks for the next meeting, so reps spend more "
                       "of their week in front of buyers",
    "meeting agendas": "coach meeting agendas and agreed next steps so meetings advance the deal",
    "demo discipline": "coach demo discipline — book a demo for every qualified deal, no deal past discovery "
                       "without a demo",
    "demo qualification": "qualify before demoing — top reps demo fewer, better-qualified deals, so demo time goes "
                          "to deals that can close",
    "tailored demo": "coach one tailored demo on the buyer's problem instead of repeat demos",
    "proposal timing": "coach moving qualified deals to a proposal once the demo lands",
    "proposal qualification": "send proposals only once the decision process is confirmed",
    "selling time": "protect selling time (cut internal meetings and admin) and log every activity with its duration",
    "prioritisation": "coach prioritisation — more hours are not closing more, so spend them on the deals likeliest "
                      "to close",
    "pipeline generation": "coach pipeline generation — weekly prospecting blocks and a standing plan with the SDRs",
    "qualification funnel": "coach qualification — more deals are opened than worked to a close",
    "late-stage reviews": "hold weekly manager reviews of late-stage deals and train closing",
    "qualification checklist": "train qualification with a checklist (budget, authority, need, timing) so deals "
                               "entering the funnel are real",
    "discovery": "train discovery — uncover the pain and the decision process before the demo",
    "tailored demos": "train tailored demos that end with an agreed proposal step",
    "value proposals": "train value-based proposals walked through with the buyer rather than e-mailed",
    "negotiation": "train negotiation and closing — mutual close plans and discount discipline",
    "discount check": "check they are not rushing deals with discounts; otherwise no coaching gap on speed",
    "deal velocity": "coach deal velocity — mutual close plans with dated next steps, and clear out stalled deals",
    "value selling": "coach value selling and multi-product bundles to raise deal size",
    "win more": "bigger deals but lower bookings — coach on winning more of the deals they work",
}


def _metric(family, label, fmt, lower, higher, step, per, name=None):
    return {"family": family, "label": label, "format": fmt, "lower": lower, "higher": higher, "step": step,
            "per": per, "name": name or label}


#: Metric -> family, label (tables and action titles), value format, the advice when bottom reps are lower /
#: higher than top reps (a key of ``TRAINING``; None: no coaching gap that way), the step an evidence sentence
#: prices ("each extra meeting a week": 1) with its words, and the metric's name in a sentence.
COACHING: dict[str, dict] = {
    "emails_per_week": _metric("activity volume", "e-mails per week", "{:.1f}", "e-mail cadence", "conversations",
                               1, "extra e-mail a week"),
    "calls_per_week": _metric("activity volume", "calls per week", "{:.1f}", "call blocks", "call planning",
                              1, "extra call a week"),
    "meetings_per_week": _metric("activity volume", "meetings per week", "{:.1f}", "meeting-setting",
                                 "meeting agendas", 1, "extra meeting a week"),
    "demos_per_week": _metric("activity volume", "demos per week", "{:.1f}", "demo discipline", "demo qualification",
                              1, "extra demo a week"),
    "proposals_per_week": _metric("activity volume", "proposals per week", "{:.1f}", "proposal timing",
                                  "proposal qualification", 1, "extra proposal a week"),
    "selling_hours_per_week": _metric("activity volume", "selling hours per week", "{:.1f} h", "selling time",
                                      "prioritisation", 1, "extra selling hour a week"),
    "opportunities_per_month": _metric("activity volume", "new opportunities per month", "{:.1f}",
                                       "pipeline generation", "qualification funnel", 1, "extra new opportunity a month"),
    "time_share_email": _metric("activity mix", "share of selling time on e-mail", "{:.0%}", None, "conversations",
                                0.1, "10 points more of selling time on e-mail"),
    "time_share_call": _metric("activity mix", "share of selling time on calls", "{:.0%}", "call blocks",
                               "conversations", 0.1, "10 points more of selling time on calls"),
    "time_share_meeting": _metric("activity mix", "share of selling time in meetings", "{:.0%}", "meeting-setting",
                                  None, 0.1, "10 points more of selling time in meetings"),
    "time_share_demo": _metric("activity mix", "share of selling time on demos", "{:.0%}", "demo discipline",
                               "demo qualification", 0.1, "10 points more of selling time on demos"),
    "time_share_proposal": _metric("activity mix", "share of selling time on proposals", "{:.0%}", "proposal timing",
                                   "proposal qualification", 0.1, "10 points more of selling time on proposals"),
    "demos_per_opportunity": _metric("activity mix", "demos per opportunity", "{:.2f}", "demo discipline",
                                     "tailored demo", 0.1, "extra 0.1 demo per opportunity"),
    "win_rate": _metric("stage conversion", "to a win overall (win rate)", "{:.0%}", "late-stage reviews", None,
                        0.1, "10 points more of win rate", "win rate"),
    "conversion_qualify": _metric("stage conversion", "from qualify to discovery", "{:.0%}",
                                  "qualification checklist", None, 0.1, "10 points more of that conversion",
                                  "conversion from qualify to discovery"),
    "conversion_discover": _metric("stage conversion", "from discovery to demo", "{:.0%}", "discovery", None,
                                   0.1, "10 points more of that conversion", "conversion from discovery to demo"),
    "conversion_demo": _metric("stage conversion", "from demo to proposal", "{:.0%}", "tailored demos", None,
                               0.1, "10 points more of that conversion", "conversion from demo to proposal"),
    "conversion_proposal": _metric("stage conversion", "from proposal to negotiation", "{:.0%}", "value proposals",
                                   None, 0.1, "10 points more of that conversion",
                                   "conversion from proposal to negotiation"),
    "conversion_negotiate": _metric("stage conversion", "from negotiation to a win", "{:.0%}", "negotiation", None,
                                    0.1, "10 points more of that conversion", "conversion from negotiation to a win"),
    "median_cycle_days": _metric("cycle", "", "{:.0f} days", "discount check", "deal velocity", 10,
                                 "10 days more of sales cycle", "median sales cycle"),
    "average_deal_size": _metric("deal size", "", "{:,.0f}", "value selling", "win more", 1_000,
                                 "extra 1,000 of average won deal", "average won deal"),
}


def bookings_slope(performance: pd.DataFrame, metric: str) -> tuple[float, int]:
    """Theil-Sen slope of ``bookings_per_month`` on ``metric`` within segments (currency per rep-month per unit
    of the metric; see the section comment above), and the number of reps with both values. NaN when no pair
    of reps of one segment has different values of the metric."""
    deals.check_columns(performance, ("bookings_per_month", metric), "performance")
    x = performance[metric].astype("float64").to_numpy()
    y = performance["bookings_per_month"].astype("float64").to_numpy()
    segment = (performance["segment"].astype(object).fillna("") if "segment" in performance.columns
               else pd.Series("", index=performance.index)).to_numpy()
    known = ~np.isnan(x) & ~np.isnan(y)
    x, y, segment = x[known], y[known], segment[known]
    first, second = np.triu_indices(len(x), 1)
    pairs = (segment[first] == segment[second]) & (x[first] != x[second])
    first, second = first[pairs], second[pairs]
    if not len(first):
        return math.nan, int(known.sum())
    return float(np.median((y[second] - y[first]) / (x[second] - x[first]))), int(known.sum())


def coaching_effects(performance: pd.DataFrame, settings: PerformerSettings | None = None) -> pd.DataFrame:
    """Every coached metric of ``performance`` (``rep_performance``) priced by the bookings its gap goes with.

    Columns: ``metric``, ``top``, ``bottom``, ``relative_difference`` (as ``compare_groups``), ``reps`` (ramped
    reps with a value), ``slope`` (:func:`bookings_slope`, NaN with fewer than ``settings.min_reps`` reps),
    ``effect_per_rep_month`` = slope × (top − bottom), currency, and ``advice`` (the ``TRAINING`` key for the
    direction bottom reps differ in; missing when none is written for it). In ``COMPARED_METRICS`` order;
    empty when top and bottom were not compared.
    """
    settings = settings_or_default(settings, PerformerSettings)
    comparison = compare_groups(performance)
    rows = comparison.loc[comparison["metric"].astype(object).isin(list(COACHING)).to_numpy(dtype=bool)]
    records = []
    for row in rows.itertuples(index=False):
        slope, reps = bookings_slope(performance, row.metric)
        if reps < settings.min_reps:
            slope = math.nan
        difference = row.top - row.bottom
        direction = "lower" if difference > 0 else "higher" if difference < 0 else None
        records.append({"metric": row.metric, "top": row.top, "bottom": row.bottom,
                        "relative_difference": row.relative_difference, "reps": reps, "slope": slope,
                        "effect_per_rep_month": slope * difference,
                        "advice": COACHING[row.metric][direction] if direction else None})
    out = pd.DataFrame.from_records(records, columns=["metric", "top", "bottom", "relative_difference", "reps",
                                                      "slope", "effect_per_rep_month", "advice"])
    out = out.astype({"metric": TEXT_DTYPE, "advice": TEXT_DTYPE, "reps": "int64", "top": "float64",
                      "bottom": "float64", "relative_difference": "float64", "slope": "float64",
                      "effect_per_rep_month": "float64"})
    out.attrs["comparison_note"] = comparison.attrs.get("comparison_note", "")
    return out


def _evidence(row, currency: str) -> str:
    spec = COACHING[row.metric]
    value = spec["format"].format
    step_effect = row.slope * spec["step"]
    return (f"On {spec['name']}, bottom-quartile reps average {value(row.bottom)} against {value(row.top)} for the "
            f"top quartile; among reps of the same segment, each {spec['per']} goes with "
            f"{money(abs(step_effect), currency)} {'more' if step_effect > 0 else 'less'} in bookings a month: the "
            f"gap is worth about {money(row.effect_per_rep_month, currency)} a month per rep.")


def _also(rows, currency: str) -> str:
    cited = "; ".join(f"{COACHING[r.metric]['name']} {COACHING[r.metric]['format'].format(r.bottom)} against "
                      f"{COACHING[r.metric]['format'].format(r.top)}, worth about "
                      f"{money(r.effect_per_rep_month, currency)} a month per rep" for r in rows)
    return f" The same advice answers {cited}." if cited else ""


def coaching_table(performance: pd.DataFrame, n: int = 5, settings: PerformerSettings | None = None,
                   currency: str = "USD") -> pd.DataFrame:
    """The ``n`` coaching advices worth the most bookings, one row per training (see the section comment
    above for how gaps are priced, merged and which count), for step 1's page and step 4's actions.

    Columns: ``metric`` (the metric with the largest effect), ``family``, ``gap`` (its relative difference,
    (bottom − top) / top), ``suggested_training``, ``metrics`` (every metric the advice answers, largest effect
    first, comma-separated), ``effect_per_rep_month`` (the largest effect, currency per rep-month),
    ``bottom_reps`` (reps in the bottom quartile), ``impact`` = effect × bottom_reps × 3 (bookings at stake in
    a quarter, currency) and ``evidence`` (the numbers in words). Largest effect first; empty (with
    ``attrs["coaching_note"]`` saying why) when no gap qualifies.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be a whole number of findings of at least 1, e.g. 5; got {n!r}")
    settings = settings_or_default(settings, PerformerSettings)
    effects = coaching_effects(performance, settings)
    order = {name: index for index, name in enumerate(COMPARED_METRICS)}
    usable = effects.loc[(effects["effect_per_rep_month"] > 0).fillna(False).to_numpy(dtype=bool)
                         & effects["advice"].notna().to_numpy(dtype=bool)]
    usable = usable.assign(_order=usable["metric"].astype(object).map(order)).sort_values(
        ["effect_per_rep_month", "_order"], ascending=[False, True], kind="stable")
    bottom_reps = int(performance["group"].astype(object).eq("bottom").sum()) if "group" in performance else 0
    records = []
    for advice, rows in usable.groupby("advice", sort=False):
        lead, others = next(rows.itertuples(index=False)), list(rows.itertuples(index=False))[1:]
        records.append({
            "metric": lead.metric, "family": COACHING[lead.metric]["family"], "gap": lead.relative_difference,
            "suggested_training": TRAINING[advice], "metrics": ", ".join(rows["metric"].astype(str)),
            "effect_per_rep_month": lead.effect_per_rep_month, "bottom_reps": bottom_reps,
            "impact": lead.effect_per_rep_month * bottom_reps * MONTHS_PER_QUARTER,
            "evidence": _evidence(lead, currency) + _also(others, currency),
        })
        if len(records) == n:
            break
    out = pd.DataFrame.from_records(records, columns=list(COACHING_COLUMNS)).astype(
        {"metric": TEXT_DTYPE, "family": TEXT_DTYPE, "gap": "float64", "suggested_training": TEXT_DTYPE,
         "metrics": TEXT_DTYPE, "effect_per_rep_month": "float64", "bottom_reps": "int64", "impact": "float64",
         "evidence": TEXT_DTYPE})
    if len(out):
        out.attrs["coaching_note"] = ""
    elif len(effects):
        out.attrs["coaching_note"] = (
            "No gap between bottom- and top-quartile reps goes with more bookings among reps of the same segment "
            f"(a metric is priced when at least {settings.min_reps} ramped reps have a value): the data suggests "
            "no coaching.")
    else:
        out.attrs["coaching_note"] = (effects.attrs["comparison_note"] or "Top and bottom performers are not "
                                      "compared: there is no top or bottom group.")
    return out


def coaching_findings(coaching: pd.DataFrame) -> list[str]:
    """One sentence per row of ``coaching_table``: the evidence, then the training. An empty table gives its
    ``attrs["coaching_note"]`` (why there is no advice) as the only line."""
    deals.check_columns(coaching, ("evidence", "suggested_training"), "coaching")
    if len(coaching) == 0:
        return [coaching.attrs.get("coaching_note") or "No coaching advice: no gap between bottom- and "
                "top-quartile reps was measured."]
    return [f"{row.evidence} Coaching: {row.suggested_training}." for row in coaching.itertuples(index=False)]


#: Compared metrics shown as money (company currency) or as percentages; the rest as plain numbers.
_MONEY_METRICS = ("bookings_per_month", "average_deal_size")
_SHARE_PREFIXES = ("win_rate", "time_share_", "conversion_", "attainment")
#: How an outcome metric is named in sentences and tables (the plan's actions name them the same way).
OUTCOME_LABELS = {"bookings_per_month": "bookings per ramped month", "attainment": "quota attainment",
                  "win_rate": "win rate (by count)",
                  "average_deal_size": "average won deal", "median_cycle_days": "sales cycle (median days)",
                  "opportunities_per_month": "new opportunities per month"}


def readable_comparison(comparison: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """``compare_groups`` output for people: a readable metric name, the two averages formatted in
    their unit (money, percent or number) and the relative gap. Columns: ``metric``, ``top quartile``,
    ``bottom quartile``, ``bottom vs top`` (text, except the last: a fraction)."""

    def show(metric: str, value: float) -> str:
        if metric in _MONEY_METRICS:
            return money(value, currency)
        if metric.startswith(_SHARE_PREFIXES):
            return percent(value)
        return number(value, 1)

    def label(metric: str) -> str:
        spec = COACHING.get(metric)
        if metric in OUTCOME_LABELS or not spec:
            return OUTCOME_LABELS.get(metric, metric.replace("_", " "))
        return spec["label"]

    return pd.DataFrame({
        "metric": [label(m) for m in comparison["metric"]],
        "top quartile": [show(m, v) for m, v in zip(comparison["metric"], comparison["top"])],
        "bottom quartile": [show(m, v) for m, v in zip(comparison["metric"], comparison["bottom"])],
        "bottom vs top": comparison["relative_difference"].to_numpy(),
    })
