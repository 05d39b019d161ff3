"""Lead scoring in one call (:func:`score_leads`): the rule score and the learned model, each run when it
can and each saying why when it cannot, the leakage guard, the widening training window, grades by rank,
and every open lead scored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from salesops.checks import as_timestamp
from salesops.collect.scoring.evaluation import calibration_table, evaluate, feature_importance
from salesops.collect.scoring.grading import grade_lift, grades
from salesops.collect.scoring.leads import check_leads, conversion_dates, converted_by, created, lead_states
from salesops.collect.scoring.leakage import LEAKAGE_COLUMNS, leakage_check
from salesops.collect.scoring.model import fit_model, fit_positions, predict_probability
from salesops.collect.scoring.rule_score import rule_score_reason, rule_scores
from salesops.collect.scoring.settings import SENIORITY_COLUMN, ScoringSettings, check_settings, rule_columns
from salesops.collect.scoring.windows import LABEL, TimeWindows, choose_windows
from salesops.contract.schema import TEXT_DTYPE

SCORE_COLUMNS: tuple[str, ...] = ("lead_id", "probability", "score", "grade", "rule_score")


@dataclass(frozen=True)
class ScoringResult:
    """Everything :func:`score_leads` produces.

    * ``scores``: open leads, ``lead_id, probability, score, grade, rule_score``, best first.
      ``scored_by`` says which score ranks and grades them: "model" (probability from the model, score =
      round(100 × probability)) or "rule score" (score = the rounded rule score; probability = the conversion
      rate that known leads of the same grade had, NaN when no outcome is known). ``rule_score`` is NaN when
      the rule score could not run.
    * ``lead_scores``: ``scores`` when every probability is known (the ``lead_scores`` artifact), else None.
    * ``metrics``: :func:`evaluate` of the model and of the rule score on the same leads whose outcome is
      known (the test leads; all known leads when only the rule score runs); empty without outcomes.
    * ``calibration``: :func:`calibration_table` of the evaluated model on the test leads (empty without it).
    * ``grade_lift``: :func:`grade_lift` of the scoring score on those leads: how each grade converted.
    * ``leakage``: the leakage guard's verdict on each model feature (:func:`leakage_check`).
    * ``feature_importance`` and ``importance_measure``: the model's top drivers and what the numbers mean.
    * ``windows``: the evaluation dates (None without a model); ``train_leads`` / ``train_converted`` and
      ``test_leads`` / ``test_converted``: sizes of the two sets; ``scored_with``: which model scored.
    * ``model_reason`` / ``rule_reason``: why the learned model / the rule score did not run ("" when it
      did); ``features``: the model's (numeric, categorical) columns; ``notes``: what else a reader should
      know (columns left out, a widened training window, stale leads); ``stale_leads``: leads without a
      status that aged out (``settings.stale_after_days``); ``model``: the fitted pipeline, or None.
    """

    scores: pd.DataFrame
    scored_by: str
    metrics: pd.DataFrame
    calibration: pd.DataFrame
    grade_lift: pd.DataFrame
    leakage: pd.DataFrame
    feature_importance: pd.DataFrame
    importance_measure: str
    windows: TimeWindows | None
    train_leads: int
    train_converted: int
    test_leads: int
    test_converted: int
    scored_with: str
    features: tuple[tuple[str, ...], tuple[str, ...]]
    model_reason: str = ""
    rule_reason: str = ""
    notes: tuple[str, ...] = ()
    stale_leads: int = 0
    model: Any = field(default=None, repr=False, compare=False)

    @property
    def lead_scores(self) -> pd.DataFrame | None:
        """The ``lead_scores`` artifact step 2 reads: ``scores`` when every open lead has a probability."""
        return None if self.scores["probability"].isna().any() else self.scores

    @property
    def split_summary(self) -> pd.DataFrame:
        """One row per set: which leads (creation dates), labels known as of, leads, converted, rate."""
        columns = ["set", "created", "outcome_known_on", "leads", "converted"]
        w = self.windows
        rows = [] if w is None else [
            ("train", f"up to {w.train_end.date()}", w.train_cutoff.date(), self.train_leads, self.train_converted),
            ("test", f"{w.test_start.date()} to {w.outcome_cutoff.date()}", w.as_of.date(), self.test_leads,
             self.test_converted),
        ]
        frame = pd.DataFrame(rows, columns=columns)
        frame["conversion_rate"] = frame["converted"] / frame["leads"].where(frame["leads"] > 0)
        return frame


def _usable_features(leads: pd.DataFrame, settings: ScoringSettings) -> tuple[ScoringSettings, list[str]]:
    """Settings without the model features that are absent or empty in ``leads``, and notes saying so."""
    notes, keep = [], {"numeric_features": [], "categorical_features": []}
    absent, empty = [], []
    for kind in keep:
        for name in getattr(settings, kind):
            source = "title" if name == SENIORITY_COLUMN and name not in leads.columns else name
            if source not in leads.columns:
                absent.append(name)
            elif leads[source].isna().all():
                empty.append(name)
            else:
                keep[kind].append(name)
    if absent:
        notes.append(f"Model features not in the leads table, left out: {', '.join(absent)}.")
    if empty:
        notes.append(f"Model features empty in every lead, left out: {', '.join(empty)}.")
    usable = settings.model_copy(update={k: tuple(v) for k, v in keep.items()})
    return usable, notes


@dataclass
class _Learned:
    """The learned model's part of a :class:`ScoringResult` (``reason`` says why there is no model)."""

    reason: str = ""
    model: Any = None
    settings: ScoringSettings | None = None
    metrics: pd.DataFrame | None = None
    calibration: pd.DataFrame | None = None
    grade_lift: pd.DataFrame | None = None
    importance: pd.DataFrame | None = None
    measure: str = ""
    windows: TimeWindows | None = None
    sizes: tuple[int, int, int, int] = (0, 0, 0, 0)
    scored_with: str = ""
    leakage: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def _learn(leads: pd.DataFrame, day: pd.Timestamp, settings: ScoringSettings, with_rule: bool) -> _Learned:
    """Fit, guard, evaluate and (optionally) refit the model; a ``reason`` instead where it cannot."""
    if "converted" not in leads.columns and "converted_date" not in leads.columns:
        return _Learned(reason="the leads have neither a converted nor a converted_date column, so there is no "
                               "outcome to learn from. Map the CRM's conversion flag onto leads.converted "
                               "(data.columns.leads).")
    usable, notes = _usable_features(leads, settings)
    if not usable.numeric_features and not usable.categorical_features:
        wanted = ", ".join(settings.numeric_features + settings.categorical_features)
        return _Learned(reason=f"none of the model features ({wanted}) is filled in the leads table. Map your "
                               "CRM's columns onto them (data.columns.leads) or list yours under "
                               "scoring.numeric_features / scoring.categorical_features.", notes=notes)
    choice = choose_windows(leads, day, usable)
    if choice.windows is None:
        return _Learned(reason=choice.reason, notes=notes)
    if choice.note:
        notes.append(choice.note)
    train, test, windows = choice.train, choice.test, choice.windows
    # the guard and the model see the rows the model is fitted on (all, or scoring.max_fit_rows of them)
    train = train.iloc[fit_positions(len(train), usable)]
    guard = leakage_check(train, usable.numeric_features, usable.categorical_features, usable,
                          conversion=conversion_dates(train, usable.outcome_days))
    left_out = set(guard.loc[guard["verdict"] == "left out", "feature"].astype(str))
    usable = usable.model_copy(update={
        "numeric_features": tuple(f for f in usable.numeric_features if f not in left_out),
        "categorical_features": tuple(f for f in usable.categorical_features if f not in left_out)})
    if not usable.numeric_features and not usable.categorical_features:
        return _Learned(reason="the leakage guard left out every model feature (see the table of the guard's "
                               "verdicts); list a feature under scoring.leakage.keep to use it anyway.",
                        leakage=guard, notes=notes)

    model = fit_model(train, usable)
    test_probability = predict_probability(model, test)
    metrics = evaluate(model, test, rule_scores(test, None, usable) if with_rule else None)
    calibration = calibration_table(test[LABEL], test_probability)
    lift = grade_lift(test[LABEL], test_probability, usable)
    importance, measure = feature_importance(model, test, random_state=usable.random_state)
    scored_with = "evaluated model (fitted on the train set)"
    if usable.refit_on_all_known:
        known = np.flatnonzero((created(leads) <= windows.outcome_cutoff).to_numpy(dtype=bool))
        total = len(known)
        known = leads.iloc[known[fit_positions(total, usable)]]  # sampled before it is copied
        known = known.assign(**{LABEL: converted_by(known, day, usable.outcome_days).astype(np.int64)})
        model = fit_model(known.reset_index(drop=True), usable)
        scored_with = (f"model refitted on all {total:,} leads with a known outcome" if len(known) == total else
                       f"model refitted on {len(known):,} of the {total:,} leads with a known outcome (a random "
                       "sample)")
    sizes = (len(train), int(train[LABEL].sum()), len(test), int(test[LABEL].sum()))
    return _Learned(model=model, settings=usable, metrics=metrics, calibration=calibration, grade_lift=lift,
                    importance=importance, measure=measure, windows=windows, sizes=sizes, scored_with=scored_with,
                    leakage=guard, notes=notes)


