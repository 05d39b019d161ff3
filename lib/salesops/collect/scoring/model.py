"""The learned conversion model: a scikit-learn pipeline fitted on leads whose outcome is known.

scikit-learn is imported inside the functions that need it, so ``import salesops.collect.scoring`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesops.collect.scoring.leads import as_days, clean_text, holds_dates
from salesops.collect.scoring.rule_score import title_seniority
from salesops.collect.scoring.settings import SENIORITY_COLUMN, ScoringSettings, check_settings
from salesops.collect.scoring.windows import LABEL, shortfall

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
    asked for and not already a column. The input is not modified.

    A numeric feature holding dates (:func:`~salesops.collect.scoring.leads.holds_dates`: dates and date-times may
    be mixed) enters as days from the lead's ``created_date`` to that date (days since 1970-01-01 when the
    frame has no ``created_date``)."""
    columns = {}
    for name in numeric_features:
        if name not in frame.columns:
            raise ValueError(f"numeric feature {name!r} is not a column; columns: {list(frame.columns)}")
        columns[name] = numeric_values(frame, name)
    for name in categorical_features:
        if name == SENIORITY_COLUMN and name not in frame.columns and "title" in frame.columns:
            values = title_seniority(frame["title"])
        elif name in frame.columns:
            values = frame[name]
        else:
            raise ValueError(f"categorical feature {name!r} is not a column; columns: {list(frame.columns)}")
        columns[name] = clean_text(values).to_numpy()
    return pd.DataFrame(columns, index=frame.index)


def numeric_values(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` of ``frame`` as float64 numbers: a number as itself (NaN when missing or not a
    number); a date as days after the lead's ``created_date`` (see :func:`prepare_features`)."""
    values = frame[name]
    if not holds_dates(values):
        return pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    days = as_days(values)
    origin = as_days(frame["created_date"]) if "created_date" in frame.columns else pd.Timestamp("1970-01-01")
    return ((days - origin).dt.days).astype("float64").to_numpy()


def model_features(model) -> tuple[list[str], list[str]]:
    """(numeric, categorical) input columns of a pipeline from :func:`build_pipeline`."""
    prepare = model.named_steps["prepare"]
    found = {name: list(columns) for name, _, columns in prepare.transformers}
    return found.get("numeric", []), found.get("categorical", [])


def predict_probability(model, frame: pd.DataFrame) -> np.ndarray:
    """Conversion probability (0-1) of each row of ``frame`` by a fitted :func:`build_pipeline` model."""
    numeric, categorical = model_features(model)
    if len(frame) == 0:
        return np.zeros(0)
    return model.predict_proba(prepare_features(frame, numeric, categorical))[:, 1].astype(float)


def fit_positions(rows: int, settings: ScoringSettings) -> np.ndarray:
    """Positions (ascending) of the rows a model is fitted on out of ``rows``: all of them, or a random sample of
    ``settings.max_fit_rows`` drawn with ``settings.random_state`` when there are more (the same every time)."""
    if rows <= settings.max_fit_rows:
        return np.arange(rows)
    return np.sort(np.random.default_rng(settings.random_state).choice(rows, settings.max_fit_rows, replace=False))


def fit_model(train: pd.DataFrame, settings: ScoringSettings | None = None):
    """Fit the conversion model of ``settings.model`` on ``train`` (a frame from :func:`split_by_time`, with
    its ``label`` column) and return the fitted scikit-learn Pipeline (see :func:`build_pipeline`).

    Deterministic: the same rows in the same order give the same model (fixed ``random_state``). Of more than
    ``settings.max_fit_rows`` rows, a random sample of that many (drawn with ``random_state``) is fitted.
    """
    settings = check_settings(settings)
    if not isinstance(train, pd.DataFrame) or LABEL not in train.columns:
        raise ValueError(f"train must be a DataFrame with a {LABEL!r} column, as returned by split_by_time")
    labels = train[LABEL].to_numpy(dtype=np.int64)
    problem = shortfall(labels, "training leads", 2, 1)
    if problem:
        raise ValueError(f"{problem}: a model needs at least 1 of each outcome. Give more history, or a longer "
                         "window of known outcomes (scoring.outcome_days).")
    if len(train) > settings.max_fit_rows:
        rows = fit_positions(len(train), settings)
        train, labels = train.iloc[rows], labels[rows]
    features = prepare_features(train, settings.numeric_features, settings.categorical_features)
    pipeline = build_pipeline(settings.numeric_features, settings.categorical_features, settings.model,
                              settings.random_state)
    return pipeline.fit(features, labels)

