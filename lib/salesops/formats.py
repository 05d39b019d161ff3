"""Numbers as people read them: money, percentages, counts. Pure text, no display machinery, so
any module can use them."""

from __future__ import annotations

import math

import pandas as pd

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "¥",
            "CAD": "$", "AUD": "$", "NZD": "$", "SGD": "$", "HKD": "$", "MXN": "$"}
#: Prefixed dollar signs that name their currency (US$ 100, C$ 100).
_PREFIXED = {"USD": ("US$",), "CAD": ("C$", "CA$"), "AUD": ("A$", "AU$"), "NZD": ("NZ$",), "SGD": ("S$",),
             "HKD": ("HK$",), "MXN": ("MX$",)}
#: Every sign that marks an amount's currency in an export, whatever the company's currency.
CURRENCY_SIGNS: tuple[str, ...] = ("$", "€", "£", "¥", "₹")


def currency_symbol(currency: str) -> str:
    """The sign written before an amount: ``$`` for USD (and the other dollar currencies), ``€`` for EUR;
    for a currency without one its ISO code and a space (``SEK ``)."""
    return _SYMBOLS.get(currency.upper(), f"{currency.upper()} ")


def currency_marks(currency: str) -> frozenset[str]:
    """The marks an amount in ``currency`` may carry in an export: its ISO code, its sign
    (:func:`currency_symbol`) and prefixed dollar signs naming it (``US$``, ``C$``)."""
    code = currency.upper()
    return frozenset({code, currency_symbol(code).strip(), *_PREFIXED.get(code, ())})


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def money(value, currency: str = "USD", compact: bool = False) -> str:
    """``1234567`` → ``$1,234,567``; compact: ``$1.23M`` / ``$845k`` / ``$12.3B`` / ``$125T``: at most
    three significant digits before the suffix (k whole thousands; M, B, T with up to two decimals),
    ``$1.00e+15`` from a thousand trillion on. Missing → ``–``."""
    if is_missing(value):
        return "–"
    sign = "-" if value < 0 else ""
    value = abs(float(value))
    symbol = currency_symbol(currency)
    if compact and round(value) >= 1000:
        return f"{sign}{symbol}{_compact(value)}"
    return f"{sign}{symbol}{value:,.0f}"


def money_short(value, currency: str = "USD") -> str:
    """Money in a sentence, to a tenth of its suffix: ``950`` → ``$950``, ``1600`` → ``$1.6k``, ``5000`` →
    ``$5k``, ``38400`` → ``$38k``, ``2.4e6`` → ``$2.4M``, ``3.2e9`` → ``$3.2B`` (one decimal below 10 of a
    suffix, dropped when it is 0; whole numbers from 10). ``money(compact=True)`` differs: three significant
    digits, whole thousands (``$2k`` for 1,600, ``$2.40M``). Missing → ``–``."""
    if is_missing(value):
        return "–"
    symbol = currency_symbol(currency)
    sign, value = ("-" if value < 0 else ""), abs(float(value))
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        scaled = value / threshold
        if round(scaled, 1) >= 1:
            digits = f"{scaled:,.1f}".removesuffix(".0") if round(scaled, 1) < 10 else f"{scaled:,.0f}"
            return f"{sign}{symbol}{digits}{suffix}"
    return f"{sign}{symbol}{value:,.0f}"


def _compact(value: float) -> str:
    """A value of 1,000 or more in k, M, B or T with at most three significant digits (rounding can move it
    to the next suffix: 999,600 → 1.00M); scientific notation from 1,000T."""
    for threshold, suffix in ((1e3, "k"), (1e6, "M"), (1e9, "B"), (1e12, "T")):
        scaled = value / threshold
        digits = 0 if suffix == "k" or scaled >= 100 else (1 if scaled >= 10 else 2)
        text = f"{scaled:.{digits}f}"
        if float(text) < 1000:
            return f"{text}{suffix}"
    return f"{value:.2e}"


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
