"""Step 1's page in numbers and words: puts the KPI functions of ``kpis.py`` and the audit of
``quality.py`` together into the views the collect page shows, and writes its findings as sentences.

Nothing here defines a KPI: definitions live in ``kpis.py``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesops import deals, fiscal_calendar
from salesops.collect import kpis, valuation
from salesops.deals import SEGMENT_BANDS, attach_segments  # noqa: F401 (notebooks: collect_overview.attach_segments)
from salesops.formats import money, percent
from salesops.report.present import Metric

if TYPE_CHECKING:  # only for annotations: the params are put together above every step
    from salesops.plan_params import Params

#: How many complete quarters the target falls back on when the same quarter a year earlier is not wholly in the data.
TARGET_FALLBACK_QUARTERS = 4


def quarter_target(opportunities: pd.DataFrame, params: Params) -> tuple[float, str]:
    """The planned quarter's bookings target (company currency) and how it was set, in words.

    ``collect.target`` when given. Else the same quarter a year earlier grown by ``collect.target_growth``
    when that quarter is wholly in the data (it starts on or after the first created deal and ends by the
    data's end, ``params.data_end``). Else the mean of the last complete quarters (up to
    ``TARGET_FALLBACK_QUARTERS``) grown the same way, the basis naming them and why. Raises ValueError when no
    complete quarter booked anything."""
    if params.collect.target:
        return float(params.collect.target), "assumed: set in the params (collect.target)"
    year_ago = fiscal_calendar.shift_quarter(params.quarter, -4)
    growth_words = percent(params.collect.target_growth, 0, signed=True)
    quarters = kpis.growth_by_quarter(opportunities, params.fiscal_year_start_month, params.data_end)
    complete = quarters[quarters["complete"]]
    base = complete.loc[complete["quarter"] == year_ago, "bookings"]
    if not base.empty and base.iloc[0] > 0:
        return (float(base.iloc[0]) * (1 + params.collect.target_growth),
                f"{year_ago} bookings {growth_words} (growth assumed: collect.target_growth)")
    recent = complete.tail(TARGET_FALLBACK_QUARTERS)
    if recent.empty or recent["bookings"].sum() <= 0:
        raise ValueError(f"no complete quarter with bookings to derive the {params.quarter} target from: set "
                         "collect.target in the params")
    first_day = deals.history_start(opportunities)
    year_start = fiscal_calendar.quarter_start(year_ago, params.fiscal_year_start_month)
    year_end = fiscal_calendar.quarter_end(year_ago, params.fiscal_year_start_month)
    why = (f"{year_ago} booked nothing" if year_start >= first_day else
           f"{year_ago} is {'only partly in' if year_end >= first_day else 'before'} the data (deals from "
           f"{first_day:%d %b %Y})")
    span = recent["quarter"].iloc[0] + ("" if len(recent) == 1 else f"–{recent['quarter'].iloc[-1]}")
    target = float(recent["bookings"].mean()) * (1 + params.collect.target_growth)
    return target, (f"mean of {len(recent)} complete quarter{'s' if len(recent) > 1 else ''} ({span}) "
                    f"{growth_words} (growth assumed: collect.target_growth), because {why}")


def segment_summary(opportunities: pd.DataFrame, as_of, window_months: int) -> pd.DataFrame:
    """Per segment (opportunities need ``segment``): win rates, deal size, cycle, and share of the
    bookings won in the window."""
    rates = kpis.win_rates(opportunities, as_of, window_months, by="segment")
    sizes = kpis.deal_size_and_cycle(opportunities, as_of, window_months, by="segment")
    table = rates.merge(sizes, on="segment", how="outer")
    total = table["won_value"].sum()
    table = table.assign(bookings_share=table["won_value"] / total if total else np.nan)
    order = {name: i for i, (_, _, name) in enumerate(SEGMENT_BANDS)}
    return (table.assign(_order=table["segment"].map(order).fillna(len(order)))
            .sort_values(["_order", "segment"]).drop(columns="_order").reset_index(drop=True))


def rep_activity(activities: pd.DataFrame, opportunities: pd.DataFrame, reps: pd.DataFrame | None,
                 start, end) -> pd.DataFrame:
    """Per rep, activity counts, opportunities created and selling hours in ``[start, end]``, with
    bookings won in that period (company currency); sorted by bookings, highest first."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    in_period = activities[(activities["timestamp"] >= start) & (activities["timestamp"] < end + pd.Timedelta(days=1))]
    created = opportunities[opportunities["created_date"].between(start, end)]
    monthly = kpis.input_kpis(in_period, created, freq="M", by=("rep_id",))
    totals = monthly.drop(columns="period").groupby("rep_id", as_index=False).sum(min_count=1)
    won = opportunities[opportunities["is_won"].fillna(False) & opportunities["close_date"].between(start, end)]
    bookings = won.groupby("rep_id", as_index=False)["amount"].sum().rename(columns={"amount": "bookings"})
    table = totals.merge(bookings, on="rep_id", how="outer").fillna({"bookings": 0.0})
    if reps is not None:
        table = reps[["rep_id", "name"] + [c for c in ("role", "segment") if c in reps.columns]].merge(
            table, on="rep_id", how="right")
    return table.sort_values(["bookings", "rep_id"], ascending=[False, True]).reset_index(drop=True)


