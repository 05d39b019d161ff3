"""Step 2 in one call: ``run(step)`` reads what step 1 wrote, forecasts bookings (statistically, from the
pipeline and from the leads), blends them into one demand figure per scenario and turns it into the work it
takes, and returns a ``DemandResult`` with everything the page shows; ``write(step, result)`` writes the step's
artifacts and its summary.

A section the data cannot support carries the sentence saying why (``*_reason``: empty when the section has
its table), so the notebook shows either the table or that sentence and decides nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from salesops import deals, sanity
from salesops.collect import overview as collect_overview
from salesops.collect import plan_review
from salesops.contract import analyses
from salesops.data import artifacts
from salesops.demand import forecast, method_backtest
from salesops.demand import overview as demand_overview
from salesops.demand import plan as demand_plan
from salesops.demand.plan import pipeline_backtest, pipeline_gap
from salesops.demand.plan.leads import lead_conversion, measures_conversion
from salesops.report.present import Metric

if TYPE_CHECKING:
    from salesops.plan_params import Params
    from salesops.runner.step import Step

NO_LEADS = "There is no leads table, so lead volume cannot be forecast."
LEAD_FORECAST_NEEDS_SCORES = "The lead-based forecast needs the leads table and their scores from step 1."
LEAD_FORECAST_NEEDS_LEAD_IDS = ("The lead-based forecast needs to know which lead each deal came from "
                                "(opportunities.lead_id), to measure how often deals from leads are won.")
HARDWARE_NEEDS_TABLES = "Hardware unit demand needs the orders and products tables."
HARDWARE_NO_KIND = analyses.no_product_kind("hardware units cannot be told from the other products ordered")
NO_STAGE_HISTORY = ("The methods are backtested with a stage history (the opportunity_history table: Salesforce's "
                    "OpportunityHistory, HubSpot's deal stage history), or with the reports of earlier quarters beside "
                    "this one, whose forecasts are then set against what those quarters booked: neither is here yet, "
                    "so the blend weighs the methods equally. This report keeps this quarter's forecasts for the next.")
#: The input tables the hardware unit demand is measured from.
HARDWARE_TABLES = frozenset({"orders", "products"})


@dataclass
class DemandResult:
    """What step 2's page shows. Money is in the company currency; shares are fractions; months are month
    starts. A frame is None when its section could not run, and the section's ``*_reason`` says why."""

    target: float  # step 1's target for the planned quarter
    history_start: pd.Timestamp  # the first day of the bookings history the forecast learns from (a whole period)
    history_end: pd.Timestamp  # the last day of the last whole period of history
    bookings_series: pd.DataFrame  # bookings per period and series (company, regions, segments)
    bookings: forecast.ForecastResult  # the statistical forecast of bookings
    lead_volume_reason: str
    lead_series: pd.DataFrame | None  # new leads per period
    lead_forecast_reconciled: pd.DataFrame | None  # their forecast
    lead_volume: pd.DataFrame | None  # their scenarios
    pipeline_forecast: pd.DataFrame
    lead_forecast_reason: str
    lead_forecast: pd.DataFrame | None  # the lead-based forecast of bookings
    method_backtest: pd.DataFrame | None  # the pipeline and statistical methods on past quarters (stage history)
    method_backtest_reason: str
    comparison: pd.DataFrame  # the forecasts per method and scenario, and their blend
    metrics: list[Metric]
    findings: list[str]
    warnings: list[str]  # sanity invariants violated (``salesops.sanity``): shown first, never hidden
    differences: list[str]  # why the methods differ
    segment_demand: pd.DataFrame  # blended demand per segment and month
    drivers: pd.DataFrame  # what the demand takes, per segment and month
    hardware_reason: str
    hardware: pd.DataFrame | None  # hardware units per product, region and month
    pipeline_need: pd.DataFrame  # one row: coverage against the coverage needed, bookings new pipeline must add
    pipeline_to_create: pd.DataFrame  # new opportunities (and leads) to create per month of the quarter

    def artifacts(self) -> dict[str, pd.DataFrame | None]:
        """The step's artifacts by name; None for a section that could not run (nothing is written)."""
        return {"bookings_series": self.bookings_series, "bookings_forecast": self.bookings.reconciled,
                "demand_scenarios": self.bookings.scenarios, "forecast_backtest": self.bookings.backtest,
                "pipeline_forecast": self.pipeline_forecast, "demand_comparison": self.comparison,
                "segment_demand": self.segment_demand, "demand_drivers": self.drivers,
                "lead_volume_forecast": self.lead_volume, "lead_forecast": self.lead_forecast,
                "method_backtest": self.method_backtest,
                "hardware_units": self.hardware, "pipeline_need": self.pipeline_need,
                "pipeline_to_create": self.pipeline_to_create}


