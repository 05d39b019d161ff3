"""The ``demand:`` settings of step 2's leading indicators and drivers (``DemandSettings``). What they mean for
the forecasts: the notes of ``salesops.demand.plan``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from salesops.demand.methods import METHODS
from salesops.settings.base import Settings, settings_or_default
from salesops.settings.fields import Count, Days, MappingOf, Months, Number, Probability, Share


#: Delivery (implementation) hours per won deal, by product of the sample company. Rough defaults: set your own.
DEFAULT_DELIVERY_HOURS: dict[str, float] = {
    "Platform": 40.0,
    "Analytics": 16.0,
    "Integrations": 24.0,
    "Onboarding Services": 60.0,
    "Premium Support": 8.0,
    "Edge Gateway": 0.0,
}


def _some_weight(weights: dict[str, float] | None) -> dict[str, float] | None:
    if weights is not None and sum(weights.values()) <= 0:
        raise ValueError(f"blend_weights are all 0 ({weights}): give at least one method a positive weight, or set "
                         "blend_weights to null to derive them from backtest errors")
    return weights


#: Weight of each forecasting method in the blend, at least one above 0; null: from backtest errors.
BlendWeights = Annotated[MappingOf(Number("a weight", 0.5, ge=0), "method to weight",
                                   {"statistical": 0.5, "pipeline": 0.3, "leads": 0.2}, keys=METHODS, optional=True),
                         AfterValidator(_some_weight)]
#: Delivery hours per won deal, by product.
HoursByProduct = MappingOf(Number("a number of hours", 40, ge=0), "product to hours", {"Platform": 40})


class DemandSettings(Settings):
    """Leading-indicator forecasts and demand drivers (the ``demand:`` block of the params).

    Every field has a working default; unknown keys are rejected.
    """

    history_months: Months(1, 60) = Field(
        12,
        description="History window, calendar months: close rates, slippage, win rates, deal sizes, lags, "
                    "conversions, product mix and hardware run rates are measured on deals closed (leads created, "
                    "orders placed) in the last this many months before as_of. 1-60.",
    )
    slippage: bool = Field(
        True,
        description="true: the pipeline forecast takes off the measured share of due deals that slip past their "
                    "expected close date (see close_date_slippage); false: every deal due in the period is "
                    "assumed to close in it (at its close rate).",
    )
    pipeline_new_deals: bool = Field(
        True,
        description="true: the pipeline forecast adds the deals still to be created and won inside the planned "
                    "period, at the mean of the same-length past periods of the history window (see "
                    "new_deal_history); false: only the pipeline in hand (deals open at as_of).",
    )
    blend_weights: BlendWeights = Field(
        None,
        description="Weight of each forecasting method in the blended forecast, {statistical, pipeline, leads: "
                    "weight >= 0}; rescaled to add up to 1 over the methods available, a method left out weighs 0. "
                    "null (default): weights inverse to each method's backtest error, w = (1/error) / sum(1/error); "
                    "equal weights when no backtest errors are given.",
    )
    delivery_hours_per_deal: HoursByProduct = Field(
        default_factory=lambda: dict(DEFAULT_DELIVERY_HOURS),
        description="Delivery (implementation, onboarding) hours each won deal of a product needs, {product: "
                    "hours >= 0}. A product not listed needs 0 hours and is counted in hours_unknown_share. "
                    "Default (the sample's products): Platform 40, Analytics 16, Integrations 24, Onboarding "
                    "Services 60, Premium Support 8, Edge Gateway 0 (hardware).",
    )
    customers_per_deal: Number("a number of customers", 1.0, ge=0) = Field(
        1.0,
        description="New customers to onboard per won deal (>= 0): 1 when every deal is a new logo, lower when "
                    "some deals are expansions of existing customers.",
    )
    support_tickets_per_customer_month: Number("a number of tickets a month", 0.5, ge=0) = Field(
        0.5,
        description="Support tickets a new customer raises per month (>= 0), counted from the month it is won.",
    )
    min_rate_deals: Count("deals", 1, example=20) = Field(
        20,
        description="A segment's close rate (slip share, win rate, deal size, product mix) is used when it was "
                    "measured on at least this many deals; below that, the all-segment value. >= 1.",
    )
    interval: Probability = Field(
        0.8,
        description="Central probability between the downside and upside scenarios of the pipeline and lead "
                    "forecasts (0.8: downside and upside are the 10th and 90th percentiles). Align it with the "
                    "statistical forecast's interval. Between 0 and 1.",
    )
    lead_outcome_days: Days(1, 3650, example=90) = Field(
        90,
        description="A lead's conversion to an opportunity counts as known once the lead is this many days old: "
                    "the lead-to-opportunity conversion is measured on the leads created in the history window "
                    "shifted back by this many days. 1-3650.",
    )
    lead_forecast_scope: Literal["all_bookings", "lead_sourced"] = Field(
        "all_bookings",
        description="'all_bookings' (default): the lead forecast (open leads, converted leads whose deal is "
                    "still open, new leads: all lead-sourced) is grossed up by the measured share of won value that "
                    "came from leads, so it is comparable with the other methods; the gross-up stands in only for "
                    "deals not from a lead, so nothing is counted twice. 'lead_sourced': only the bookings of deals "
                    "that come from leads.",
    )
    agreement_tolerance: Share = Field(
        0.1,
        description="Two forecasts within this fraction of each other (0.1: ±10 %) are said to agree. 0 to 1.",
    )


def resolve_settings(settings: DemandSettings | None) -> DemandSettings:
    """``settings``, or the default ``DemandSettings()`` for None; ValueError for anything else."""
    return settings_or_default(settings, DemandSettings)
