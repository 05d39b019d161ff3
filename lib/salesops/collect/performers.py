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
  an empty comparison carrying the same note, and ``coaching_findings`` returns that note as its only line.
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
COACHING_COLUMNS: tuple[str, ...] = ("metric", "family", "gap", "suggested_training")
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
        logged = activities.loc[((stamp >= act_start) & (stamp < as_of + pd.Timedelta(days=1))).to_numpy(dtype=bool)]
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
    """Each row's rep start (NaT for reps not compared), as datetime64 aligned on ``rep_ids``."""
    mapped = rep_ids.astype(object).map(start_of)
    return pd.to_datetime(mapped).astype("datetime64[ns]")


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
    minutes = (
        logged.assign(_rep=logged["rep_id"].astype(object), _type=logged["type"].astype(object),
                      _minutes=logged["duration_minutes"].astype("float64"))
        .pivot_table(index="_rep", columns="_type", values="_minutes", aggfunc="sum", fill_value=0.0)
        .reindex(index=list(ids), fill_value=0.0)
    )
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
# 3. coaching


#: Metric family -> sentence template. Slots: gap (e.g. "40%"), word (fewer/more, lower/higher, ...),
#: label, bottom, top (formatted values), training.
FAMILY_TEMPLATES: dict[str, str] = {
    "activity volume": "Bottom-quartile reps log {gap} {word} {label} than top-quartile reps ({bottom} vs {top}): "
                       "{training}.",
    "activity mix": "Bottom-quartile reps' {label} is {gap} {word} than top-quartile reps' ({bottom} vs {top}): "
                    "{training}.",
    "stage conversion": "Bottom-quartile reps convert {gap} {word} of their deals {label} than top-quartile reps "
                        "({bottom} vs {top}): {training}.",
    "cycle": "Bottom-quartile reps' won deals take {gap} {word} to close than top-quartile reps' ({bottom} vs "
             "{top}, median): {training}.",
    "deal size": "Bottom-quartile reps win deals {gap} {word} than top-quartile reps ({bottom} vs {top} on "
                 "average): {training}.",
}
#: Family -> the comparative word when bottom is below / above top.
_FAMILY_WORDS: dict[str, tuple[str, str]] = {
    "activity volume": ("fewer", "more"),
    "activity mix": ("lower", "higher"),
    "stage conversion": ("fewer", "more"),
    "cycle": ("less time", "longer"),
    "deal size": ("smaller", "larger"),
}

_NO_GAP = "no coaching gap here (bottom-quartile reps do as well or better); look for the gap elsewhere"


def _metric(family, label, fmt, lower, higher):
    return {"family": family, "label": label, "format": fmt, "lower": lower, "higher": higher}


#: Metric -> family, label in the sentence, value format, and the training when bottom is lower / higher.
COACHING: dict[str, dict[str, str]] = {
    "emails_per_week": _metric(
        "activity volume", "e-mails per week", "{:.1f}",
        "set a weekly follow-up cadence with e-mail sequences so no open deal goes a week without a touch",
        "shift time from e-mail to calls and meetings — top reps write less and talk more"),
    "calls_per_week": _metric(
        "activity volume", "calls per week", "{:.1f}",
        "run protected call blocks with a weekly call target",
        "coach call planning so each call moves a deal forward rather than adding volume"),
    "meetings_per_week": _metric(
        "activity volume", "meetings per week", "{:.1f}",
        "coach meeting-setting — every call and e-mail asks for the next meeting",
        "coach meeting agendas and agreed next steps so meetings advance the deal"),
    "demos_per_week": _metric(
        "activity volume", "demos per week", "{:.1f}",
        "coach demo discipline — book a demo for every qualified deal",
        "qualify before demoing — top reps demo fewer, better-qualified deals"),
    "proposals_per_week": _metric(
        "activity volume", "proposals per week", "{:.1f}",
        "coach moving deals to proposal — ask for the proposal meeting once the demo lands",
        "send proposals only once the decision process is confirmed"),
    "selling_hours_per_week": _metric(
        "activity volume", "selling hours per week", "{:.1f} h",
        "protect selling time (cut internal meetings and admin) and log every activity with its duration",
        "coach prioritisation — more hours are not closing more, so spend them on the deals likeliest to close"),
    "opportunities_per_month": _metric(
        "activity volume", "new opportunities per month", "{:.1f}",
        "coach pipeline generation — weekly prospecting blocks and a standing plan with the SDRs",
        "coach qualification — more deals are opened than worked to a close"),
    "time_share_email": _metric(
        "activity mix", "share of selling time on e-mail", "{:.0%}",
        _NO_GAP,
        "shift time from e-mail to meetings and demos, where top reps spend theirs"),
    "time_share_call": _metric(
        "activity mix", "share of selling time on calls", "{:.0%}",
        "coach reps to pick up the phone — top reps spend more of their time on calls",
        "coach turning calls into meetings and demos, where top reps spend more of their time"),
    "time_share_meeting": _metric(
        "activity mix", "share of selling time in meetings", "{:.0%}",
        "coach meeting-setting — top reps spend more of their week in front of buyers",
        _NO_GAP),
    "time_share_demo": _metric(
        "activity mix", "share of selling time on demos", "{:.0%}",
        "coach demo discipline — give demos a bigger share of the week, no deal past discovery without a demo",
        "tighten qualification so demo time goes to deals that can close"),
    "time_share_proposal": _metric(
        "activity mix", "share of selling time on proposals", "{:.0%}",
        "coach moving qualified deals to a proposal sooner",
        "send proposals only once the decision process is confirmed"),
    "demos_per_opportunity": _metric(
        "activity mix", "demos per opportunity", "{:.2f}",
        "coach demo discipline — no deal past discovery without a demo",
        "coach one tailored demo on the buyer's problem instead of repeat demos"),
    "win_rate": _metric(
        "stage conversion", "to a win overall (win rate)", "{:.0%}",
        "hold weekly manager reviews of late-stage deals and train closing",
        _NO_GAP),
    "conversion_qualify": _metric(
        "stage conversion", "from qualify to discovery", "{:.0%}",
        "train qualification with a checklist (budget, authority, need, timing) so deals entering the funnel "
        "are real",
        _NO_GAP),
    "conversion_discover": _metric(
        "stage conversion", "from discovery to demo", "{:.0%}",
        "train discovery — uncover the pain and the decision process before the demo",
        _NO_GAP),
    "conversion_demo": _metric(
        "stage conversion", "from demo to proposal", "{:.0%}",
        "train tailored demos that end with an agreed proposal step",
        _NO_GAP),
    "conversion_proposal": _metric(
        "stage conversion", "from proposal to negotiation", "{:.0%}",
        "train value-based proposals walked through with the buyer rather than e-mailed",
        _NO_GAP),
    "conversion_negotiate": _metric(
        "stage conversion", "from negotiation to a win", "{:.0%}",
        "train negotiation and closing — mutual close plans and discount discipline",
        _NO_GAP),
    "median_cycle_days": _metric(
        "cycle", "", "{:.0f} days",
        "check they are not rushing deals with discounts; otherwise no coaching gap on speed",
        "coach deal velocity — mutual close plans with dated next steps, and clear out stalled deals"),
    "average_deal_size": _metric(
        "deal size", "", "{:,.0f}",
        "coach value selling and multi-product bundles to raise deal size",
        "bigger deals but lower bookings — coach on winning more of the deals they work"),
}