def headline_metrics(headline: pd.DataFrame, coverage: pd.DataFrame, target: float, target_basis: str,
                     quality_scores: pd.DataFrame, params: Params) -> list[Metric]:
    """The cards at the top of the page and of the quarter's index."""
    row = headline.iloc[0]
    total = coverage.set_index("forecast_category")
    currency, window = params.currency, params.collect.window_months
    overall_quality = _weighted_score(quality_scores)
    return [
        Metric(f"Bookings {row['last_quarter']}", row["bookings_last_quarter"],
               money(row["bookings_last_quarter"], currency, compact=True),
               f"{percent(row['yoy_growth_last_quarter'], signed=True)} year on year"),
        Metric("Bookings, last 12 months", row["bookings_last_12_months"],
               money(row["bookings_last_12_months"], currency, compact=True)),
        Metric("Win rate", row["win_rate_count"], percent(row["win_rate_count"]),
               f"by count, last {window} months; " + (f"{percent(row['win_rate_value'])} by value"
                                                      if pd.notna(row["win_rate_value"]) else
                                                      "by value not measurable: lost deals carry no amount")),
        Metric("Average deal", row["average_deal_size"], money(row["average_deal_size"], currency, compact=True),
               f"won deals, last {window} months"),
        Metric("Sales cycle", row["median_cycle_days"], f"{row['median_cycle_days']:.0f} days",
               "median, created to won"),
        Metric(f"{params.quarter} target", target, money(target, currency, compact=True), target_basis),
        Metric(f"Pipeline coverage {params.quarter}", total.loc["total", "coverage"],
               f"{total.loc['total', 'coverage']:.2f}×",
               f"open pipeline closing in {params.quarter} ÷ target; commit {total.loc['commit', 'coverage']:.2f}×"),
        Metric("Data quality", overall_quality, f"{int(overall_quality + 0.5)} / 100", "row-weighted score of all tables"),
    ]


def _weighted_score(scores: pd.DataFrame) -> float:
    return float(np.average(scores["score"], weights=scores["rows"])) if scores["rows"].sum() else math.nan


