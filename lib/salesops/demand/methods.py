"""The vocabulary of step 2's forecasts, shared by every step that reads them: the forecasting methods and
the scenarios every forecast gives (no analysis here, nothing imported, so any module can use it)."""

from __future__ import annotations

#: Forecasting methods, in the order they are shown and blended.
METHODS: tuple[str, ...] = ("statistical", "pipeline", "leads")

#: Scenarios of every forecast, lowest first: ``downside`` and ``upside`` bound a central interval (80 % by
#: default) around ``base``, the expected value. Made in step 2 and only read after it.
SCENARIOS: tuple[str, ...] = ("downside", "base", "upside")

#: How each method (and the blend) is named in sentences.
METHOD_LABELS: dict[str, str] = {"statistical": "statistical", "pipeline": "pipeline", "leads": "lead-based",
                                 "blended": "blended"}
