"""Settings of step 3, supply and capacity planning (the ``supply:`` and ``inventory:`` blocks of the params)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Supporting roles sized from the demand drivers, in the order a headcount budget serves them.
SUPPORT_ROLES: tuple[str, ...] = ("SE", "SDR", "CSM", "SUPPORT", "CONSULTANT")

SCENARIOS: tuple[str, ...] = ("downside", "base", "upside")


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _share(value: float, name: str, *, closed_top: bool = True) -> float:
    if not (0 <= value <= 1 if closed_top else 0 <= value < 1):
        top = "1" if closed_top else "below 1"
        raise ValueError(f"{name} must be a share between 0 and {top} (0.15 = 15%); got {value}")
    return value


def _positive_values(mapping: dict[str, float] | None, name: str) -> dict[str, float] | None:
    for key, value in (mapping or {}).items():
        if value is None or value <= 0:
            raise ValueError(f"{name}.{key} must be a number above 0; got {value}")
    return mapping


class SupplySettings(_Settings):
    """Sales capacity, hiring and supporting roles. Every field has a working default."""

    ramp_curve: list[float] = Field(
        [0.1, 0.3, 0.5, 0.7, 0.85, 1.0],
        description="Productivity of a new account executive in the 1st, 2nd, ... month of tenure, as a share "
                    "(0-1) of a fully ramped rep; every later month counts 1. The month a rep starts is month 1.",
    )
    attrition_annual: float = Field(
        0.15,
        description="Expected share of the team that leaves in a year (0 to below 1), applied as an expected "
                    "value: a person still counts (1 - rate) ** (months ahead / 12) in a future month.",
    )
    history_months: int = Field(
        12, description="Months of history up to the last day of known data on which productivity and the "
                        "attrition actually observed are measured. 1-60.")
    productivity: dict[str, float] = Field(
        default_factory=dict,
        description="Bookings a fully ramped account executive makes per month, company currency, by segment "
                    "(e.g. {SMB: 60000}); a segment not listed uses the value measured from history.",
    )
    hiring_lead_time_months: int = Field(
        2, description="Whole months from deciding to hire to the new person's first day (0-24): the earliest "
                       "start is the first of the month this many months after the month after the last day "
                       "of known data.")
    max_hires_per_month: int = Field(
        3, description="Most account executives that can start in one month, all segments together (>= 0).")
    headcount_budget: int | None = Field(
        None, description="Most new people over the whole horizon, all roles together; account executives are "
                          "served first, then supporting roles in the order SE, SDR, CSM, support, consultants. "
                          "Empty: no limit.")
    plan_scenario: Literal["downside", "base", "upside"] = Field(
        "base", description="The demand scenario the hiring plan handed to step 4 is sized for.")
    annual_cost: dict[str, float] = Field(
        default_factory=lambda: {"CONSULTANT": 130000.0},
        description="Fully loaded annual cost of one person by role (AE, SDR, SE, CSM, SUPPORT, CONSULTANT), "
                    "company currency. A role not listed: the median on-target earnings of that role in the "
                    "reps table × loaded_cost_factor. Default: CONSULTANT 130,000 (no such role in the reps table).",
    )
    loaded_cost_factor: float = Field(
        1.25, description="Employer costs on top of on-target earnings (1.25 = +25%), for roles without an "
                          "annual_cost. >= 1.")
    workload: dict[str, float] = Field(
        default_factory=dict,
        description="Monthly workload one person of a supporting role carries: SDR = qualified leads worked, "
                    "SE = opportunities supported, CSM = customers looked after (a book, not a flow), SUPPORT = "
                    "tickets, CONSULTANT = billable delivery hours. A role not listed uses the ratio measured "
                    "today (e.g. leads per month of the last history_months ÷ SDR headcount); CONSULTANT and "
                    "SUPPORT have no measured ratio and default to 120 hours and 250 tickets.",
    )
    delivery_consultants: int = Field(
        0, description="Delivery consultants employed today (the reps table has no such role), >= 0.")
    contractor_max_months: int = Field(
        3, description="A supporting-role gap that lasts fewer months than this (1-24) is covered by contractors "
                       "instead of a hire; so is any gap before the earliest start.")
    hours_per_fte_month: float = Field(
        140.0, description="Working hours in one person-month, for contractor hours (> 0).")
    contractor_hourly_rate: float = Field(
        95.0, description="Cost of one contractor hour, company currency (>= 0).")

    @field_validator("ramp_curve")
    @classmethod
    def _ramp_curve(cls, curve: list[float]) -> list[float]:
        if not curve:
            raise ValueError("ramp_curve needs at least one month, e.g. [0.25, 0.5, 0.75, 1.0]")
        for month, share in enumerate(curve, start=1):
            if not 0 <= share <= 1:
                raise ValueError(f"ramp_curve month {month} is {share}: each month is a share of a fully ramped "
                                 f"rep between 0 and 1 (100% = 1.0); write e.g. 0.5 for 50%")
        return curve

    @field_validator("attrition_annual")
    @classmethod
    def _attrition(cls, value: float) -> float:
        if value < 0:
            raise ValueError(f"attrition_annual must not be negative; got {value} (0.15 = 15% leave a year)")
        return _share(value, "attrition_annual", closed_top=False)

    @field_validator("history_months")
    @classmethod
    def _history(cls, value: int) -> int:
        if not 1 <= value <= 60:
            raise ValueError(f"history_months must be a whole number of months from 1 to 60; got {value}")
        return value

    @field_validator("hiring_lead_time_months", "contractor_max_months")
    @classmethod
    def _months(cls, value: int, info) -> int:
        low = 0 if info.field_name == "hiring_lead_time_months" else 1
        if not low <= value <= 24:
            raise ValueError(f"{info.field_name} must be a whole number of months from {low} to 24; got {value}")
        return value

    @field_validator("max_hires_per_month", "headcount_budget", "delivery_consultants")
    @classmethod
    def _count(cls, value: int | None, info) -> int | None:
        if value is not None and value < 0:
            raise ValueError(f"{info.field_name} must be a count of 0 or more; got {value}")
        return value

    @field_validator("productivity", "annual_cost", "workload")
    @classmethod
    def _positive_maps(cls, mapping: dict[str, float], info) -> dict[str, float]:
        return _positive_values(mapping, info.field_name)

    @field_validator("loaded_cost_factor")
    @classmethod
    def _loaded(cls, value: float) -> float:
        if value < 1:
            raise ValueError(f"loaded_cost_factor must be 1 or more (1.25 = +25% employer costs); got {value}")
        return value

    @field_validator("hours_per_fte_month", "contractor_hourly_rate")
    @classmethod
    def _non_negative(cls, value: float, info) -> float:
        if value < 0 or (info.field_name == "hours_per_fte_month" and value == 0):
            raise ValueError(f"{info.field_name} must be a positive number; got {value}")
        return value


class InventorySettings(_Settings):
    """Inventory of hardware products. Every field has a working default."""

    service_level: float = Field(
        0.95, description="Chance of not running out during a replenishment lead time, strictly between 0 and 1 "
                          "(0.95: stock out in 1 lead time in 20); sets z of the safety stock.")
    lead_time_days: int = Field(
        45, description="Supplier lead time in days for a product whose lead_time_days is empty (>= 0).")
    max_units_per_month: dict[str, float] = Field(
        default_factory=dict,
        description="Most units the supplier can deliver per month, by product (e.g. {Edge Gateway: 600}); "
                    "a product not listed has no limit.")

    @field_validator("service_level")
    @classmethod
    def _service_level(cls, value: float) -> float:
        if not 0 < value < 1:
            raise ValueError(f"service_level must be strictly between 0 and 1 (0.95 = 95%); got {value}")
        return value

    @field_validator("lead_time_days")
    @classmethod
    def _lead_time(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"lead_time_days must be 0 or more days; got {value}")
        return value

    @field_validator("max_units_per_month")
    @classmethod
    def _limits(cls, mapping: dict[str, float]) -> dict[str, float]:
        return _positive_values(mapping, "max_units_per_month")