def run(step: Step) -> DemandResult:
    """Step 2 from step 1's artifacts and the params of ``step``."""
    params, currency = step.params, step.currency
    as_of = params.data_end
    tables = step.read_tables()
    opportunities = collect_overview.attach_segments(tables["opportunities"], tables.get("reps"),
                                                     tables.get("accounts"))
    target = float(step.read("planning_target")["target"].iloc[0])
    history_end, bookings_series, lead_series = statistical_series(opportunities, tables.get("leads"), params)
    bookings = forecast.forecast_step(bookings_series, params.forecast)

    leads = tables.get("leads")
    lead_reconciled = lead_volume = None
    if leads is not None:
        lead_fc = forecast.forecast_step(lead_series, params.forecast, reconcile_levels=False)
        lead_reconciled, lead_volume = lead_fc.reconciled, lead_fc.scenarios

    pipeline_fc = demand_plan.pipeline_forecast(opportunities, as_of, params.quarter_start, params.quarter_end,
                                                params.demand, target=target)
    lead_scores = step.read_optional("lead_scores")
    lead_fc_table = None
    lead_fc_reason = lead_forecast_missing(leads, lead_scores, opportunities)
    if not lead_fc_reason:
        new_leads = None if lead_volume is None else lead_volume[lead_volume["unique_id"] == forecast.TOTAL_ID]
        lead_fc_table, lead_fc_reason = lead_forecast_or_reason(leads, lead_scores, opportunities, params, new_leads)

    backtested = backtest_methods(opportunities, tables.get("opportunity_history"), bookings_series,
                                  bookings.backtest, params, earlier_forecasts(step))
    comparison = demand_plan.compare_forecasts(
        bookings.scenarios, pipeline_fc, lead_fc_table, params.demand,
        (method_backtest.method_errors(backtested) if backtested is not None else None)
        or demand_overview.backtest_errors(bookings.backtest),
        period_start=params.quarter_start, period_end=params.quarter_end, currency=currency)
    need, to_create = pipeline_plan(opportunities, leads, pipeline_fc, comparison, target, params)
    segment_demand = demand_overview.blended_by_segment(bookings.scenarios, comparison, params)
    drivers = demand_plan.demand_drivers(segment_demand, opportunities, leads, tables.get("products"), as_of,
                                         params.demand, value_column="base")
    hardware_why = hardware_reason(tables)
    has_hardware = not hardware_why
    hardware = (demand_plan.hardware_units(tables["orders"], tables["products"], as_of, params.quarter_start,
                                           params.quarter_end, params.demand) if has_hardware else None)
    findings = (demand_overview.demand_findings(comparison, target, bookings.backtest, params)
                + demand_overview.close_rate_basis(opportunities, params)
                + demand_overview.pipeline_sentences(need, to_create, params))
    differences = demand_plan.explain_differences(comparison, currency)
    blended = comparison[(comparison["method"] == "blended") & (comparison["scenario"] == "base")]["bookings"]
    warnings = sanity.unmeasured_sentences(findings + differences) + sanity.in_proportion(
        f"The {params.quarter} forecast", float(blended.iloc[0]) if len(blended) else float("nan"),
        sanity.recent_bookings(step.read("growth_quarterly")),
        "the mean bookings of the last complete quarters", currency)
    return DemandResult(
        warnings=warnings, target=target, history_start=bookings_series["ds"].min(), history_end=history_end,
        bookings_series=bookings_series, bookings=bookings,
        lead_volume_reason="" if lead_series is not None else NO_LEADS, lead_series=lead_series,
        lead_forecast_reconciled=lead_reconciled, lead_volume=lead_volume, pipeline_forecast=pipeline_fc,
        lead_forecast_reason=lead_fc_reason, lead_forecast=lead_fc_table, method_backtest=backtested,
        method_backtest_reason="" if backtested is not None else NO_STAGE_HISTORY, comparison=comparison,
        metrics=demand_overview.demand_metrics(comparison, target, lead_volume, params),
        findings=findings, differences=differences,
        segment_demand=segment_demand, drivers=drivers,
        hardware_reason=hardware_why, hardware=hardware, pipeline_need=need, pipeline_to_create=to_create)


