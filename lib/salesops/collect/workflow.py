"""Step 1 in one call: ``run(step)`` loads and audits the input tables, measures the KPIs, reviews last
quarter's plan, rebuilds the pipeline at past quarter starts from the stage history, finds the ideal customer
profile, scores the leads, compares top and bottom performers and the reps' forecast accuracy, and returns a
``CollectResult`` with everything the page shows; ``write(step, result)`` writes the validated tables, the
step's artifacts and its summary.

A section the data cannot support carries the sentence saying why (``*_reason``: empty when the section has
its table), so the notebook shows either the table or that sentence and decides nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from salesops import deals, fiscal_calendar, sanity
from salesops.collect import (attainment, icp, kpis, performers, pipeline_history, plan_review, quality,
                              rep_forecast_accuracy, valuation)
from salesops.collect import overview as collect_overview
from salesops.contract import analyses, quarantine
from salesops.data.inputs import Inputs, inventory
from salesops.report.present import Metric

if TYPE_CHECKING:
    from salesops.collect.scoring import ScoringResult
    from salesops.plan_params import Params
    from salesops.runner.step import Step

NO_RANKED_SEGMENTS = "No segment has enough leads in the window to be ranked."
#: Industries of the rep–industry table; deals of an unknown industry say nothing about who wins where.
UNKNOWN_INDUSTRY = "Unknown"
STRONGEST_PAIRS = 12
#: Input tables whose rows no later step reads: they reach steps 2-4 only as step 1's aggregates (the activities as
#: ``inputs_team_monthly`` and ``inputs_rep_monthly``). At scale 100 the activities are 34 million rows, which step 1
#: would write and step 2 read back whole for nothing.
ROWS_NOT_PASSED_ON: tuple[str, ...] = ("activities",)


@dataclass
class CollectResult:
    """What step 1's page shows. Money is in the company currency; shares are fractions; ``as_of`` is the last
    day of known data. A frame is None when its section could not run, and the section's ``*_reason`` says
    why."""

    inputs: Inputs  # the validated tables, the rows set aside, where each table came from
    opportunities: pd.DataFrame  # the opportunities with each deal's segment and region, open deals valued
    inventory: pd.DataFrame  # the tables found, their rows and period
    supported: pd.DataFrame  # contract.analyses.availability: what this data supports
    # data quality
    completeness: pd.DataFrame
    checks: pd.DataFrame
    scores: pd.DataFrame  # quality score per table
    fixes: pd.DataFrame  # what to fix first
    set_aside: quarantine.WonSetAside  # won deals among the rows set aside
    rejects_by_cause: pd.DataFrame
    # results
    headline: pd.DataFrame
    quarter: str  # the planned quarter, e.g. 2027Q1
    target: float  # the planned quarter's target
    target_basis: str  # where the target comes from
    coverage: pd.DataFrame
    funnel: pd.DataFrame
    segments: pd.DataFrame
    metrics: list[Metric]
    findings: list[str]
    warnings: list[str]  # sanity invariants violated (``salesops.sanity``): shown first, never hidden
    # last quarter's plan against what happened
    plan_review: plan_review.PlanReview
    review_sentences: list[str]
    review_reason: str  # why there is no review (no previous report beside this one); empty when there is
    # attainment per rep and quarter from the quota history
    quota_attainment: pd.DataFrame | None
    quota_attainment_reason: str
    # bookings
    monthly: pd.DataFrame
    daily: pd.DataFrame  # the last 90 days
    growth: pd.DataFrame
    velocity: pd.DataFrame
    # the pipeline at the start of past quarters against what it became (needs opportunity_history)
    snapshots: pd.DataFrame | None
    snapshots_reason: str
    snapshot_sentences: list[str]
    # activity
    activity_reason: str
    team_activity: pd.DataFrame | None  # activity per month, the team
    rep_activity_monthly: pd.DataFrame | None  # activity per month and rep
    activity_quarter: str  # the last full quarter, of the per-rep activity table
    rep_activity: pd.DataFrame | None  # activity and bookings per rep in ``activity_quarter``
    # ideal customer profile
    icp_segments: pd.DataFrame
    icp_sentences: list[str]
    ranked: pd.DataFrame  # the 15 best segments by expected value per lead
    rep_wins: pd.DataFrame
    # lead scoring
    scoring: ScoringResult | None
    scoring_reason: str
    # top and bottom performers
    performance: pd.DataFrame
    comparison: pd.DataFrame
    coaching: pd.DataFrame
    coaching_sentences: list[str]
    performers_reason: str
    # forecast accuracy
    forecast_accuracy: pd.DataFrame
    forecast_flags: pd.DataFrame
    forecast_trend: pd.DataFrame
    accuracy_sentences: list[str]
    flagged: pd.DataFrame  # reps flagged in their last quarters, with their names when there is a reps table

    def artifacts(self) -> dict[str, pd.DataFrame | None]:
        """The step's artifacts by name (the validated tables aside); None for a section that could not run
        (nothing is written)."""
        scoring = self.scoring
        return {"quality_checks": self.checks, "quality_scores": self.scores,
                "quality_completeness": self.completeness, "kpi_headline": self.headline,
                "bookings_monthly": self.monthly, "growth_quarterly": self.growth, "segments": self.segments,
                "funnel": self.funnel, "pipeline_coverage": self.coverage, "icp_segments": self.icp_segments,
                "rep_segment_wins": self.rep_wins, "rep_performance": self.performance,
                "performer_comparison": self.comparison, "coaching": self.coaching,
                "forecast_accuracy": self.forecast_accuracy, "forecast_flags": self.forecast_flags,
                "forecast_trend": self.forecast_trend, "analyses": self.supported,
                "pipeline_snapshots": self.snapshots,
                "last_quarter_review": review_frame(self.review_sentences),
                "planning_target": target_frame(self.quarter, self.target, self.target_basis),
                "plan_review_forecast": self.plan_review.forecast,
                "plan_review_attainment": self.plan_review.attainment,
                "plan_review_attainment_team": self.plan_review.team,
                "plan_review_hires": self.plan_review.hires,
                "inputs_team_monthly": self.team_activity, "inputs_rep_monthly": self.rep_activity_monthly,
                "lead_scores": scoring.lead_scores if scoring is not None else None,
                "lead_scoring_metrics": scoring.metrics if scoring is not None else None}

    def summary_findings(self) -> list[str]:
        """The findings of the step's summary: last quarter's review, the results, then the first finding of
        the ideal customer profile, the performers, the forecast accuracy and the pipeline history where they ran."""
        return self.review_sentences + self.findings + analyses.first_findings(self.supported, {
            "Ideal customer profile": self.icp_sentences, "Top vs bottom performers": self.coaching_sentences,
            "Forecast accuracy": self.accuracy_sentences, "Pipeline history": self.snapshot_sentences})


def run(step: Step) -> CollectResult:
    """Step 1 from the input files and the params of ``step``."""
    params, currency = step.params, step.currency
    inputs = step.load_inputs()
    tables = inputs.tables
    as_of = params.data_end
    opportunities = valued_opportunities(tables, params)
    valued = valuation.valuation_summary(opportunities, as_of)
    supported = analyses.availability(tables, inputs.derived)

    completeness = quality.completeness(inputs.provided)
    checks = quality.audit_checks(inputs.provided, inputs.rejects, as_of, params.collect.stale_grace_days,
                                  inputs.adjustments, flag_amount_ratio=params.data.flag_amount_ratio)
    scores = quality.table_scores(completeness, checks)
    fixes = quality.fix_list(checks, top=params.collect.top_fixes)
    set_aside = quarantine.won_set_aside(inputs.rejects, tables["opportunities"])

    window = params.collect.window_months
    headline = kpis.headline_kpis(opportunities, as_of, params.fiscal_year_start_month, window)
    target, target_basis = collect_overview.quarter_target(opportunities, params)
    coverage = kpis.pipeline_coverage(opportunities, params.quarter_start, params.quarter_end, target, as_of)
    funnel = kpis.stage_funnel(opportunities, as_of, window)
    segments = collect_overview.segment_summary(opportunities, as_of, window)
    metrics = (collect_overview.headline_metrics(headline, coverage, target, target_basis, scores, params)
               + collect_overview.set_aside_metrics(set_aside, currency))
    findings = (collect_overview.set_aside_findings(set_aside, currency)
                + collect_overview.findings(headline, segments, funnel, coverage, fixes, params, valued,
                                            deals.lost_stage_known_share(opportunities, as_of, window)))

    previous_dir = plan_review.previous_report_dir(step.out_dir, params.quarter, params.fiscal_year_start_month)
    review = plan_review.review_previous_plan(plan_review.read_previous_plan(previous_dir), previous_dir is not None,
                                              opportunities, tables.get("reps"), params.quarter, as_of,
                                              params.fiscal_year_start_month, tables.get("quotas"))
    quota_attainment_reason = analyses.missing_sentence(supported, "Quota attainment history")
    quota_attainment = None if quota_attainment_reason else attainment.quarterly_attainment(
        tables["quotas"], opportunities, tables.get("reps"), as_of, params.fiscal_year_start_month)
    review_reason = ("" if review.found else
                     plan_review.no_previous_report_sentence(params.quarter, params.fiscal_year_start_month))

    snapshots, snapshots_reason = pipeline_history.snapshots_or_reason(
        tables["opportunities"], tables.get("opportunity_history"), as_of, params.fiscal_year_start_month,
        absent=analyses.missing_sentence(supported, "Pipeline history"))

    activity_reason = analyses.missing_sentence(supported, "Activity KPIs")
    activity_quarter = headline["last_quarter"].iloc[0]
    team_activity = rep_activity_monthly = rep_activity = None
    if not activity_reason:
        team_activity = kpis.input_kpis(tables["activities"], opportunities, "M", by=())
        rep_activity_monthly = kpis.input_kpis(tables["activities"], opportunities, "M", by=("rep_id",))
        rep_activity = collect_overview.rep_activity(
            tables["activities"], opportunities, tables.get("reps"),
            fiscal_calendar.quarter_start(activity_quarter, params.fiscal_year_start_month),
            fiscal_calendar.quarter_end(activity_quarter, params.fiscal_year_start_month))

    icp_segments = icp.segment_stats(tables.get("leads"), opportunities, tables.get("accounts"), as_of, params.icp)
    rep_wins = icp.rep_segment_wins(opportunities, tables.get("leads"), tables.get("accounts"), tables.get("reps"),
                                    as_of, params.icp, dimension="industry")
    scoring_result, scoring_reason = collect_overview.score_leads_or_reason(tables.get("leads"), as_of,
                                                                            params.scoring)

    performance = performers.rep_performance(opportunities, tables.get("activities"), tables.get("reps"), as_of,
                                             params.performers, tables.get("quotas"))
    comparison = performers.compare_groups(performance)
    coaching = performers.coaching_table(performance, settings=params.performers, currency=currency)
    performers_reason = analyses.missing_sentence(supported, "Top vs bottom performers")

    forecast_accuracy = rep_forecast_accuracy.forecast_vs_actual(tables.get("forecast_submissions"), opportunities,
                                                                 as_of, params.fiscal_year_start_month,
                                                                 params.accuracy)
    forecast_flags = rep_forecast_accuracy.flag_reps(forecast_accuracy, params.accuracy)
    forecast_trend = rep_forecast_accuracy.team_trend(forecast_accuracy)
    review_sentences = plan_review.review_sentences(review, currency)
    warnings = sanity.unmeasured_sentences(findings + review_sentences)
    return CollectResult(
        warnings=warnings, inputs=inputs, opportunities=opportunities, inventory=inventory(inputs), supported=supported,
        completeness=completeness, checks=checks, scores=scores, fixes=fixes, set_aside=set_aside,
        rejects_by_cause=quarantine.rejects_by_cause(inputs.rejects),
        headline=headline, quarter=params.quarter, target=target, target_basis=target_basis, coverage=coverage,
        funnel=funnel, segments=segments, metrics=metrics, findings=findings,
        plan_review=review, review_sentences=review_sentences, review_reason=review_reason,
        quota_attainment=quota_attainment, quota_attainment_reason=quota_attainment_reason,
        monthly=kpis.bookings_by_period(opportunities, "M", end=as_of),
        daily=kpis.bookings_by_period(opportunities, "D", start=as_of - pd.Timedelta(days=89), end=as_of),
        growth=kpis.growth_by_quarter(opportunities, params.fiscal_year_start_month, as_of),
        velocity=kpis.pipeline_velocity(opportunities, as_of, window),
        snapshots=snapshots, snapshots_reason=snapshots_reason,
        snapshot_sentences=pipeline_history.snapshot_findings(snapshots, currency) if snapshots is not None else [],
        activity_reason=activity_reason, team_activity=team_activity, rep_activity_monthly=rep_activity_monthly,
        activity_quarter=activity_quarter, rep_activity=rep_activity,
        icp_segments=icp_segments, icp_sentences=icp.icp_summary(icp_segments, params.icp, currency, max_segments=5),
        ranked=icp.top_segments(icp_segments, 15), rep_wins=rep_wins,
        scoring=scoring_result, scoring_reason=scoring_reason,
        performance=performance, comparison=comparison,
        # coaching only from a comparison the page shows: step 4's actions and onboarding read it
        coaching=coaching.iloc[0:0] if performers_reason else coaching,
        coaching_sentences=[performers_reason] if performers_reason else performers.coaching_findings(coaching),
        performers_reason=performers_reason,
        forecast_accuracy=forecast_accuracy, forecast_flags=forecast_flags, forecast_trend=forecast_trend,
        accuracy_sentences=rep_forecast_accuracy.accuracy_findings(forecast_accuracy, forecast_flags, forecast_trend,
                                                                   params.accuracy, currency),
        flagged=flagged_reps(forecast_flags, tables.get("reps")))


def valued_opportunities(tables: dict[str, pd.DataFrame], params: Params) -> pd.DataFrame:
    """The opportunities of the validated input ``tables`` as the plan uses them (and step 1 writes them): with their
    segment and region (``deals.attach_segments``) and the open deals without an amount valued by
    ``collect.open_deal_value`` (``valuation``)."""
    return valuation.value_open_deals(
        collect_overview.attach_segments(tables["opportunities"], tables.get("reps"), tables.get("accounts")),
        params.data_end, params.collect.window_months, params.collect.open_deal_value, tables.get("opportunity_lines"),
        tables.get("products"))


def write(step: Step, result: CollectResult) -> None:
    """Write the validated input tables and the rows set aside (the later steps read these, never the input
    files), step 1's artifacts and its summary."""
    # the opportunities as valued (collect.open_deal_value): the later steps plan with the same amounts
    tables = {name: frame for name, frame in result.inputs.tables.items() if name not in ROWS_NOT_PASSED_ON}
    step.write_tables({**tables, "opportunities": result.opportunities}, result.inputs.rejects)
    step.write_all(result.artifacts())
    step.write_summary(result.metrics, result.warnings + result.summary_findings(),
                       analyses.skipped_sentences(result.supported))


