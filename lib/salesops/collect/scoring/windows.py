"""The time-honest split of known leads into training and test leads, and the training window that widens
until enough conversions are known."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesops.checks import as_timestamp
from salesops.collect.scoring.leads import check_leads, conversion_dates, created
from salesops.collect.scoring.settings import ScoringSettings, check_settings

#: Column of the frames from :func:`split_by_time`: the outcome (0/1) as it was known at the relevant cut-off.
LABEL = "label"


@dataclass(frozen=True)
class TimeWindows:
    """The dates of a time-honest evaluation at ``as_of`` (all inclusive, midnight Timestamps).

    * ``outcome_cutoff`` = as_of − outcome_days: the latest creation date whose outcome counts as known.
    * Test window: leads created from ``test_start`` to ``outcome_cutoff`` (``test_months`` calendar months),
      labelled as known at ``as_of``.
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
    test_months: int = 6


def time_windows(as_of, settings: ScoringSettings | None = None, test_months: int | None = None) -> TimeWindows:
    """The evaluation windows at ``as_of`` (see :class:`TimeWindows`), with a test window of ``test_months``
    months (default ``settings.test_months``).

    E.g. as_of 2026-12-31, outcome_days 90, test_months 6: outcome cut-off 2026-10-02, test leads created
    2026-04-03 .. 2026-10-02, train cut-off 2026-04-02, train leads created up to 2026-01-02.
    """
    settings = check_settings(settings)
    months = settings.test_months if test_months is None else test_months
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 1:
        raise ValueError(f"test_months must be a whole number of months, 1 or more; got {test_months!r}")
    day = as_timestamp(as_of, "as_of").normalize()
    outcome_days = pd.Timedelta(days=settings.outcome_days)
    outcome_cutoff = day - outcome_days
    train_cutoff = outcome_cutoff - pd.DateOffset(months=int(months))
    return TimeWindows(
        as_of=day, outcome_cutoff=outcome_cutoff, test_start=train_cutoff + pd.Timedelta(days=1),
        train_cutoff=train_cutoff, train_end=train_cutoff - outcome_days, test_months=int(months),
    )


def _split(leads: pd.DataFrame, made: pd.Series, conversion: pd.Series, windows: TimeWindows
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    in_train = (made <= windows.train_end).to_numpy(dtype=bool)
    in_test = ((made >= windows.test_start) & (made <= windows.outcome_cutoff)).to_numpy(dtype=bool)
    train = leads.loc[in_train].assign(
        **{LABEL: (conversion[in_train] <= windows.train_cutoff).to_numpy(dtype=np.int64)})
    test = leads.loc[in_test].assign(**{LABEL: (conversion[in_test] <= windows.as_of).to_numpy(dtype=np.int64)})
    return train.reset_index(drop=True), test.reset_index(drop=True)


def _check_outcome(leads: pd.DataFrame) -> None:
    if "converted" not in leads.columns and "converted_date" not in leads.columns:
        raise ValueError("leads has neither a converted nor a converted_date column: there is no outcome to learn "
                         "from. Map the CRM's conversion flag onto leads.converted (data.columns.leads)")


def split_by_time(leads: pd.DataFrame, as_of, settings: ScoringSettings | None = None,
                  test_months: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
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
    sales cycle), which makes the evaluation somewhat optimistic; the leakage guard (``leakage.py``) catches
    the worst cases. ``status`` is never a feature for the same reason (see ``FORBIDDEN_FEATURES``).
    """
    settings = check_settings(settings)
    check_leads(leads, ["lead_id", "created_date"])
    _check_outcome(leads)
    windows = time_windows(as_of, settings, test_months)
    return _split(leads, created(leads), conversion_dates(leads, settings.outcome_days), windows)


def shortfall(labels: np.ndarray, what: str, minimum_leads: int, minimum_class: int) -> str:
    """Why ``labels`` (0/1) are too few to learn from or test on ("" when they are enough), with how many
    more leads or conversions are needed."""
    n, positives = len(labels), int(np.sum(labels))
    if n < minimum_leads:
        return (f"too few {what}: {n} lead(s) ({positives} converted), at least {minimum_leads} needed "
                f"({minimum_leads - n} more)")
    if positives < minimum_class:
        return (f"{what} have {positives} converted lead(s); at least {minimum_class} are needed, so "
                f"{minimum_class - positives} more conversion(s)")
    if n - positives < minimum_class:
        return (f"{what} have {n - positives} unconverted lead(s); at least {minimum_class} are needed, so "
                f"{minimum_class - (n - positives)} more lead(s) that did not convert")
    return ""


@dataclass(frozen=True)
class WindowChoice:
    """What :func:`choose_windows` found: the ``windows`` used with their ``train`` and ``test`` leads (None
    when no window has enough), ``note`` saying how the training window widened ("" when it did not), and
    ``reason`` saying why no window works ("" when one does)."""

    windows: TimeWindows | None
    train: pd.DataFrame | None
    test: pd.DataFrame | None
    note: str = ""
    reason: str = ""


def choose_windows(leads: pd.DataFrame, as_of, settings: ScoringSettings | None = None) -> WindowChoice:
    """The split with the longest test window that leaves enough training and test leads.

    Tries ``test_months`` = ``settings.test_months``, then one month less each time down to
    ``settings.min_test_months``: each month less moves the train cut-off a month later, so the training
    window widens by a month of leads and conversions (the stated maximum is the split at
    ``min_test_months``). Enough = at least ``min_train_leads`` / ``min_test_leads`` leads and
    ``min_class_leads`` converted and unconverted leads in each set. When even the widest training window
    is short, ``reason`` says what each set lacks and how many more are needed.
    """
    settings = check_settings(settings)
    check_leads(leads, ["lead_id", "created_date"])
    _check_outcome(leads)
    made, conversion = created(leads), conversion_dates(leads, settings.outcome_days)
    problems = ""
    for months in range(settings.test_months, settings.min_test_months - 1, -1):
        windows = time_windows(as_of, settings, months)
        train, test = _split(leads, made, conversion, windows)
        problems = "; ".join(problem for problem in (
            shortfall(train[LABEL].to_numpy(), "training leads", settings.min_train_leads, settings.min_class_leads),
            shortfall(test[LABEL].to_numpy(), "test leads", settings.min_test_leads, settings.min_class_leads),
        ) if problem)
        if not problems:
            note = ""
            if months < settings.test_months:
                note = (f"The training window widened to have enough conversions: trained on leads created up to "
                        f"{windows.train_end.date()} ({int(train[LABEL].sum()):,} converted), tested on the "
                        f"last {months} month(s) of known leads instead of {settings.test_months}.")
            return WindowChoice(windows, train, test, note=note)
    widest = time_windows(as_of, settings, settings.min_test_months)
    reason = (f"even the widest training window (leads created up to {widest.train_end.date()}, tested on the "
              f"{settings.min_test_months} month(s) of known leads up to {widest.outcome_cutoff.date()}) is short: "
              f"{problems}. Wait for more outcomes, add older leads, or lower scoring.min_class_leads / "
              "min_train_leads / min_test_leads or scoring.outcome_days.")
    return WindowChoice(None, None, None, reason=reason)
