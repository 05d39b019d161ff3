"""The rule score: points a marketing-automation tool would give a lead, scaled to 0-100.

*Fit* points for industry, company size, region, the contact's seniority and the lead's source; *engagement*
points per e-mail open, click, page view, form fill and demo request (each capped), fading with the lead's
age; *recency* points for a recent last activity. Each component counts only when its lead column is in the
leads table, so the rule works on whatever a CRM records; it needs no outcome and no training.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from salesops.checks import as_timestamp
from salesops.collect.scoring.leads import check_leads, clean_text, created, folded_text, last_activity
from salesops.collect.scoring.settings import (SENIORITY_COLUMN, ScoringSettings, check_settings, max_rule_points,
                                               rule_columns)
from salesops.contract.schema import TEXT_DTYPE

_SENIORITY_RULES: tuple[tuple[str, str], ...] = (
    ("C-level", r"\bchief\b|\bc[a-z]{1,2}o\b|founder|(?<!vice )(?<!vice-)\bpresident\b"
                r"|\bmanaging (?:director|partner)\b"),
    ("VP", r"\b[saeg]?vp\b|\bv\.\s?p\.|vice[\s-]*president"),
    ("Director", r"director|\bhead\b"),
    ("Manager", r"manager|\bmgr\b|supervisor|team lead"),
)


def title_seniority(titles: pd.Series) -> pd.Series:
    """The seniority level of free-text job titles: C-level, VP, Director, Manager, Individual contributor
    or Unknown.

    Keyword rules, ignoring case, tried in this order (the first that matches wins):

    * **C-level**: the word "chief", a C-suite acronym (CEO, CFO, COO, CTO, CIO, CMO, CRO, CISO ...: c + one
      or two letters + o), "founder" (also co-founder), "president" not preceded by "vice", "managing
      director", "managing partner".
    * **VP**: VP, SVP, EVP, AVP, GVP, "V.P.", "vice president".
    * **Director**: "director" (also in "IT Director"), the word "head" ("Head of Sales").
    * **Manager**: "manager", "mgr", "supervisor", "team lead".
    * **Individual contributor**: any other non-empty title (Analyst, Engineer, Consultant ...).
    * **Unknown**: missing or blank title.

    Returns a Series with the index of ``titles``, named ``title_seniority``, text dtype.
    """
    if not isinstance(titles, pd.Series):
        titles = pd.Series(titles, dtype=object)
    codes, distinct = pd.factorize(clean_text(titles))  # classify each distinct title once
    text = pd.Series(distinct, dtype=object)  # object dtype: Python's re (Arrow's RE2 has no look-behind)
    matches = [text.str.contains(pattern, case=False, regex=True, na=False).to_numpy(dtype=bool)
               for _, pattern in _SENIORITY_RULES]
    levels = [level for level, _ in _SENIORITY_RULES]
    chosen = np.select(matches, levels, "Individual contributor").astype(object)
    chosen = np.append(chosen, "Unknown")[codes]  # code -1 (missing or blank) -> the appended "Unknown"
    return pd.Series(pd.array(chosen, dtype=TEXT_DTYPE), index=titles.index, name=SENIORITY_COLUMN)


def _lookup_points(values: pd.Series, points: dict[str, float]) -> np.ndarray:
    table = {str(key).strip().casefold(): float(value) for key, value in points.items()}
    return folded_text(values).map(table).fillna(0.0).to_numpy(dtype=float)


def source_points(sources: pd.Series, points: dict[str, float]) -> np.ndarray:
    """Points of each lead source (see ``FitPoints.source``): the points of a key equal to the source
    (ignoring case and surrounding spaces); otherwise of the first key, in the order of ``points``, found in
    the source at the start of a word (after a non-letter, non-digit or at the beginning); otherwise 0."""
    keys = [(str(key).strip().casefold(), float(value)) for key, value in points.items()]
    exact = dict(keys)
    patterns = [(re.compile(r"(?<![a-z0-9])" + re.escape(key)), value) for key, value in keys]

    def one(source) -> float:
        if not isinstance(source, str):
            return 0.0
        if source in exact:
            return exact[source]
        return next((value for pattern, value in patterns if pattern.search(source)), 0.0)

    codes, distinct = pd.factorize(folded_text(sources))  # each distinct source once
    values = np.array([one(source) for source in distinct] + [0.0], dtype=float)
    return values[codes]  # code -1 (missing) -> the appended 0


def rule_score_reason(columns, settings: ScoringSettings | None = None) -> str:
    """Why the rule score cannot run on a leads table with these ``columns`` ("" when it can): none of the
    columns its points are for is there, or those that are give no positive points."""
    settings = check_settings(settings)
    if max_rule_points(settings, set(columns)) > 0:
        return ""
    return ("no rule points apply to these leads: the columns the points are for "
            f"({', '.join(rule_columns(settings))}) are absent or give no positive points. Map the CRM's columns "
            "onto them (data.columns.leads) or give points for the ones you have (scoring.fit_points, "
            "scoring.engagement_points, scoring.recency).")


def rule_scores(leads: pd.DataFrame, as_of, settings: ScoringSettings | None = None) -> pd.DataFrame:
    """Marketing-automation rule score of each lead at ``as_of``.

    * ``fit_points``: industry + company-size band + region + seniority + source points
      (``settings.fit_points``); a missing or unlisted value gets 0.
    * ``engagement_points``: ``weight × Σ min(points × count, max_points)`` over ``settings.engagement_points``
      (a missing count is 0), where ``weight = 0.5 ** (age_days / half_life_days)`` and ``age_days`` is the
      lead's age at ``as_of``. The CRM holds engagement *counts*, not their dates, so the decay assumes the
      engagement happened around the lead's creation: an old lead's engagement is stale.
    * ``recency_points``: ``recency.points × 0.5 ** (days since the last activity / recency.half_life_days)``
      from the column ``settings.recency.column`` (0 for a lead without a date; a date after ``as_of``
      counts as ``as_of``).
    * ``as_of=None`` scores each lead as on the day it was created (age 0, no decay, and full recency points
      for every lead, since its later activity was not known then): the score it was routed with, which is
      how the rule score is compared with the model on past leads.
    * ``rule_score`` = 100 × (fit + engagement + recency points) / most attainable points, clipped to 0-100.
      The most attainable points are the best value of each fit component plus every engagement cap plus
      the recency points. A component whose lead column is absent (``industry``, ``employees``, ``region``,
      ``title``, ``source``, an engagement count, the recency column) is left out of both the points and the
      maximum, so a CRM without e.g. form fills is scored on what it records.

    Returns ``lead_id, fit_points, engagement_points, recency_points, rule_score`` in the order of ``leads``.
    Leads created after ``as_of`` are an error (they did not exist yet); so is a leads table none of whose
    columns the points are for (:func:`rule_score_reason` says so before).
    """
    settings = check_settings(settings)
    check_leads(leads, ["lead_id", "created_date"])
    made = created(leads)
    day = None
    if as_of is None:
        age = np.zeros(len(leads))
    else:
        day = as_timestamp(as_of, "as_of").normalize()
        age = (day - made).dt.days.to_numpy(dtype=float)
        if (age < 0).any():
            later = leads.loc[age < 0, "lead_id"].astype(object).head(3).tolist()
            raise ValueError(
                f"as_of ({day.date()}) is before the creation of {int((age < 0).sum())} lead(s), e.g. {later}: "
                "score only leads created on or before as_of"
            )
    reason = rule_score_reason(leads.columns, settings)
    if reason:
        raise ValueError(reason)
    maximum = max_rule_points(settings, set(leads.columns))
    fit = settings.fit_points
    fit_total = np.zeros(len(leads))
    if "industry" in leads.columns:
        fit_total += _lookup_points(leads["industry"], fit.industry)
    if "region" in leads.columns:
        fit_total += _lookup_points(leads["region"], fit.region)
    if "title" in leads.columns:
        fit_total += _lookup_points(title_seniority(leads["title"]), fit.seniority)
    if "source" in leads.columns and fit.source:
        fit_total += source_points(leads["source"], fit.source)
    if "employees" in leads.columns and fit.employees:
        starts = np.array(list(fit.employees), dtype=float)
        band_points = np.array(list(fit.employees.values()), dtype=float)
        employees = pd.to_numeric(leads["employees"], errors="coerce").astype("float64").to_numpy()
        band = np.searchsorted(starts, np.nan_to_num(employees, nan=-1.0), side="right") - 1
        fit_total += np.where(np.isnan(employees) | (band < 0), 0.0, band_points[np.maximum(band, 0)])
    engagement = np.zeros(len(leads))
    for column, rule in settings.engagement_points.items():
        if column in leads.columns:
            counts = pd.to_numeric(leads[column], errors="coerce").astype("float64").fillna(0.0).to_numpy()
            engagement += np.minimum(rule.points * counts, rule.max_points)
    engagement = engagement * 0.5 ** (age / settings.half_life_days)
    recency = np.zeros(len(leads))
    activity = last_activity(leads, settings)
    if activity is not None:
        if day is None:
            recency[:] = settings.recency.points
        else:
            since = (day - activity).dt.days.to_numpy(dtype=float)
            since = np.clip(since, 0.0, None)  # a date after as_of counts as as_of
            recency = np.where(np.isnan(since), 0.0,
                               settings.recency.points * 0.5 ** (np.nan_to_num(since) / settings.recency.half_life_days))
    score = np.clip(100.0 * (fit_total + engagement + recency) / maximum, 0.0, 100.0)
    return pd.DataFrame({
        "lead_id": pd.array(leads["lead_id"].astype(object).to_numpy(), dtype=TEXT_DTYPE),
        "fit_points": fit_total, "engagement_points": engagement, "recency_points": recency, "rule_score": score,
    })
