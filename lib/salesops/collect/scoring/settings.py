"""Lead-scoring settings: the ``scoring:`` section of the params, with a working default for every field.

One model per concern: :class:`FitPoints`, :class:`EngagementRule` and :class:`RecencyPoints` for the rule
score, :class:`GradeShares` for the grades, :class:`LeakageSettings` for the leakage guard, and
:class:`ScoringSettings` holding them with the learned model's settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from salesops.settings.base import Settings, settings_or_default
from salesops.settings.fields import (
    Count, Days, ListOf, MappingOf, Months, Number, Points, PositiveShare, Rule, Seed, Text, is_whole,
)

#: Seniority levels returned by ``title_seniority``, most senior first.
SENIORITY_LEVELS: tuple[str, ...] = ("C-level", "VP", "Director", "Manager", "Individual contributor", "Unknown")

#: Name of the derived feature column holding ``title_seniority`` of the ``title`` column.
SENIORITY_COLUMN = "title_seniority"

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
#: Default source points: words found in the source names of most CRMs and marketing tools, warmest first
#: (a lead someone vouched for, then one who came to you, then one you went out to). See FitPoints.source.
DEFAULT_SOURCE_POINTS: dict[str, float] = {
    "referral": 15, "reference": 15, "recommend": 15, "word of mouth": 15, "partner": 12,
    "demo": 12, "event": 10, "webinar": 10, "conference": 10, "trade show": 10, "inbound": 8, "contact": 8,
    "form": 8, "paid": 4, "ads": 4, "ppc": 4, "organic": 6, "seo": 6, "search": 6, "google": 6,
    "web": 6, "site": 6, "direct": 6, "content": 5, "social": 4, "facebook": 4, "linkedin": 4, "email": 4,
    "chat": 4, "outbound": 0, "cold": 0, "purchased": 0, "list": 0, "import": 0,
}
DEFAULT_CLOSED_STATUSES: tuple[str, ...] = ("converted", "disqualified", "unqualified", "closed", "lost", "junk")
GRADES: tuple[str, ...] = ("A", "B", "C", "D")


#: Lead columns by name, each once, e.g. [employees, page_views].
LeadColumns = ListOf(Text("page_views"), "lead columns", ["employees", "page_views"], unique=True)
#: Points per value of a lead column, e.g. {Software: 20}.
PointsByName = MappingOf(Points, "name to points", {"Software": 20})
def _band_start(start: Any) -> bool:
    """A band start: a whole number of employees, 0 or more (digits as text too, as JSON writes keys)."""
    return (is_whole(start) and start >= 0) or (isinstance(start, str) and start.strip().isdigit())


#: Company-size bands: {smallest number of employees in the band: points}, stored sorted by band start.
EmployeeBands = Annotated[
    dict[int, Points],
    BeforeValidator(Rule("a mapping of a band start (a whole number of employees, 0 or more) to points",
                         {0: 0, 50: 6, 200: 10}, "x",
                         lambda bands: isinstance(bands, Mapping) and all(_band_start(key) for key in bands))),
    AfterValidator(lambda bands: dict(sorted(bands.items()))),
]
#: A grade's share of the leads, above 0 and below 1.
GradeShare = Number("a share", 0.10, gt=0, lt=1, note="0.10 = 10%")
#: A number of days above 0 (a half-life).
HalfLifeDays = Number("a number of days", 14, gt=0)


class FitPoints(Settings):
    """Fit points of the rule score: how well the lead matches the ideal customer profile.

    A lead gets the points of its industry, of its company-size band, of its region, of its contact's
    seniority (``title_seniority``) and of its source, added up. A value that is missing or not listed gets
    0 points. Points may be negative (e.g. an industry you do not serve). Text values match ignoring case
    and surrounding spaces.
    """

    industry: PointsByName = Field(
        default_factory=lambda: dict(DEFAULT_INDUSTRY_POINTS),
        description="Points per industry (lead column `industry`). Default: Software 20, Finance 15, "
                    "Logistics 15, Manufacturing 10, Healthcare 8, Retail 4, Education 0, Public Sector 0.",
    )
    employees: EmployeeBands = Field(
        default_factory=lambda: dict(DEFAULT_EMPLOYEE_POINTS),
        description="Company-size bands: {smallest number of employees in the band: points}; a lead gets the "
                    "points of the largest band start not above its `employees`. Default: 0-49 → 0, "
                    "50-199 → 6, 200-1999 → 10, 2000+ → 5 (mid-sized companies fit best).",
    )
    region: PointsByName = Field(
        default_factory=lambda: dict(DEFAULT_REGION_POINTS),
        description="Points per sales region (lead column `region`). Default: NA 5, EMEA 5, APAC 3, LATAM 3.",
    )
    seniority: MappingOf(Points, "seniority level to points", {"VP": 15}, keys=SENIORITY_LEVELS) = Field(
        default_factory=lambda: dict(DEFAULT_SENIORITY_POINTS),
        description="Points per seniority of the contact's title (see title_seniority). Default: C-level 15, "
                    "VP 15, Director 10, Manager 5, Individual contributor 0, Unknown 0.",
    )
    source: PointsByName = Field(
        default_factory=lambda: dict(DEFAULT_SOURCE_POINTS),
        description="Points per lead source (lead column `source`): a source equal to a key (ignoring case) "
                    "gets its points; otherwise the first key, in the order listed, found in the source at the "
                    "start of a word ('referral' matches 'Partner referral' and 'Referral Sites'). Default: "
                    "referrals 15, partners and demos 12, events and webinars 10, inbound forms 8, search and "
                    "web 6, content 5, paid, social, e-mail and chat 4, outbound, cold and purchased lists 0.",
    )


class EngagementRule(Settings):
    """Points for one engagement count: ``min(points × count, max_points)`` before the time decay."""

    points: Number("a number of points", 1, ge=0) = Field(
        description="Points per event (e.g. per e-mail opened), 0 or more.")
    max_points: Number("a number of points", 5, gt=0) = Field(
        description="Cap: the most points this kind of event can give a lead.")


def _default_engagement() -> dict[str, EngagementRule]:
    return {
        "email_opens": EngagementRule(points=1, max_points=5),
        "email_clicks": EngagementRule(points=2, max_points=10),
        "page_views": EngagementRule(points=1, max_points=10),
        "form_fills": EngagementRule(points=5, max_points=10),
        "demo_requests": EngagementRule(points=15, max_points=15),
    }


class RecencyPoints(Settings):
    """Rule points for a recent activity: ``points × 0.5 ** (days since the lead's last activity /
    half_life_days)``, read from a lead column holding the date (or date-time) of its latest activity."""

    column: Text("last_activity_date") = Field(
        "last_activity_date",
        description="Lead column with the date of the lead's latest activity (dates and date-times may be "
                    "mixed). Leads without it get 0 recency points; a leads table without it, none at all.",
    )
    points: Number("a number of points", 10, ge=0) = Field(10.0, description="Points of an activity today. Default 10.")
    half_life_days: HalfLifeDays = Field(14.0, description="Days after which the recency points halve. Default 14.")


class GradeShares(Settings):
    """Grades by rank: A = the top ``A`` share of leads by score, B the next ``B``, C the next ``C``, D the rest.

    Shares are fractions (0.10 = 10 %). A lead's rank is the share of leads scored strictly higher, so leads
    with the same score share the better grade.
    """

    A: GradeShare = Field(0.10, description="Share of leads graded A (the top). Default 0.10.")
    B: GradeShare = Field(0.20, description="Share graded B (the next). Default 0.20.")
    C: GradeShare = Field(0.30, description="Share graded C; the rest are D. Default 0.30.")

    @model_validator(mode="after")
    def _add_up(self) -> "GradeShares":
        total = self.A + self.B + self.C
        if total > 1 + 1e-9:
            raise ValueError(f"grade shares A + B + C must be at most 1 (D takes the rest); got {total:g}")
        return self

    def upper_bounds(self) -> tuple[float, float, float]:
        """Cumulative shares: a lead with fewer than ``bound × leads`` leads above it gets A, B, C."""
        return self.A, self.A + self.B, self.A + self.B + self.C

    def definitions(self) -> dict[str, str]:
        """What each grade means, in words: {"A": "top 10%", "B": "next 20%", ...}."""
        d = 1.0 - self.A - self.B - self.C
        return {"A": f"top {self.A:.0%}", "B": f"next {self.B:.0%}", "C": f"next {self.C:.0%}",
                "D": f"bottom {max(d, 0.0):.0%}"}


class LeakageSettings(Settings):
    """The leakage guard: which model features are left out because they may be recorded after the outcome."""

    max_single_feature_auc: Number("a ROC AUC", 0.95, gt=0.5, le=1) = Field(
        0.95,
        description="A feature whose values alone rank the training leads by outcome better than this ROC AUC "
                    "(measured out of fold, so an identifier does not count) is left out.",
    )
    decisive_rate: PositiveShare = Field(
        0.95,
        description="A value (a text level, or one of ten bands of a number) is decisive when at least 20 "
                    "training leads have it and at least this share of them converted.",
    )
    max_decisive_share: PositiveShare = Field(
        0.25,
        description="A feature whose decisive values hold more than this share of the converted training leads "
                    "is left out: it reads like a verdict written after contact (e.g. 'Closed by ...').",
    )
    after_conversion_share: PositiveShare = Field(
        0.5,
        description="A date feature that lies after the conversion date for at least this share of the "
                    "converted training leads is left out: it is recorded after the outcome.",
    )
    keep: ListOf(Text("Tags"), "lead columns", ["Tags"], unique=True) = Field(
        (), description="Features to use even when the guard flags them (named on the page as kept).",
    )


class ScoringSettings(Settings):
    """Lead-scoring settings (the ``scoring:`` section of the params). Every field has a working default."""

    model: Literal["logistic", "gradient_boosting"] = Field(
        "logistic",
        description="Conversion model: 'logistic' (logistic regression on scaled features: robust, explainable "
                    "by its coefficients) or 'gradient_boosting' (scikit-learn HistGradientBoostingClassifier: "
                    "finds interactions, explained by permutation importance).",
    )
    numeric_features: LeadColumns = Field(
        DEFAULT_NUMERIC_FEATURES,
        description="Numeric lead columns the model uses. Missing values are filled with the training median "
                    "(plus a 'was missing' flag); each enters as itself and as sign(x)·log(1+|x|), standardised. "
                    "A column of dates enters as days after the lead's creation.",
    )
    categorical_features: LeadColumns = Field(
        DEFAULT_CATEGORICAL_FEATURES,
        description="Text lead columns the model uses, one-hot encoded (missing is its own level; a value not "
                    f"seen in training is ignored). '{SENIORITY_COLUMN}' is derived from `title`.",
    )
    outcome_days: Days(1, 3650, example=90) = Field(
        90,
        description="A lead's outcome counts as known when it was created at least this many days before the "
                    "cut-off (as_of for the whole model, the test window's start for training). Set it to "
                    "about the time in which nearly all conversions happen.",
    )
    test_months: Months(1, 60, example=6) = Field(
        6,
        description="Evaluation window: the model is tested on the known leads created in the last this many "
                    "calendar months before the outcome cut-off, and trained only on earlier leads.",
    )
    min_test_months: Months(1, 60, example=2) = Field(
        2,
        description="When the training or test leads have too few conversions, the training window widens by "
                    "moving the split later, one month at a time, until the test window is this short.",
    )
    half_life_days: HalfLifeDays = Field(
        30.0,
        description="Half-life of engagement points in the rule score, days: a lead's engagement points are "
                    "multiplied by 0.5 ** (age_days / half_life_days).",
    )
    fit_points: FitPoints = Field(default_factory=FitPoints, description="Rule score: fit points (see FitPoints).")
    engagement_points: MappingOf(EngagementRule, "lead count column to {points, max_points}",
                                 {"page_views": {"points": 1, "max_points": 10}}) = Field(
        default_factory=_default_engagement,
        description="Rule score: {lead count column: {points, max_points}}. Default: email_opens 1 (max 5), "
                    "email_clicks 2 (max 10), page_views 1 (max 10), form_fills 5 (max 10), demo_requests 15 "
                    "(max 15).",
    )
    recency: RecencyPoints = Field(default_factory=RecencyPoints,
                                   description="Rule score: points for a recent activity (see RecencyPoints).")
    grade_shares: GradeShares = Field(
        default_factory=GradeShares,
        description="Grades by rank among the open leads: A the top 10%, B the next 20%, C the next 30%, D the "
                    "bottom 40% by default. The page shows how much better each grade converted on test leads.",
    )
    leakage: LeakageSettings = Field(default_factory=LeakageSettings,
                                     description="The leakage guard (see LeakageSettings).")
    closed_statuses: ListOf(Text("disqualified"), "lead statuses", ["converted", "disqualified"], unique=True) = Field(
        DEFAULT_CLOSED_STATUSES,
        description="Lead statuses (ignoring case) that mean the lead is no longer open, so it gets no score. "
                    "A converted lead is never open, whatever its status.",
    )
    stale_after_days: Days(1, example=180) = Field(
        180,
        description="A lead without a status that has not converted counts as stale, not open, once this many "
                    "days have passed since its creation (or its last activity, when the leads record it).",
    )
    refit_on_all_known: bool = Field(
        True,
        description="Score open leads with a model refitted on every lead whose outcome is known (train + test "
                    "windows, the most recent evidence). False: use the evaluated model, fitted on train only.",
    )
    min_train_leads: Count("leads", 2, example=200) = Field(
        200, description="Fewest training leads accepted; fewer is an error saying how to get more."
    )
    min_test_leads: Count("leads", 2, example=50) = Field(50, description="Fewest test leads accepted for the evaluation.")
    min_class_leads: Count("leads", 1, example=10) = Field(
        10,
        description="Fewest converted and fewest unconverted leads accepted in each of train and test.",
    )
    random_state: Seed = Field(0, description="Seed of the model and of permutation importance (reproducible).")
    max_fit_rows: Count("leads", 1000, example=300000) = Field(
        300_000,
        description="The model is fitted on at most this many leads: a random sample of the leads (the same for "
                    "the same seed) when there are more. Fitting time grows with the leads, accuracy hardly beyond a "
                    "few hundred thousand (a few dozen coefficients); the evaluation still uses every test lead.",
    )

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
        if self.min_test_months > self.test_months:
            raise ValueError(f"min_test_months ({self.min_test_months}) must not exceed test_months "
                             f"({self.test_months}): the test window only shrinks from test_months to it")
        if max_rule_points(self, None) <= 0:
            raise ValueError(
                "the rule points give no lead any positive points (fit_points all 0 or below and no "
                "engagement or recency points): give at least one industry, band, region, seniority, source, "
                "engagement or recency points"
            )
        return self


def rule_columns(settings: ScoringSettings) -> tuple[str, ...]:
    """The lead columns the rule score reads: industry, employees, region, title, source, every engagement
    count column and the recency column."""
    return ("industry", "employees", "region", "title", "source", *settings.engagement_points,
            settings.recency.column)


def max_rule_points(settings: ScoringSettings, columns) -> float:
    """Most points a lead can get: the best value of each fit component plus every engagement cap plus the
    recency points, counting only components whose lead column is in ``columns`` (all when None)."""
    def has(column: str) -> bool:
        return columns is None or column in columns

    fit = settings.fit_points
    total = 0.0
    for column, points in (("industry", fit.industry), ("employees", fit.employees), ("region", fit.region),
                           ("title", fit.seniority), ("source", fit.source)):
        if has(column) and points:
            total += max(0.0, max(points.values()))
    total += sum(rule.max_points for column, rule in settings.engagement_points.items() if has(column))
    if has(settings.recency.column):
        total += settings.recency.points
    return total


def check_settings(settings: ScoringSettings | None) -> ScoringSettings:
    """``settings`` itself, the defaults for None, a ValueError for anything else."""
    return settings_or_default(settings, ScoringSettings)
