"""Grades A-D by rank: the top share of leads by score is A, and so on (``GradeShares``), so a grade says
the same at a 4 % conversion rate as at 40 %; :func:`grade_lift` measures how much better each grade
converts than the average on leads whose outcome is known."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.collect.scoring.settings import GRADES, ScoringSettings, check_settings
from salesops.contract.schema import TEXT_DTYPE


def grades(scores, settings: ScoringSettings | None = None) -> pd.Series:
    """Grade A-D of each score by its rank among ``scores`` (any scale, higher = likelier to convert).

    A lead's rank is the share of the scored leads with a strictly higher score; with the default shares
    (``settings.grade_shares``: A 0.10, B 0.20, C 0.30) it is A below 0.10, B below 0.30, C below 0.60, else
    D: the top 10 % are A, the next 20 % B, the next 30 % C, the bottom 40 % D. Leads with equal scores
    get the same (the better) grade, whatever the row order. A missing score has no grade and is not
    counted. Returns text with the index of ``scores``, named ``grade``.
    """
    settings = check_settings(settings)
    series = scores if isinstance(scores, pd.Series) else pd.Series(scores)
    values = pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()
    known = ~np.isnan(values)
    ordered = np.sort(values[known])
    higher = len(ordered) - np.searchsorted(ordered, np.nan_to_num(values), side="right")
    a, b, c = (bound * len(ordered) - 1e-9 for bound in settings.grade_shares.upper_bounds())  # 0.1 + 0.2 > 0.3
    grade = np.select([higher < a, higher < b, higher < c], ["A", "B", "C"], "D").astype(object)
    grade[~known] = None
    return pd.Series(pd.array(grade, dtype=TEXT_DTYPE), index=series.index, name="grade")


def grade_lift(y_true, score, settings: ScoringSettings | None = None) -> pd.DataFrame:
    """How each grade converted on leads whose outcome ``y_true`` (0/1) is known, graded by ``score`` among
    themselves (:func:`grades`).

    One row per grade A-D: ``grade``, ``definition`` ("top 10%" ...), ``leads``, ``converted``,
    ``conversion_rate`` (a fraction; NaN for a grade without leads) and ``lift`` = the grade's conversion
    rate ÷ the rate of all the leads (1.0 = average; NaN when no lead converted).
    """
    settings = check_settings(settings)
    y = np.asarray(pd.Series(y_true).astype("float64"), dtype=float)
    s = np.asarray(pd.Series(score).astype("float64"), dtype=float)
    if len(y) != len(s):
        raise ValueError(f"y_true and score must have the same length; got {len(y)} and {len(s)}")
    grade = grades(pd.Series(s), settings).to_numpy(dtype=object)
    base = float(np.nanmean(y)) if len(y) else float("nan")
    definitions = settings.grade_shares.definitions()
    rows = []
    for letter in GRADES:
        mine = grade == letter
        leads, converted = int(mine.sum()), int(np.nansum(y[mine]))
        rate = converted / leads if leads else float("nan")
        lift = rate / base if leads and base > 0 else float("nan")
        rows.append((letter, definitions[letter], leads, converted, rate, lift))
    frame = pd.DataFrame(rows, columns=["grade", "definition", "leads", "converted", "conversion_rate", "lift"])
    return frame.astype({"grade": TEXT_DTYPE, "definition": TEXT_DTYPE, "leads": "Int64", "converted": "Int64",
                         "conversion_rate": "float64", "lift": "float64"})