# ------------------------------------------------------------------------------------------------------------------
# what the page shows, each section's table or the sentence saying why it has none


def accuracy_trend(result: CollectResult, quarters: int) -> pd.DataFrame | None:
    """The team's forecast accuracy of the last ``quarters`` quarters for the chart; None when there is none to
    draw (no forecast submissions: the sentences above say so)."""
    trend = result.forecast_trend
    return None if trend is None or trend.empty else trend.tail(quarters)


def flagged_table(result: CollectResult) -> pd.DataFrame | None:
    """The reps flagged for their forecasts; None when nobody's forecast could be judged."""
    return None if result.forecast_accuracy is None or result.forecast_accuracy.empty else result.flagged


def review_frame(sentences: list[str]) -> pd.DataFrame:
    """The ``last_quarter_review`` artifact: one ``sentence`` per row (step 4's summary repeats them)."""
    return pd.DataFrame({"sentence": pd.Series(sentences, dtype="string")})


def target_frame(quarter: str, target: float, basis: str) -> pd.DataFrame:
    """The ``planning_target`` artifact: the planned quarter, its target (company currency) and where the target
    comes from."""
    return pd.DataFrame({"quarter": [quarter], "target": [target], "basis": [basis]})


def flagged_reps(forecast_flags: pd.DataFrame, reps: pd.DataFrame | None) -> pd.DataFrame:
    """The reps flagged for forecasts that missed in the same direction, with their names when ``reps`` is
    given (``rep_id, name`` first)."""
    flagged = forecast_flags[forecast_flags["flag"] != ""]
    if reps is None:
        return flagged
    return reps[["rep_id", "name"]].merge(flagged, on="rep_id", how="right")


