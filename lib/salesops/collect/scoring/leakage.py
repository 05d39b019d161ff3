"""The leakage guard: model features that look recorded after the outcome are left out before fitting.

A column filled in by the sales team after contact ("Closed by ...", a call's duration, a lead-quality
rating) or a date recorded after conversion makes a model look excellent on past leads and useless on new
ones. Three checks on the training leads, each a reason to leave the feature out:

* **single-feature AUC** above ``leakage.max_single_feature_auc`` (0.95): the feature alone ranks converted
  above unconverted leads almost perfectly (:func:`single_feature_auc`, measured out of fold);
* **decisive values** holding more than ``leakage.max_decisive_share`` (25 %) of the conversions: values
  after which nearly every lead converted (:func:`decisive_share`), the mark of a verdict written after
  contact;
* **a date after conversion** for at least ``leakage.after_conversion_share`` (half) of the converted leads
  (:func:`after_conversion_share`).

It also leaves out a text feature that is an identifier (nearly every lead has its own value,
``IDENTIFIER_SHARE``): no leak, but nothing a model can learn from, and thousands of one-hot columns.

A feature listed in ``leakage.keep`` stays in the model, flagged or not, and the page says so. The guard
cannot see every leak: a rating that is merely strong (the X Education set's ``Lead Quality``, AUC 0.80)
looks like an ordinary good feature; only knowing when a column is filled in tells them apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.collect.scoring.leads import as_days, holds_dates
from salesops.collect.scoring.model import prepare_features
from salesops.collect.scoring.settings import ScoringSettings, check_settings
from salesops.collect.scoring.windows import LABEL
from salesops.contract.schema import TEXT_DTYPE

#: Fewest training leads a value needs to count as decisive.
DECISIVE_MIN_LEADS = 20
#: Quantile bands a number is cut into for the single-feature checks.
NUMBER_BANDS = 10
#: Folds of the out-of-fold single-feature AUC, and the smoothing (in leads) of each value's rate.
FOLDS, SMOOTHING = 5, 10.0
#: A text feature with at least this share of distinct values among its filled training values (and 20 or
#: more of them) is an identifier.
IDENTIFIER_SHARE = 0.9

LEAKAGE_COLUMNS: tuple[str, ...] = (
    "feature", "single_feature_auc", "decisive_share", "after_conversion_share", "verdict", "reason",
)


def value_codes(values: pd.Series | np.ndarray) -> np.ndarray:
    """One code per lead for the single-feature checks: a number's quantile band (up to ``NUMBER_BANDS``
    bands of the filled values), a text's level; missing is a code of its own. Codes are 0, 1, 2 ..."""
    values = pd.Series(values).reset_index(drop=True)
    if pd.api.types.is_float_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype):
        numbers = values.astype("float64").to_numpy()
        filled = numbers[~np.isnan(numbers)]
        if filled.size == 0:
            return np.zeros(len(numbers), dtype=np.int64)
        edges = np.unique(np.quantile(filled, np.linspace(0, 1, NUMBER_BANDS + 1))[1:-1])
        band = np.searchsorted(edges, np.nan_to_num(numbers), side="right") + 1
        return np.where(np.isnan(numbers), 0, band).astype(np.int64)
    codes, _ = pd.factorize(values.astype(object).where(values.notna(), None), use_na_sentinel=True)
    return (codes + 1).astype(np.int64)  # missing (-1) -> 0


def single_feature_auc(values, labels, random_state: int = 0) -> float:
    """How well one feature alone ranks converted above unconverted leads: the ROC AUC of each lead's
    out-of-fold conversion rate of its value (:func:`value_codes`).

    The leads are split into ``FOLDS`` random folds (seeded by ``random_state``); a lead's value gets the
    conversion rate of that value among the leads of the *other* folds, smoothed towards their overall rate
    by ``SMOOTHING`` leads: (converted + SMOOTHING × rate) / (leads + SMOOTHING). So a value seen only once
    (an identifier) tells nothing, and the AUC is near 0.5. 1.0 = the feature alone separates the outcomes;
    NaN when the labels hold one outcome only.
    """
    from sklearn.metrics import roc_auc_score

    y = np.asarray(labels, dtype=float)
    codes = value_codes(values)
    if len(y) != len(codes):
        raise ValueError(f"values and labels must have the same length; got {len(codes)} and {len(y)}")
    if not 0 < y.sum() < len(y):
        return float("nan")
    fold = np.random.default_rng(random_state).permutation(len(y)) % FOLDS
    encoded = np.zeros(len(y))
    size = int(codes.max()) + 1
    for k in range(FOLDS):
        held = fold == k
        if not held.any():
            continue
        rest = ~held
        prior = y[rest].mean()
        leads = np.bincount(codes[rest], minlength=size)
        converted = np.bincount(codes[rest], weights=y[rest], minlength=size)
        rate = (converted + SMOOTHING * prior) / (leads + SMOOTHING)
        encoded[held] = rate[codes[held]]
    return float(roc_auc_score(y, encoded))


