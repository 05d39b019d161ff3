"""Step 2 leading indicators and demand drivers: what the open pipeline and the leads say about the planned
period, how those forecasts compare and blend with the statistical one, and what the demand will need.

The statistical forecast (history, trend, seasonality) lives in ``demand/forecast``; this package only reads its
output, a long frame ``unique_id, ds, downside, base, upside`` per month (``unique_id`` ``"total"``,
``"segment=SMB"``, or nested such as ``"region=EMEA/segment=MM"``). Functions, in the order the step-2 page uses
them:

* :func:`stage_close_rates`, :func:`close_date_slippage` — what the pipeline history says about conversion
  and timing.
* :func:`pipeline_forecast` / :func:`pipeline_forecast_by_month` — the open pipeline due in the period, at
  measured close rates, less the share expected to slip, plus the deals still to be created and won in the
  period (:func:`new_deal_history`).
* :func:`lead_forecast` / :func:`lead_forecast_by_month` — the lead funnel's view of the period: open (scored)
  leads, leads already converted whose deal is still open, and expected new leads, at measured conversion, win
  rate, deal size and lags (lead to booking, conversion to booking).
* :func:`compare_forecasts`, :func:`method_weights`, :func:`explain_differences` — the three methods side by
  side and blended, and why they differ.
* :func:`demand_drivers`, :func:`hardware_units` — demand turned into deals, opportunities, leads, customers,
  tickets, delivery hours and hardware units (the inputs of step 3).

Modules, one concern each: ``settings`` (``DemandSettings``), ``common`` (argument checks, months of the
period, segments), ``pipeline``, ``leads``, ``blend``, ``drivers`` and ``hardware``; every public name is
importable from this package. The methods and scenarios are named in ``salesops.demand.methods``.

Conventions (those of ``collect/kpis.py`` unless said otherwise):

* ``as_of`` is the last day of known data. The **planned period** is ``[period_start, period_end]``, both days
  included (usually a fiscal quarter); it must end after ``as_of``.
* **History window**: deals closed, leads created and orders placed in ``(as_of - history_months calendar
  months, as_of]`` (collect's window rule: from a month's last day the window covers whole months).
* **Open at as_of**: created on or before ``as_of`` and not closed by then (``deals.open_at``).
  **Stale**: open at ``as_of`` with an expected ``close_date`` before ``as_of``.
* **Months**: ``ds`` is the first day (midnight) of a calendar month, as in ``demand/forecast``. A month only
  partly inside the planned period counts only its days inside it.
* **Series ids**: ``unique_id`` is ``"total"`` or ``"segment=<segment>"`` (pipeline, as ``demand/forecast``) and
  ``"grade=<grade>"``, ``"converted_open"`` or ``"new_leads"`` (lead forecast). Segments come from the ``segment`` column that
  ``collect.overview.attach_segments`` adds; without it there is only the total.
* **Scenarios**: ``base`` is the expected value. ``downside`` and ``upside`` bound the central
  ``settings.interval`` (80 % by default) of a normal approximation to the chance of which deals (leads) are
  won: each open deal is won in the period or not, independently, so the standard deviation is
  sqrt(sum of amount² × q × (1 − q)) with q its probability; new leads are a Poisson stream (variance =
  deal size² × expected wins). Downside is never below what is already won, upside never above won plus
  every open deal.
* Money is in the company currency; rates and shares are fractions (0.25 = 25 %); lags and cycles in calendar
  days; delivery in hours. Inputs are never modified; outputs have a fresh 0..n-1 index. Bad arguments raise
  ``ValueError`` naming the argument and what is accepted.

Estimators — measured in the data, never the CRM's default stage probabilities:

* **Stage close rate** of stage s: among the deals closed (won or lost) in the history window that reached s,
  the share that was won. "Reached" is ``kpis.stage_funnel``'s rule (a won deal passed every stage; any
  other deal reached the furthest of its ``max_stage`` and current stage). An open deal at s is valued at
  this rate: P(won | reached s). For the qualify stage it is the win rate by count.
* **Slippage**: the canonical data keeps only today's ``close_date`` (the actual date of a closed deal, the
  expected date of an open one), so no one can see how often an expected date was moved. What can be seen:
  of the deals *due* in the history window — closed there, or still open although their expected date
  passed (stale) — the share (by value) still open. That share missed its date and is unresolved; it is
  applied as the share of the pipeline due in the period that will not close in it. It is a lower bound
  (deals re-dated into the future and deals closed late under a rewritten date look on time) and it partly
  overlaps the close rate (a stale deal is often a lost deal not yet closed out). Stale deals are left out
  of the period (as in ``kpis.pipeline_coverage``) and reported apart.
* **Lead-to-booking lag**: for the lead-sourced deals won in the history window, close_date minus the lead's
  created_date. An open lead of age a gets the share of the lags longer than a that land in the period
  (conditional on not having booked yet); a new lead created on day d the share of all lags with d + lag in
  the period. **Conversion-to-booking lag**: for the same deals, close_date minus the deal's created_date (the day
  its lead converted); a converted lead whose deal is open at ``as_of`` at age a gets the share of these lags
  longer than a that land in the period.
* **New deals** (deals still to be created): the open pipeline cannot hold the deals that will be created
  *and* won inside the planned period (an SMB cycle is about five weeks). Their value is measured the way it
  would have looked at the start of each *past period* like the planned one: the planned period, its
  ``as_of`` and the day it starts shifted back by 1, 2, ... times its length in whole calendar months (a
  quarter: 3, 6, 9, 12 months), as long as the shifted ``as_of`` (the *origin*) is inside the history window
  ``[as_of - history_months months, as_of]``, the shifted period has ended by ``as_of`` and the origin is not
  before the earliest ``created_date`` in the data. A past period's *new-deal bookings* are the amounts of
  the deals created after its origin and won in it (from the day after the origin to its end). The
  expected new-deal bookings of the planned period are their mean over the past periods (per segment, and
  for the total), split by month as the past periods' months were; no trend or seasonality is applied.
  Their spread is the past periods' standard deviation s (n periods, n - 1 degrees of freedom) widened for
  a new period, s × sqrt(1 + 1/n); with a single past period, a compound-Poisson guess, sqrt(sum of
  amount²). The spread adds to the pipeline's variance (new deals taken as independent of the open ones).
  What neither part sees: open deals due outside the period that close in it, and stale deals that still
  close.
* **Coverage needed** (``pipeline_gap``): the pipeline coverage at which the pipeline method reaches the target,
  (won to date + (target − won to date − expected new deals) ÷ pipeline yield) ÷ target, where the yield is the
  share of the open pipeline's value it expects to be won. Measured at the company's close rates, not the "3×"
  rule of thumb.
* **Pipeline to create** (``pipeline_gap``): when coverage is below that, the new opportunities to create each
  month of the quarter, the same number each month, for the bookings the forecast lacks, at the *creation yield*
  of each month: over the last complete quarters, the bookings won within the quarter per opportunity created in
  its k-th month (win rate, deal size and cycle together). Leads = opportunities ÷ the measured lead conversion.
* **Blend weights**: ``settings.blend_weights`` when set; else inverse backtest error, w_m = (1/e_m) /
  sum_k (1/e_k) over the methods available (a method with no backtest error is given the largest error
  measured: untested counts as no better than the worst tested); equal weights when no errors are given.
  In the workbook only the statistical forecast has a backtest error, so the default blend is **equal
  weights**: the pipeline and lead methods cannot be backtested honestly, because the data keep no history of
  stages, expected close dates or lead scores. Rebuilding the pipeline open at a past quarter start from the
  closed deals would value each deal by the stage it finally reached and select it by the date it actually
  closed: both known only after the fact, so such a backtest would flatter the pipeline method. Stored
  pipeline snapshots would make it possible.
"""

