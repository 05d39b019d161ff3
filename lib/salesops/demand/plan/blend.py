"""The three forecasting methods side by side, blended (*Blend weights* in the notes of
``salesops.demand.plan``), and why they differ, in sentences."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

import pandas as pd

from salesops.checks import as_timestamp
from salesops.contract.schema import TEXT_DTYPE
from salesops.demand.methods import METHOD_LABELS, METHODS, SCENARIOS
from salesops.demand.plan.common import TOTAL, check_frame, share_inside
from salesops.demand.plan.settings import DemandSettings, resolve_settings
from salesops.formats import money, percent


COMPARISON_COLUMNS: tuple[str, ...] = (
    "method", "scenario", "bookings", "weight", "vs_reference", "weight_basis", "reason",
)


def _method_total(frame, name: str, unique_id: str, start, end) -> tuple[dict[str, float], dict[str, float]]:
    """(scenario totals, extra columns of the row when ``frame`` is period-level) of one method."""
    check_frame(frame, name, ("unique_id", *SCENARIOS))
    rows = frame.loc[frame["unique_id"].astype(object).eq(unique_id).to_numpy(dtype=bool)]
    if "ds" in frame.columns:  # the share of each month's (week's) days inside the period
        share = share_inside(rows["ds"], start, end)
        rows = rows.loc[share > 0]
        rows = rows.assign(**{s: rows[s].astype("float64") * share[share > 0] for s in SCENARIOS})
    elif len(rows) > 1:
        raise ValueError(f"{name} has {len(rows)} rows for unique_id {unique_id!r} and no ds column: give one row "
                         "per series for the period, or monthly rows with ds")
    if rows.empty:
        raise ValueError(f"{name} has no row for unique_id {unique_id!r}"
                         + (" in the planned period" if "ds" in frame.columns else ""))
    values = {s: float(rows[s].astype("float64").sum()) for s in SCENARIOS}
    if any(math.isnan(v) for v in values.values()):
        raise ValueError(f"{name} has a missing {'/'.join(SCENARIOS)} value for unique_id {unique_id!r}")
    extras = {}
    if "ds" not in frame.columns:
        row = rows.iloc[0]
        extras = {column: row[column] for column in frame.columns if column not in ("unique_id", *SCENARIOS)}
    return values, extras


def _backtest_errors(backtest_errors) -> dict[str, float]:
    if backtest_errors is None:
        return {}
    if isinstance(backtest_errors, pd.DataFrame):
        check_frame(backtest_errors, "backtest_errors", ("method", "error"))
        if backtest_errors["method"].duplicated().any():
            raise ValueError("backtest_errors has more than one row for some method: one error per method")
        pairs = zip(backtest_errors["method"].astype(object), backtest_errors["error"].astype("float64"))
    elif isinstance(backtest_errors, Mapping):
        pairs = backtest_errors.items()
    else:
        raise ValueError("backtest_errors must be a frame with columns method, error, a mapping {method: error} or "
                         f"None; got {type(backtest_errors).__name__}")
    errors = {}
    for method, error in pairs:
        if method not in METHODS:
            raise ValueError(f"backtest_errors has unknown method {method!r}; valid: {', '.join(METHODS)}")
        if (isinstance(error, bool) or not isinstance(error, numbers.Real) or not math.isfinite(error)
                or error < 0):
            raise ValueError(f"backtest_errors[{method!r}] must be an error of 0 or more (e.g. a mean absolute "
                             f"percentage error as a fraction); got {error!r}")
        errors[str(method)] = float(error)
    return errors


def method_weights(available: Sequence[str], settings: DemandSettings | None = None,
                  backtest_errors=None) -> tuple[dict[str, float], str]:
    """The weight of each available method in the blend (adding up to 1) and how they were set.

    * ``settings.blend_weights`` set: those weights, rescaled over ``available`` (a method not listed weighs 0).
    * else with ``backtest_errors`` (a frame ``method, error`` or a mapping {method: error}; error >= 0, lower is
      better, e.g. the MAPE of each method's backtested quarterly bookings): w_m = (1/e_m) / sum_k (1/e_k). A
      method without an error gets the largest error given; if some errors are 0 those methods share the weight.
    * else equal weights.

    Returns ({method: weight}, text saying how the weights were set).
    """
    settings = resolve_settings(settings)
    available = [m for m in METHODS if m in available]
    if not available:
        raise ValueError(f"no forecast to blend: give at least one of {', '.join(METHODS)}")
    errors = _backtest_errors(backtest_errors)
    if settings.blend_weights is not None:
        raw = {m: settings.blend_weights.get(m, 0.0) for m in available}
        if sum(raw.values()) <= 0:
            raise ValueError(f"demand.blend_weights {settings.blend_weights} give no weight to the methods available "
                             f"({', '.join(available)}): give one of them a positive weight")
        dropped = [m for m in settings.blend_weights if m not in available and settings.blend_weights[m] > 0]
        basis = "weights set in the params" + (f" ({', '.join(dropped)} not available: rescaled)" if dropped else "")
    elif errors:
        worst = max(errors.values())
        used = {m: errors.get(m, worst) for m in available}
        if min(used.values()) == 0:
            raw = {m: 1.0 if e == 0 else 0.0 for m, e in used.items()}
        else:
            raw = {m: 1.0 / e for m, e in used.items()}
        untested = [m for m in available if m not in errors]
        tested = [m for m in available if m in errors]
        if untested and len(set(used.values())) == 1:  # e.g. only the statistical forecast has a backtest
            basis = (f"equal weights: only {', '.join(tested) or 'none of them'} was backtested; "
                     f"{', '.join(untested)} could not be (the data keep no history of stages, expected close "
                     "dates or lead scores to backtest them on)")
        else:
            basis = ("weights inverse to backtest error ("
                     + ", ".join(f"{m} {used[m]:.3g}" for m in available) + ")"
                     + (f"; {', '.join(untested)} not backtested: given the largest error" if untested else ""))
    else:
        raw = {m: 1.0 for m in available}
        basis = "equal weights (no backtest errors given)"
    total = sum(raw.values())
    return {m: raw[m] / total for m in available}, basis


def _reason(method: str, base: float, reference: str | None, reference_base: float, extras: dict,
            tolerance: float, currency: str, period: str) -> str:
    if method == "statistical":
        return "baseline: bookings history, trend and seasonality"
    if reference is None or method == reference:
        return "baseline the other methods are compared with"
    if not reference_base > 0:
        return f"{reference} forecasts nothing to compare with"
    gap = round(base / reference_base - 1, 9)  # 110 / 100 - 1 is 0.10000000000000009
    name, reference_name = METHOD_LABELS[method], METHOD_LABELS[reference]
    if abs(gap) <= tolerance:
        return f"{name} agrees with {reference_name} (within ±{percent(tolerance, 0)})"
    where = f"{name} is {percent(abs(gap), 0)} {'below' if gap < 0 else 'above'} {reference_name}"
    if method == "pipeline":
        open_value = extras.get("open_value")
        if gap < 0:
            text = f"{where}: coverage is thin"
            if open_value is not None and not pd.isna(open_value):
                text += (f" — open deals due in the {period} total {money(open_value, currency, compact=True)}, "
                         f"{open_value / reference_base:.1f}× the {reference_name} forecast before close rates")
            new = extras.get("expected_new_deals")
            if new is not None and not pd.isna(new) and new > 0:
                text += (f"; deals still to be created add {money(new, currency, compact=True)} at the rate of past "
                         f"{period}s")
            else:
                text += f", and deals still to be created in the {period} are not counted"
            slip = extras.get("slip_share")
            if slip is not None and not pd.isna(slip) and slip >= 0.2:
                text += f"; {percent(slip, 0)} of the due value is expected to slip"
            return text
        text = f"{where}: more is due in the {period} than history suggests"
        if open_value is not None and not pd.isna(open_value):
            text += f" (open deals due {money(open_value, currency, compact=True)})"
        return text + " — check close dates and stages before relying on it"
    if method == "leads":
        share = extras.get("share_in_period")
        lag = extras.get("median_lag_days")
        wins = extras.get("expected_wins")
        converted = extras.get("converted_open_bookings")
        of_which = ""
        if converted is not None and not pd.isna(converted) and base > 0:
            of_which = (f" ({percent(converted / base, 0)} of it from leads already converted whose deal is still "
                        "open, at the lead deals' win rate and size)")
        if gap < 0:
            if share is not None and not pd.isna(share) and share < 0.5 and lag is not None and not pd.isna(lag):
                return (f"{where}: the lead-to-booking lag (median {lag:.0f} days) puts most wins from open leads, "
                        f"converted leads and new leads after the {period}{of_which}")
            text = f"{where}: fewer or weaker leads than the bookings trend needs"
            if wins is not None and not pd.isna(wins):
                text += (f" — open leads, converted leads with an open deal and the expected new leads give "
                         f"{wins:,.0f} wins in the {period} at the measured conversion and win rate{of_which}")
            return text
        text = f"{where}: lead volume or quality is up"
        if wins is not None and not pd.isna(wins):
            text += f" — the lead funnel is expected to give {wins:,.0f} wins in the {period}{of_which}"
        return text + "; bookings history has not caught up with it yet"
    return where


def compare_forecasts(
    statistical: pd.DataFrame | None,
    pipeline: pd.DataFrame | None,
    lead: pd.DataFrame | None,
    settings: DemandSettings | None = None,
    backtest_errors=None,
    *,
    unique_id: str = TOTAL,
    period_start=None,
    period_end=None,
    currency: str = "USD",
    period_name: str = "quarter",
) -> pd.DataFrame:
    """The three forecasts of the planned period side by side, and their blend.

    Each forecast is a frame with ``unique_id, downside, base, upside``: one row per series for the period
    (:func:`pipeline_forecast`, :func:`lead_forecast`) or monthly (or weekly) rows with ``ds`` (``forecast.py``,
    the ``_by_month`` functions), summed over ``[period_start, period_end]`` (every row when not given), each
    row weighted by the share of its month's (week's) days inside it. The row(s) of ``unique_id`` (default ``total``) are used; a method given as None is left out.

    Rows: ``method`` statistical, pipeline, leads (those given), then ``blended``, each with ``scenario``
    downside, base, upside. Columns: ``bookings`` (company currency; blended = sum of weight × bookings of the
    same scenario), ``weight`` (the method's blend weight, see :func:`method_weights`; 1 for blended),
    ``vs_reference`` = bookings / the reference method's bookings of the same scenario − 1 (reference: statistical,
    else the first method given), ``weight_basis`` (how the weights were set), ``reason`` (why the method differs
    from the reference, e.g. "pipeline is 30% below statistical: coverage is thin …"). Monthly downsides summed
    are wider than a quarterly interval would be.
    """
    settings = resolve_settings(settings)
    start = None if period_start is None else as_timestamp(period_start, "period_start")
    end = None if period_end is None else as_timestamp(period_end, "period_end")
    given = {"statistical": statistical, "pipeline": pipeline, "leads": lead}
    names = {"statistical": "statistical", "pipeline": "pipeline", "leads": "lead"}
    totals, extras = {}, {}
    for method, frame in given.items():
        if frame is not None:
            totals[method], extras[method] = _method_total(frame, names[method], unique_id, start, end)
    weights, basis = method_weights(list(totals), settings, backtest_errors)
    methods = list(totals)
    reference = "statistical" if "statistical" in totals else methods[0]
    blended = {s: sum(weights[m] * totals[m][s] for m in methods) for s in SCENARIOS}

    rows = []
    for method in methods:
        reason = _reason(method, totals[method]["base"], reference, totals[reference]["base"], extras[method],
                         settings.agreement_tolerance, currency, period_name)
        for scenario in SCENARIOS:
            rows.append((method, scenario, totals[method][scenario], weights[method], reason))
    weight_text = ", ".join(f"{METHOD_LABELS[m]} {percent(weights[m], 0)}" for m in methods)
    for scenario in SCENARIOS:
        rows.append(("blended", scenario, blended[scenario], 1.0, f"weighted average of the methods: {weight_text}"))
    out = pd.DataFrame(rows, columns=["method", "scenario", "bookings", "weight", "reason"])
    reference_values = out["scenario"].map(totals[reference]).astype("float64")
    out["vs_reference"] = out["bookings"] / reference_values.where(reference_values != 0) - 1
    out["weight_basis"] = basis
    for column in ("method", "scenario", "weight_basis", "reason"):
        out[column] = out[column].astype(TEXT_DTYPE)
    return out[list(COMPARISON_COLUMNS)]


def explain_differences(comparison: pd.DataFrame, currency: str = "USD", period_name: str = "quarter") -> list[str]:
    """Plain sentences for the executive page from a :func:`compare_forecasts` frame: the blended forecast and its
    range with the weights, each method's base and why it differs, and how far apart the methods are."""
    check_frame(comparison, "comparison", ("method", "scenario", "bookings", "weight", "weight_basis", "reason"))
    table = comparison.assign(method=comparison["method"].astype(object),
                              scenario=comparison["scenario"].astype(object))
    values = table.pivot_table(index="method", columns="scenario", values="bookings", aggfunc="sum")
    if "blended" not in values.index:
        raise ValueError("comparison has no blended rows: pass the frame compare_forecasts returns")
    fmt = lambda value: money(value, currency, compact=True)  # noqa: E731
    blend = values.loc["blended"]
    methods = [m for m in METHODS if m in values.index]
    weights = table.drop_duplicates("method").set_index("method")["weight"]
    basis = str(table["weight_basis"].iloc[0])
    sentences = [
        f"Blended forecast for the {period_name}: {fmt(blend['base'])} (downside {fmt(blend['downside'])}, upside "
        f"{fmt(blend['upside'])}), weighting "
        + ", ".join(f"{METHOD_LABELS[m]} {percent(weights[m], 0)}" for m in methods)
        + f" — {basis}."
    ]
    reasons = table.drop_duplicates("method").set_index("method")["reason"]
    for method in methods:
        row = values.loc[method]
        sentences.append(f"{METHOD_LABELS[method].capitalize()}: {fmt(row['base'])} (range {fmt(row['downside'])} to "
                         f"{fmt(row['upside'])}); {reasons[method]}.")
    if len(methods) > 1 and blend["base"] > 0:
        spread = (values.loc[methods, "base"].max() - values.loc[methods, "base"].min()) / blend["base"]
        sentences.append(f"The methods' base forecasts span {percent(spread, 0)} of the blended forecast.")
    return sentences