def source_sentences(result: CollectResult) -> list[str]:
    """Where the input tables were read from, for the appendix: the database (its password hidden) and each table's
    table name or query, or the files named in the table of the data."""
    inputs = result.inputs
    if inputs.database is None:
        return ["The tables were read from the files named in the table below (“read from”)."]
    return [f"The tables were read from the database {inputs.database}, each by the table name or the query shown "
            "in the table below (“read from”); the report's manifest records them with the hash of the rows they "
            "gave."]


def availability_table(result: CollectResult) -> pd.DataFrame:
    """What this data supports, ``available`` spelled yes or no."""
    return result.supported.assign(available=result.supported["available"].map({True: "yes", False: "no"}))


def review_bullets(result: CollectResult) -> list[str] | None:
    """The sentences of last quarter's review; without a previous report, ``review_reason`` followed by the
    attainment measured against the quota history, or None when there is none (``review_reason`` says why)."""
    if result.plan_review.found:
        return result.review_sentences
    return [result.review_reason, *result.review_sentences] if result.review_sentences else None


def attainment_history(result: CollectResult) -> pd.DataFrame | None:
    """Attainment per rep and quarter from the quota history, as shown (None without a quotas table:
    ``quota_attainment_reason`` says so)."""
    table = result.quota_attainment
    return None if table is None else table[["quarter", "name", "rep_id", "quota", "bookings", "attainment"]]


