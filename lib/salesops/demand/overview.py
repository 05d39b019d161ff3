"""Step 2's page in numbers and words: puts the statistical forecast (``forecast.py``) and the
leading-indicator forecasts and drivers (``plan.py``) together into what the demand page shows and
what step 3 reads.

Nothing here defines a forecast: definitions live in those two modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from salesops import deals
from salesops.demand.forecast import TOTAL_ID, ForecastResult, range_held
from salesops.demand.forecast.settings import PERIODS_PER_QUARTER
from salesops.demand.methods import SCENARIOS
from salesops.demand.plan.pipeline_gap import opportunities
from salesops.formats import money, number, percent
from salesops.report.present import Metric

if TYPE_CHECKING:  # only for annotations: the params are put together above every step
    from salesops.plan_params import Params


def whole_history_start(first_day, first_event, freq: str = "M") -> pd.Timestamp | None:
    """First day of the first whole period (month, week from Monday or quarter: ``deals.complete_periods``) of a history
    whose data starts on ``first_day``, when its first counted event (``first_event``: the first won deal's close,
    the first lead) falls before it; else None (the series may start at its first event, in a whole period).
    A history that starts late in a month would show that month as a drop to the forecasting models."""
    if pd.isna(first_day) or pd.isna(first_event):
        return None
    first_day = pd.Timestamp(first_day).normalize()
    period = first_day.to_period({"M": "M", "W": "W-SUN", "Q": "Q-DEC"}[freq])
    whole = period if deals.complete_periods(pd.PeriodIndex([period]), first_day)[0] else period + 1
    return whole.start_time if pd.Timestamp(first_event) < whole.start_time else None


def history_end(as_of, freq: str = "M") -> pd.Timestamp:
    """Last day of the last complete period on or before ``as_of``: with ``freq`` ``"M"`` the last complete
    month, with ``"W"`` the last complete week (Monday to Sunday, so a Sunday). A partial period would look
    like a drop in bookings to the forecasting models. With ``"Q"``: the last complete calendar quarter."""
    as_of = pd.Timestamp(as_of).normalize()
    if freq == "W":
        return as_of - pd.Timedelta(days=(as_of.dayofweek + 1) % 7)
    if freq not in ("M", "Q"):
        raise ValueError(f"freq must be 'M' (months), 'W' (weeks starting Monday) or 'Q' (calendar quarters); "
                         f"got {freq!r}")
    offset = pd.offsets.MonthEnd if freq == "M" else pd.offsets.QuarterEnd
    period_end = as_of + offset(0)
    return as_of if as_of == period_end else as_of - offset(1)


def in_quarter(frame: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Rows of a monthly frame (``ds``) that fall in the planned quarter."""
    return frame[(frame["ds"] >= params.quarter_start) & (frame["ds"] <= params.quarter_end)]


