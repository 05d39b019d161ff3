"""Sales capacity: who is on the team each month, how ramped, how many are expected to stay, and what
bookings that team can make.

Definitions used throughout:

* ``present_share`` — share of a month's days a person is employed (hire_date to end_date, both days
  included); a rep who starts on the 16th of a 30-day month counts 0.5 that month.
* ``tenure_month`` — the month of a person's tenure: the calendar month of the hire date is month 1.
* ``ramp`` — productivity as a share of a fully ramped rep in that tenure month (``ramp_curve``; 1 after it).
* ``survival`` — chance a person employed at the last day of known data is still employed in a future
  month under the expected annual attrition: ``(1 - attrition) ** (months ahead / 12)``, months counted
  from the last day of known data to the middle of the month; 1 for months of history.
* ``headcount`` = present_share × survival; ``ramped_equivalents`` = headcount × ramp.
* ``productivity`` — bookings per ramped-rep-month: won bookings of a segment's account executives over
  the history window ÷ their ramped equivalents summed over the days of the window each was known to sell
  (inside the data, from the hire date or else the first opportunity: ``active_share``).
* ``capacity`` = ramped_equivalents × productivity, bookings per month in the company currency.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesops.contract.schema import TEXT_DTYPE
from salesops.deals import UNKNOWN, history_start, won_mask

AE = "AE"
DAYS_PER_MONTH = 365.25 / 12


def month_starts(start, end) -> pd.DatetimeIndex:
    """First days of the calendar months that overlap ``[start, end]``."""
    first = pd.Timestamp(start).to_period("M").to_timestamp()
    return pd.date_range(first, pd.Timestamp(end), freq="MS")


def ramp_factor(tenure_month: np.ndarray, ramp_curve: Sequence[float]) -> np.ndarray:
    """Productivity share for each tenure month (1-based); 0 before month 1, 1 after the curve ends."""
    tenure = np.asarray(tenure_month, dtype=float)
    curve = np.asarray(list(ramp_curve) + [1.0], dtype=float)
    index = np.clip(np.nan_to_num(tenure, nan=len(curve)), 1, len(curve)).astype(int) - 1
    return np.where(tenure < 1, 0.0, curve[index])


def survival(month_starts_: pd.DatetimeIndex | pd.Series, as_of, attrition_annual: float) -> np.ndarray:
    """Chance a person employed on ``as_of`` is still employed in each month (1 for months up to ``as_of``)."""
    as_of = pd.Timestamp(as_of)
    starts = pd.DatetimeIndex(month_starts_)
    middle = starts + (starts + pd.offsets.MonthEnd(0) - starts) / 2
    months_ahead = np.clip((middle - as_of).days.to_numpy() / DAYS_PER_MONTH, 0, None)
    months_ahead = np.where(starts + pd.offsets.MonthEnd(0) <= as_of, 0.0, months_ahead)
    return (1.0 - attrition_annual) ** (months_ahead / 12.0)


def rep_months(reps: pd.DataFrame, months: pd.DatetimeIndex, role: str | None = AE) -> pd.DataFrame:
    """One row per person of ``role`` (all roles when None) and month they are employed in.

    Columns: rep_id, role, segment, region, ds (month start), present_share, tenure_month. A person with
    no hire date counts as employed since long before (fully ramped); no end date: still employed.
    """
    _require(reps, "reps", ("rep_id", "role"))
    people = reps if role is None else reps.loc[reps["role"].astype(object).eq(role).fillna(False).to_numpy(bool)]
    hire = pd.to_datetime(people["hire_date"]) if "hire_date" in people else pd.Series(pd.NaT, index=people.index)
    end = pd.to_datetime(people["end_date"]) if "end_date" in people else pd.Series(pd.NaT, index=people.index)
    n_people, n_months = len(people), len(months)
    starts = np.tile(months.to_numpy(), n_people)
    month_ends = starts + (pd.DatetimeIndex(starts) + pd.offsets.MonthEnd(0) - pd.DatetimeIndex(starts)).to_numpy()
    first = np.repeat(hire.fillna(pd.Timestamp.min).to_numpy(), n_months)
    last = np.repeat(end.fillna(pd.Timestamp.max).to_numpy(), n_months)
    overlap_start = np.maximum(starts, first.astype(starts.dtype))
    overlap_end = np.minimum(month_ends, last.astype(starts.dtype))
    days_in_month = (month_ends - starts).astype("timedelta64[D]").astype(float) + 1
    present_days = (overlap_end - overlap_start).astype("timedelta64[D]").astype(float) + 1
    present_share = np.clip(present_days / days_in_month, 0, 1)
    hire_period = pd.DatetimeIndex(np.repeat(hire.to_numpy(), n_months)).to_period("M")
    month_period = pd.DatetimeIndex(starts).to_period("M")
    tenure = np.where(hire_period.isna(), np.inf,
                      (month_period.year - hire_period.year) * 12 + month_period.month - hire_period.month + 1)
    frame = pd.DataFrame({
        "rep_id": np.repeat(people["rep_id"].astype(object).to_numpy(), n_months),
        "role": np.repeat(people["role"].astype(object).to_numpy(), n_months),
        "segment": np.repeat(_column_or_unknown(people, "segment"), n_months),
        "region": np.repeat(_column_or_unknown(people, "region"), n_months),
        "ds": starts,
        "present_share": present_share,
        "tenure_month": tenure.astype(float),
    })
    frame = frame.loc[frame["present_share"] > 0].reset_index(drop=True)
    return frame.astype({"rep_id": TEXT_DTYPE, "role": TEXT_DTYPE, "segment": TEXT_DTYPE, "region": TEXT_DTYPE,
                         "ds": "datetime64[ns]"})


def ramped_equivalents(rep_months_: pd.DataFrame, ramp_curve: Sequence[float], attrition_annual: float,
                       as_of) -> pd.DataFrame:
    """``rep_months`` with ramp, survival, headcount and ramped_equivalents per person and month."""
    frame = rep_months_.copy()
    frame["ramp"] = ramp_factor(frame["tenure_month"].to_numpy(), ramp_curve)
    frame["survival"] = survival(frame["ds"], as_of, attrition_annual)
    frame["headcount"] = frame["present_share"] * frame["survival"]
    frame["ramped_equivalents"] = frame["headcount"] * frame["ramp"]
    return frame


def team_by_month(equivalents: pd.DataFrame, by: Sequence[str] = ("segment",)) -> pd.DataFrame:
    """Headcount and ramped equivalents summed per ``by`` columns and month."""
    keys = [*by, "ds"]
    return (equivalents.groupby(keys, observed=True)[["headcount", "ramped_equivalents"]].sum()
            .reset_index().sort_values(keys, kind="stable").reset_index(drop=True))


def active_share(team: pd.DataFrame, reps: pd.DataFrame, opportunities: pd.DataFrame, as_of) -> np.ndarray:
    """Share of each ``team`` row's month (rep_id, ds) in which its person is known to have been selling:
    only days inside the data (from ``deals.history_start`` of the opportunities to ``as_of``) count, and a person
    without a hire date counts from the day they created their first opportunity (never, without one: a listed
    user who sold nothing is no evidence of what a rep sells)."""
    starts = pd.DatetimeIndex(team["ds"])
    ends = starts + pd.offsets.MonthEnd(0)
    data_from = history_start(opportunities)
    data_from = pd.Timestamp.min if pd.isna(data_from) else data_from
    hire = (reps.set_index("rep_id")["hire_date"] if "hire_date" in reps.columns
            else pd.Series(pd.NaT, index=reps["rep_id"], dtype="datetime64[ns]"))
    opened = "created_date" if "created_date" in opportunities.columns else "close_date"
    first_deal = opportunities.groupby("rep_id", observed=True)[opened].min()
    no_hire = team["rep_id"].map(hire).isna().to_numpy(dtype=bool)
    # from the data's first day; without a hire date, from the first deal too (NaT: never)
    selling_from = pd.to_datetime(team["rep_id"].map(first_deal).astype("datetime64[ns]"))
    first = pd.Series(data_from, index=team.index, dtype="datetime64[ns]")
    first = first.where(~no_hire, selling_from.where(selling_from > data_from, data_from).where(selling_from.notna()))
    begin = first.where(first > starts, starts)
    end = pd.Series(ends.where(ends < pd.Timestamp(as_of).normalize(), pd.Timestamp(as_of).normalize()),
                    index=team.index)
    days = (ends - starts).days.to_numpy(dtype=float) + 1
    active = ((end - begin).dt.days.to_numpy(dtype=float) + 1) / days
    return np.where(first.isna().to_numpy(), 0.0, np.clip(np.nan_to_num(active, nan=0.0), 0.0, 1.0))


def measured_productivity(opportunities: pd.DataFrame, reps: pd.DataFrame, as_of, history_months: int,
                          ramp_curve: Sequence[float], overrides: dict[str, float] | None = None) -> pd.DataFrame:
    """Bookings per ramped-rep-month by segment, measured over the ``history_months`` calendar months that end
    with the month of ``as_of`` (deals won in those months by account executives, by the rep's segment).

    Rep-months count only the days each rep is known to have sold (:func:`active_share`: inside the data's
    history, from the hire date or, without one, from the rep's first opportunity).

    Columns: segment, bookings, ramped_rep_months, measured (bookings ÷ ramped_rep_months; NaN without
    ramped months), productivity (the override when given, else measured), source ("measured" / "params").
    """
    _require(opportunities, "opportunities", ("rep_id", "close_date", "amount"))
    as_of = pd.Timestamp(as_of)
    last_month = as_of.to_period("M").to_timestamp()
    months = pd.date_range(end=last_month, periods=history_months, freq="MS")
    team = ramped_equivalents(rep_months(reps, months), ramp_curve, 0.0, as_of)
    team["ramped_equivalents"] *= active_share(team, reps, opportunities, as_of)
    rep_months_by_segment = team.groupby("segment")["ramped_equivalents"].sum()

    won = won_mask(opportunities)
    close = pd.to_datetime(opportunities["close_date"])
    in_window = won & (close >= months[0]).to_numpy(bool) & (close <= as_of).to_numpy(bool)
    segment_of = reps.set_index("rep_id")["segment"] if "segment" in reps else pd.Series(dtype=object)
    deals = opportunities.loc[in_window]
    segments = deals["rep_id"].map(segment_of).astype(object).fillna(UNKNOWN)
    ae_ids = set(reps.loc[reps["role"].astype(object).eq(AE).fillna(False).to_numpy(bool), "rep_id"])
    by_ae = deals["rep_id"].isin(ae_ids).to_numpy(bool)
    bookings = deals.loc[by_ae, "amount"].astype(float).groupby(segments[by_ae]).sum()

    names = sorted(set(rep_months_by_segment.index) | set(bookings.index) | set(overrides or {}))
    out = pd.DataFrame({"segment": names})
    out["bookings"] = out["segment"].map(bookings).fillna(0.0).astype(float)
    out["ramped_rep_months"] = out["segment"].map(rep_months_by_segment).fillna(0.0).astype(float)
    out["measured"] = out["bookings"] / out["ramped_rep_months"].where(out["ramped_rep_months"] > 0)
    override = out["segment"].map(overrides or {}).astype(float)
    out["productivity"] = override.fillna(out["measured"])
    out["source"] = np.where(override.notna(), "params", "measured")
    return out.astype({"segment": TEXT_DTYPE, "source": TEXT_DTYPE})


def rep_productivity(opportunities: pd.DataFrame, reps: pd.DataFrame, as_of, history_months: int,
                     ramp_curve: Sequence[float], segment_rates: pd.Series, prior_months: float) -> pd.DataFrame:
    """Each account executive's own bookings per ramped month, shrunk toward the segment's rate by how much
    evidence the rep has (a credibility weight, as in empirical Bayes):

        rate_i = (bookings_i + prior_months × segment_rate) / (ramped_rep_months_i + prior_months)

    ``bookings_i``: won in the ``history_months`` to ``as_of`` (company currency); ``ramped_rep_months_i``: the
    rep's ramped months over the same window, counting only the days the rep is known to sell
    (:func:`active_share`). A rep with no measured months gets the segment's rate; one with many gets close to
    their own. ``segment_rates``: productivity per segment (``measured_productivity``), NaN rate where unknown.

    Columns: rep_id, bookings, ramped_rep_months, own_rate (bookings ÷ ramped months; NaN without months),
    evidence_share (ramped months ÷ (ramped months + prior_months)), rate.
    """
    as_of = pd.Timestamp(as_of)
    months = pd.date_range(end=as_of.to_period("M").to_timestamp(), periods=history_months, freq="MS")
    team = ramped_equivalents(rep_months(reps, months), ramp_curve, 0.0, as_of)
    team["ramped_equivalents"] *= active_share(team, reps, opportunities, as_of)
    rep_ids = reps.loc[reps["role"].astype(object).eq(AE).fillna(False).to_numpy(bool), "rep_id"].astype(object)
    ramped = team.groupby(team["rep_id"].astype(object))["ramped_equivalents"].sum().reindex(rep_ids).fillna(0.0)
    close = pd.to_datetime(opportunities["close_date"])
    won = opportunities.loc[won_mask(opportunities) & (close >= months[0]).to_numpy(bool)
                            & (close <= as_of).to_numpy(bool)]
    bookings = won.groupby(won["rep_id"].astype(object))["amount"].sum().reindex(rep_ids).fillna(0.0)
    segment = reps.set_index("rep_id")["segment"] if "segment" in reps else pd.Series(dtype=object)
    prior = rep_ids.map(segment).astype(object).fillna(UNKNOWN).map(segment_rates).astype(float).to_numpy()
    months_known, booked = ramped.to_numpy(dtype=float), bookings.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(months_known > 0, booked / months_known, np.nan)
        shrunk = (booked + prior_months * prior) / (months_known + prior_months)
    rate = np.where(np.isnan(prior), own, shrunk if prior_months > 0 else np.where(months_known > 0, own, prior))
    evidence = months_known / (months_known + prior_months) if prior_months > 0 else (months_known > 0) * 1.0
    return pd.DataFrame({"rep_id": rep_ids.to_numpy(), "bookings": booked, "ramped_rep_months": months_known,
                         "own_rate": own, "evidence_share": evidence, "rate": rate}).astype({"rep_id": TEXT_DTYPE})


def observed_attrition(reps: pd.DataFrame, as_of, history_months: int) -> pd.DataFrame:
    """Attrition actually seen per role over the ``history_months`` months to ``as_of``.

    Columns: role, average_headcount (mean over the months of present_share sums), leavers (end_date in the
    window), annual_rate = leavers ÷ average_headcount × 12 ÷ history_months (NaN with no headcount, and NaN
    when the reps table records no end date at all: an export of current users shows no leaver whatever the
    attrition, so 0% would not be a measurement).
    """
    as_of = pd.Timestamp(as_of)
    months = pd.date_range(end=as_of.to_period("M").to_timestamp(), periods=history_months, freq="MS")
    present = rep_months(reps, months, role=None)
    average = present.groupby("role")["present_share"].sum() / history_months
    if "end_date" in reps:
        end = pd.to_datetime(reps["end_date"])
        left = reps.loc[((end >= months[0]) & (end <= as_of)).to_numpy(bool)]
        leavers = left.groupby(left["role"].astype(object)).size()
    else:
        leavers = pd.Series(dtype=float)
    out = pd.DataFrame({"role": sorted(set(average.index) | set(leavers.index))})
    out["average_headcount"] = out["role"].map(average).fillna(0.0).astype(float)
    out["leavers"] = out["role"].map(leavers).fillna(0).astype(int)
    recorded = "end_date" in reps and reps["end_date"].notna().any()
    out["annual_rate"] = (out["leavers"] / out["average_headcount"].where(out["average_headcount"] > 0)
                          * 12 / history_months) if recorded else np.nan
    return out.astype({"role": TEXT_DTYPE})


def sales_capacity(reps: pd.DataFrame, months: pd.DatetimeIndex, as_of, productivity: pd.DataFrame,
                   ramp_curve: Sequence[float], attrition_annual: float) -> pd.DataFrame:
    """Account-executive capacity per segment and month of ``months``.

    Columns: segment, ds, headcount, ramped_equivalents, productivity (bookings per ramped-rep-month),
    capacity (bookings per month, company currency). Segments without a productivity get NaN capacity.
    """
    team = team_by_month(ramped_equivalents(rep_months(reps, months), ramp_curve, attrition_annual, as_of))
    rate = productivity.set_index("segment")["productivity"]
    team["productivity"] = team["segment"].map(rate).astype(float)
    team["capacity"] = team["ramped_equivalents"] * team["productivity"]
    return team


def quota_capacity_check(reps: pd.DataFrame, capacity: pd.DataFrame, period_start, period_end) -> pd.DataFrame:
    """Quotas of the active account executives against their capacity over ``[period_start, period_end]``.

    Columns: segment, quota (sum of the quarterly ``quota`` of AEs employed on period_start, company
    currency), capacity (sum of monthly capacity in the period), quota_to_capacity (quota ÷ capacity; above 1
    means quotas ask more than the team is measured to deliver).
    """
    start, end = pd.Timestamp(period_start), pd.Timestamp(period_end)
    in_period = capacity.loc[(capacity["ds"] >= start.to_period("M").to_timestamp()) & (capacity["ds"] <= end)]
    capacity_by_segment = in_period.groupby("segment")["capacity"].sum()
    ae = reps.loc[reps["role"].astype(object).eq(AE).fillna(False).to_numpy(bool)]
    if "end_date" in ae:
        ae = ae.loc[~(pd.to_datetime(ae["end_date"]) < start).to_numpy(bool)]
    if "hire_date" in ae:
        ae = ae.loc[~(pd.to_datetime(ae["hire_date"]) > start).to_numpy(bool)]
    quota = (ae["quota"].astype(float).groupby(pd.Series(_column_or_unknown(ae, "segment"), index=ae.index)).sum()
             if "quota" in ae else pd.Series(dtype=float))
    out = pd.DataFrame({"segment": sorted(set(capacity_by_segment.index) | set(quota.index))})
    out["quota"] = out["segment"].map(quota).astype(float)
    out["capacity"] = out["segment"].map(capacity_by_segment).fillna(0.0).astype(float)
    out["quota_to_capacity"] = out["quota"] / out["capacity"].where(out["capacity"] > 0)
    return out.astype({"segment": TEXT_DTYPE})


def _column_or_unknown(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``frame[column]`` as an object array, ``UNKNOWN`` where missing (everywhere when there is no such column)."""
    if column not in frame:
        return np.full(len(frame), UNKNOWN, dtype=object)
    return frame[column].astype(object).where(frame[column].notna(), UNKNOWN).to_numpy()


def _require(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} needs the column(s) {', '.join(missing)}; it has {', '.join(map(str, frame.columns))}")
