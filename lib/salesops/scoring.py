"""Step 1 lead scoring: a marketing-style rule score and a time-honest conversion model.

Two scores for every open lead, side by side:

* **Rule score** (:func:`rule_scores`): points a marketing-automation tool would give: *fit* points for
  industry, company size, region and the contact's seniority, plus *engagement* points per e-mail open,
  click, page view, form fill and demo request (each capped), fading with the lead's age. Scaled to 0-100.
* **Model score** (:func:`fit_model`): the probability that the lead converts to an opportunity, learned
  from leads whose outcome is known (a logistic regression by default, or gradient boosting).
  ``score`` = round(100 × probability); ``grade`` A-D by :class:`GradeThresholds`.

Both are evaluated on the same recent leads the model never saw (:func:`split_by_time`,
:func:`evaluate`). :func:`score_leads` is the one call the notebook makes; it returns a
:class:`ScoringResult` whose ``scores`` become the ``lead_scores.parquet`` artifact read by the demand step.

Conventions shared by every function in this module:

* Inputs are canonical leads (see ``schema.py``); they are never modified. Outputs have a fresh 0..n-1 index.
* A lead's *age* at a date is the number of whole days from its ``created_date`` to that date.
* A lead *converted by* a date D when ``converted`` is true and ``converted_date`` is on or before D. A
  converted lead without a ``converted_date`` is assumed to have converted within ``outcome_days`` of its
  creation (the window in which an outcome is taken as known). Missing ``converted`` counts as not converted
  unless a ``converted_date`` is filled in.
* Probabilities and rates are fractions (0.25 means 25 %); scores are on a 0-100 scale.
* scikit-learn is imported inside the functions that need it, so ``import salesops.scoring`` stays cheap.
* Bad arguments raise ``ValueError`` naming the argument and what is accepted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .checks import as_timestamp
from .schema import TEXT_DTYPE

# --------------------------------------------------------------------------------------------------
# Settings

#: Seniority levels returned by :func:`title_seniority`, most senior first.
SENIORITY_LEVELS: tuple[str, ...] = ("C-level", "VP", "Director", "Manager", "Individual contributor", "Unknown")

#: Name of the derived feature column holding :func:`title_seniority` of the ``title`` column.
SENIORITY_COLUMN = "title_seniority"

#: Column of the frames from :func:`split_by_time`: the outcome (0/1) as it was known at the relevant cut-off.
LABEL = "label"

#: Lead columns that may not be model features: the outcome itself, what the CRM records after the outcome,
#: identifiers and personal data.
FORBIDDEN_FEATURES: dict[str, str] = {
    "converted": "it is the outcome being predicted",
    "converted_date": "it is only filled in once the lead has converted (it leaks the outcome)",
    "status": "the CRM status is updated after contact and conversion (it leaks the outcome)",
    "lead_id": "it is an identifier, not a property of the lead",
    "created_date": "it is a date; the model would learn the calendar, not the lead",
    "email": "it is personal data",
    "phone": "it is personal data",
}

DEFAULT_NUMERIC_FEATURES: tuple[str, ...] = (
    "employees", "email_opens", "email_clicks", "page_views", "form_fills", "demo_requests",
)
DEFAULT_CATEGORICAL_FEATURES: tuple[str, ...] = ("industry", "region", "source", SENIORITY_COLUMN)

#: Default fit points: an ideal customer profile of a B2B software vendor (that of the sample company).
DEFAULT_INDUSTRY_POINTS: dict[str, float] = {
    "Software": 20, "Finance": 15, "Logistics": 15, "Manufacturing": 10, "Healthcare": 8, "Retail": 4,
    "Education": 0, "Public Sector": 0,
}
DEFAULT_EMPLOYEE_POINTS: dict[int, float] = {0: 0, 50: 6, 200: 10, 2000: 5}
DEFAULT_REGION_POINTS: dict[str, float] = {"NA": 5, "EMEA": 5, "APAC": 3, "LATAM": 3}
DEFAULT_SENIORITY_POINTS: dict[str, float] = {
    "C-level": 15, "VP": 15, "Director": 10, "Manager": 5, "Individual contributor": 0, "Unknown": 0,
}
DEFAULT_CLOSED_STATUSES: tuple[str, ...] = ("converted", "disqualified", "unqualified", "closed", "lost", "junk")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FitPoints(_Strict):
    """Fit points of the rule score: how well the lead matches the ideal customer profile.

    A lead gets the points of its industry, of its company-size band, of its region and of its contact's
    seniority (:func:`title_seniority`), added up. A value that is missing or not listed gets 0 points.
    Points may be negative (e.g. an industry you do not serve). Text values match ignoring case and
    surrounding spaces.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    industry: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_INDUSTRY_POINTS),
        description="Points per industry (lead column `industry`). Default: Software 20, Finance 15, "
                    "Logistics 15, Manufacturing 10, Healthcare 8, Retail 4, Education 0, Public Sector 0.",
    )
    employees: dict[int, float] = Field(
        default_factory=lambda: dict(DEFAULT_EMPLOYEE_POINTS),
        description="Company-size bands: {smallest number of employees in the band: points}; a lead gets the "
                    "points of the largest band start not above its `employees`. Default: 0-49 → 0, "
                    "50-199 → 6, 200-1999 → 10, 2000+ → 5 (mid-sized companies fit best).",
    )
    region: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_REGION_POINTS),
        description="Points per sales region (lead column `region`). Default: NA 5, EMEA 5, APAC 3, LATAM 3.",
    )
    seniority: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_SENIORITY_POINTS),
        description="Points per seniority of the contact's title (see title_seniority). Default: C-level 15, "
                    "VP 15, Director 10, Manager 5, Individual contributor 0, Unknown 0.",
    )

    @field_validator("employees")
    @classmethod
    def _band_starts(cls, bands: dict[int, float]) -> dict[int, float]:
        negative = [start for start in bands if start < 0]
        if negative:
            raise ValueError(f"employee band starts must be 0 or more employees; got {negative}")
        return dict(sorted(bands.items()))

    @field_validator("seniority")
    @classmethod
    def _known_levels(cls, points: dict[str, float]) -> dict[str, float]:
        unknown = [level for level in points if level not in SENIORITY_LEVELS]
        if unknown:
            raise ValueError(f"unknown seniority level(s) {unknown}; valid: {', '.join(SENIORITY_LEVELS)}")
        return points


class EngagementRule(_Strict):
    """Points for one engagement count: ``min(points × count, max_points)`` before the time decay."""

    points: float = Field(ge=0, description="Points per event (e.g. per e-mail opened), 0 or more.")
    max_points: float = Field(gt=0, description="Cap: the most points this kind of event can give a lead.")


