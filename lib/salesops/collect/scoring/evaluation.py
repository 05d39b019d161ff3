"""How good a score is on leads whose outcome is known: ROC AUC, top-decile lift, Brier score, a reliability
table, and what drives the model.

Probabilities and rates are fractions (0.25 means 25 %); scores are on any scale where higher means likelier.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from salesops.collect.scoring.model import model_features, predict_probability, prepare_features
from salesops.collect.scoring.windows import LABEL
from salesops.contract.schema import TEXT_DTYPE


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
    Either score may be None (it could not run): its row is then left out.

    Columns: ``score``, ``leads``, ``converted``, ``conversion_rate``, ``roc_auc`` (probability that a
    converted lead outranks an unconverted one; 0.5 = random), ``top_decile_lift`` (see
    :func:`top_decile_lift`), ``brier`` (mean squared error of the probability; lower is better). The rule
    score is read as a probability of score / 100 for its Brier score: it is not calibrated, so that figure
    mostly shows it should not be read as one.
    """
    if not isinstance(test, pd.DataFrame) or LABEL not in test.columns:
        raise ValueError(f"test must be a DataFrame with a {LABEL!r} column, as returned by split_by_time")
    y = test[LABEL].to_numpy(dtype=float)
    rule = None
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
    elif rule_scores_of_test is not None:
        rule = _as_array(rule_scores_of_test, "rule_scores_of_test")
        if len(rule) != len(test):
            raise ValueError(f"rule_scores_of_test has {len(rule)} scores for {len(test)} test leads")
    scores = []
    if model is not None:
        probability = predict_probability(model, test)
        scores.append(("model", probability, probability))
    if rule is not None:
        scores.append(("rule", rule, rule / 100.0))
    rows = []
    for name, score, as_probability in scores:
        rows.append({
            "score": name, "leads": len(y), "converted": int(y.sum()),
            "conversion_rate": float(y.mean()) if len(y) else float("nan"),
            "roc_auc": _roc_auc(y, score), "top_decile_lift": top_decile_lift(y, score) if len(y) else float("nan"),
            "brier": float(np.mean((as_probability - y) ** 2)) if len(y) else float("nan"),
        })
    frame = pd.DataFrame(rows, columns=["score", "leads", "converted", "conversion_rate", "roc_auc",
                                        "top_decile_lift", "brier"])
    frame = frame.astype({column: "float64" for column in ("conversion_rate", "roc_auc", "top_decile_lift", "brier")})
    frame["score"] = frame["score"].astype(TEXT_DTYPE)
    frame["leads"] = frame["leads"].astype("float64").astype("Int64")
    frame["converted"] = frame["converted"].astype("float64").astype("Int64")
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
    numeric, categorical = model_features(model)
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
    numeric, categorical = model_features(model)
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
