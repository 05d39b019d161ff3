"""Settings of step 3, supply and capacity planning (the ``supply:`` and ``inventory:`` blocks of the params)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from salesops.settings.base import Settings
from salesops.settings.fields import (
    Count, Days, ListOf, MappingOf, Money, MoneyByName, Months, Multiplier, Number, Probability, Share, ShareBelowOne,
)

#: Supporting roles sized from the demand drivers, in the order a headcount budget serves them.
SUPPORT_ROLES: tuple[str, ...] = ("SE", "SDR", "CSM", "SUPPORT", "CONSULTANT")


#: A ramp curve: per month of tenure, the share of a fully ramped rep's productivity, at least one month.
RampCurve = ListOf(Share, "shares of a fully ramped rep, one a month", [0.25, 0.5, 0.75, 1.0], min_items=1)
#: A monthly workload per role (leads, opportunities, customers, tickets or hours), above 0.
Workload = MappingOf(Number("a workload a month", 120, gt=0), "role to a monthly workload above 0", {"SDR": 150})
#: Most units a month per product, above 0.
UnitsByProduct = MappingOf(Number("a number of units a month", 600, gt=0), "product to units a month above 0",
                           {"Edge Gateway": 600})


class SupplySettings(Settings):
    """Sales capacity, hiring and supporting roles. Every field has a working default."""

    ramp_curve: RampCurve = Field(
        [0.1, 0.3, 0.5, 0.7, 0.85, 1.0],
        description="Productivity of a new account executive in the 1st, 2nd, ... month of tenure, as a share "
                    "(0-1) of a fully ramped rep; every later month counts 1. The month a rep starts is month 1.",
    )
    attrition_annual: ShareBelowOne = Field(
        0.15,
        description="Expected share of the team that leaves in a year (0 to below 1), applied as an expected "
                    "value: a person still counts (1 - rate) ** (months ahead / 12) in a future month.",
    )
    history_months: Months(1, 60) = Field(
        12, description="Months of history up to the last day of known data on which productivity and the "
                        "attrition actually observed are measured. 1-60.")
    productivity: MoneyByName = Field(
        default_factory=dict,
        description="Bookings a fully ramped account executive makes per month, company currency, by segment "
                    "(e.g. {SMB: 60000}); a segment not listed uses the value measured from history.",
    )
    hiring_lead_time_months: Months(0, 24, example=2) = Field(
        2, description="Whole months from deciding to hire to the new person's first day (0-24): the earliest "
                       "start is the first of the month this many months after the month after the last day "
                       "of known data.")
    max_hires_per_month: Count("hires a month", 0, example=3) = Field(
        3, description="Most account executives that can start in one month, all segments together (>= 0).")
    headcount_budget: Count("people", 0, example=10, optional=True) = Field(
        None, description="Most new people over the whole horizon, all roles together; account executives are "
                          "served first, then supporting roles in the order SE, SDR, CSM, support, consultants. "
                          "Empty: no limit.")
    max_team_growth: Number("a share of today's account executives", 1.0, ge=0, optional=True) = Field(
        1.0, description="Most account executives hired over the horizon, as a share of those on the team today "
                         "(1.0: the team at most doubles; at least one hire); the rest of a gap stays open and the "
                         "page says so. Empty: no such limit.")
    plan_scenario: Literal["downside", "base", "upside"] = Field(
        "base", description="The demand scenario the hiring plan handed to step 4 is sized for.")
    annual_cost: MoneyByName = Field(
        default_factory=lambda: {"CONSULTANT": 130000.0},
        description="Fully loaded annual cost of one person by role (AE, SDR, SE, CSM, SUPPORT, CONSULTANT), "
                    "company currency. A role not listed: the median on-target earnings of that role in the "
                    "reps table × loaded_cost_factor. Default: CONSULTANT 130,000 (no such role in the reps table).",
    )
    loaded_cost_factor: Multiplier(1.0, example=1.25) = Field(
        1.25, description="Employer costs on top of on-target earnings (1.25 = +25%), for roles without an "
                          "annual_cost. >= 1.")
    workload: Workload = Field(
        default_factory=dict,
        description="Monthly workload one person of a supporting role carries: SDR = qualified leads worked, "
                    "SE = opportunities supported, CSM = customers looked after (a book, not a flow), SUPPORT = "
                    "tickets, CONSULTANT = billable delivery hours. A role not listed uses the ratio measured "
                    "today (e.g. leads per month of the last history_months ÷ SDR headcount); CONSULTANT and "
                    "SUPPORT have no measured ratio and default to 120 hours and 250 tickets.",
    )
    delivery_consultants: Count("consultants", 0, example=4) = Field(
        0, description="Delivery consultants employed today (the reps table has no such role), >= 0.")
    contractor_max_months: Months(1, 24, example=3) = Field(
        3, description="A supporting-role gap that lasts fewer months than this (1-24) is covered by contractors "
                       "instead of a hire; so is any gap before the earliest start.")
    hours_per_fte_month: Number("a number of hours", 140, gt=0) = Field(
        140.0, description="Working hours in one person-month, for contractor hours (> 0).")
    contractor_hourly_rate: Money(example=95) = Field(
        95.0, description="Cost of one contractor hour, company currency (>= 0).")


class InventorySettings(Settings):
    """Inventory of hardware products. Every field has a working default."""

    service_level: Probability = Field(
        0.95, description="Chance of not running out during a replenishment lead time, strictly between 0 and 1 "
                          "(0.95: stock out in 1 lead time in 20); sets z of the safety stock.")
    lead_time_days: Days(0, example=45) = Field(
        45, description="Supplier lead time in days for a product whose lead_time_days is empty (>= 0).")
    max_units_per_month: UnitsByProduct = Field(
        default_factory=dict,
        description="Most units the supplier can deliver per month, by product (e.g. {Edge Gateway: 600}); "
                    "a product not listed has no limit.")
