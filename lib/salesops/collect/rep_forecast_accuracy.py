"""Step 1: forecast accuracy — how far each rep's forecast submissions were from what they then closed.

Rules:

* **Quarters**: fiscal quarters (``fiscal_calendar.py``, ``fiscal_year_start_month``); only complete quarters (last
  day on or before ``as_of``) count, and only the last ``quarters`` of them are shown.
* **Forecast**: for each rep and quarter, the *last* submission of ``category`` (``commit`` by default) for
  that period whose ``submitted_date`` is on or before the quarter's last day — a re-submission replaces
  the earlier one, a submission made after the quarter ended is ignored. Two submissions on the same
  day: the later row of the table wins. A rep and quarter with no such submission is not a row: there is
  no forecast to judge (missing submissions are a data-quality matter, not a forecasting bias).
* **Actual**: amount of the rep's won deals (``is_won``, owner ``rep_id``) with ``close_date`` in the quarter.
* **Measures** (fractions, 0.1 means 10 %): ``signed_bias`` = forecast / actual - 1 (positive: forecast
  above what closed), ``absolute_percentage_error`` = |forecast - actual| / actual, ``forecast_to_actual``
  = forecast / actual. All three are NaN when actual is 0 (a percentage of nothing is undefined).
* **Direction** (``tolerance``): ``optimistic`` when the forecast is more than ``tolerance`` above actual
  (signed_bias > tolerance), ``pessimistic`` when more than ``tolerance`` below (signed_bias < -tolerance),
  else ``accurate`` — exactly 10 % off counts as accurate. With actual 0: optimistic when something was
  forecast, accurate when the forecast was 0 too.
* **Flags**: a rep is flagged ``optimistic`` when at least ``flag_min`` of their quarters among the table's
  last ``flag_quarters`` quarters were optimistic (the same for ``pessimistic``); ``flag_min`` must be more
  than half of ``flag_quarters``, so a rep cannot carry both flags.

Money is in the company currency. Inputs are never modified.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
from pydantic import model_validator

from salesops import deals, fiscal_calendar
from salesops.checks import as_timestamp
from salesops.contract.schema import SUBMISSION_CATEGORIES, TEXT_DTYPE
from salesops.formats import money
from salesops.settings.base import Settings, settings_or_default
from salesops.settings.fields import OneOf, ShareBelowOne, Whole

DIRECTIONS: tuple[str, ...] = ("optimistic", "pessimistic", "accurate")
FLAGS: tuple[str, ...] = ("optimistic", "pessimistic", "")

TABLE_COLUMNS: tuple[str, ...] = (
    "rep_id", "quarter", "forecast", "actual", "signed_bias", "absolute_percentage_error", "forecast_to_actual",
    "direction",
)
FLAG_COLUMNS: tuple[str, ...] = ("rep_id", "quarters_seen", "optimistic", "pessimistic", "forecast", "actual",
                                 "bias", "flag")
TREND_COLUMNS: tuple[str, ...] = ("quarter", "reps", "forecast", "actual", "team_bias",
                                  "median_absolute_percentage_error", "share_within_tolerance")

_SUBMISSION_COLUMNS = ("submitted_date", "rep_id", "period", "category", "amount")
_ROUND = 9  # decimals a bias is rounded to before comparing with the tolerance (110 / 100 - 1 is 0.1000...09)


# --------------------------------------------------------------------------------------------------
# settings


class AccuracySettings(Settings):
    """How forecast accuracy is measured (``accuracy:`` in the params).

    * ``quarters``: complete quarters of history shown (1-40).
    * ``flag_quarters``: a rep's flag looks at the table's last this many quarters (1-40, at most
      ``quarters``).
    * ``flag_min``: quarters among those that must be optimistic (or pessimistic) for the flag; more than
      half of ``flag_quarters``.
    * ``category``: which submission is judged: ``commit`` or ``best_case``.
    * ``tolerance``: how far off (a fraction of actual, 0 <= t < 1) still counts as accurate.
    """

    quarters: Whole("quarters", 1, 40, example=8) = 8
    flag_quarters: Whole("quarters", 1, 40, example=4) = 4
    flag_min: Whole("quarters", 1, 40, example=3) = 3
    category: OneOf(SUBMISSION_CATEGORIES) = "commit"
    tolerance: ShareBelowOne = 0.1

    @model_validator(mode="after")
    def _consistent(self) -> "AccuracySettings":
        if self.flag_quarters > self.quarters:
            raise ValueError(
                f"flag_quarters ({self.flag_quarters}) must not exceed quarters ({self.quarters}): flags look "
                "at the last quarters of the table shown"
            )
        if self.flag_min > self.flag_quarters:
            raise ValueError(
                f"flag_min ({self.flag_min}) must not exceed flag_quarters ({self.flag_quarters}): a rep cannot "
                "be off in more quarters than are looked at"
            )
        if 2 * self.flag_min <= self.flag_quarters:
            raise ValueError(
                f"flag_min ({self.flag_min}) must be more than half of flag_quarters ({self.flag_quarters}), so a "
                f"rep cannot be flagged both optimistic and pessimistic; e.g. {self.flag_quarters // 2 + 1}"
            )
        return self


# --------------------------------------------------------------------------------------------------
# 1. forecast vs actual


def forecast_vs_actual(
    submissions: pd.DataFrame | None,
    opportunities: pd.DataFrame,
    as_of,
    fiscal_year_start_month: int = 1,
    settings: AccuracySettings | None = None,
) -> pd.DataFrame:
    """One row per rep and complete quarter with a forecast (see the module docstring for the rules).

    Columns: ``rep_id``, ``quarter`` (label, e.g. ``2026Q3``), ``forecast`` (last ``category`` submission
    on or before the quarter's end), ``actual`` (won amount closed in the quarter), ``signed_bias`` (forecast
    / actual - 1), ``absolute_percentage_error`` (|forecast - actual| / actual), ``forecast_to_actual``
    (forecast / actual) — the last three NaN when actual is 0 — and ``direction`` (optimistic, pessimistic,
    accurate per ``tolerance``). Sorted by rep_id, then quarter. ``submissions=None`` (no table) gives an
    empty frame with these columns.
    """
    settings = settings_or_default(settings, AccuracySettings)
    deals.check_opportunities(opportunities)
    deals.check_columns(opportunities, ("rep_id",), "opportunities")
    as_of = as_timestamp(as_of, "as_of")
    last = deals.last_complete_quarter(as_of, fiscal_year_start_month)
    shown = [fiscal_calendar.quarter_label(last - back) for back in range(settings.quarters - 1, -1, -1)]
    if submissions is None:
        return _empty_table()
    deals.check_columns(submissions, _SUBMISSION_COLUMNS, "forecast_submissions")

    subs = submissions.loc[submissions["category"].astype(object).eq(settings.category).fillna(False)
                           .to_numpy(dtype=bool)]
    period = subs["period"].astype(object).astype(str).str.strip()
    ends = _quarter_ends(period, fiscal_year_start_month)
    keep = (subs["submitted_date"] <= ends) & period.isin(shown)
    latest = (
        pd.DataFrame({
            "rep_id": subs["rep_id"].astype(object),
            "quarter": period,
            "submitted_date": subs["submitted_date"],
            "forecast": subs["amount"].astype("float64"),
        })
        .loc[keep.to_numpy(dtype=bool)]
        .sort_values("submitted_date", kind="stable")
        .drop_duplicates(["rep_id", "quarter"], keep="last")
    )

    closed_by_then = (opportunities["close_date"] <= as_of).to_numpy(dtype=bool)
    won = opportunities.loc[deals.won_mask(opportunities) & closed_by_then]
    actual = (
        pd.DataFrame({
            "rep_id": won["rep_id"].astype(object),
            "quarter": fiscal_calendar.quarter_labels(won["close_date"], fiscal_year_start_month).astype(object),
            "actual": won["amount"].astype("float64"),
        })
        .groupby(["rep_id", "quarter"], sort=False)["actual"].sum()
    )
    table = latest.merge(actual.reset_index(), on=["rep_id", "quarter"], how="left")
    table["actual"] = table["actual"].fillna(0.0)
    table = table.sort_values(["rep_id", "quarter"], kind="stable").reset_index(drop=True)
    return _measures(table["rep_id"], table["quarter"], table["forecast"], table["actual"], settings.tolerance)


def _quarter_ends(period: pd.Series, fiscal_year_start_month: int) -> pd.Series:
    """Last day of each period label; a label that is not YYYYQn is an error naming the rows."""
    bad = ~period.str.match(fiscal_calendar.QUARTER_PATTERN.pattern)
    if bad.any():
        examples = period[bad].drop_duplicates().head(5).tolist()
        rows = list(period.index[bad][:5])
        raise ValueError(
            f"forecast_submissions: column 'period' must hold quarter labels written YYYYQn (e.g. 2026Q3); "
            f"rows {rows} hold {examples}. Map the CRM's period names onto quarter labels before loading."
        )
    ends = {label: fiscal_calendar.quarter_end(label, fiscal_year_start_month) for label in period.unique()}
    return pd.to_datetime(period.map(ends)).astype("datetime64[ns]")


def _measures(rep_id, quarter, forecast, actual, tolerance: float) -> pd.DataFrame:
    forecast = pd.Series(np.asarray(forecast, dtype="float64"))
    actual = pd.Series(np.asarray(actual, dtype="float64"))
    ratio = deals.ratio(forecast, actual)
    bias = ratio - 1
    rounded = bias.round(_ROUND)
    optimistic = (rounded > tolerance) | ((actual == 0) & (forecast > 0))
    pessimistic = rounded < -tolerance
    direction = np.select([optimistic.to_numpy(), pessimistic.to_numpy()], ["optimistic", "pessimistic"], "accurate")
    return pd.DataFrame({
        "rep_id": pd.array(np.asarray(rep_id, dtype=object), dtype=TEXT_DTYPE),
        "quarter": pd.array(np.asarray(quarter, dtype=object), dtype=TEXT_DTYPE),
        "forecast": forecast,
        "actual": actual,
        "signed_bias": bias,
        "absolute_percentage_error": deals.ratio((forecast - actual).abs(), actual),
        "forecast_to_actual": ratio,
        "direction": pd.array(direction.astype(object), dtype=TEXT_DTYPE),
    })


def _empty_table() -> pd.DataFrame:
    return _measures([], [], [], [], 0.0)


# --------------------------------------------------------------------------------------------------
# 2. flags


def _quarter_index(labels: pd.Series) -> np.ndarray:
    """``2026Q3`` -> 2026 * 4 + 2: consecutive quarters get consecutive numbers (any fiscal calendar)."""
    text = labels.astype(object).astype(str)
    return (text.str[:4].astype("int64") * 4 + text.str[5].astype("int64") - 1).to_numpy()


def flag_reps(table: pd.DataFrame, settings: AccuracySettings | None = None) -> pd.DataFrame:
    """Reps consistently optimistic or pessimistic over the table's last ``flag_quarters`` quarters.

    One row per rep with at least one row in those quarters (the quarters up to the table's latest, whether
    or not the rep submitted in each). Columns: ``rep_id``; ``quarters_seen`` (count of the rep's quarters
    among them); ``optimistic``, ``pessimistic`` (counts of those quarters in that direction); ``forecast``,
    ``actual`` (sums over those quarters, company currency); ``bias`` = forecast / actual - 1 over them (NaN
    when actual is 0); ``flag`` = ``optimistic`` when optimistic >= flag_min, ``pessimistic`` when
    pessimistic >= flag_min, else ``""``. Sorted by flag (optimistic, pessimistic, none), then rep_id.
    """
    settings = settings_or_default(settings, AccuracySettings)
    deals.check_columns(table, ("rep_id", "quarter", "forecast", "actual", "direction"), "table")
    index = _quarter_index(table["quarter"]) if len(table) else np.array([], dtype="int64")
    recent = table.loc[index > (index.max() if len(index) else 0) - settings.flag_quarters]
    direction = recent["direction"].astype(object)
    counts = (
        pd.DataFrame({
            "rep_id": recent["rep_id"].astype(object),
            "quarters_seen": 1,
            "optimistic": direction.eq("optimistic").astype("int64"),
            "pessimistic": direction.eq("pessimistic").astype("int64"),
            "forecast": recent["forecast"].astype("float64"),
            "actual": recent["actual"].astype("float64"),
        })
        .groupby("rep_id", sort=True)
        .sum()
        .reset_index()
    )
    flag = np.select(
        [counts["optimistic"] >= settings.flag_min, counts["pessimistic"] >= settings.flag_min],
        ["optimistic", "pessimistic"], "",
    )
    out = pd.DataFrame({
        "rep_id": pd.array(counts["rep_id"].to_numpy(dtype=object), dtype=TEXT_DTYPE),
        "quarters_seen": pd.array(counts["quarters_seen"], dtype="Int64"),
        "optimistic": pd.array(counts["optimistic"], dtype="Int64"),
        "pessimistic": pd.array(counts["pessimistic"], dtype="Int64"),
        "forecast": counts["forecast"].to_numpy(dtype="float64"),
        "actual": counts["actual"].to_numpy(dtype="float64"),
        "bias": (deals.ratio(counts["forecast"], counts["actual"]) - 1).to_numpy(dtype="float64"),
        "flag": pd.array(flag.astype(object), dtype=TEXT_DTYPE),
    })
    order = out["flag"].astype(object).map({"optimistic": 0, "pessimistic": 1, "": 2})
    return (out.assign(_order=order).sort_values(["_order", "rep_id"], kind="stable")
            .drop(columns="_order").reset_index(drop=True))


# --------------------------------------------------------------------------------------------------
# 3. team trend


def team_trend(table: pd.DataFrame) -> pd.DataFrame:
    """The team's forecast accuracy per quarter.

    Columns: ``quarter``; ``reps`` (count of reps with a forecast); ``forecast``, ``actual`` (sums, company
    currency); ``team_bias`` = forecast / actual - 1 (NaN when actual is 0); ``median_absolute_percentage_error``
    (median over the reps, skipping NaN); ``share_within_tolerance`` (share of the reps whose direction is
    ``accurate``). One row per quarter of the table, oldest first.
    """
    deals.check_columns(table, TABLE_COLUMNS, "table")
    grouped = (
        pd.DataFrame({
            "quarter": table["quarter"].astype(object),
            "reps": 1,
            "forecast": table["forecast"].astype("float64"),
            "actual": table["actual"].astype("float64"),
            "ape": table["absolute_percentage_error"].astype("float64"),
            "accurate": table["direction"].astype(object).eq("accurate").astype("float64"),
        })
        .groupby("quarter", sort=True)
        .agg(reps=("reps", "sum"), forecast=("forecast", "sum"), actual=("actual", "sum"),
             median_absolute_percentage_error=("ape", "median"), share_within_tolerance=("accurate", "mean"))
        .reset_index()
    )
    return pd.DataFrame({
        "quarter": pd.array(grouped["quarter"].to_numpy(dtype=object), dtype=TEXT_DTYPE),
        "reps": pd.array(grouped["reps"].astype("int64"), dtype="Int64"),
        "forecast": grouped["forecast"].to_numpy(dtype="float64"),
        "actual": grouped["actual"].to_numpy(dtype="float64"),
        "team_bias": (deals.ratio(grouped["forecast"], grouped["actual"]) - 1).to_numpy(dtype="float64"),
        "median_absolute_percentage_error": grouped["median_absolute_percentage_error"].to_numpy(dtype="float64"),
        "share_within_tolerance": grouped["share_within_tolerance"].to_numpy(dtype="float64"),
    })


# --------------------------------------------------------------------------------------------------
# 4. findings


_CATEGORY_WORDS = {"commit": "commits", "best_case": "best-case forecasts"}


def _reps(count: int) -> str:
    return f"{count} rep{'s' if count != 1 else ''} {'were' if count != 1 else 'was'}"


def accuracy_findings(
    table: pd.DataFrame, flags: pd.DataFrame, trend: pd.DataFrame, settings: AccuracySettings | None = None,
    currency: str = "USD",
) -> list[str]:
    """What the accuracy numbers mean for forecasting discipline and data entry, in plain sentences.

    In order: the reps flagged optimistic and how far above their bookings their forecasts ran; the same
    for pessimistic; the team trend (bias and share within tolerance, first vs last quarter, and the mix of
    directions); rep-quarters forecast with nothing won, which often point at data entry. ``settings``
    (default ``AccuracySettings()``) only supplies the words: category, tolerance, flag_min / flag_quarters.
    With an empty table: one sentence saying what to add.
    """
    settings = settings_or_default(settings, AccuracySettings)
    what = _CATEGORY_WORDS[settings.category]
    if len(table) == 0:
        return [
            f"No {settings.category} forecast submissions fall in the last {settings.quarters} complete quarters, so "
            "forecast accuracy cannot be shown. Add a forecast_submissions table (submitted_date, rep_id, period, "
            f"category, amount) with each rep's {settings.category} per quarter to compare forecasts with bookings."
        ]
    findings = []
    window = f"at least {settings.flag_min} of their last {settings.flag_quarters} quarters"
    category = settings.category.replace("_", "-")
    flag = flags["flag"].astype(object)
    for direction, word, advice in (
        ("optimistic", "above", f"managers should inspect their {category} deals weekly and ask for evidence (a "
                                f"dated next step, a confirmed decision process) before a deal stays in {category}"),
        ("pessimistic", "below", "coach them to commit the deals they historically close, so the team forecast "
                                 "and the capacity plan are not set too low"),
    ):
        flagged = flags.loc[flag.eq(direction).to_numpy(dtype=bool)]
        if len(flagged) == 0:
            findings.append(f"No rep was {direction} in {window}.")
            continue
        forecast, actual = float(flagged["forecast"].sum()), float(flagged["actual"].sum())
        if actual > 0:
            gap = abs(forecast / actual - 1)
            ran = (f"their {what} ran {gap:.0%} {word} what they closed "
                   f"({money(forecast, currency)} vs {money(actual, currency)})")
        else:
            ran = f"they forecast {money(forecast, currency)} and closed nothing"
        findings.append(f"{_reps(len(flagged))} {direction} in {window}; {ran}: {advice}.")

    ordered = trend.sort_values("quarter", kind="stable")
    first, latest = ordered.iloc[0], ordered.iloc[-1]
    tolerance = f"±{settings.tolerance:.0%}"
    latest_text = (f"in {latest['quarter']} {latest['share_within_tolerance']:.0%} of {int(latest['reps'])} reps "
                   f"landed within {tolerance} of their {settings.category.replace('_', ' ')} (median error "
                   f"{_pct(latest['median_absolute_percentage_error'])})")
    if len(ordered) > 1:
        before, now = first["team_bias"], latest["team_bias"]
        if pd.notna(before) and pd.notna(now):
            change = ("improving" if abs(now) < abs(before) else "worsening" if abs(now) > abs(before) else "unchanged")
            findings.append(
                f"Team forecast bias went from {before:+.0%} in {first['quarter']} to {now:+.0%} in "
                f"{latest['quarter']} ({change}); {latest_text}."
            )
        else:
            findings.append(f"The team forecast bias cannot be traced over time (a quarter with no bookings); "
                            f"{latest_text}.")
    else:
        findings.append(f"Team forecast bias in {latest['quarter']} was {_signed(latest['team_bias'])}; "
                        f"{latest_text}.")

    direction = table["direction"].astype(object)
    shares = {d: float(direction.eq(d).mean()) for d in DIRECTIONS}
    lean = ("Forecasts lean optimistic" if shares["optimistic"] > shares["pessimistic"] + 0.1 else
            "Forecasts lean pessimistic" if shares["pessimistic"] > shares["optimistic"] + 0.1 else "Forecast misses "
            "are balanced")
    findings.append(
        f"{lean}: over the last {table['quarter'].nunique()} quarters {shares['optimistic']:.0%} of rep-quarters were "
        f"optimistic, {shares['pessimistic']:.0%} pessimistic and {shares['accurate']:.0%} within {tolerance}."
    )

    empty = table.loc[((table["actual"] == 0) & (table["forecast"] > 0)).to_numpy(dtype=bool)]
    if len(empty):
        findings.append(
            f"{len(empty)} rep-quarter(s) forecast {money(float(empty['forecast'].sum()), currency)} but closed nothing: check "
            "that won deals are marked won with the right close date and owner before reading these reps as "
            "optimistic."
        )
    return findings


def _pct(value) -> str:
    return "n/a" if pd.isna(value) else f"{value:.0%}"


def _signed(value) -> str:
    return "n/a (nothing closed)" if pd.isna(value) else f"{value:+.0%}"