def blended_by_segment(scenarios: pd.DataFrame, comparison: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The demand per segment and month that step 3 plans for, one coherent scenario set: each scenario's
    company total (the statistical total of the month scaled, scenario by scenario, by blended ÷ statistical of the
    planned quarter) split over the segments by each segment's share of the month's base forecast (its ``segment``
    series summed over regions). So the segments of every scenario add up to that scenario's total — summing each
    segment's own downside or upside would not: the bad months of many series rarely come together. Columns
    ``segment, ds, downside, base, upside`` (company currency)."""
    ids = scenarios["unique_id"].astype(str)
    segment = ids.str.extract(r"(?:^|/)segment=([^/]+)$", expand=False)
    by_segment = (scenarios.assign(segment=segment).dropna(subset=["segment"])
                  .groupby(["segment", "ds"], as_index=False)[list(SCENARIOS)].sum())
    total = scenarios[ids == TOTAL_ID].set_index("ds")[list(SCENARIOS)]
    if by_segment.empty:  # no segment level: the total is the one segment
        by_segment = total.reset_index().assign(segment="All")[["segment", "ds", *SCENARIOS]]
    totals = comparison.pivot_table(index="scenario", columns="method", values="bookings", aggfunc="sum")
    factors = {s: (totals.loc[s, "blended"] / totals.loc[s, "statistical"]
                   if "statistical" in totals and totals.loc[s, "statistical"] else 1.0) for s in SCENARIOS}
    month_base = by_segment.groupby("ds")["base"].transform("sum")
    segments_in_month = by_segment.groupby("ds")["base"].transform("size")
    share = (by_segment["base"] / month_base).where(month_base > 0, 1 / segments_in_month)
    month_total = {s: by_segment["ds"].map(total[s]).astype(float) * factors[s] for s in SCENARIOS}
    return by_segment.assign(**{s: share * month_total[s] for s in SCENARIOS}).reset_index(drop=True)


def demand_metrics(comparison: pd.DataFrame, target: float, lead_volume: pd.DataFrame | None,
                   params: Params) -> list[Metric]:
    """The cards at the top of the demand page and of the quarter's index."""
    blended = comparison[comparison["method"] == "blended"].set_index("scenario")["bookings"]
    currency, quarter = params.currency, params.quarter
    metrics = [
        Metric(f"Demand {quarter}, base", blended["base"], money(blended["base"], currency, compact=True),
               f"{percent(blended['base'] / target - 1, signed=True)} vs target {money(target, currency, compact=True)}"),
        Metric("Downside", blended["downside"], money(blended["downside"], currency, compact=True),
               "1-in-10 chance of landing below"),
        Metric("Upside", blended["upside"], money(blended["upside"], currency, compact=True),
               "1-in-10 chance of landing above"),
    ]
    if lead_volume is not None and len(lead_volume):
        leads = in_quarter(lead_volume, params)
        metrics.append(Metric(f"New leads {quarter}", float(leads["base"].sum()), f"{leads['base'].sum():,.0f}",
                              f"{leads['downside'].sum():,.0f} – {leads['upside'].sum():,.0f}"))
    return metrics


def demand_findings(comparison: pd.DataFrame, target: float, backtest: pd.DataFrame, params: Params) -> list[str]:
    """What the forecasts say, in a few sentences, most important first."""
    blended = comparison[comparison["method"] == "blended"].set_index("scenario")["bookings"]
    currency = params.currency
    gap = blended["base"] / target - 1
    verdict = ("above" if gap >= 0 else "below")
    sentences = [
        f"Expected bookings for {params.quarter} are {money(blended['base'], currency, compact=True)} "
        f"({money(blended['downside'], currency, compact=True)} in the downside, "
        f"{money(blended['upside'], currency, compact=True)} in the upside): {percent(abs(gap))} {verdict} the "
        f"target of {money(target, currency, compact=True)}.",
    ]
    if blended["upside"] < target:
        sentences.append("Even the upside falls short of the target: the target or the plan to reach it needs "
                         "another look.")
    elif blended["downside"] >= target:
        sentences.append("Even the downside reaches the target: the target may be set too low.")
    total = backtest[backtest["unique_id"].astype(str) == TOTAL_ID]
    if len(total) and pd.notna(total.iloc[0]["mase"]) and pd.notna(total.iloc[0]["smape"]):
        row = total.iloc[0]
        sentences.append(
            f"Tested on past quarters, the company-level forecast ({row['model']}) erred by {row['mase']:.2f}× "
            f"as much as repeating last year's same month would have (below 1: better than that), "
            f"{percent(row['smape'], 0)} of bookings on average.")
    elif len(total):
        sentences.append(f"The company-level forecast uses {total.iloc[0]['model']}; the history is too short to "
                         "backtest it, so its accuracy is not measured.")
    return sentences


def assumptions(drivers: pd.DataFrame, comparison: pd.DataFrame, params: Params,
                bookings_forecast: ForecastResult | None = None) -> pd.DataFrame:
    """Every figure step 2's demand rests on, its value and whether it was measured from the data (over
    ``demand.history_months``) or assumed from a param: per segment the average deal, win rate and lead
    conversion the drivers used, then customers per deal, tickets, delivery hours, the forecast's interval,
    how the statistical forecast's range held up in its backtest (``bookings_forecast``: step 2's
    ``forecast_step`` result, when given) and how the methods were weighed. Columns figure, value, basis (text)."""
    settings, currency, months = params.demand, params.currency, params.demand.history_months
    rows = []
    first = drivers.drop_duplicates("segment") if len(drivers) else drivers
    for row in first.itertuples():
        rows.append((f"Average won deal, {row.segment}", money(row.average_deal_size, currency),
                     f"measured: won deals of the last {months} months"))
        rows.append((f"Win rate by count, {row.segment}", percent(row.win_rate),
                     f"measured: deals closed in the last {months} months"))
        conversion = getattr(row, "lead_conversion", float("nan"))
        rows.append((f"Lead to opportunity, {row.segment}", percent(conversion),
                     f"measured: leads of the last {months} months" if pd.notna(conversion) else
                     "not measurable: no leads saying which converted"))
    hours = ", ".join(f"{product} {number(value)} h" for product, value in settings.delivery_hours_per_deal.items())
    # the defaults name the sample company's products: for another company's they set nothing
    unknown_hours = float(drivers["hours_unknown_share"].min()) if "hours_unknown_share" in drivers and len(
        drivers) else 1.0
    weights = comparison.loc[comparison["method"] != "blended"].drop_duplicates("method")
    basis = comparison["weight_basis"].dropna().astype(str) if "weight_basis" in comparison else pd.Series(dtype=str)
    rows += [("New customers per won deal", number(settings.customers_per_deal, 2),
              "assumed (demand.customers_per_deal)"),
             ("Support tickets per new customer a month", number(settings.support_tickets_per_customer_month, 2),
              "assumed (demand.support_tickets_per_customer_month)"),
             ("Delivery hours per deal", hours if unknown_hours < 1 else "none set for this company's products",
              "assumed (demand.delivery_hours_per_deal)"),
             ("Range of each scenario", f"{percent(settings.interval, 0)} of outcomes between downside and upside",
              "assumed (demand.interval)"),
             *range_check(bookings_forecast, params),
             ("Weight of each method in the blend",
              ", ".join(f"{m} {percent(w, 0)}" for m, w in zip(weights["method"], weights["weight"])),
              basis.iloc[0] if len(basis) else "")]
    return pd.DataFrame(rows, columns=["figure", "value", "basis"]).astype("string")


def range_check(result: ForecastResult | None, params: Params) -> list[tuple[str, str, str]]:
    """The row saying how the company total's statistical forecast range (at the scenarios' level) held up over a
    quarter ahead in the backtest: the share of past outcomes its model's own band held and the factor it was
    rescaled by (``salesops.demand.forecast.intervals``); none when the total's bands were not backtested."""
    settings = params.forecast
    level = 80 if 80 in settings.levels_pct else settings.levels_pct[0]
    if result is None or result.intervals is None or result.intervals.empty:
        return []
    chosen = result.selection.loc[result.selection["unique_id"].astype(str) == TOTAL_ID, "model"]
    if chosen.empty:
        return []
    covered, factor, points = range_held(result.intervals, str(chosen.iloc[0]), level,
                                         PERIODS_PER_QUARTER[settings.freq])
    if not points:
        return []
    held = (f"the models' own {level}% range held {percent(covered, 0)} of {number(points)} past outcomes "
            "a quarter ahead")
    if pd.isna(factor):
        value = f"{held}; too few to rescale it"
    elif abs(factor - 1) < 0.005:
        value = f"{held}; kept as it is"
    else:
        value = f"{held}; {'widened' if factor > 1 else 'narrowed'} {factor:.2f}× to hold {level}%"
    return [(f"Statistical forecast's {level}% range, checked on past quarters", value,
             "measured: backtest of every forecast series, pooled")]


def close_rate_basis(opportunities: pd.DataFrame, params: Params) -> list[str]:
    """One sentence when the pipeline forecast values open deals at the win rate instead of their stage's close
    rate (``demand.plan.stage_close_rates``: most lost deals record no stage reached); none otherwise."""
    months = params.demand.history_months
    known = deals.lost_stage_known_share(opportunities, params.data_end, months)
    if not known < deals.MIN_LOST_STAGE_KNOWN:
        return []
    closed = deals.closed_in_window(opportunities, params.data_end, months)
    rate = deals.ratio(int((deals.won_mask(opportunities) & closed).sum()), int(closed.sum()))
    return [f"Only {percent(known, 0)} of the deals lost in the last {months} months record the stage they reached, "
            f"so the pipeline forecast values every open deal at the win rate by count ({percent(rate, 0)}), not at "
            "its stage's close rate: a stage history, or the stage each lost deal reached, would sharpen it."]


def backtest_errors(backtest: pd.DataFrame) -> dict[str, float] | None:
    """The statistical forecast's backtest error of the company total (sMAPE, a fraction) for the blend
    weights, or None when the total could not be backtested (too little history)."""
    total = backtest.loc[backtest["unique_id"].astype(str) == TOTAL_ID, "smape"]
    return {"statistical": float(total.iloc[0])} if len(total) and pd.notna(total.iloc[0]) else None


NO_CREATION_YIELD = ("The history shows no deal created and won within one quarter, so the opportunities to create "
                     "cannot be measured: build pipeline for the next quarter instead.")


def pipeline_sentences(need: pd.DataFrame, to_create: pd.DataFrame, params: Params) -> list[str]:
    """What the pipeline says about reaching the target (``pipeline_gap.pipeline_need``) and, when it falls short,
    the opportunities and leads to create per month (``pipeline_gap.pipeline_to_create``), in one or two
    sentences with every figure's basis."""
    row = need.iloc[0]
    currency, quarter, months = params.currency, params.quarter, params.demand.history_months
    covers = (f"The open pipeline expected to close in {quarter} covers the target {row['coverage']:.2f}×")
    if pd.isna(row["coverage_needed"]):
        return [covers + ": no open deal is due in the quarter, so the coverage it needs cannot be measured."]
    covers += (f"; at the stage close rates and slippage measured over the last {months} months it needs "
               f"{row['coverage_needed']:.2f}× (measured, not a rule of thumb)")
    if not row["bookings_to_add"] > 0:
        return [covers + ": the pipeline is enough."]
    covers += f", {money(row['pipeline_short'], currency, compact=True)} of open pipeline short."
    if to_create.empty:
        return [covers, NO_CREATION_YIELD]
    first, last = to_create["ds"].min(), to_create["ds"].max()
    per_month = int(to_create["opportunities"].iloc[0])
    leads = to_create["leads"].iloc[0]
    lead_text = f"; about {number(leads)} new leads a month" if pd.notna(leads) else ""
    share = to_create["expected_bookings"].iloc[0] / row["bookings_to_add"]
    first_month = (f"those of {first:%B} alone bring it" if share >= 1 else
                   f"those of {first:%B} bring {percent(share, 0)} of it")
    return [covers,
            f"To add the {money(row['bookings_to_add'], currency, compact=True)} ({row['basis']}), create about "
            f"{opportunities(per_month)} a month from {first:%B} to "
            f"{last:%B %Y} ({number(to_create['usual_opportunities'].iloc[0])} in a usual month{lead_text}): at the "
            f"measured win rate, deal size and cycle, {first_month} within the quarter."]