def decisive_share(values, labels, rate: float = 0.95) -> float:
    """Share of the converted leads whose value is *decisive*: held by at least ``DECISIVE_MIN_LEADS``
    leads of which at least ``rate`` converted (values as in :func:`value_codes`). NaN when no lead
    converted."""
    y = np.asarray(labels, dtype=float)
    codes = value_codes(values)
    if y.sum() == 0:
        return float("nan")
    leads = np.bincount(codes)
    converted = np.bincount(codes, weights=y)
    decisive = (leads >= DECISIVE_MIN_LEADS) & (converted >= rate * leads)
    return float(converted[decisive].sum() / y.sum())


def after_conversion_share(dates, conversion, converted) -> float:
    """Share of the converted leads with both days known whose ``dates`` fall after their ``conversion``
    day (a value recorded after the outcome). NaN when no converted lead has both."""
    dates = as_days(pd.Series(dates).reset_index(drop=True))
    conversion = as_days(pd.Series(conversion).reset_index(drop=True))
    both = np.asarray(converted, dtype=bool) & dates.notna().to_numpy() & conversion.notna().to_numpy()
    if not both.any():
        return float("nan")
    return float((dates[both] > conversion[both]).mean())


def leakage_check(train: pd.DataFrame, numeric_features, categorical_features,
                  settings: ScoringSettings | None = None, conversion: pd.Series | None = None) -> pd.DataFrame:
    """The leakage guard on the training leads ``train`` (with ``label``, from ``split_by_time``).

    ``conversion``: each training lead's conversion day (NaT when not converted) for the date check; by
    default its ``converted_date``. One row per feature, in the order given: ``feature``,
    ``single_feature_auc``, ``decisive_share`` (fractions), ``after_conversion_share`` (a fraction, NaN for a
    feature that is not a date), ``verdict`` ("used", "left out" or "kept (scoring.leakage.keep)") and
    ``reason`` (why it was flagged, "" when it was not).
    """
    settings = check_settings(settings)
    guard = settings.leakage
    if not isinstance(train, pd.DataFrame) or LABEL not in train.columns:
        raise ValueError(f"train must be a DataFrame with a {LABEL!r} column, as returned by split_by_time")
    y = train[LABEL].to_numpy(dtype=float)
    if conversion is None:
        conversion = (train["converted_date"] if "converted_date" in train.columns
                      else pd.Series(pd.NaT, index=train.index))
    features = prepare_features(train, numeric_features, categorical_features)
    rows = []
    for name in [*numeric_features, *categorical_features]:
        auc = single_feature_auc(features[name], y, settings.random_state)
        decisive = decisive_share(features[name], y, guard.decisive_rate)
        after = float("nan")
        if name in train.columns and holds_dates(train[name]):
            after = after_conversion_share(train[name], conversion, y == 1)
        reasons = []
        if auc > guard.max_single_feature_auc:
            reasons.append(f"alone it ranks the training leads by outcome with an AUC of {auc:.2f} (above "
                           f"{guard.max_single_feature_auc:.2f})")
        if decisive > guard.max_decisive_share:
            reasons.append(f"{decisive:.0%} of the conversions have a value after which at least "
                           f"{guard.decisive_rate:.0%} of leads converted, like a verdict written after contact")
        if after >= guard.after_conversion_share:
            reasons.append(f"its date is after the conversion for {after:.0%} of the converted leads")
        filled = features[name].dropna()
        if (name in categorical_features and len(filled) >= DECISIVE_MIN_LEADS
                and filled.nunique() >= IDENTIFIER_SHARE * len(filled)):
            reasons.append(f"{filled.nunique() / len(filled):.0%} of the training leads have a value of their own "
                           "(an identifier): nothing to learn for a new lead")
        verdict = "used"
        if reasons:
            verdict = "kept (scoring.leakage.keep)" if name in guard.keep else "left out"
        rows.append((name, auc, decisive, after, verdict, "; ".join(reasons)))
    frame = pd.DataFrame(rows, columns=list(LEAKAGE_COLUMNS))
    return frame.astype({"feature": TEXT_DTYPE, "single_feature_auc": "float64", "decisive_share": "float64",
                         "after_conversion_share": "float64", "verdict": TEXT_DTYPE, "reason": TEXT_DTYPE})