def statistical_series(opportunities: pd.DataFrame, leads: pd.DataFrame | None, params: Params
                       ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """What the statistical forecasts learn from: the last day of the history (the end of its last whole period),
    the bookings series per level of ``forecast.levels`` (``opportunities`` with their segments attached) and the
    series of new leads (None without ``leads``), each from its first whole period."""
    history_end = demand_overview.history_end(deals.data_end(opportunities, params.data_end), params.forecast.freq)
    first_won = opportunities.loc[deals.won_mask(opportunities), "close_date"].min()
    whole_from = demand_overview.whole_history_start(deals.history_start(opportunities), first_won,
                                                     params.forecast.freq)
    bookings_series = forecast.series_from_bookings(opportunities, params.forecast.levels, params.forecast.freq,
                                                    start=whole_from, end=history_end)
    lead_series = None
    if leads is not None:
        first_lead = leads["created_date"].min()
        lead_series = forecast.series_from_counts(
            leads, "created_date", [[]], params.forecast.freq, end=history_end, table="leads",
            start=demand_overview.whole_history_start(first_lead, first_lead, params.forecast.freq))
    return history_end, bookings_series, lead_series


def compute_ahead(tables: dict[str, pd.DataFrame], params: Params) -> None:
    """Step 2's statistical forecasts (bookings, and lead volume when there are leads) computed now from the
    validated input ``tables`` (``forecast.compute_ahead``), as step 1 will value and segment the opportunities
    (``collect.workflow.valued_opportunities``): step 2's ``run`` then takes each one whose series comes out the same
    from step 1's artifacts, and computes any other. The runner calls this in step 2's kernel while step 1 runs."""
    from salesops.collect.workflow import valued_opportunities

    _, bookings_series, lead_series = statistical_series(valued_opportunities(tables, params), tables.get("leads"),
                                                         params)
    forecast.compute_ahead(bookings_series, params.forecast)
    if lead_series is not None:
        forecast.compute_ahead(lead_series, params.forecast, reconcile_levels=False)


def pipeline_plan(opportunities: pd.DataFrame, leads: pd.DataFrame | None, pipeline_fc: pd.DataFrame,
                  comparison: pd.DataFrame, target: float, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pipeline's side of the gap to the target (``pipeline_gap.pipeline_need``) and the opportunities and
    leads to create per month of the quarter for it (``pipeline_gap.pipeline_to_create``), from the creation
    yields of the last ``demand.history_months`` of complete quarters and the measured lead conversion."""
    blended = comparison[(comparison["method"] == "blended") & (comparison["scenario"] == "base")]["bookings"]
    conversion = (lead_conversion(leads, params.data_end, params.demand)[0]
                  if leads is not None and measures_conversion(leads) else None)
    total = pipeline_fc[pipeline_fc["unique_id"] == demand_plan.TOTAL].iloc[0]
    need = pipeline_gap.pipeline_need(total, target, float(blended.iloc[0]), conversion)
    yields = pipeline_gap.creation_yield(opportunities, params.data_end, max(params.demand.history_months // 3, 1),
                                         params.fiscal_year_start_month)
    to_create = pipeline_gap.pipeline_to_create(yields, float(need["bookings_to_add"].iloc[0]), params.quarter_start,
                                                conversion)
    return need, to_create


def hardware_reason(tables: dict[str, pd.DataFrame]) -> str:
    """Why hardware unit demand cannot be measured from ``tables`` (the orders and products tables, and products
    that carry a kind, are needed), or "" when it can."""
    if not HARDWARE_TABLES <= set(tables):
        return HARDWARE_NEEDS_TABLES
    return "" if analyses.has_product_kind(tables["products"]) else HARDWARE_NO_KIND


def earlier_forecasts(step: Step) -> dict[str, pd.DataFrame]:
    """The forecasts each earlier quarter's report made of its quarter (its ``demand_comparison``), by quarter
    label, for the reports beside this one."""
    folders = plan_review.earlier_report_dirs(step.out_dir, step.params.quarter, step.params.fiscal_year_start_month)
    made = {label: artifacts.read_optional_artifact(folder, "demand_comparison") for label, folder in folders.items()}
    return {label: frame for label, frame in made.items() if frame is not None}


def backtest_methods(opportunities: pd.DataFrame, history: pd.DataFrame | None, bookings_series: pd.DataFrame,
                     backtest: pd.DataFrame, params: Params,
                     earlier: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame | None:
    """The methods on the same past quarters (``method_backtest``): with a stage history, the pipeline rebuilt on
    each quarter's eve beside the statistical forecast made from the bookings known then; else the forecasts the
    reports of earlier quarters made (``earlier``: quarter label → that report's ``demand_comparison``), every
    method's. None when neither gives a past quarter."""
    starts = pipeline_backtest.backtest_quarter_starts(history, params.data_end, params.fiscal_year_start_month)
    total = backtest.loc[backtest["unique_id"].astype(str) == forecast.TOTAL_ID, "model"]
    if starts and len(total):
        pipeline = pipeline_backtest.pipeline_backtest(opportunities, history, starts, params.demand,
                                                       params.fiscal_year_start_month, params.collect.open_deal_value)
        statistical = method_backtest.statistical_backtest(
            bookings_series[bookings_series["unique_id"].astype(str) == forecast.TOTAL_ID], str(total.iloc[0]),
            starts, params.forecast, params.fiscal_year_start_month)
        compared = method_backtest.compare_methods(pipeline, statistical)
    elif earlier:
        compared = method_backtest.forecasts_made(earlier, opportunities, params.data_end,
                                                  params.fiscal_year_start_month)
    else:
        return None
    return compared if len(compared) else None


def lead_forecast_missing(leads: pd.DataFrame | None, lead_scores: pd.DataFrame | None,
                          opportunities: pd.DataFrame) -> str:
    """Why the lead-based forecast cannot be made (a sentence for the page), or "" when it can: it needs the leads,
    their scores from step 1, and the lead each deal came from (``opportunities.lead_id``; a CRM's contacts or
    persons export gives leads without it)."""
    if leads is None or lead_scores is None:
        return LEAD_FORECAST_NEEDS_SCORES
    return "" if "lead_id" in opportunities.columns else LEAD_FORECAST_NEEDS_LEAD_IDS


def lead_forecast_or_reason(leads: pd.DataFrame, lead_scores: pd.DataFrame, opportunities: pd.DataFrame,
                            params: Params, new_leads: pd.DataFrame | None) -> tuple[pd.DataFrame | None, str]:
    """``demand.plan.lead_forecast`` of the planned quarter and "", or None and the sentence saying why the history
    cannot give the lead method its rates (no deal from a lead closed in the history window, no lead old enough to
    have a known outcome …: the measurement's own words), so the page explains and the blend goes on without it."""
    try:
        return demand_plan.lead_forecast(leads, lead_scores, opportunities, params.data_end, params.quarter_start,
                                         params.quarter_end, params.demand, new_leads), ""
    except ValueError as error:
        return None, f"The lead-based forecast could not be made: {error}."


def write(step: Step, result: DemandResult) -> None:
    """Write step 2's artifacts and its summary."""
    step.write_all(result.artifacts())
    step.write_summary(result.metrics, result.warnings + result.findings)


# ------------------------------------------------------------------------------------------------------------------
# what the page shows, each section's table or the sentence saying why it has none


def total_history(result: DemandResult) -> pd.DataFrame:
    """The company's bookings per period (the series of all bookings)."""
    return result.bookings_series[result.bookings_series["unique_id"] == forecast.TOTAL_ID]


def total_forecast(result: DemandResult) -> pd.DataFrame:
    """The statistical forecast of the company's bookings, reconciled."""
    reconciled = result.bookings.reconciled
    return reconciled[reconciled["unique_id"] == forecast.TOTAL_ID]


def backtest_caption(result: DemandResult) -> str:
    """The caption of the backtest table: the forecast profile, its rule and its models."""
    settings = result.bookings.settings
    if settings.rule == "combination":
        how = f"every series the mean of {', '.join(settings.combination)}"
    else:
        how = f"{'the mean of the k best' if settings.rule == 'top_k' else 'the best'} of {', '.join(settings.models)}"
    return f"How far to trust each series: backtest of its forecast ({settings.profile} profile: {how})"


def backtest_table(result: DemandResult) -> pd.DataFrame:
    """The backtest of each series, the company total first, then the series that could be backtested (by
    level: regions before region × segment), then those too short to be (each says why)."""
    table = result.bookings.backtest
    ids = table["unique_id"].astype(str)
    order = pd.DataFrame({"_total": ids.ne(forecast.TOTAL_ID), "_untested": table["windows"].fillna(0).eq(0),
                          "_depth": ids.str.count("/"), "_id": ids})
    return table.loc[order.sort_values(["_total", "_untested", "_depth", "_id"], kind="stable").index]


def base_by_method(result: DemandResult) -> pd.DataFrame:
    """The base scenario of each method: bookings, blend weight, difference from the statistical forecast, and
    why it differs."""
    comparison = result.comparison
    return comparison[comparison["scenario"] == "base"][["method", "bookings", "weight", "vs_reference", "reason"]]


def lead_forecast_table(result: DemandResult) -> pd.DataFrame | None:
    """The lead-based forecast as shown, one row per grade (None without it: ``lead_forecast_reason``)."""
    if result.lead_forecast is None:
        return None
    return result.lead_forecast[["unique_id", "leads", "mean_probability", "expected_wins", "share_in_period",
                                 "converted_open_bookings", "downside", "base", "upside"]]


def pipeline_to_create(result: DemandResult) -> pd.DataFrame | None:
    """The opportunities and leads to create per month (None when the pipeline needs none: ``pipeline_reason``);
    the leads column is left out when the leads do not measure conversion."""
    table = result.pipeline_to_create
    if table.empty:
        return None
    return table.drop(columns="leads") if table["leads"].isna().all() else table


def pipeline_reason(result: DemandResult) -> str:
    """Why no opportunities are to be created (empty when some are)."""
    if not result.pipeline_to_create.empty:
        return ""
    need = result.pipeline_need.iloc[0]
    if not need["bookings_to_add"] > 0:
        needed = (f"{need['coverage_needed']:.2f}×" if pd.notna(need["coverage_needed"]) else "a coverage that cannot "
                  "be measured (no open deal is due in the quarter)")
        return (f"The open pipeline covers the target {need['coverage']:.2f}× against {needed} needed at the measured "
                "close rates: no opportunities are needed beyond the usual.")
    return demand_overview.NO_CREATION_YIELD
