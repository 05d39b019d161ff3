"""Numbers as people read them: money, percentages, counts. Pure text, no display machinery, so
any module can use them."""

from __future__ import annotations

import math

import pandas as pd

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def currency_symbol(currency: str) -> str:
    return _SYMBOLS.get(currency.upper(), f"{currency.upper()} ")


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def money(value, currency: str = "USD", compact: bool = False) -> str:
    """``1234567`` → ``$1,234,567``; compact: ``$1.23M`` / ``$845k``. Missing → ``–``."""
    if is_missing(value):
        return "–"
    sign = "-" if value < 0 else ""
    value = abs(float(value))
    symbol = currency_symbol(currency)
    if compact:
        for threshold, suffix, digits in ((1e9, "B", 2), (1e6, "M", 2), (1e3, "k", 0)):
            if value >= threshold:
                return f"{sign}{symbol}{value / threshold:,.{digits}f}{suffix}"
    return f"{sign}{symbol}{value:,.0f}"


def percent(value, digits: int = 1, signed: bool = False) -> str:
    """A fraction as a percentage: ``0.234`` → ``23.4%`` (signed: ``+23.4%``). Missing → ``–``."""
    if is_missing(value):
        return "–"
    return f"{float(value) * 100:{'+' if signed else ''}.{digits}f}%"


def number(value, digits: int = 0) -> str:
    """Thousands separators: ``12345.6`` → ``12,346``. Missing → ``–``."""
    if is_missing(value):
        return "–"
    return f"{float(value):,.{digits}f}"