def _default_engagement() -> dict[str, EngagementRule]:
    return {
        "email_opens": EngagementRule(points=1, max_points=5),
        "email_clicks": EngagementRule(points=2, max_points=10),
        "page_views": EngagementRule(points=1, max_points=10),
        "form_fills": EngagementRule(points=5, max_points=10),
        "demo_requests": EngagementRule(points=15, max_points=15),
    }


class GradeThresholds(_Strict):
    """Lowest 0-100 score of each grade: ``score >= A`` is A, else ``>= B`` is B, else ``>= C`` is C, else D."""

    A: float = Field(75, description="Lowest score graded A (hot: route to a rep today). Default 75.")
    B: float = Field(50, description="Lowest score graded B (warm). Default 50.")
    C: float = Field(25, description="Lowest score graded C (nurture). Below C: D. Default 25.")

    @model_validator(mode="after")
    def _decreasing(self) -> "GradeThresholds":
        values = {"A": self.A, "B": self.B, "C": self.C}
        outside = {k: v for k, v in values.items() if not 0 <= v <= 100}
        if outside:
            raise ValueError(f"grade thresholds must lie within 0-100 (the score scale); got {outside}")
        if not self.A > self.B > self.C:
            raise ValueError(
                f"grade thresholds must decrease strictly, A > B > C; got A={self.A}, B={self.B}, C={self.C}"
            )
        return self


class ScoringSettings(_Strict):
    """Lead-scoring settings (the ``scoring:`` section of the params). Every field has a working default."""

    model: Literal["logistic", "gradient_boosting"] = Field(
        "logistic",
        description="Conversion model: 'logistic' (logistic regression on scaled features: robust, explainable "
                    "by its coefficients) or 'gradient_boosting' (scikit-learn HistGradientBoostingClassifier: "
                    "finds interactions, explained by permutation importance).",
    )
    numeric_features: tuple[str, ...] = Field(
        DEFAULT_NUMERIC_FEATURES,
        description="Numeric lead columns the model uses. Missing values are filled with the training median "
                    "(plus a 'was missing' flag); each enters as itself and as sign(x)·log(1+|x|), standardised.",
    )
    categorical_features: tuple[str, ...] = Field(
        DEFAULT_CATEGORICAL_FEATURES,
        description="Text lead columns the model uses, one-hot encoded (missing is its own level; a value not "
                    f"seen in training is ignored). '{SENIORITY_COLUMN}' is derived from `title`.",
    )
    outcome_days: int = Field(
        90, ge=1, le=3650,
        description="A lead's outcome counts as known when it was created at least this many days before the "
                    "cut-off (as_of for the whole model, the test window's start for training). Set it to "
                    "about the time in which nearly all conversions happen.",
    )
    test_months: int = Field(
        6, ge=1, le=60,
        description="Evaluation window: the model is tested on the known leads created in the last this many "
                    "calendar months before the outcome cut-off, and trained only on earlier leads.",
    )
    half_life_days: float = Field(
        30.0, gt=0,
        description="Half-life of engagement points in the rule score, days: a lead's engagement points are "
                    "multiplied by 0.5 ** (age_days / half_life_days).",
    )
    fit_points: FitPoints = Field(default_factory=FitPoints, description="Rule score: fit points (see FitPoints).")
    engagement_points: dict[str, EngagementRule] = Field(
        default_factory=_default_engagement,
        description="Rule score: {lead count column: {points, max_points}}. Default: email_opens 1 (max 5), "
                    "email_clicks 2 (max 10), page_views 1 (max 10), form_fills 5 (max 10), demo_requests 15 "
                    "(max 15).",
    )
    grade_thresholds: GradeThresholds = Field(
        default_factory=GradeThresholds, description="Lowest score of grades A, B and C (0-100 scale)."
    )
    closed_statuses: tuple[str, ...] = Field(
        DEFAULT_CLOSED_STATUSES,
        description="Lead statuses (ignoring case) that mean the lead is no longer open, so it gets no score. "
                    "A converted lead is never open, whatever its status.",
    )
    refit_on_all_known: bool = Field(
        True,
        description="Score open leads with a model refitted on every lead whose outcome is known (train + test "
                    "windows, the most recent evidence). False: use the evaluated model, fitted on train only.",
    )
    min_train_leads: int = Field(
        200, ge=2, description="Fewest training leads accepted; fewer is an error saying how to get more."
    )
    min_test_leads: int = Field(50, ge=2, description="Fewest test leads accepted for the evaluation.")
    min_class_leads: int = Field(
        10, ge=1,
        description="Fewest converted and fewest unconverted leads accepted in each of train and test.",
    )
    random_state: int = Field(0, description="Seed of the model and of permutation importance (reproducible).")

    @field_validator("numeric_features", "categorical_features", "closed_statuses")
    @classmethod
    def _no_blank_or_duplicate(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        if any(not str(name).strip() for name in names):
            raise ValueError("names must not be empty")
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"names listed twice: {duplicated}")
        return names

    @field_validator("engagement_points")
    @classmethod
    def _engagement_columns(cls, rules: dict[str, EngagementRule]) -> dict[str, EngagementRule]:
        if any(not str(name).strip() for name in rules):
            raise ValueError("engagement column names must not be empty")
        return rules

    @model_validator(mode="after")
    def _features_and_points(self) -> "ScoringSettings":
        features = list(self.numeric_features) + list(self.categorical_features)
        if not features:
            raise ValueError(
                "numeric_features and categorical_features are both empty: list at least one lead column, "
                f"e.g. numeric_features: [{', '.join(DEFAULT_NUMERIC_FEATURES[:2])}]"
            )
        both = sorted(set(self.numeric_features) & set(self.categorical_features))
        if both:
            raise ValueError(f"feature(s) {both} are listed as both numeric and categorical; keep one")
        for name in features:
            if name in FORBIDDEN_FEATURES:
                raise ValueError(f"{name!r} cannot be a model feature: {FORBIDDEN_FEATURES[name]}")
        if SENIORITY_COLUMN in self.numeric_features:
            raise ValueError(f"{SENIORITY_COLUMN!r} is a category: list it under categorical_features")
        if _max_points(self, None) <= 0:
            raise ValueError(
                "the rule points give no lead any positive points (fit_points all 0 or below and no "
                "engagement_points): give at least one industry, band, region, seniority or engagement points"
            )
        return self


# --------------------------------------------------------------------------------------------------
# Argument checks and shared helpers


def _check_settings(settings) -> ScoringSettings:
    if settings is None:
        return ScoringSettings()
    if not isinstance(settings, ScoringSettings):
        raise ValueError(
            f"settings must be a ScoringSettings (or None for the defaults); got {type(settings).__name__}"
        )
    return settings




