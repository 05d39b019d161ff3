"""The ``demand:`` settings of step 2's leading indicators and drivers (``DemandSettings``). What they mean for
the forecasts: the notes of ``salesops.demand.plan``."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from salesops.demand.methods import METHODS


#: Delivery (implementation) hours per won deal, by product of the sample company. Rough defaults: set your own.
DEFAULT_DELIVERY_HOURS: dict[str, float] = {
    "Platform": 40.0,
    "Analytics": 16.0,
    "Integrations": 24.0,
    "Onboarding Services": 60.0,
    "Premium Support": 8.0,
    "Edge Gateway": 0.0,
}


class DemandSettings(BaseModel):
    """Leading-indicator forecasts and demand drivers (the ``demand:`` block of the params).

    Every field has a working default; unknown keys are rejected.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    history_months: int = Field(
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
    blend_weights: dict[str, float] | None = Field(
        None,
        description="Weight of each forecasting method in the blended forecast, {statistical, pipeline, leads: "
                    "weight >= 0}; rescaled to add up to 1 over the methods available, a method left out weighs 0. "
                    "null (default): weights inverse to each method's backtest error, w = (1/error) / sum(1/error); "
                    "equal weights when no backtest errors are given.",
    )
    delivery_hours_per_deal: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_DELIVERY_HOURS),
        description="Delivery (implementation, onboarding) hours each won deal of a product needs, {product: "
                    "hours >= 0}. A product not listed needs 0 hours and is counted in hours_unknown_share. "
                    "Default (the sample's products): Platform 40, Analytics 16, Integrations 24, Onboarding "
                    "Services 60, Premium Support 8, Edge Gateway 0 (hardware).",
    )
    customers_per_deal: float = Field(
        1.0,
        description="New customers to onboard per won deal (>= 0): 1 when every deal is a new logo, lower when "
                    "some deals are expansions of existing customers.",
    )
    support_tickets_per_customer_month: float = Field(
        0.5,
        description="Support tickets a new customer raises per month (>= 0), counted from the month it is won.",
    )
    min_rate_deals: int = Field(
        20,
        description="A segment's close rate (slip share, win rate, deal size, product mix) is used when it was "
                    "measured on at least this many deals; below that, the all-segment value. >= 1.",
    )
    interval: float = Field(
        0.8,
        description="Central probability between the downside and upside scenarios of the pipeline and lead "
                    "forecasts (0.8: downside and upside are the 10th and 90th percentiles). Align it with the "
                    "statistical forecast's interval. Between 0 and 1.",
    )
    lead_outcome_days: int = Field(
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
    agreement_tolerance: float = Field(
        0.1,
        description="Two forecasts within this fraction of each other (0.1: ±10 %) are said to agree. 0 to 1.",
    )

    @field_validator("history_months", "min_rate_deals", "lead_outcome_days", mode="before")
    @classmethod
    def _whole_number(cls, value: Any, info) -> int:
        bounds = {"history_months": (1, 60), "min_rate_deals": (1, 10**9), "lead_outcome_days": (1, 3650)}
        low, high = bounds[info.field_name]
        integral = isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not integral or not low <= value <= high:
            limit = f"from {low} to {high}" if high < 10**9 else f"of at least {low}"
            raise ValueError(
                f"{info.field_name} must be a whole number {limit}, e.g. "
                f"{cls.model_fields[info.field_name].default}; got {value!r}"
            )
        return int(value)

    @field_validator("customers_per_deal", "support_tickets_per_customer_month", mode="before")
    @classmethod
    def _non_negative(cls, value: Any, info) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
            raise ValueError(
                f"{info.field_name} must be a number of 0 or more, e.g. {cls.model_fields[info.field_name].default}; "
                f"got {value!r}"
            )
        return float(value)

    @field_validator("interval", "agreement_tolerance", mode="before")
    @classmethod
    def _fraction(cls, value: Any, info) -> float:
        ok = not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)
        if info.field_name == "interval":
            ok = ok and 0 < value < 1
            rule = "a fraction strictly between 0 and 1, e.g. 0.8 for an 80 % interval"
        else:
            ok = ok and 0 <= value <= 1
            rule = "a fraction from 0 to 1, e.g. 0.1 for ±10 %"
        if not ok:
            raise ValueError(f"{info.field_name} must be {rule}; got {value!r}")
        return float(value)

    @field_validator("blend_weights", mode="before")
    @classmethod
    def _weights(cls, weights: Any) -> dict[str, float] | None:
        if weights is None:
            return None
        if not isinstance(weights, Mapping) or not weights:
            raise ValueError(
                "blend_weights must be a mapping of method to weight, e.g. {statistical: 0.5, pipeline: 0.3, "
                f"leads: 0.2}}, or null to derive the weights from backtest errors; got {weights!r}"
            )
        unknown = [name for name in weights if name not in METHODS]
        if unknown:
            raise ValueError(f"blend_weights has unknown method(s) {unknown}; valid: {', '.join(METHODS)}")
        bad = {name: value for name, value in weights.items()
               if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
               or value < 0}
        if bad:
            raise ValueError(f"blend_weights must be numbers of 0 or more; got {bad}")
        if sum(float(value) for value in weights.values()) <= 0:
            raise ValueError(
                f"blend_weights are all 0 ({dict(weights)}): give at least one method a positive weight, or set "
                "blend_weights to null to derive them from backtest errors"
            )
        return {name: float(value) for name, value in weights.items()}

    @field_validator("delivery_hours_per_deal", mode="before")
    @classmethod
    def _hours(cls, hours: Any) -> dict[str, float]:
        if not isinstance(hours, Mapping):
            raise ValueError(
                f"delivery_hours_per_deal must be a mapping of product to hours, e.g. {{Platform: 40}}; got {hours!r}"
            )
        blank = [name for name in hours if not str(name).strip()]
        if blank:
            raise ValueError("delivery_hours_per_deal has an empty product name")
        bad = {name: value for name, value in hours.items()
               if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
               or value < 0}
        if bad:
            raise ValueError(f"delivery_hours_per_deal must give 0 or more hours per product; got {bad}")
        return {str(name): float(value) for name, value in hours.items()}


def resolve_settings(settings) -> DemandSettings:
    if settings is None:
        return DemandSettings()
    if not isinstance(settings, DemandSettings):
        raise ValueError(f"settings must be a DemandSettings (or None for the defaults); got {type(settings).__name__}")
    return settings