def valuation_sentence(valued: dict[str, float], params: Params) -> list[str]:
    """One sentence on the open deals without amount (``valuation.valuation_summary``): how many, what the rule
    valued them at, and the share of the open pipeline that is valued rather than entered; none when every open
    deal carried an amount."""
    if not valued["valued_deals"]:
        return []
    if params.collect.open_deal_value == "none":
        return [f"{valued['valued_deals']:,} of the {valued['open_deals']:,} open deals carry no amount and count as "
                "zero in coverage and the pipeline forecast (collect.open_deal_value: none)."]
    currency = params.currency
    lines, medians = valued.get("line_deals", 0), valued["valued_deals"] - valued.get("line_deals", 0)
    how = ([f"{lines:,} from their line items (quantity × price)"] if lines else []) + (
        [f"{'the other ' + format(medians, ',') if lines else 'each is valued'} at the median won deal of its segment and "
         f"product over the last {params.collect.window_months} months, or of a wider group where fewer than "
         f"{valuation.MIN_WON_DEALS} such deals were won"] if medians else [])
    return [f"{valued['valued_deals']:,} of the {valued['open_deals']:,} open deals carry no amount: "
            f"{'; '.join(how)} (collect.open_deal_value), {money(valued['valued_value'], currency, compact=True)} in "
            "all, so "
            f"{percent(deals.ratio(valued['valued_value'], valued['open_value']), 0)} of the "
            f"{money(valued['open_value'], currency, compact=True)} open pipeline is valued, not entered."]


def findings(headline: pd.DataFrame, segments: pd.DataFrame, funnel: pd.DataFrame, coverage: pd.DataFrame,
             fixes: pd.DataFrame, params: Params, valued: dict[str, float] | None = None,
             lost_stage_known: float = 1.0) -> list[str]:
    """What the numbers say, in a few plain sentences, most important first (``valued``: the open deals valued
    by ``collect.open_deal_value``, from ``valuation.valuation_summary``; ``lost_stage_known``: from
    ``deals.lost_stage_known_share``)."""
    row = headline.iloc[0]
    currency = params.currency
    total = coverage.set_index("forecast_category")
    sentences = []
    growth = row["yoy_growth_last_quarter"]
    if not pd.isna(growth):
        direction = "up" if growth >= 0 else "down"
        sentences.append(
            f"Bookings in {row['last_quarter']} were {money(row['bookings_last_quarter'], currency, compact=True)}, "
            f"{direction} {percent(abs(growth))} on the same quarter a year before.")
    coverage_total = total.loc["total", "coverage"]
    # "committed deals cover 0%" says nothing where no open deal carries the commit category (or none any category)
    committed = ("open_deals" not in total.columns or total.loc["commit", "open_deals"] > 0)
    sentences.append(
        f"Open pipeline expected to close in {params.quarter} covers the target {coverage_total:.2f} times (whether "
        "that is enough depends on the company's own close rates: step 2 measures the coverage the target needs)"
        + (f"; committed deals alone cover {percent(total.loc['commit', 'coverage'], 0)} of it." if committed else
           "; no open deal is in the commit forecast category."))
    sentences += valuation_sentence(valued, params) if valued else []
    known = segments[segments["won"] + segments["lost"] > 0]
    if len(known) > 1:
        best = known.loc[known["win_rate_count"].idxmax()]
        worst = known.loc[known["win_rate_count"].idxmin()]
        sentences.append(
            f"{best['segment']} deals are won most often ({percent(best['win_rate_count'], 0)} by count), "
            f"{worst['segment']} least ({percent(worst['win_rate_count'], 0)}); the average {worst['segment']} deal "
            f"is {money(worst['average_deal_size'], currency, compact=True)} against "
            f"{money(best['average_deal_size'], currency, compact=True)} for {best['segment']}.")
    leaky = funnel.loc[funnel["conversion"].idxmin()] if funnel["conversion"].notna().any() else None
    if leaky is not None and lost_stage_known < deals.MIN_LOST_STAGE_KNOWN:
        sentences.append(
            f"Where the funnel loses deals cannot be told: only {percent(lost_stage_known, 0)} of the deals lost in "
            f"the last {params.collect.window_months} months record the stage they reached (max_stage, or a stage "
            "history), so the rest count as lost at the first stage.")
    elif leaky is not None:
        sentences.append(
            f"The funnel loses most deals at the {leaky['stage']} stage: only {percent(leaky['conversion'], 0)} "
            "of the deals that reach it go on to the next stage.")
    if not fixes.empty:
        top = fixes.iloc[0]
        sentences.append(f"Data to fix first: {top['problem'][0].lower()}{top['problem'][1:]}.")
    return sentences