from __future__ import annotations

from salesops.demand.methods import METHOD_LABELS, METHODS, SCENARIOS
from salesops.demand.plan.blend import COMPARISON_COLUMNS, compare_forecasts, explain_differences, method_weights
from salesops.demand.plan.common import TOTAL
from salesops.demand.plan.drivers import DRIVER_COLUMNS, demand_drivers
from salesops.demand.plan.hardware import HARDWARE_COLUMNS, hardware_units
from salesops.demand.plan.leads import (
    CONVERTED_OPEN,
    LEAD_COLUMNS,
    LEAD_MONTH_COLUMNS,
    NEW_LEADS,
    lead_forecast,
    lead_forecast_by_month,
)
from salesops.demand.plan.pipeline import (
    NEW_DEAL_COLUMNS,
    PIPELINE_COLUMNS,
    PIPELINE_MONTH_COLUMNS,
    close_date_slippage,
    new_deal_history,
    pipeline_forecast,
    pipeline_forecast_by_month,
    stage_close_rates,
)
from salesops.demand.plan.settings import DEFAULT_DELIVERY_HOURS, DemandSettings

__all__ = [
    "COMPARISON_COLUMNS", "CONVERTED_OPEN", "DEFAULT_DELIVERY_HOURS", "DRIVER_COLUMNS", "HARDWARE_COLUMNS",
    "LEAD_COLUMNS", "LEAD_MONTH_COLUMNS", "METHODS", "METHOD_LABELS", "NEW_DEAL_COLUMNS", "NEW_LEADS",
    "PIPELINE_COLUMNS", "PIPELINE_MONTH_COLUMNS", "SCENARIOS", "TOTAL", "DemandSettings", "close_date_slippage",
    "compare_forecasts", "demand_drivers", "explain_differences", "hardware_units", "lead_forecast",
    "lead_forecast_by_month", "method_weights", "new_deal_history", "pipeline_forecast", "pipeline_forecast_by_month",
    "stage_close_rates",
]
