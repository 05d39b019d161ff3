"""Step 4's page in numbers and words, and the quarter's one-screen executive summary (the cards and
sentences the index page shows): last quarter against plan, forecast against target, the capacity gap and
hires, quotas, the organisation. Nothing here defines a measure: it reads the artifacts of steps 1-4.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from salesops.align import plan_facts
from salesops.demand.plan.pipeline_gap import opportunities
from salesops.formats import money, number, percent
from salesops.report import plots
from salesops.report.present import Metric

if TYPE_CHECKING:  # only for annotations: the params are put together above every step
    from salesops.plan_params import Params


#: The plan facts (``plan_facts``) the executive summary shows as cards, in order.
SUMMARY_CARDS: tuple[str, ...] = ("forecast_base", "target", "gap_to_target", "pipeline_coverage",
                                  "capacity_vs_target", "hires", "cost_total")


def summary_metrics(facts: pd.DataFrame) -> list[Metric]:
    """The executive summary's cards, each a plan fact as it is everywhere else: forecast against target, the gap,
    pipeline coverage against the coverage needed, capacity against the target, hires and the full cost."""
    fact = plan_facts.fact_values(facts)
    cards = []
    for key in SUMMARY_CARDS:
        row = fact[key]
        note = row["note"]
        if key == "pipeline_coverage":
            note = f"{fact['coverage_needed']['display']} needed at the measured close rates"
        elif key == "cost_total" and "not included" not in note:  # the long form: sentences, figures' table
            note = "payroll, contractors, hardware and commission"
        elif key == "cost_total":
            note = "not included: " + note.rsplit("not included: ", 1)[1]
        cards.append(Metric(str(row["label"]), float(row["value"]), str(row["display"]), str(note)))
    return cards


def summary_findings(review: list[str], facts: pd.DataFrame, hiring_plan: pd.DataFrame, quotas: pd.DataFrame,
                     organisation_sentence: str, params: Params) -> list[str]:
    """The executive summary's sentences, from the plan facts: last quarter against plan (``review``, from
    step 1), this quarter's forecast against the target and what closes the gap (new pipeline, capacity), hires,
    the full cost, quotas and the organisation."""
    currency, quarter = params.currency, params.quarter
    fact = plan_facts.fact_values(facts)
    cash = lambda key: fact[key]["display"]  # noqa: E731
    base, target = fact["forecast_base"]["value"], fact["target"]["value"]
    sentences = list(review)
    sentences.append(
        f"{quarter}: {cash('forecast_base')} expected ({cash('forecast_downside')} to {cash('forecast_upside')}), "
        f"{percent(abs(base / target - 1))} {'above' if base >= target else 'below'} the target of {cash('target')}.")
    to_add = fact["bookings_from_new_pipeline"]["value"]
    coverage = (f"the open pipeline covers the target {fact['pipeline_coverage']['display']} against the "
                f"{fact['coverage_needed']['display']} needed at the measured close rates")
    if to_add > 0 and "opportunities_to_create" in fact:
        create = fact["opportunities_to_create"]
        sentences.append(f"To close the gap, create {opportunities(int(create['value']))} a month ({create['note']}): "
                         f"{coverage}, and the new pipeline must add {cash('bookings_from_new_pipeline')}.")
    elif to_add > 0:
        sentences.append(f"Pipeline is short: {coverage}.")
    else:
        sentences.append(f"Pipeline is not what limits the plan: {coverage}.")
    with_hires = fact["capacity_vs_target"]["value"] + target
    sentences.append(
        f"The team can book about {money(with_hires, currency, compact=True)} in {quarter} "
        + (f"(hires starting in the quarter included): {money(target - with_hires, currency, compact=True)} short of "
           "the target even if demand reaches it, since hires cannot ramp in time." if with_hires < target else
           "(hires starting in the quarter included), enough for the target."))
    if fact["hires"]["value"] and len(hiring_plan):
        first = hiring_plan.sort_values("ds").iloc[0]
        sentences.append(
            f"Hire {fact['hires']['display']} people ({fact['hires']['note']}); the first start in "
            f"{first['ds']:%B %Y}.")
    sentences.append(cost_sentence(fact, quarter))
    new = quotas[quotas["new_hire"]] if "new_hire" in quotas else quotas.iloc[0:0]
    sentences.append(
        f"Quotas add up to {cash('quotas_total')} (target + {percent(params.quotas.over_assignment)}) over "
        f"{number(len(quotas))} account executives"
        + (f", {number(len(new))} of them new hires on ramped quotas." if len(new) else "."))
    sentences += quota_evidence_sentences(quotas, params)
    if organisation_sentence:
        sentences.append(organisation_sentence)
    return sentences


def cost_sentence(fact, quarter: str) -> str:
    """What the plan costs, from the plan facts: the known parts summed, and the parts that could not be costed
    named with the reason."""
    parts = (("cost_payroll", "payroll", "over the horizon"), ("cost_contractors", "contractors", "over the horizon"),
             ("cost_hardware", "hardware", f"in {quarter}"), ("cost_commission", "commission", f"in {quarter}"))
    known = [f"{fact[key]['display']} {name} {when}" for key, name, when in parts if pd.notna(fact[key]["value"])]
    missing = [f"{name} ({fact[key]['note']})" for key, name, _ in parts if pd.isna(fact[key]["value"])]
    total = fact["cost_total"]["display"]
    if not missing:
        return f"The plan costs {total}: " + ", ".join(known) + "."
    return (f"The plan costs {total} as far as it can be costed" + (": " + ", ".join(known) if known else "")
            + "; not costed: " + "; ".join(missing) + ".")


def assumptions(target: float, target_basis: str, params: Params) -> pd.DataFrame:
    """What the plan a sales leader signs assumes rather than measures, one row each with its value and the
    param that sets it: the target's basis, over-assignment, the quota split, the ramp of new hires' quotas and
    the compensation plan of account executives. Columns figure, value, basis (text)."""
    quotas_, comp = params.quotas, params.compensation.plans.get("AE")
    from_params = "set in the params" in target_basis
    rows = [("Target", money(target, params.currency), "assumed (collect.target)" if from_params else
             f"{target_basis}: the bookings measured, the growth assumed"),
            ("Quotas above the target", percent(quotas_.over_assignment, 0), "assumed (quotas.over_assignment)"),
            ("Weight of each rep's measured capacity in the split", percent(quotas_.capacity_weight, 0),
             "assumed (quotas.capacity_weight); the rest by territory potential"),
            ("A new hire's ramp (share of a full quota by month)",
             " → ".join(percent(share, 0) for share in params.supply.ramp_curve), "assumed (supply.ramp_curve)")]
    if comp is not None:
        rows += [("Account executives' pay mix (variable share of on-target earnings)", percent(comp.pay_mix, 0),
                  "assumed (compensation.plans.AE.pay_mix)"),
                 ("New hires' variable pay", "ramped like the quota: target variable × ramped share",
                  "assumed (quotas ramp: supply.ramp_curve)"),
                 ("Accelerator tiers", ", ".join(f"from {percent(t.from_attainment, 0)}: ×{t.rate_multiplier:g}"
                                                 for t in comp.tiers), "assumed (compensation.plans.AE.tiers)")]
    return pd.DataFrame(rows, columns=["figure", "value", "basis"]).astype("string")


def quota_evidence_sentences(quotas: pd.DataFrame, params: Params) -> list[str]:
    """How the quotas follow each rep's record: the rank (Spearman) correlation between the quotas and the last
    ``supply.history_months``' bookings of the reps measured (planned hires and reps flagged for review left
    out), and the reps flagged for review (``align.plan.quota_carriers``). Empty without those columns."""
    if not {"recent_bookings", "review"} <= set(quotas.columns):
        return []
    sentences = []
    months = params.supply.history_months
    measured = quotas[quotas["recent_bookings"].notna() & ~quotas["review"].astype(bool)]
    if len(measured) >= 3 and measured["recent_bookings"].nunique() > 1 and measured["quota"].nunique() > 1:
        rho = float(measured["quota"].rank().corr(measured["recent_bookings"].rank()))
        sentences.append(
            f"Quotas follow each rep's own record: their rank correlation with the reps' bookings of the last "
            f"{months} months is {rho:.2f} (1: the same order; {number(len(measured))} reps measured; a short record "
            "counts partly, the rest is the segment's rate).")
    flagged = quotas[quotas["review"].astype(bool)]
    if len(flagged):
        names = flagged["name"].astype(object).fillna(flagged["rep_id"].astype(object)).astype(str).tolist()
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        sentences.append(
            f"{number(len(flagged))} account executive{'s' if len(flagged) > 1 else ''} won nothing in the last "
            f"{months} months ({shown}): their quota rests on territory potential alone and should be reviewed "
            "by their manager before it is signed.")
    return sentences


def organisation_sentence(recommendation: pd.DataFrame, arr: float, params: Params) -> str:
    """One sentence: the stage by ARR and the sales-ops roles it calls for, and which are missing."""
    needed = recommendation[recommendation["needed"].astype(bool)]
    titles = ", ".join(needed["title"].astype(str))
    missing = needed[needed["present"].eq(False).fillna(False).to_numpy(bool)]
    text = (f"At {money(arr, params.currency, compact=True)} ARR the sales-operations team should have: {titles}")
    if recommendation["present"].isna().all():
        return text + " (list today's roles under organisation.current_roles to see what is missing)."
    if len(missing):
        return text + "; missing: " + ", ".join(missing["title"].astype(str)) + "."
    return text + "; all are in place."


def routing_sentence(expected: pd.DataFrame) -> str:
    """What routing the open leads by the rules changes in expected conversions."""
    by = expected.set_index("assignment")
    today, routed = by.loc["today"], by.loc["routed"]
    change = routed["expected_conversions"] - today["expected_conversions"]
    if abs(change) < max(1.0, 0.01 * today["expected_conversions"]):
        return (f"Routing the {number(routed['leads'])} open leads by the rules changes little: about "
                f"{number(routed['expected_conversions'])} expected conversions either way; it keeps the load even.")
    return (f"Routing the {number(routed['leads'])} open leads by the rules: {number(routed['expected_conversions'])} "
            f"expected conversions against {number(today['expected_conversions'])} with today's owners "
            f"({'+' if change > 0 else '−'}{number(abs(change))}; an upper estimate).")


def quota_summary(quota_table: pd.DataFrame) -> pd.DataFrame:
    """Quotas per segment: reps, new_hires, ramping (ramped share below 1), quota (sum) and
    full_quota (median quota of the fully ramped reps), company currency."""
    ramped = quota_table[quota_table["ramped_share"] >= 1]
    out = quota_table.groupby("segment", as_index=False).agg(
        reps=("rep_id", "size"), new_hires=("new_hire", "sum"),
        ramping=("ramped_share", lambda share: int((share < 1).sum())), quota=("quota", "sum"))
    out["full_quota"] = out["segment"].map(ramped.groupby("segment")["quota"].median()).astype(float)
    return out.astype({"new_hires": int})


#: Quarters of bookings history the index's chart shows before the planned one.
INDEX_CHART_QUARTERS = 8


def index_chart(facts: pd.DataFrame, growth: pd.DataFrame | None, review: pd.DataFrame | None, params: Params):
    """The index's chart (``plots.plan_overview``): the last :data:`INDEX_CHART_QUARTERS` complete quarters'
    bookings (step 1's ``growth_quarterly``), the planned quarter's forecast range and target (the plan facts),
    and last quarter's base forecast when the previous report planned it (step 1's ``plan_review_forecast``).
    None without the bookings history."""
    if growth is None or growth.empty:
        return None
    fact = plan_facts.fact_values(facts)
    history = growth[growth["complete"].astype(bool)].tail(INDEX_CHART_QUARTERS)[["quarter", "bookings"]]
    last_plan = None
    if review is not None and len(review):
        base = review[(review["method"].astype(str) == "blended") & (review["scenario"].astype(str) == "base")]
        if len(base):
            last_plan = (str(base["quarter"].iloc[0]), float(base["forecast"].iloc[0]))
    forecast = {scenario: float(fact[f"forecast_{scenario}"]["value"]) for scenario in ("downside", "base", "upside")}
    return plots.plan_overview(history, params.quarter, forecast, float(fact["target"]["value"]), params.currency,
                               last_plan)