#: Share of all won bookings set aside by the quarantine above which step 1's findings and the quarter's index
#: say so (``data.max_reject_share`` stops the run at a larger share).
WON_SET_ASIDE_NOTICE = 0.01
#: Label of step 1's card on the won bookings set aside: the index shows that card above its summary.
WON_SET_ASIDE_LABEL = "Won bookings set aside"


def set_aside_metrics(won, currency: str) -> list[Metric]:
    """A card on the won bookings the quarantine set aside (``quarantine.won_set_aside``) when they are more than
    :data:`WON_SET_ASIDE_NOTICE` of all won bookings, else none."""
    if won.share <= WON_SET_ASIDE_NOTICE:
        return []
    return [Metric(WON_SET_ASIDE_LABEL, won.share, f"{percent(won.share)} of all won bookings",
                   f"{won.deals:,} won deal{'s' if won.deals != 1 else ''} worth {money(won.value, currency, compact=True)}"
                   " set aside with rows that break the data contract: every figure built on bookings is that much "
                   "short until the root causes listed in step 1 are fixed")]


def set_aside_findings(won, currency: str) -> list[str]:
    """The sentence on the won bookings the quarantine set aside, when more than :data:`WON_SET_ASIDE_NOTICE`
    of all won bookings (else none)."""
    if won.share <= WON_SET_ASIDE_NOTICE:
        return []
    return [f"{percent(won.share)} of all won bookings ({won.deals:,} won deal{'s' if won.deals != 1 else ''} worth "
            f"{money(won.value, currency, compact=True)}) were set aside with rows that break the data contract, so "
            "bookings, win rates and the forecast are that much too low: fix the root causes listed under data "
            "quality and run again."]


def score_leads_or_reason(leads: pd.DataFrame | None, as_of, settings) -> tuple[object | None, str]:
    """``scoring.score_leads`` when either score can run, else None and the reason in one sentence (no
    leads table; neither the rule score nor the learned model can run, and why), so the page explains
    instead of failing. When only one score runs, the result says why the other did not
    (:func:`scoring_sentences`)."""
    if leads is None:
        return None, "There is no leads table, so no lead can be scored: add leads (see docs/data.md)."
    from salesops.collect import scoring

    try:
        return scoring.score_leads(leads, as_of, settings), ""
    except ValueError as error:
        return None, f"The leads could not be scored: {error}"


def _auc_card(label: str, metrics: pd.DataFrame, score: str, note: str, reason: str) -> Metric:
    """A card with the ROC AUC of ``score`` ("model" or "rule"), or saying it did not run (or has no outcome)."""
    row = metrics.set_index("score")["roc_auc"] if len(metrics) else pd.Series(dtype="float64")
    if score in row.index and not pd.isna(row[score]):
        return Metric(label, float(row[score]), f"{row[score]:.2f}", note)
    return Metric(label, None, "not run" if reason else "n/a", reason or "no lead with a known outcome to measure on")