def _check_leads(leads, columns: Sequence[str], name: str = "leads") -> None:
    if not isinstance(leads, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame of canonical leads; got {type(leads).__name__}")
    missing = [column for column in columns if column not in leads.columns]
    if missing:
        raise ValueError(f"{name} is missing required column(s) {missing}; it has {list(leads.columns)}")
    if "created_date" in columns and leads["created_date"].isna().any():
        rows = np.flatnonzero(leads["created_date"].isna().to_numpy())[:5].tolist()
        raise ValueError(f"{name}.created_date is empty on {int(leads['created_date'].isna().sum())} row(s), "
                         f"e.g. positions {rows}: every lead needs its creation date")


def _created(leads: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(leads["created_date"]).dt.normalize()


def _converted_flag(leads: pd.DataFrame) -> np.ndarray:
    """Converted at any time: ``converted`` true, or missing with a ``converted_date`` filled in."""
    has_date = leads["converted_date"].notna() if "converted_date" in leads.columns else pd.Series(False, leads.index)
    if "converted" not in leads.columns:
        return has_date.to_numpy(dtype=bool)
    flag = leads["converted"].astype("boolean")
    return flag.fillna(has_date.astype("boolean")).to_numpy(dtype=bool)


def _conversion_dates(leads: pd.DataFrame, outcome_days: int) -> pd.Series:
    """When each lead converted: ``converted_date``, else created_date + outcome_days (NaT: never converted)."""
    created = _created(leads)
    if "converted_date" in leads.columns:
        dates = pd.to_datetime(leads["converted_date"]).dt.normalize()
    else:
        dates = pd.Series(pd.NaT, index=leads.index, dtype="datetime64[ns]")
    dates = dates.fillna(created + pd.Timedelta(days=outcome_days))
    return dates.where(_converted_flag(leads))


def converted_by(leads: pd.DataFrame, date, outcome_days: int = 90) -> np.ndarray:
    """Whether each lead had converted by ``date`` (inclusive): the outcome as it was known that day.

    ``converted`` true with ``converted_date`` on or before ``date``. A converted lead without a
    ``converted_date`` is taken to have converted ``outcome_days`` after its creation. Returns a bool array
    in the order of ``leads``.
    """
    _check_leads(leads, ["created_date"])
    day = as_timestamp(date, "date")
    return (_conversion_dates(leads, outcome_days) <= day).to_numpy(dtype=bool)


def _clean_text(series: pd.Series) -> pd.Series:
    """Text stripped, blank text as missing: object dtype with np.nan for missing (what scikit-learn expects)."""
    values = series.astype(TEXT_DTYPE).str.strip()
    values = values.mask(values.eq("").fillna(False))
    return values.astype(object).where(values.notna(), np.nan)


def _text(series: pd.Series) -> pd.Series:
    """:func:`_clean_text`, casefolded (for matching ignoring case)."""
    values = _clean_text(series)
    return values.map(lambda value: value.casefold() if isinstance(value, str) else value)


def _lookup_points(values: pd.Series, points: dict[str, float]) -> np.ndarray:
    table = {str(key).strip().casefold(): float(value) for key, value in points.items()}
    return _text(values).map(table).fillna(0.0).to_numpy(dtype=float)


# --------------------------------------------------------------------------------------------------
# Title seniority

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
    codes, distinct = pd.factorize(_clean_text(titles))  # classify each distinct title once
    text = pd.Series(distinct, dtype=object)  # object dtype: Python's re (Arrow's RE2 has no look-behind)
    matches = [text.str.contains(pattern, case=False, regex=True, na=False).to_numpy(dtype=bool)
               for _, pattern in _SENIORITY_RULES]
    levels = [level for level, _ in _SENIORITY_RULES]
    chosen = np.select(matches, levels, "Individual contributor").astype(object)
    chosen = np.append(chosen, "Unknown")[codes]  # code -1 (missing or blank) -> the appended "Unknown"
    return pd.Series(pd.array(chosen, dtype=TEXT_DTYPE), index=titles.index, name=SENIORITY_COLUMN)


# --------------------------------------------------------------------------------------------------
# Rule score


def _max_points(settings: ScoringSettings, columns) -> float:
    """Most points a lead can get: the best value of each fit component plus every engagement cap, counting
    only components whose lead column is in ``columns`` (all of them when ``columns`` is None)."""
    def has(column: str) -> bool:
        return columns is None or column in columns

    fit = settings.fit_points
    total = 0.0
    for column, points in (("industry", fit.industry), ("employees", fit.employees), ("region", fit.region)):
        if has(column) and points:
            total += max(0.0, max(points.values()))
    if has("title") and fit.seniority:
        total += max(0.0, max(fit.seniority.values()))
    total += sum(rule.max_points for column, rule in settings.engagement_points.items() if has(column))
    return total


def rule_scores(leads: pd.DataFrame, as_of, settings: ScoringSettings | None = None) -> pd.DataFrame:
    """Marketing-automation rule score of each lead at ``as_of``.

    * ``fit_points``: industry + company-size band + region + seniority points (``settings.fit_points``);
      a missing or unlisted value gets 0.
    * ``engagement_points``: ``weight × Σ min(points × count, max_points)`` over ``settings.engagement_points``
      (a missing count is 0), where ``weight = 0.5 ** (age_days / half_life_days)`` and ``age_days`` is the
      lead's age at ``as_of``. The CRM holds engagement *counts*, not their dates, so the decay assumes the
      engagement happened around the lead's creation: an old lead's engagement is stale.
      ``as_of=None`` scores each lead as on the day it was created (age 0, no decay): the score it was
      routed with, which is how :func:`score_leads` compares the rule score with the model on past leads.
    * ``rule_score`` = 100 × (fit_points + engagement_points) / most attainable points, clipped to 0-100.
      The most attainable points are the best value of each fit component plus every engagement cap (100 with
      the defaults). A component whose lead column is absent (``industry``, ``employees``, ``region``,
      ``title``, an engagement count) is left out of both the points and the maximum, so a CRM without e.g.
      form fills is scored on what it records.

    Returns ``lead_id, fit_points, engagement_points, rule_score`` in the order of ``leads``. Leads created
    after ``as_of`` are an error (they did not exist yet).
    """
    settings = _check_settings(settings)
    _check_leads(leads, ["lead_id", "created_date"])
    created = _created(leads)
    if as_of is None:
        age = np.zeros(len(leads))
    else:
        day = as_timestamp(as_of, "as_of")
        age = (day - created).dt.days.to_numpy(dtype=float)
        if (age < 0).any():
            later = leads.loc[age < 0, "lead_id"].astype(object).head(3).tolist()
            raise ValueError(
                f"as_of ({day.date()}) is before the creation of {int((age < 0).sum())} lead(s), e.g. {later}: "
                "score only leads created on or before as_of"
            )
    maximum = _max_points(settings, set(leads.columns))
    if maximum <= 0:
        raise ValueError(
            "no rule points apply to these leads: the columns the points are for (industry, employees, region, "
            f"title, {', '.join(settings.engagement_points)}) are absent or give no positive points"
        )
    fit = settings.fit_points
    fit_total = np.zeros(len(leads))
    if "industry" in leads.columns:
        fit_total += _lookup_points(leads["industry"], fit.industry)
    if "region" in leads.columns:
        fit_total += _lookup_points(leads["region"], fit.region)
    if "title" in leads.columns:
        fit_total += _lookup_points(title_seniority(leads["title"]), fit.seniority)
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
    score = np.clip(100.0 * (fit_total + engagement) / maximum, 0.0, 100.0)
    return pd.DataFrame({
        "lead_id": pd.array(leads["lead_id"].astype(object).to_numpy(), dtype=TEXT_DTYPE),
        "fit_points": fit_total, "engagement_points": engagement, "rule_score": score,
    })


def grades(scores, settings: ScoringSettings | None = None) -> pd.Series:
    """Grade A-D of 0-100 scores: A when ``score >= A`` threshold (75 by default: 75 is A, 74.9 is B), else B
    when ``>= B`` (50), else C when ``>= C`` (25), else D. A missing score has no grade. Returns text."""
    settings = _check_settings(settings)
    series = scores if isinstance(scores, pd.Series) else pd.Series(scores)
    values = pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()
    t = settings.grade_thresholds
    grade = np.select([values >= t.A, values >= t.B, values >= t.C], ["A", "B", "C"], "D").astype(object)
    grade[np.isnan(values)] = None
    return pd.Series(pd.array(grade, dtype=TEXT_DTYPE), index=series.index, name="grade")


# --------------------------------------------------------------------------------------------------
# Time-honest split


@dataclass(frozen=True)
class TimeWindows:
    """The dates of a time-honest evaluation at ``as_of`` (all inclusive, midnight Timestamps).

    * ``outcome_cutoff`` = as_of − outcome_days: the latest creation date whose outcome counts as known.
    * Test window: leads created from ``test_start`` to ``outcome_cutoff``, labelled as known at ``as_of``.
    * ``train_cutoff`` = the day before ``test_start``: the day the evaluated model is trained, as if it were
      today; nothing later may reach training.
    * Train: leads created on or before ``train_end`` = train_cutoff − outcome_days (whose outcome was known
      on the train cut-off day), labelled with the conversions recorded by ``train_cutoff``.
    * Gap: leads created after ``train_end`` and up to ``train_cutoff`` have no known outcome on the train
      cut-off day, so the evaluated model does not see them.
    """

    as_of: pd.Timestamp
    outcome_cutoff: pd.Timestamp
    test_start: pd.Timestamp
    train_cutoff: pd.Timestamp
    train_end: pd.Timestamp


def time_windows(as_of, settings: ScoringSettings | None = None) -> TimeWindows:
    """The evaluation windows at ``as_of`` (see :class:`TimeWindows`).

    E.g. as_of 2026-12-31, outcome_days 90, test_months 6: outcome cut-off 2026-10-02, test leads created
    2026-04-03 .. 2026-10-02, train cut-off 2026-04-02, train leads created up to 2026-01-02.
    """
    settings = _check_settings(settings)
    day = as_timestamp(as_of, "as_of").normalize()
    outcome_days = pd.Timedelta(days=settings.outcome_days)
    outcome_cutoff = day - outcome_days
    train_cutoff = outcome_cutoff - pd.DateOffset(months=settings.test_months)
    return TimeWindows(
        as_of=day, outcome_cutoff=outcome_cutoff, test_start=train_cutoff + pd.Timedelta(days=1),
        train_cutoff=train_cutoff, train_end=train_cutoff - outcome_days,
    )


def split_by_time(leads: pd.DataFrame, as_of, settings: ScoringSettings | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test leads for a time-honest evaluation at ``as_of`` (windows: :func:`time_windows`).

    Returns ``(train, test)``: the lead rows (all columns, fresh index, in the order of ``leads``) plus a 0/1
    ``label`` column, the outcome as it was known at the relevant cut-off:

    * **test**: known leads created in the last ``test_months`` months before ``as_of − outcome_days``;
      label = converted by ``as_of``.
    * **train**: leads created on or before ``train_cutoff − outcome_days``; label = converted by
      ``train_cutoff`` (the test window's eve), using ``converted_date``: a lead that converted later counts
      as *not converted* for training, as it was on that day. No lead created after ``train_end`` is in it,
      so nothing created or converted after the train cut-off reaches the model.

    Honest limitation: the CRM keeps engagement counts (opens, clicks, page views ...) and firmographics as
    a *snapshot* of today, not as they were on the cut-off day. Training rows may therefore include
    engagement logged after the train cut-off, some of it after conversion (e.g. page views during the
    sales cycle), which makes the evaluation somewhat optimistic; a CRM history of engagement events would
    remove this. ``status`` is never a feature for the same reason (see ``FORBIDDEN_FEATURES``).
    """
    settings = _check_settings(settings)
    _check_leads(leads, ["lead_id", "created_date"])
    if "converted" not in leads.columns and "converted_date" not in leads.columns:
        raise ValueError("leads has neither a converted nor a converted_date column: there is no outcome to learn")
    windows = time_windows(as_of, settings)
    created = _created(leads).to_numpy()
    conversion = _conversion_dates(leads, settings.outcome_days)
    in_train = created <= windows.train_end.to_datetime64()
    in_test = (created >= windows.test_start.to_datetime64()) & (created <= windows.outcome_cutoff.to_datetime64())
    train = leads.loc[in_train].assign(
        **{LABEL: (conversion[in_train] <= windows.train_cutoff).to_numpy(dtype=np.int64)}
    )
    test = leads.loc[in_test].assign(**{LABEL: (conversion[in_test] <= windows.as_of).to_numpy(dtype=np.int64)})
    return train.reset_index(drop=True), test.reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# The model


def _signed_log1p(values):
    """sign(x)·log(1 + |x|): tames right-skewed counts and sizes; 0 stays 0, missing stays missing."""
    values = np.asarray(values, dtype=float)
    return np.sign(values) * np.log1p(np.abs(values))


def _add_logs(values, n_values: int):
    """Columns ``[x, sign(x)·log(1+|x|), missing flags]`` from ``[x, missing flags]`` (first n_values are x)."""
    values = np.asarray(values, dtype=float)
    head, tail = values[:, :n_values], values[:, n_values:]
    return np.hstack([head, _signed_log1p(head), tail])


def _add_logs_names(transformer, input_features):
    n_values = transformer.kw_args["n_values"]
    names = [str(name) for name in input_features]
    return np.asarray(names[:n_values] + [f"{name} (log)" for name in names[:n_values]] + names[n_values:],
                      dtype=object)


def build_pipeline(numeric_features: Sequence[str], categorical_features: Sequence[str],
                   model: str = "logistic", random_state: int = 0):
    """An unfitted scikit-learn Pipeline: ``prepare`` (a ColumnTransformer) then ``model``.

    * numeric columns: missing → the training median plus a 0/1 "was missing" column (for columns with
      gaps in training); each value x enters twice, as x and as sign(x)·log(1+|x|), so that a logistic model
      can follow both a steady effect (time on site) and a saturating one (the 20th page view adds less than
      the 2nd); all standardised (mean 0, s.d. 1);
    * categorical columns: missing → the level "(missing)", one-hot encoded; a level not seen in training
      gets all zeros (``handle_unknown="ignore"``);
    * model: ``"logistic"`` LogisticRegression(max_iter=1000) or ``"gradient_boosting"``
      HistGradientBoostingClassifier, both with ``random_state``.

    Feed it frames from :func:`prepare_features` (numbers as float, text as object with NaN for missing).
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numeric_features, categorical_features = list(numeric_features), list(categorical_features)
    if not numeric_features and not categorical_features:
        raise ValueError("numeric_features and categorical_features are both empty: give at least one column")
    if model not in ("logistic", "gradient_boosting"):
        raise ValueError(f"model must be 'logistic' or 'gradient_boosting'; got {model!r}")
    parts = []
    if numeric_features:
        parts.append(("numeric", Pipeline([
            ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
            ("log", FunctionTransformer(_add_logs, kw_args={"n_values": len(numeric_features)},
                                        feature_names_out=_add_logs_names)),
            ("scale", StandardScaler()),
        ]), numeric_features))
    if categorical_features:
        parts.append(("categorical", Pipeline([
            ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]), categorical_features))
    if model == "logistic":
        estimator = LogisticRegression(max_iter=1000, random_state=random_state)
    else:
        estimator = HistGradientBoostingClassifier(random_state=random_state)
    return Pipeline([("prepare", ColumnTransformer(parts, remainder="drop")), ("model", estimator)])


def prepare_features(frame: pd.DataFrame, numeric_features: Sequence[str],
                     categorical_features: Sequence[str]) -> pd.DataFrame:
    """The model's input: the feature columns only, numbers as float64 (NaN for missing or non-numeric),
    text as object (stripped; NaN for missing or blank). ``title_seniority`` is derived from ``title`` when
    asked for and not already a column. The input is not modified."""
    columns = {}
    for name in numeric_features:
        if name not in frame.columns:
            raise ValueError(f"numeric feature {name!r} is not a column; columns: {list(frame.columns)}")
        columns[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64").to_numpy()
    for name in categorical_features:
        if name == SENIORITY_COLUMN and name not in frame.columns and "title" in frame.columns:
            values = title_seniority(frame["title"])
        elif name in frame.columns:
            values = frame[name]
        else:
            raise ValueError(f"categorical feature {name!r} is not a column; columns: {list(frame.columns)}")
        columns[name] = _clean_text(values).to_numpy()
    return pd.DataFrame(columns, index=frame.index)


def _model_features(model) -> tuple[list[str], list[str]]:
    """(numeric, categorical) input columns of a pipeline from :func:`build_pipeline`."""
    prepare = model.named_steps["prepare"]
    found = {name: list(columns) for name, _, columns in prepare.transformers}
    return found.get("numeric", []), found.get("categorical", [])


def predict_probability(model, frame: pd.DataFrame) -> np.ndarray:
    """Conversion probability (0-1) of each row of ``frame`` by a fitted :func:`build_pipeline` model."""
    numeric, categorical = _model_features(model)
    if len(frame) == 0:
        return np.zeros(0)
    return model.predict_proba(prepare_features(frame, numeric, categorical))[:, 1].astype(float)


def _check_classes(labels: np.ndarray, what: str, minimum_leads: int, minimum_class: int, hint: str) -> None:
    n, positives = len(labels), int(labels.sum())
    if n < minimum_leads:
        raise ValueError(
            f"too few {what}: {n} lead(s) ({positives} converted), at least {minimum_leads} needed. {hint}"
        )
    if min(positives, n - positives) < minimum_class:
        raise ValueError(
            f"{what} have {positives} converted and {n - positives} unconverted lead(s); a model needs at least "
            f"{minimum_class} of each outcome to learn from. {hint}"
        )


def fit_model(train: pd.DataFrame, settings: ScoringSettings | None = None):
    """Fit the conversion model of ``settings.model`` on ``train`` (a frame from :func:`split_by_time`, with
    its ``label`` column) and return the fitted scikit-learn Pipeline (see :func:`build_pipeline`).

    Deterministic: the same rows in the same order give the same model (fixed ``random_state``).
    """
    settings = _check_settings(settings)
    if not isinstance(train, pd.DataFrame) or LABEL not in train.columns:
        raise ValueError(f"train must be a DataFrame with a {LABEL!r} column, as returned by split_by_time")
    labels = train[LABEL].to_numpy(dtype=np.int64)
    _check_classes(labels, "training leads", 2, 1,
                   "Give more history, or a longer window of known outcomes (scoring.outcome_days).")
    features = prepare_features(train, settings.numeric_features, settings.categorical_features)
    pipeline = build_pipeline(settings.numeric_features, settings.categorical_features, settings.model,
                              settings.random_state)
    return pipeline.fit(features, labels)


# --------------------------------------------------------------------------------------------------
# Evaluation


def _as_array(values, name: str) -> np.ndarray:
    array = np.asarray(pd.Series(values).astype("float64"), dtype=float)
    if np.isnan(array).any():
        raise ValueError(f"{name} has {int(np.isnan(array).sum())} missing value(s); every lead needs one")
    return array


def top_decile_lift(y_true, score, share: float = 0.1) -> float:
    """Conversion rate of the top ``share`` of leads by score divided by the overall conversion rate.

    The top group holds ceil(share × leads) leads. Leads tied with the last one in the group count in
    proportion (the expected value when ties are broken at random), so the result does not depend on the
    row order. 1.0 means no better than random; NaN when no lead converted.
    """
    y = _as_array(y_true, "y_true")
    s = _as_array(score, "score")
    if len(y) != len(s):
        raise ValueError(f"y_true and score must have the same length; got {len(y)} and {len(s)}")
    if not 0 < share <= 1:
        raise ValueError(f"share must be a fraction in (0, 1], e.g. 0.1 for the top decile; got {share!r}")
    if len(y) == 0 or y.sum() == 0:
        return float("nan")
    n_top = math.ceil(share * len(y) - 1e-9)
    threshold = np.sort(s)[::-1][n_top - 1]
    above = s > threshold
    tied = s == threshold
    converted_top = y[above].sum() + (n_top - above.sum()) * y[tied].mean()
    return float((converted_top / n_top) / y.mean())


def _roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score)) if 0 < y.sum() < len(y) else float("nan")


def evaluate(model, test: pd.DataFrame, rule_scores_of_test) -> pd.DataFrame:
    """The model and the rule score on the same test leads, one row each (``score``: "model", "rule").

    ``test`` comes from :func:`split_by_time` (with ``label``); ``rule_scores_of_test`` is a frame from
    :func:`rule_scores` (matched on ``lead_id``) or a sequence of 0-100 scores in the order of ``test``.

    Columns: ``score``, ``leads``, ``converted``, ``conversion_rate``, ``roc_auc`` (probability that a
    converted lead outranks an unconverted one; 0.5 = random), ``top_decile_lift`` (see
    :func:`top_decile_lift`), ``brier`` (mean squared error of the probability; lower is better). The rule
    score is read as a probability of score / 100 for its Brier score: it is not calibrated, so that figure
    mostly shows it should not be read as one.
    """
    if not isinstance(test, pd.DataFrame) or LABEL not in test.columns:
        raise ValueError(f"test must be a DataFrame with a {LABEL!r} column, as returned by split_by_time")
    y = test[LABEL].to_numpy(dtype=float)
    if isinstance(rule_scores_of_test, pd.DataFrame):
        if not {"lead_id", "rule_score"} <= set(rule_scores_of_test.columns):
            raise ValueError("rule_scores_of_test must have lead_id and rule_score columns (from rule_scores)")
        by_id = pd.Series(rule_scores_of_test["rule_score"].to_numpy(dtype=float),
                          index=rule_scores_of_test["lead_id"].astype(object).to_numpy())
        rule = test["lead_id"].astype(object).map(by_id)
        if rule.isna().any():
            raise ValueError(f"rule_scores_of_test has no rule score for {int(rule.isna().sum())} test lead(s), "
                             f"e.g. {test.loc[rule.isna(), 'lead_id'].astype(object).head(3).tolist()}")
        rule = rule.to_numpy(dtype=float)
    else:
        rule = _as_array(rule_scores_of_test, "rule_scores_of_test")
        if len(rule) != len(test):
            raise ValueError(f"rule_scores_of_test has {len(rule)} scores for {len(test)} test leads")
    probability = predict_probability(model, test)
    rows = []
    for name, score, as_probability in (("model", probability, probability), ("rule", rule, rule / 100.0)):
        rows.append({
            "score": name, "leads": len(y), "converted": int(y.sum()),
            "conversion_rate": float(y.mean()) if len(y) else float("nan"),
            "roc_auc": _roc_auc(y, score), "top_decile_lift": top_decile_lift(y, score) if len(y) else float("nan"),
            "brier": float(np.mean((as_probability - y) ** 2)) if len(y) else float("nan"),
        })
    frame = pd.DataFrame(rows)
    frame["score"] = frame["score"].astype(TEXT_DTYPE)
    frame["leads"] = frame["leads"].astype("Int64")
    frame["converted"] = frame["converted"].astype("Int64")
    return frame


def calibration_table(y_true, probability, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed conversion in equal-width probability bins (a reliability table).

    Bin k holds probabilities in [k/bins, (k+1)/bins) (the last bin includes 1.0). One row per non-empty
    bin, lowest first: ``bin`` (label such as "0.10-0.20"), ``predicted`` (mean probability of its leads),
    ``observed`` (their conversion rate), ``leads`` (how many). A calibrated model has observed ≈ predicted.
    """
    y = _as_array(y_true, "y_true")
    p = _as_array(probability, "probability")
    if len(y) != len(p):
        raise ValueError(f"y_true and probability must have the same length; got {len(y)} and {len(p)}")
    if ((p < 0) | (p > 1)).any():
        raise ValueError("probability must lie within 0-1")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a whole number of bins, 1 or more (e.g. 10); got {bins!r}")
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    frame = pd.DataFrame({"index": index, "p": p, "y": y})
    grouped = frame.groupby("index", sort=True).agg(predicted=("p", "mean"), observed=("y", "mean"),
                                                    leads=("y", "size")).reset_index()
    labels = [f"{k / bins:.2f}-{(k + 1) / bins:.2f}" for k in grouped["index"]]
    return pd.DataFrame({
        "bin": pd.array(labels, dtype=TEXT_DTYPE), "predicted": grouped["predicted"].astype(float),
        "observed": grouped["observed"].astype(float), "leads": grouped["leads"].astype("Int64"),
    })


#: Most leads the permutation importance of a gradient boosting model is computed on (a random sample beyond).
PERMUTATION_MAX_LEADS = 20_000


def _numeric_range(values: pd.Series) -> tuple[float, float]:
    """A low and a high typical value: the 10th and 90th percentiles (the 99th when those are equal)."""
    values = values.dropna()
    if values.empty:
        return 0.0, 0.0
    low, high = float(values.quantile(0.10)), float(values.quantile(0.90))
    if high == low:
        high = float(values.quantile(0.99))
    return low, high


def _logistic_effects(model, leads: pd.DataFrame) -> pd.DataFrame:
    """feature, effect (log-odds) of each driver of a fitted logistic pipeline; see feature_importance."""
    numeric, categorical = _model_features(model)
    prepare = model.named_steps["prepare"]
    coef = model.named_steps["model"].coef_[0]
    rows: list[tuple[str, float]] = []
    offset = 0
    if numeric:
        transformer = prepare.named_transformers_["numeric"]
        names = list(transformer.get_feature_names_out(numeric))
        weights = coef[: len(names)]
        offset = len(names)
        values = prepare_features(leads, numeric, [])
        medians = values.median().fillna(0.0)
        for name in numeric:
            low, high = _numeric_range(values[name])
            grid = pd.DataFrame([medians.to_dict()] * 2)
            grid[name] = [low, high]
            z = transformer.transform(grid)
            columns = [i for i, out in enumerate(names) if out in (name, f"{name} (log)")]
            effect = float(np.dot(z[1, columns] - z[0, columns], weights[columns]))
            rows.append((f"{name}: {low:,.4g} → {high:,.4g}", effect))
        scale = transformer.named_steps["scale"].scale_
        for i, out in enumerate(names):
            if out.startswith("missingindicator_"):
                rows.append((f"{out.removeprefix('missingindicator_')} missing", float(weights[i] / scale[i])))
    if categorical:
        encoder = prepare.named_transformers_["categorical"].named_steps["onehot"]
        levels = [(column, level) for column, found in zip(categorical, encoder.categories_) for level in found]
        rows += [(f"{column} = {level}", float(c)) for (column, level), c in zip(levels, coef[offset:])]
    return pd.DataFrame(rows, columns=["feature", "effect"])


def feature_importance(model, leads: pd.DataFrame, top: int = 12,
                       random_state: int = 0) -> tuple[pd.DataFrame, str]:
    """The top drivers of a fitted model, most important first, and a sentence saying what the numbers mean.

    ``leads`` are the leads to explain the model on (:func:`score_leads` passes the test leads): their spread
    sets the ranges of numeric features, and gradient boosting is shuffled on them (they then need ``label``).

    Columns: ``feature`` (readable: "page_views: 2 → 17", "employees missing", "industry = Software"),
    ``importance`` (what the rows are sorted by), ``direction`` ("raises" / "lowers" conversion, or "n/a"),
    ``odds_ratio`` (logistic only, else NaN).

    * logistic: the change in log-odds of conversion the model gives, other inputs fixed: for a number, from
      a low to a high typical value (10th to 90th percentile of ``leads``; the 99th when those are equal);
      for a category level, relative to the average level; for "X missing", missing against the median.
      importance = its size, odds_ratio = exp(change).
    * gradient boosting: permutation importance on ``leads``: how much the ROC AUC drops when one lead column
      is shuffled (mean of 5 shuffles), on a random sample of ``PERMUTATION_MAX_LEADS`` leads when there are
      more (plenty for a stable estimate, and it keeps large companies fast).
    """
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a whole number of drivers, 1 or more; got {top!r}")
    if not isinstance(leads, pd.DataFrame):
        raise ValueError(f"leads must be a DataFrame of leads to explain the model on; got {type(leads).__name__}")
    numeric, categorical = _model_features(model)
    if hasattr(model.named_steps["model"], "coef_"):
        effects = _logistic_effects(model, leads)
        effect = effects["effect"].to_numpy(dtype=float)
        frame = pd.DataFrame({"feature": effects["feature"], "importance": np.abs(effect),
                              "direction": np.where(effect > 0, "raises", np.where(effect < 0, "lowers", "n/a")),
                              "odds_ratio": np.exp(effect)})
        measure = ("importance = size of the change in log-odds of conversion, other inputs fixed: for a number "
                   "from a low to a high typical value (10th to 90th percentile), for a category level against "
                   "the average level, for 'missing' against the median; odds_ratio = exp(change), the factor "
                   "by which it multiplies the odds of converting.")
    else:
        if LABEL not in leads.columns:
            raise ValueError(f"leads need a {LABEL!r} column (from split_by_time) for the permutation importance "
                             "of a gradient boosting model")
        from sklearn.inspection import permutation_importance

        if len(leads) > PERMUTATION_MAX_LEADS:
            leads = leads.sample(PERMUTATION_MAX_LEADS, random_state=random_state)
        features = prepare_features(leads, numeric, categorical)
        result = permutation_importance(model, features, leads[LABEL].to_numpy(dtype=np.int64), scoring="roc_auc",
                                        n_repeats=5, random_state=random_state)
        frame = pd.DataFrame({"feature": list(features.columns), "importance": result.importances_mean,
                              "direction": "n/a", "odds_ratio": np.nan})
        measure = ("importance = permutation importance: how much the test ROC AUC drops when the column's "
                   "values are shuffled between leads (mean of 5 shuffles); 0 = the model does not use it.")
    frame = frame.sort_values(["importance", "feature"], ascending=[False, True], kind="stable").head(top)
    frame = frame.reset_index(drop=True)
    frame["feature"] = frame["feature"].astype(TEXT_DTYPE)
    frame["direction"] = frame["direction"].astype(TEXT_DTYPE)
    return frame, measure


# --------------------------------------------------------------------------------------------------
# Scoring open leads


def open_leads_mask(leads: pd.DataFrame, as_of, settings: ScoringSettings | None = None) -> np.ndarray:
    """Which leads are open at ``as_of``: created on or before it, not converted by it, and with a status
    not in ``settings.closed_statuses`` (ignoring case; an empty status is open). The status is the CRM's
    current one, except that "converted" is ignored for a lead that converted after ``as_of``."""
    settings = _check_settings(settings)
    _check_leads(leads, ["created_date"])
    day = as_timestamp(as_of, "as_of")
    conversion = _conversion_dates(leads, settings.outcome_days)
    created = (_created(leads) <= day).to_numpy(dtype=bool)
    converted = (conversion <= day).to_numpy(dtype=bool)
    if "status" in leads.columns:
        closed_set = {status.strip().casefold() for status in settings.closed_statuses}
        status = _text(leads["status"])
        closed = status.isin(closed_set).to_numpy(dtype=bool)
        converted_later = (conversion > day).to_numpy(dtype=bool) & (status == "converted").to_numpy(dtype=bool)
        closed &= ~converted_later
    else:
        closed = np.zeros(len(leads), dtype=bool)
    return created & ~converted & ~closed


def score_open_leads(leads: pd.DataFrame, model, rule: pd.DataFrame | None, settings: ScoringSettings | None,
                     as_of) -> pd.DataFrame:
    """Score every lead open at ``as_of`` (see :func:`open_leads_mask`).

    ``rule`` is :func:`rule_scores` at ``as_of`` for (at least) these leads, or None to compute it here.
    Returns ``lead_id, probability, score, grade, rule_score``: probability (0-1) from ``model``,
    score = round(100 × probability) half up (Int64, 0-100), grade A-D from the score (:func:`grades`),
    rule_score (0-100). Sorted by score, then probability (highest first), then lead_id.
    """
    settings = _check_settings(settings)
    _check_leads(leads, ["lead_id", "created_date"])
    open_rows = leads.loc[open_leads_mask(leads, as_of, settings)].reset_index(drop=True)
    if rule is None:
        rule = rule_scores(open_rows, as_of, settings)
    if not isinstance(rule, pd.DataFrame) or not {"lead_id", "rule_score"} <= set(rule.columns):
        raise ValueError("rule must be a frame with lead_id and rule_score columns (from rule_scores), or None")
    by_id = pd.Series(rule["rule_score"].to_numpy(dtype=float), index=rule["lead_id"].astype(object).to_numpy())
    if not by_id.index.is_unique:
        raise ValueError("rule has more than one row for some lead_id; lead ids must be unique")
    rule_score = open_rows["lead_id"].astype(object).map(by_id)
    if rule_score.isna().any():
        raise ValueError(f"rule has no rule_score for {int(rule_score.isna().sum())} open lead(s), e.g. "
                         f"{open_rows.loc[rule_score.isna(), 'lead_id'].astype(object).head(3).tolist()}")
    probability = predict_probability(model, open_rows)
    score = np.floor(100.0 * probability + 0.5).astype(np.int64)
    frame = pd.DataFrame({
        "lead_id": pd.array(open_rows["lead_id"].astype(object).to_numpy(), dtype=TEXT_DTYPE),
        "probability": probability,
        "score": pd.array(score, dtype="Int64"),
        "grade": grades(pd.Series(score, dtype="float64"), settings).to_numpy(),
        "rule_score": rule_score.to_numpy(dtype=float),
    })
    frame["grade"] = frame["grade"].astype(TEXT_DTYPE)
    order = np.lexsort((frame["lead_id"].astype(object).to_numpy(), -probability, -score))
    return frame.iloc[order].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# The one call of the notebook


@dataclass(frozen=True)
class ScoringResult:
    """Everything :func:`score_leads` produces.

    * ``scores``: open leads, ``lead_id, probability, score, grade, rule_score`` (the ``lead_scores`` artifact).
    * ``metrics``: :func:`evaluate` of the evaluated model and of the rule score on the test leads.
    * ``calibration``: :func:`calibration_table` of the evaluated model on the test leads.
    * ``feature_importance``: the top drivers (:func:`feature_importance`); ``importance_measure`` says what
      the importance numbers mean.
    * ``windows``: the evaluation dates (:class:`TimeWindows`); ``train_leads`` / ``train_converted`` and
      ``test_leads`` / ``test_converted``: sizes of the two sets; ``scored_with``: which model scored the open
      leads ("refitted on all known leads" or "evaluated model").
    * ``features``: the model's (numeric, categorical) columns; ``notes``: what was left out and why.
    * ``model``: the fitted pipeline that scored the open leads.
    """

    scores: pd.DataFrame
    metrics: pd.DataFrame
    calibration: pd.DataFrame
    feature_importance: pd.DataFrame
    importance_measure: str
    windows: TimeWindows
    train_leads: int
    train_converted: int
    test_leads: int
    test_converted: int
    scored_with: str
    features: tuple[tuple[str, ...], tuple[str, ...]]
    notes: tuple[str, ...] = ()
    model: Any = field(default=None, repr=False, compare=False)

    @property
    def split_summary(self) -> pd.DataFrame:
        """One row per set: which leads (creation dates), labels known as of, leads, converted, rate."""
        w = self.windows
        rows = [
            ("train", f"up to {w.train_end.date()}", w.train_cutoff.date(), self.train_leads, self.train_converted),
            ("test", f"{w.test_start.date()} to {w.outcome_cutoff.date()}", w.as_of.date(), self.test_leads,
             self.test_converted),
        ]
        frame = pd.DataFrame(rows, columns=["set", "created", "outcome_known_on", "leads", "converted"])
        frame["conversion_rate"] = frame["converted"] / frame["leads"].where(frame["leads"] > 0)
        return frame


def _usable_settings(leads: pd.DataFrame, settings: ScoringSettings) -> tuple[ScoringSettings, list[str]]:
    """Settings without the model features that are absent or empty in ``leads``, and notes saying so."""
    notes, keep = [], {"numeric_features": [], "categorical_features": []}
    for kind in keep:
        for name in getattr(settings, kind):
            source = "title" if name == SENIORITY_COLUMN and name not in leads.columns else name
            if source not in leads.columns:
                notes.append(f"model feature {name!r} left out: the leads table has no {source!r} column")
            elif leads[source].isna().all():
                notes.append(f"model feature {name!r} left out: column {source!r} is empty in every lead")
            else:
                keep[kind].append(name)
    if not keep["numeric_features"] and not keep["categorical_features"]:
        raise ValueError(
            "none of the model features is in the leads table "
            f"({', '.join(settings.numeric_features + settings.categorical_features)}); the leads have "
            f"{list(leads.columns)}. Map your CRM's columns onto them (data.columns.leads) or list yours under "
            "scoring.numeric_features / scoring.categorical_features"
        )
    for column in ("industry", "employees", "region", "title", *settings.engagement_points):
        if column not in leads.columns:
            notes.append(f"rule points for {column!r} left out (no such column); the rule score is scaled to the "
                         "points that remain")
    usable = settings.model_copy(update={k: tuple(v) for k, v in keep.items()})
    return usable, notes


def score_leads(leads: pd.DataFrame, as_of, settings: ScoringSettings | None = None) -> ScoringResult:
    """Lead scoring at ``as_of`` (the last day of known data), in one call.

    1. Leads created after ``as_of`` are ignored (they did not exist yet). Model features absent from (or
       empty in) the leads table are left out and listed in ``notes``.
    2. :func:`split_by_time` → train and test; too few leads, or only one outcome, is a ValueError saying
       how many there are and what to change.
    3. :func:`fit_model` on train; :func:`evaluate` on test against the rule score each test lead had when
       it was created (no decay: the score it would have been routed with); :func:`calibration_table`;
       :func:`feature_importance`.
    4. With ``settings.refit_on_all_known`` (default) the model is refitted on every lead whose outcome is
       known at ``as_of`` (created up to ``as_of − outcome_days``, labelled as of ``as_of``); the metrics
       describe the model fitted on train only, the usual and slightly conservative practice.
    5. :func:`score_open_leads` with :func:`rule_scores` at ``as_of``.
    """
    settings = _check_settings(settings)
    _check_leads(leads, ["lead_id", "created_date"])
    day = as_timestamp(as_of, "as_of").normalize()
    if "converted" not in leads.columns and "converted_date" not in leads.columns:
        raise ValueError("leads has neither a converted nor a converted_date column: there is no outcome to learn "
                         "from. Map the CRM's conversion flag onto leads.converted (data.columns.leads)")
    leads = leads.loc[(_created(leads) <= day).to_numpy(dtype=bool)]
    usable, notes = _usable_settings(leads, settings)
    windows = time_windows(day, usable)
    train, test = split_by_time(leads, day, usable)
    hint = (f"Leads need a known outcome: the train set is the leads created up to {windows.train_end.date()} "
            f"(scoring.outcome_days={usable.outcome_days} days before the {usable.test_months}-month test window "
            f"{windows.test_start.date()} .. {windows.outcome_cutoff.date()}). Add older leads to the leads table, "
            "or shorten scoring.test_months / scoring.outcome_days, or lower scoring.min_train_leads, "
            "min_test_leads, min_class_leads.")
    _check_classes(train[LABEL].to_numpy(), "training leads", usable.min_train_leads, usable.min_class_leads, hint)
    _check_classes(test[LABEL].to_numpy(), "test leads", usable.min_test_leads, usable.min_class_leads, hint)

    model = fit_model(train, usable)
    test_rule = rule_scores(test, None, usable)
    metrics = evaluate(model, test, test_rule)
    calibration = calibration_table(test[LABEL], predict_probability(model, test))
    importance, measure = feature_importance(model, test, random_state=usable.random_state)

    scored_with = "evaluated model (fitted on the train set)"
    if usable.refit_on_all_known:
        known = leads.loc[(_created(leads) <= windows.outcome_cutoff).to_numpy(dtype=bool)]
        known = known.assign(**{LABEL: converted_by(known, day, usable.outcome_days).astype(np.int64)})
        model = fit_model(known.reset_index(drop=True), usable)
        scored_with = f"model refitted on all {len(known):,} leads with a known outcome"
    scores = score_open_leads(leads, model, None, usable, day)
    return ScoringResult(
        scores=scores, metrics=metrics, calibration=calibration, feature_importance=importance,
        importance_measure=measure, windows=windows, train_leads=len(train), train_converted=int(train[LABEL].sum()),
        test_leads=len(test), test_converted=int(test[LABEL].sum()), scored_with=scored_with,
        features=(usable.numeric_features, usable.categorical_features), notes=tuple(notes), model=model,
    )