def attainment_history_sentences(result: CollectResult) -> list[str] | None:
    """The sentence above the attainment history (None without one)."""
    table = result.quota_attainment
    return None if table is None or table.empty else [attainment.attainment_sentence(table)]


def review_forecast(result: CollectResult) -> pd.DataFrame | None:
    """Last quarter's forecast per method and scenario against bookings won, ``within_range`` spelled yes or
    no (None when it could not be compared)."""
    forecast = result.plan_review.forecast
    if forecast is None:
        return None
    return forecast.assign(within_range=forecast["within_range"].map({True: "yes", False: "no"}))[
        ["method", "scenario", "forecast", "actual", "error", "error_pct", "within_range"]]


def review_attainment(result: CollectResult) -> pd.DataFrame | None:
    """Last quarter's attainment per rep as shown (None when quotas could not be compared)."""
    attainment = result.plan_review.attainment
    if result.plan_review.team is None or attainment is None:
        return None
    return attainment[["name", "segment", "region", "quota", "bookings", "attainment"]]


def snapshot_totals(result: CollectResult) -> pd.DataFrame | None:
    """The pipeline at each past quarter's start, the stages added up, for the chart and the table (None without
    snapshots: ``snapshots_reason`` says why)."""
    return pipeline_history.snapshot_totals(result.snapshots) if result.snapshots is not None else None