def scoring_cards(result, currency: str = "USD") -> list[Metric]:
    """Headline numbers of the lead scoring: accuracy of each score on leads whose outcome is known (or that it
    did not run), how much better grade A converts, and open leads by grade."""
    on = (f"on {result.test_leads:,} later leads; 0.5 is a coin toss, 1 perfect" if result.model is not None
          else f"on {int(result.metrics['leads'].max()) if len(result.metrics) else 0:,} leads with a known outcome")
    lift = result.grade_lift.set_index("grade")["lift"]
    by = "model probability" if result.scored_by == "model" else "rule score"
    grades = result.scores["grade"].value_counts()
    shares = result.grade_lift.set_index("grade")["definition"]
    return [
        _auc_card("Model accuracy (AUC)", result.metrics, "model", on, "the learned model did not run"
                  if result.model_reason else ""),
        _auc_card("Rule score accuracy (AUC)", result.metrics, "rule", "points for fit, engagement and recency, "
                  "same leads", "the rule score did not run" if result.rule_reason else ""),
        Metric("Grade A converts", float(lift.get("A", math.nan)),
               f"{lift['A']:.1f}× the average" if not pd.isna(lift.get("A", math.nan)) else "n/a",
               f"grade A = the {shares.get('A', 'top')} of leads by {by}, measured on leads with a known outcome"),
        Metric("Open leads graded A", float(grades.get("A", 0)), f"{int(grades.get('A', 0)):,}",
               f"B {int(grades.get('B', 0)):,} · C {int(grades.get('C', 0)):,} · D {int(grades.get('D', 0)):,}"),
    ]


def scoring_sentences(result) -> list[str]:
    """What a reader of the lead scoring must know, in sentences: which score grades the open leads and what a
    grade means, why a score did not run, which features the leakage guard left out (or kept) and why, and the
    result's notes (columns left out, a widened training window, stale leads)."""
    sentences = []
    shares = result.grade_lift.set_index("grade")
    by = "the learned model's probability" if result.scored_by == "model" else "the rule score"
    sentences.append(
        f"Open leads are graded by rank of {by}: A = the {shares.loc['A', 'definition']} of open leads, B the "
        f"{shares.loc['B', 'definition']}, C the {shares.loc['C', 'definition']}, D the "
        f"{shares.loc['D', 'definition']}.")
    lift = shares["lift"]
    if lift.notna().all():
        on = "test leads" if result.model is not None else "leads with a known outcome"
        sentences.append(f"Graded the same way, the {on} converted at {lift['A']:.1f}× the average rate in grade A, "
                         f"{lift['B']:.1f}× in B, {lift['C']:.1f}× in C and {lift['D']:.1f}× in D.")
    if result.model_reason:
        sentences.append(f"The learned model did not run: {result.model_reason}")
    if result.rule_reason:
        sentences.append(f"The rule score did not run: {result.rule_reason}")
    for row in result.leakage.itertuples(index=False):
        if row.verdict == "left out":
            sentences.append(f"The leakage guard left out {row.feature}: {row.reason}. It is probably recorded after "
                             "the outcome; list it under scoring.leakage.keep to use it anyway.")
        elif row.reason:
            sentences.append(f"{row.feature} is kept as scoring.leakage.keep asks, although {row.reason}.")
    if result.scored_by != "model" and len(result.scores) and result.scores["probability"].isna().any():
        sentences.append("Without a known outcome the open leads have no conversion probability, so step 2 "
                         "forecasts no conversions from them.")
    return sentences + list(result.notes)


def grade_summary(scores: pd.DataFrame, grade_lift: pd.DataFrame | None = None) -> pd.DataFrame:
    """Open leads per grade with their average probability of converting (a fraction); with ``grade_lift``
    (``ScoringResult.grade_lift``) also what the grade means and how much better than average it converted on
    leads with a known outcome (lift, 1.0 = average)."""
    table = (scores.groupby("grade", observed=True)
             .agg(open_leads=("lead_id", "size"), average_probability=("probability", "mean"))
             .reindex(["A", "B", "C", "D"]).fillna({"open_leads": 0}).reset_index())
    table = table.astype({"open_leads": "int64"})
    if grade_lift is not None:
        lift = grade_lift.set_index("grade")
        table.insert(1, "definition", table["grade"].map(lift["definition"]).astype("string"))
        table["lift_on_known_leads"] = table["grade"].map(lift["lift"]).astype("float64")
    return table
