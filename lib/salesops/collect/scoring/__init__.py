"""Step 1 lead scoring: a marketing-style rule score and a time-honest conversion model, either without the other.

* **Rule score** (``rule_score.py``): points a marketing-automation tool would give for fit (industry, size,
  region, seniority, source), engagement (opens, clicks, page views, forms, demo requests, fading with the
  lead's age) and recency of the last activity, scaled to 0-100. It needs no outcome.
* **Learned model** (``model.py``): the probability that a lead converts to an opportunity, learned from
  leads whose outcome is known (logistic regression by default, or gradient boosting), trained on older
  leads and tested on later ones (``windows.py``: the training window widens until enough conversions are
  known), after the leakage guard (``leakage.py``) has left out features that look recorded after the
  outcome. How good both scores are: ``evaluation.py``.
* **Grades** (``grading.py``): A-D by rank (the top 10 % are A by default), with the lift each grade had.
* ``score_leads`` (``workflow.py``) is the one call the notebook makes; its result's ``lead_scores`` become
  the ``lead_scores.parquet`` artifact read by the demand step.

Conventions shared by every module of the package:

* Inputs are canonical leads (see ``schema.py``); they are never modified. Outputs have a fresh 0..n-1 index.
* Probabilities and rates are fractions (0.25 means 25 %); scores are on a 0-100 scale.
* scikit-learn is imported inside the functions that need it, so ``import salesops.collect.scoring`` stays cheap.
* Bad arguments raise ``ValueError`` naming the argument and what is accepted.
"""

from __future__ import annotations

from salesops.collect.scoring.evaluation import (PERMUTATION_MAX_LEADS, calibration_table, evaluate, feature_importance,
                                                 top_decile_lift)
from salesops.collect.scoring.grading import grade_lift, grades
from salesops.collect.scoring.leads import (LEAD_STATES, as_days, conversion_dates, converted_by, holds_dates,
                                            lead_states, open_leads_mask)
from salesops.collect.scoring.leakage import after_conversion_share, decisive_share, leakage_check, single_feature_auc
from salesops.collect.scoring.model import build_pipeline, fit_model, predict_probability, prepare_features
from salesops.collect.scoring.rule_score import rule_score_reason, rule_scores, source_points, title_seniority
from salesops.collect.scoring.settings import (DEFAULT_CATEGORICAL_FEATURES, DEFAULT_CLOSED_STATUSES,
                                               DEFAULT_NUMERIC_FEATURES, DEFAULT_SOURCE_POINTS, FORBIDDEN_FEATURES,
                                               SENIORITY_COLUMN, SENIORITY_LEVELS, EngagementRule, FitPoints,
                                               GradeShares, LeakageSettings, RecencyPoints, ScoringSettings)
from salesops.collect.scoring.windows import (LABEL, TimeWindows, WindowChoice, choose_windows, split_by_time,
                                              time_windows)
from salesops.collect.scoring.workflow import ScoringResult, score_leads

__all__ = [
    "DEFAULT_CATEGORICAL_FEATURES", "DEFAULT_CLOSED_STATUSES", "DEFAULT_NUMERIC_FEATURES", "DEFAULT_SOURCE_POINTS",
    "FORBIDDEN_FEATURES", "LABEL", "LEAD_STATES", "PERMUTATION_MAX_LEADS", "SENIORITY_COLUMN", "SENIORITY_LEVELS",
    "EngagementRule", "FitPoints", "GradeShares", "LeakageSettings", "RecencyPoints", "ScoringResult",
    "ScoringSettings", "TimeWindows", "WindowChoice",
    "after_conversion_share", "as_days", "build_pipeline", "calibration_table", "choose_windows",
    "conversion_dates", "converted_by", "decisive_share", "evaluate", "feature_importance", "fit_model",
    "grade_lift", "grades", "holds_dates", "lead_states", "leakage_check", "open_leads_mask",
    "predict_probability", "prepare_features", "rule_score_reason", "rule_scores", "score_leads",
    "single_feature_auc", "source_points", "split_by_time", "time_windows", "title_seniority", "top_decile_lift",
]
