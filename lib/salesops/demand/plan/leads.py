"""The lead funnel's view of the planned period: open (scored) leads, converted leads whose deal is still open,
and expected new leads, at measured conversion, win rate, deal size and lags (*Lead-to-booking lag* in the
notes of ``salesops.demand.plan``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from salesops.collect.scoring import converted_by
from salesops.deals import closed_in_window, in_window, open_at, text_array, won_mask
from salesops.demand.methods import SCENARIOS
from salesops.demand.plan.common import (
    TOTAL,
    check_frame,
    check_opportunities_frame,
    check_period,
    day_numbers,
    months_between,
    segment_values,
    z_score,
)
from salesops.demand.plan.settings import DemandSettings, resolve_settings


#: ``unique_id`` of the lead forecast's expected new leads.
NEW_LEADS = "new_leads"

#: ``unique_id`` of the lead forecast's leads already converted whose deal is still open.
CONVERTED_OPEN = "converted_open"

LEAD_COLUMNS: tuple[str, ...] = (
    "unique_id", "leads", "mean_probability", "expected_opportunities", "expected_wins", "share_in_period",
    "lead_sourced_bookings", "converted_open_bookings", "downside", "base", "upside", "win_rate",
    "average_deal_size", "median_lag_days", "median_conversion_lag_days", "lead_sourced_share",
)

LEAD_MONTH_COLUMNS: tuple[str, ...] = (
    "unique_id", "ds", "expected_wins", "lead_sourced_bookings", "converted_open_bookings", "downside", "base",
    "upside",
)


def lead_sourced(opportunities: pd.DataFrame) -> np.ndarray:
    if "lead_id" not in opportunities.columns:
        return np.zeros(len(opportunities), dtype=bool)
    return opportunities["lead_id"].notna().to_numpy(dtype=bool)


def measures_conversion(leads: pd.DataFrame | None) -> bool:
    """Whether ``leads`` can say which leads converted: it has a ``converted`` or a ``converted_date`` column."""
    return leads is not None and ("converted" in leads.columns or "converted_date" in leads.columns)


def lead_conversion(leads: pd.DataFrame, as_of: pd.Timestamp, settings: DemandSettings,
                     segment_column: str | None = None) -> tuple[float, int, dict[str, tuple[float, int]]]:
    """Lead-to-opportunity conversion: of the leads created in the history window shifted back by
    ``lead_outcome_days`` (so their outcome is known), the share converted by ``as_of``. Returns (rate, leads,
    {segment: (rate, leads)} when ``segment_column`` is in ``leads``)."""
    check_frame(leads, "leads", ("lead_id", "created_date"))
    if not measures_conversion(leads):
        raise ValueError("leads has neither a converted nor a converted_date column: lead conversion cannot be "
                         "measured. Map the CRM's conversion flag onto leads.converted")
    cutoff = as_of - pd.Timedelta(days=settings.lead_outcome_days)
    known = leads.loc[in_window(leads["created_date"], cutoff, settings.history_months)]
    converted = converted_by(known, as_of, settings.lead_outcome_days)
    rate = float(converted.mean()) if len(known) else math.nan
    by_segment: dict[str, tuple[float, int]] = {}
    segment = segment_values(known, segment_column)
    if segment is not None:
        grouped = pd.Series(converted, index=segment.to_numpy()).groupby(level=0)
        by_segment = {str(name): (float(group.mean()), int(len(group))) for name, group in grouped}
    return rate, len(known), by_segment


class _LeadModel:
    """The measured inputs and per-month pieces of the lead forecast (internal)."""

    def __init__(self, leads, lead_scores, opportunities, as_of, period_start, period_end, settings,
                 expected_new_leads):
        settings = resolve_settings(settings)
        as_of, start, end = check_period(as_of, period_start, period_end)
        check_opportunities_frame(opportunities)
        check_frame(opportunities, "opportunities", ("lead_id",))
        check_frame(leads, "leads", ("lead_id", "created_date"))
        check_frame(lead_scores, "lead_scores", ("lead_id", "probability", "grade"))
        self.settings, self.as_of, self.start, self.end = settings, as_of, start, end
        self.months = months_between(start, end)
        months = self.months
        month_end = (months + pd.offsets.MonthEnd(0)).astype("datetime64[ns]")
        first_day = max(start, as_of + pd.Timedelta(days=1))
        self.lo = np.maximum(day_numbers(months), day_numbers([first_day])[0])  # bookable days of each month, inclusive
        self.hi = np.minimum(day_numbers(month_end), day_numbers([end])[0])

        # measured on the history window
        closed = opportunities.loc[closed_in_window(opportunities, as_of, settings.history_months)]
        from_lead = lead_sourced(closed)
        won = won_mask(closed)
        lead_closed = closed.loc[from_lead]
        if len(lead_closed) == 0:
            raise ValueError(f"no deal from a lead (opportunities.lead_id) closed in the last "
                             f"{settings.history_months} months: the lead forecast has no win rate to use. Widen "
                             "demand.history_months or leave the lead forecast out")
        self.win_rate = float(won[from_lead].mean())
        lead_won = closed.loc[from_lead & won]
        self.average_deal_size = float(lead_won["amount"].mean()) if len(lead_won) else math.nan
        won_value = float(closed.loc[won, "amount"].sum())
        self.lead_sourced_share = float(lead_won["amount"].sum()) / won_value if won_value > 0 else math.nan

        by_id = leads.drop_duplicates("lead_id", keep="last")
        created = pd.Series(by_id["created_date"].to_numpy(), index=by_id["lead_id"].astype(object).to_numpy())
        lead_created = lead_won["lead_id"].astype(object).map(created)
        lag = (lead_won["close_date"] - lead_created).dt.days.dropna().to_numpy(dtype=float)
        self.lags = np.sort(np.clip(lag, 0, None))
        if len(self.lags) == 0:
            raise ValueError("no lead-sourced deal won in the history window has its lead in the leads table: the "
                             "lead-to-booking lag cannot be measured. Check that opportunities.lead_id matches "
                             "leads.lead_id, or widen demand.history_months")
        self.median_lag_days = float(np.median(self.lags))
        # conversion (the day the lead became the deal: its created_date) to booking, same won deals
        conversion_lag = (lead_won["close_date"] - lead_won["created_date"]).dt.days.dropna().to_numpy(dtype=float)
        self.conversion_lags = np.sort(np.clip(conversion_lag, 0, None))
        self.median_conversion_lag_days = float(np.median(self.conversion_lags))
        self.conversion, known_leads, _ = lead_conversion(leads, as_of, settings)
        if known_leads == 0:
            raise ValueError(f"no lead was created in the {settings.history_months} months ending "
                             f"{settings.lead_outcome_days} days before as_of, so the conversion of new leads cannot be "
                             "measured: widen demand.history_months or lower demand.lead_outcome_days")
        if settings.lead_forecast_scope == "all_bookings":
            if not self.lead_sourced_share > 0:
                raise ValueError("no won value in the history window came from leads, so the lead forecast cannot "
                                 "be scaled to all bookings: set demand.lead_forecast_scope to 'lead_sourced'")
            self.scale = 1.0 / self.lead_sourced_share
        else:
            self.scale = 1.0

        # open leads: probability × win rate × share of the remaining lag landing in each month
        scores = lead_scores
        probability = scores["probability"].astype("float64")
        if probability.isna().any() or ((probability < 0) | (probability > 1)).any():
            raise ValueError("lead_scores.probability must be fractions from 0 to 1 with no missing value")
        lead_created_at = scores["lead_id"].astype(object).map(created)
        if lead_created_at.isna().any():
            missing = scores.loc[lead_created_at.isna().to_numpy(), "lead_id"].astype(object).head(3).tolist()
            raise ValueError(f"lead_scores has {int(lead_created_at.isna().sum())} lead(s) not in leads (or without "
                             f"created_date), e.g. {missing}: score the same leads table")
        grade = scores["grade"].astype(object)
        open_ids = np.array([f"grade={g}" for g in grade.where(grade.notna(), "none")], dtype=object)
        open_share = self._remaining_share(self.lags, day_numbers(lead_created_at))

        # leads converted by as_of whose deal is still open (a scored lead is counted once, as an open lead):
        # P(convert) = 1, won at the lead deals' win rate, timed by the lags from conversion to booking
        deals = opportunities.loc[open_at(opportunities, as_of) & lead_sourced(opportunities)]
        deals = deals.loc[~deals["lead_id"].astype(object).isin(set(scores["lead_id"].astype(object))).to_numpy()]
        deal_share = self._remaining_share(self.conversion_lags, day_numbers(deals["created_date"]))

        self.open_ids = np.concatenate([open_ids, np.full(len(deals), CONVERTED_OPEN, dtype=object)])
        self.open_probability = np.concatenate([probability.to_numpy(), np.ones(len(deals))])
        share = np.concatenate([open_share, deal_share]) if len(deals) else open_share
        self.open_wins = self.open_probability[:, None] * self.win_rate * share  # leads (then deals) × months

        # new leads: a daily stream from the day after as_of to period_end
        days = pd.date_range(as_of + pd.Timedelta(days=1), end, freq="D")
        self.volume = self._volume(leads, expected_new_leads, days)
        d = day_numbers(days)
        inside_new = (np.searchsorted(self.lags, self.hi[None, :] - d[:, None], side="right")
                      - np.searchsorted(self.lags, self.lo[None, :] - d[:, None], side="left"))
        inside_new = np.where(self.lo <= self.hi, inside_new / len(self.lags), 0.0)  # days × months
        day_month = days.to_period("M").start_time
        per_day = {scenario: (self.volume[scenario].reindex(day_month).to_numpy(dtype=float)
                              / days.days_in_month.to_numpy(dtype=float)) for scenario in SCENARIOS}
        self.new_leads = {scenario: float(per_day[scenario].sum()) for scenario in SCENARIOS}
        self.new_wins = {scenario: (per_day[scenario] @ inside_new) * self.conversion * self.win_rate
                         for scenario in SCENARIOS}  # months

    def _remaining_share(self, lags: np.ndarray, started: np.ndarray) -> np.ndarray:
        """Share of each item (started on day ``started``, not booked by ``as_of``) booking in each month of the
        period: of the ``lags`` longer than its age at ``as_of``, those with start + lag in the month's bookable
        days. Items × months; 0 when no lag is longer than the age."""
        age = day_numbers([self.as_of])[0] - started
        remaining = len(lags) - np.searchsorted(lags, age, side="right")  # lags longer than the age
        inside = (np.searchsorted(lags, self.hi[None, :] - started[:, None], side="right")
                  - np.searchsorted(lags, self.lo[None, :] - started[:, None], side="left"))
        share = np.where(remaining[:, None] > 0, inside / np.maximum(remaining, 1)[:, None], 0.0)
        return np.where(self.lo <= self.hi, share, 0.0)

    def _volume(self, leads, expected_new_leads, days) -> dict[str, pd.Series]:
        """New leads per calendar month, by scenario, for the months of ``days``."""
        needed = pd.DatetimeIndex(days.to_period("M").unique().start_time)
        if expected_new_leads is None:
            created = in_window(leads["created_date"], self.as_of, self.settings.history_months)
            monthly = float(created.sum()) / self.settings.history_months
            series = pd.Series(monthly, index=needed)
            return {scenario: series for scenario in SCENARIOS}
        check_frame(expected_new_leads, "expected_new_leads", ("ds", "base"))
        frame = expected_new_leads
        if "unique_id" in frame.columns:
            ids = frame["unique_id"].astype(object).unique()
            if len(ids) > 1:
                if TOTAL not in ids:
                    raise ValueError(f"expected_new_leads has several unique_id values {list(ids)[:5]} and no "
                                     f"'{TOTAL}': pass the rows of one series")
                frame = frame.loc[frame["unique_id"].astype(object).eq(TOTAL).to_numpy(dtype=bool)]
        ds = pd.to_datetime(frame["ds"]).astype("datetime64[ns]")
        weekly = not (ds.dt.day == 1).all()
        if ds.duplicated().any() or (not weekly and ds.dt.to_period("M").duplicated().any()):
            raise ValueError("expected_new_leads has more than one row for some period (ds): one row per month "
                             "(or per week)")
        out = {}
        for scenario in SCENARIOS:
            column = scenario if scenario in frame.columns else "base"
            values = pd.Series(frame[column].to_numpy(dtype=float), index=pd.DatetimeIndex(ds))
            if values.isna().any() or (values < 0).any():
                raise ValueError(f"expected_new_leads.{column} must be lead counts of 0 or more with no missing value")
            if weekly:  # a week's leads spread evenly over its 7 days, then summed per calendar month
                days = values.index.repeat(7) + pd.to_timedelta(np.tile(np.arange(7), len(values)), unit="D")
                daily = pd.Series(np.repeat(values.to_numpy() / 7, 7), index=days)
                values = daily.groupby(daily.index.to_period("M").start_time).sum()
            else:
                values.index = values.index.to_period("M").start_time
            out[scenario] = values
        missing = needed.difference(out["base"].index)
        if len(missing):
            raise ValueError("expected_new_leads has no row for month(s) "
                             f"{[m.strftime('%Y-%m') for m in missing]}: it must cover every month from the day "
                             f"after as_of ({self.as_of.date()}) to period_end ({self.end.date()})")
        return {scenario: series.reindex(needed) for scenario, series in out.items()}

    def ids(self) -> list[str]:
        grades = sorted(set(self.open_ids) - {CONVERTED_OPEN})
        return [*grades, CONVERTED_OPEN, NEW_LEADS, TOTAL]

    def pick(self, unique_id: str) -> np.ndarray:
        """Which open leads and converted-open deals (rows of ``open_wins``) a row ``unique_id`` holds."""
        if unique_id == TOTAL:
            return np.ones(len(self.open_ids), dtype=bool)
        return self.open_ids == unique_id


def lead_forecast(
    leads: pd.DataFrame,
    lead_scores: pd.DataFrame,
    opportunities: pd.DataFrame,
    as_of,
    period_start,
    period_end,
    settings: DemandSettings | None = None,
    expected_new_leads: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Bookings the lead funnel will bring in the planned period: open leads, leads already converted whose deal
    is still open, and the leads still to come — every lead-funnel stage that can still book in the period, each
    valued by the lead method's own measured rates (never the pipeline's stage close rates, the deal's amount or
    its expected close date, so the lead and pipeline forecasts stay independent views of the same period).

    Measured on the history window (module docstring): ``win_rate`` = won / closed among deals from a lead
    (``lead_id`` filled; count); ``average_deal_size`` = mean amount of those won (company currency); the lags
    from a lead's creation to its won booking (``median_lag_days``) and from its conversion (the deal's
    created_date) to its won booking (``median_conversion_lag_days``), in days; ``lead_sourced_share`` = their
    won value / all won value; the new-lead conversion (leads created in the window shifted back
    ``lead_outcome_days``, share converted by ``as_of``).

    * **Open leads** (``lead_scores``: ``lead_id, probability, grade`` of the scoring step): historical grades are
      not stored, so conversion by grade cannot be measured; each lead's ``probability`` (the scoring model's
      P(convert), checked for calibration on held-out leads in step 1) is used directly. Expected wins in the
      period = probability × win_rate × share of the lags longer than the lead's age that land in the period.
    * **Converted, deal still open**: deals with a ``lead_id`` open at ``as_of`` (a lead also in ``lead_scores``
      is counted once, as an open lead). P(convert) = 1; expected wins in the period = win_rate × share of the
      conversion-to-booking lags longer than the deal's age that land in the period; valued at
      average_deal_size. A deal older than every measured lag counts 0 (as a stale open lead does).
      Both rates are unconditional: a deal that has stayed open a while has passed some early losses, and
      long-cycle deals tend to be larger, so this part is more likely to be low than high.
    * **New leads**: created each day from the day after ``as_of`` to ``period_end``; per month
      ``expected_new_leads`` (columns ``ds`` (month, or week: spread evenly over its days), ``base`` and
      optionally ``downside``/``upside``; with a
      ``unique_id`` column of several series the ``total`` rows), else the trailing average (leads created in
      the window / history_months) for every scenario. Expected wins = leads × conversion × win_rate × share of
      all lags landing in the period.

    Rows ``grade=<g>`` (open leads of each grade), ``converted_open`` (converted leads whose deal is open),
    ``new_leads``, ``total`` (all three). Columns: ``leads`` (open leads, converted leads with an open deal, or
    expected new leads in the base scenario; count), ``mean_probability`` (P(convert) of those leads; 1 for
    converted ones), ``expected_opportunities`` (leads × P(convert), whenever they convert), ``expected_wins``
    (won in the period, count), ``share_in_period`` = expected_wins / (expected_opportunities × win_rate) (timing
    share), ``lead_sourced_bookings`` = expected_wins × average_deal_size, ``converted_open_bookings`` = the part
    of ``base`` from converted leads whose deal is open (0 on grade and new-lead rows), ``base`` =
    lead_sourced_bookings / lead_sourced_share with ``lead_forecast_scope`` 'all_bookings', else =
    lead_sourced_bookings; ``downside``/``upside`` (module docstring; new leads at their downside/upside volume),
    and the measured ``win_rate, average_deal_size, median_lag_days, median_conversion_lag_days,
    lead_sourced_share`` (the same on every row). Money in the company currency.

    The 'all_bookings' gross-up: all three parts are lead-sourced, so lead_sourced_bookings is the whole lead
    funnel's bookings in the period; dividing by lead_sourced_share adds the deals not from a lead (self-sourced,
    open today or still to come) at their historical share of won value. Converted-open deals are lead-sourced
    and scaled with the rest; the gross-up never re-adds the pipeline's open deals, so nothing is counted twice.
    """
    model = _LeadModel(leads, lead_scores, opportunities, as_of, period_start, period_end, settings,
                       expected_new_leads)
    z = z_score(model.settings.interval)
    size, scale = model.average_deal_size, model.scale
    ids = model.ids()
    rows = []
    open_q = model.open_wins.sum(axis=1)
    for unique_id in ids:
        if unique_id == NEW_LEADS or unique_id == TOTAL:
            new = {s: float(model.new_wins[s].sum()) for s in SCENARIOS}
        else:
            new = {s: 0.0 for s in SCENARIOS}
        pick = model.pick(unique_id)
        q = open_q[pick]
        converted_wins = float(q[model.open_ids[pick] == CONVERTED_OPEN].sum())
        p = model.open_probability[pick]
        new_leads = model.new_leads["base"] if unique_id in (NEW_LEADS, TOTAL) else 0.0
        leads_count = float(pick.sum()) + new_leads
        opportunities_expected = float(p.sum()) + new_leads * model.conversion
        wins = float(q.sum()) + new["base"]
        variance = size**2 * (float((q * (1 - q)).sum()) + new["base"])
        sd = math.sqrt(variance) * scale
        open_value = float(q.sum()) * size * scale
        rows.append({
            "unique_id": unique_id,
            "leads": leads_count,
            "mean_probability": opportunities_expected / leads_count if leads_count > 0 else math.nan,
            "expected_opportunities": opportunities_expected,
            "expected_wins": wins,
            "share_in_period": (wins / (opportunities_expected * model.win_rate)
                                if opportunities_expected * model.win_rate > 0 else math.nan),
            "lead_sourced_bookings": wins * size,
            "converted_open_bookings": converted_wins * size * scale,
            "downside": max(open_value + new["downside"] * size * scale - z * sd, 0.0),
            "base": wins * size * scale,
            "upside": open_value + new["upside"] * size * scale + z * sd,
        })
    out = pd.DataFrame(rows)
    out["unique_id"] = text_array(out["unique_id"])
    out = out.assign(win_rate=model.win_rate, average_deal_size=size, median_lag_days=model.median_lag_days,
                     median_conversion_lag_days=model.median_conversion_lag_days,
                     lead_sourced_share=model.lead_sourced_share)
    out["upside"] = np.maximum(out["upside"], out["base"])
    out["downside"] = np.minimum(out["downside"], out["base"])
    return out[list(LEAD_COLUMNS)]