def last_year_activity(result: CollectResult) -> pd.DataFrame | None:
    """The team's activity per month, the last 12 months (None without activity: ``activity_reason``)."""
    return result.team_activity.tail(12) if result.team_activity is not None else None


def ranked_segments(result: CollectResult) -> pd.DataFrame | None:
    """The ranked ICP segments for the chart, or None when no segment could be ranked (``NO_RANKED_SEGMENTS``)."""
    return result.ranked if len(result.ranked) else None


def strongest_rep_industries(result: CollectResult) -> pd.DataFrame:
    """The rep–industry pairs furthest above the team's win rate in that industry, strongest first."""
    known = result.rep_wins[result.rep_wins["industry"] != UNKNOWN_INDUSTRY]
    return known.sort_values("vs_team_pp", ascending=False).head(STRONGEST_PAIRS)[
        ["name", "industry", "closed", "win_rate", "team_win_rate", "vs_team_pp"]]


def scoring_cards(result: CollectResult) -> list[Metric] | None:
    """The lead scoring's headline cards (None when no lead could be scored: ``scoring_reason`` says why)."""
    return collect_overview.scoring_cards(result.scoring) if result.scoring is not None else None


def scoring_sentences(result: CollectResult) -> list[str] | None:
    """What a reader of the lead scoring must know (None when no lead was scored)."""
    return collect_overview.scoring_sentences(result.scoring) if result.scoring is not None else None


def scoring_accuracy(result: CollectResult) -> pd.DataFrame | None:
    """How well each score ranked leads with a known outcome (None when there is nothing to measure)."""
    scoring = result.scoring
    return scoring.metrics if scoring is not None and len(scoring.metrics) else None


def scoring_split(result: CollectResult) -> pd.DataFrame | None:
    """The older training leads against the later test leads (None when no model was trained on windows)."""
    scoring = result.scoring
    return scoring.split_summary if scoring is not None and scoring.windows is not None else None


def scoring_calibration(result: CollectResult) -> pd.DataFrame | None:
    """Predicted against observed conversion of the learned model (None without a model)."""
    scoring = result.scoring
    return scoring.calibration if scoring is not None and scoring.model is not None else None


def grade_table(result: CollectResult) -> pd.DataFrame | None:
    """Open leads per grade (None when no lead was scored)."""
    scoring = result.scoring
    return collect_overview.grade_summary(scoring.scores, scoring.grade_lift) if scoring is not None else None


def leakage_table(result: CollectResult) -> pd.DataFrame | None:
    """The leakage guard's verdict on each model feature (None when no feature was checked)."""
    scoring = result.scoring
    return scoring.leakage if scoring is not None and len(scoring.leakage) else None


def feature_importance(result: CollectResult) -> pd.DataFrame | None:
    """What drives conversion in the learned model, strongest first (None without a model)."""
    scoring = result.scoring
    return scoring.feature_importance if scoring is not None and scoring.model is not None else None


def performer_table(result: CollectResult, currency: str) -> pd.DataFrame | None:
    """Top against bottom quartile, averages per rep (None when the analysis is not supported: the bullets
    above it say why)."""
    return None if result.performers_reason else performers.readable_comparison(result.comparison, currency)