def _rule_only(leads: pd.DataFrame, open_rows: pd.DataFrame, rule_now: pd.DataFrame, day: pd.Timestamp,
               settings: ScoringSettings) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Without a model: each open lead's probability is the conversion rate of the known leads (created at
    least ``outcome_days`` before ``day``) in its grade by rule score at creation (the overall rate for a
    grade without known leads; NaN without any known lead). Returns the probabilities, the rule score's
    metrics on those known leads and their grade lift."""
    known = leads.loc[(created(leads) <= day - pd.Timedelta(days=settings.outcome_days)).to_numpy(dtype=bool)]
    has_outcome = "converted" in leads.columns or "converted_date" in leads.columns
    if known.empty or not has_outcome:
        empty = evaluate(None, pd.DataFrame({"lead_id": [], LABEL: []}), None)
        return np.full(len(open_rows), np.nan), empty, grade_lift([], [], settings)
    known = known.assign(**{LABEL: converted_by(known, day, settings.outcome_days).astype(np.int64)})
    known = known.reset_index(drop=True)
    rule_known = rule_scores(known, None, settings)
    lift = grade_lift(known[LABEL], rule_known["rule_score"], settings)
    rate = lift.set_index("grade")["conversion_rate"]
    rate = rate.fillna(float(known[LABEL].mean()))
    open_grades = grades(rule_now["rule_score"], settings).astype(object)
    probability = open_grades.map(rate).to_numpy(dtype=float)
    return probability, evaluate(None, known, rule_known), lift


def _order(frame: pd.DataFrame, by: np.ndarray) -> pd.DataFrame:
    """Rows by ``by`` (highest first), then by lead_id."""
    order = np.lexsort((frame["lead_id"].astype(object).to_numpy(), -np.nan_to_num(by, nan=-np.inf)))
    return frame.iloc[order].reset_index(drop=True)


def score_leads(leads: pd.DataFrame, as_of, settings: ScoringSettings | None = None) -> ScoringResult:
    """Lead scoring at ``as_of`` (the last day of known data), in one call.

    1. Leads created after ``as_of`` are ignored (they did not exist yet). Open leads are those
       :func:`~salesops.collect.scoring.leads.lead_states` calls open (not converted, not closed, not stale).
    2. The **rule score** runs when the leads have a column it gives points for
       (:func:`~salesops.collect.scoring.rule_score.rule_score_reason` says why not otherwise).
    3. The **learned model** runs when the leads have an outcome and a model feature, and enough known
       outcomes: :func:`~salesops.collect.scoring.windows.choose_windows` widens the training window until the
       training and test leads have enough conversions. The leakage guard
       (:func:`~salesops.collect.scoring.leakage.leakage_check`) leaves out features that look recorded after the
       outcome; the model is fitted on the train set and evaluated on the test set against the rule score each
       test lead had when it was created; with ``settings.refit_on_all_known`` it is then refitted on every
       lead whose outcome is known to score the open leads.
    4. Open leads are graded by rank (:func:`~salesops.collect.scoring.grades.grades`) of the model's probability, or
       of the rule score when there is no model.

    Neither score running is a ValueError giving both reasons; one of them not running is ``model_reason``
    or ``rule_reason`` of the result.
    """
    settings = check_settings(settings)
    check_leads(leads, ["lead_id", "created_date"])
    day = as_timestamp(as_of, "as_of").normalize()
    leads = leads.loc[(created(leads) <= day).to_numpy(dtype=bool)]
    state = lead_states(leads, day, settings)
    open_rows = leads.loc[(state == "open").to_numpy(dtype=bool)].reset_index(drop=True)
    stale = int((state == "stale").sum())

    rule_reason = rule_score_reason(leads.columns, settings)
    learned = _learn(leads, day, settings, with_rule=not rule_reason)
    if learned.model is None and rule_reason:
        raise ValueError(f"neither score can run. The rule score: {rule_reason} The learned model: "
                         f"{learned.reason}")
    notes = list(learned.notes)
    if not rule_reason:
        missing = [column for column in dict.fromkeys(rule_columns(settings)) if column not in leads.columns]
        if missing:
            notes.append(f"The rule score gives no points for {', '.join(missing)} (not in the leads table) and is "
                         "scaled to the points that remain.")
    if stale:
        notes.append(f"{stale:,} lead(s) without a status had nothing happen for more than "
                     f"{settings.stale_after_days} days and count as stale, not open (scoring.stale_after_days).")
    rule_now = rule_scores(open_rows, day, settings) if not rule_reason else None
    rule_score = (rule_now["rule_score"].to_numpy(dtype=float) if rule_now is not None
                  else np.full(len(open_rows), np.nan))

    if learned.model is not None:
        probability = predict_probability(learned.model, open_rows)
        rank_by, scored_by = probability, "model"
        score = np.floor(100.0 * probability + 0.5)
        metrics, lift = learned.metrics, learned.grade_lift
    else:
        probability, metrics, lift = _rule_only(leads, open_rows, rule_now, day, settings)
        rank_by, scored_by = rule_score, "rule score"
        score = np.floor(rule_score + 0.5)
    frame = pd.DataFrame({
        "lead_id": pd.array(open_rows["lead_id"].astype(object).to_numpy(), dtype=TEXT_DTYPE),
        "probability": probability.astype(float),
        "score": pd.array(score.astype(np.int64), dtype="Int64"),
        "grade": grades(pd.Series(rank_by, dtype="float64"), settings).to_numpy(),
        "rule_score": rule_score,
    })
    frame["grade"] = frame["grade"].astype(TEXT_DTYPE)
    scores = _order(frame, rank_by)

    empty_guard = pd.DataFrame({c: pd.Series(dtype=TEXT_DTYPE if c in ("feature", "verdict", "reason") else "float64")
                                for c in LEAKAGE_COLUMNS})
    used = learned.settings or settings
    return ScoringResult(
        scores=scores, scored_by=scored_by, metrics=metrics,
        calibration=(learned.calibration if learned.calibration is not None
                     else calibration_table([], [])),
        grade_lift=lift,
        leakage=learned.leakage if learned.leakage is not None else empty_guard,
        feature_importance=(learned.importance if learned.importance is not None
                            else pd.DataFrame({"feature": pd.Series(dtype=TEXT_DTYPE), "importance": [],
                                               "direction": pd.Series(dtype=TEXT_DTYPE), "odds_ratio": []})),
        importance_measure=learned.measure, windows=learned.windows,
        train_leads=learned.sizes[0], train_converted=learned.sizes[1], test_leads=learned.sizes[2],
        test_converted=learned.sizes[3], scored_with=learned.scored_with or f"{scored_by}",
        features=((used.numeric_features, used.categorical_features) if learned.model is not None else ((), ())),
        model_reason=learned.reason, rule_reason=rule_reason, notes=tuple(notes), stale_leads=stale,
        model=learned.model,
    )