def lead_forecast_by_month(
    leads: pd.DataFrame,
    lead_scores: pd.DataFrame,
    opportunities: pd.DataFrame,
    as_of,
    period_start,
    period_end,
    settings: DemandSettings | None = None,
    expected_new_leads: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`lead_forecast` split by the month the wins book in: one row per ``unique_id`` (``grade=<g>``,
    ``converted_open``, ``new_leads``, ``total``) × month ``ds`` of the planned period. Columns ``unique_id, ds,
    expected_wins, lead_sourced_bookings, converted_open_bookings, downside, base, upside`` with the same
    definitions, month by month."""
    model = _LeadModel(leads, lead_scores, opportunities, as_of, period_start, period_end, settings,
                       expected_new_leads)
    z = z_score(model.settings.interval)
    size, scale = model.average_deal_size, model.scale
    frames = []
    for unique_id in model.ids():
        with_new = unique_id in (NEW_LEADS, TOTAL)
        pick = model.pick(unique_id)
        q = model.open_wins[pick]
        converted_wins = q[model.open_ids[pick] == CONVERTED_OPEN].sum(axis=0)
        new = {s: (model.new_wins[s] if with_new else np.zeros(len(model.months))) for s in SCENARIOS}
        open_wins = q.sum(axis=0)
        wins = open_wins + new["base"]
        sd = np.sqrt(size**2 * ((q * (1 - q)).sum(axis=0) + new["base"])) * scale
        base = wins * size * scale
        frames.append(pd.DataFrame({
            "unique_id": unique_id,
            "ds": model.months.to_numpy(dtype="datetime64[ns]"),
            "expected_wins": wins,
            "lead_sourced_bookings": wins * size,
            "converted_open_bookings": converted_wins * size * scale,
            "downside": np.minimum(np.clip((open_wins + new["downside"]) * size * scale - z * sd, 0, None), base),
            "base": base,
            "upside": np.maximum((open_wins + new["upside"]) * size * scale + z * sd, base),
        }))
    out = pd.concat(frames, ignore_index=True)
    out["unique_id"] = text_array(out["unique_id"])
    return out[list(LEAD_MONTH_COLUMNS)]