def _ranked_gaps(comparison: pd.DataFrame, n: int) -> pd.DataFrame:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be a whole number of findings of at least 1, e.g. 5; got {n!r}")
    deals.check_columns(comparison, COMPARISON_COLUMNS, "comparison")
    metric = comparison["metric"].astype(object)
    usable = comparison.loc[
        (metric.isin(list(COACHING)) & comparison["relative_difference"].notna()
         & (comparison["relative_difference"] != 0)).to_numpy(dtype=bool)
    ]
    order = {name: index for index, name in enumerate(COMPARED_METRICS)}
    ranked = usable.assign(
        _size=usable["relative_difference"].abs(), _order=usable["metric"].astype(object).map(order)
    ).sort_values(["_size", "_order"], ascending=[False, True], kind="stable")
    return ranked.head(int(n))


def _training(metric: str, relative: float) -> str:
    return COACHING[metric]["lower" if relative < 0 else "higher"]


def coaching_findings(comparison: pd.DataFrame, n: int = 5) -> list[str]:
    """The ``n`` largest relative gaps between bottom and top (by |relative_difference|), one sentence each
    with the coaching or training it suggests, largest first.

    ``bookings_per_month`` (it defines the groups) and ``attainment`` (bookings against quota: an outcome, not a
    behaviour) are left out, and so is every metric whose gap is NaN
    (e.g. activity metrics without an activities table) or 0. An empty comparison gives its
    ``attrs["comparison_note"]`` (why no comparison was made) as the only line.
    """
    ranked = _ranked_gaps(comparison, n)
    if len(comparison) == 0:
        note = comparison.attrs.get("comparison_note", "")
        return [note or "Top and bottom performers are not compared: there is no top or bottom group."]
    findings = []
    for row in ranked.itertuples(index=False):
        spec = COACHING[row.metric]
        relative = float(row.relative_difference)
        lower, higher = _FAMILY_WORDS[spec["family"]]
        findings.append(FAMILY_TEMPLATES[spec["family"]].format(
            gap=f"{abs(relative):.0%}",
            word=lower if relative < 0 else higher,
            label=spec["label"],
            bottom=spec["format"].format(row.bottom),
            top=spec["format"].format(row.top),
            training=_training(row.metric, relative),
        ))
    return findings


def coaching_table(comparison: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The same ``n`` gaps as ``coaching_findings``, as a table for the training plan of step 4.

    Columns: ``metric``, ``family`` (activity volume, activity mix, stage conversion, cycle, deal size),
    ``gap`` (relative_difference: (bottom - top) / top, a fraction), ``suggested_training`` (text).
    Largest gap first; empty when no comparison was made.
    """
    ranked = _ranked_gaps(comparison, n)
    metrics = list(ranked["metric"].astype(object))
    gaps = ranked["relative_difference"].to_numpy(dtype="float64")
    return pd.DataFrame({
        "metric": pd.array(metrics, dtype=TEXT_DTYPE),
        "family": pd.array([COACHING[m]["family"] for m in metrics], dtype=TEXT_DTYPE),
        "gap": gaps,
        "suggested_training": pd.array([_training(m, g) for m, g in zip(metrics, gaps)], dtype=TEXT_DTYPE),
    })


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
