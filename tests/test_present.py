"""Formatting for people: numbers as text, escaped tables."""

from __future__ import annotations

import math

import pandas as pd

from salesops import formats
from salesops.report import present


def test_money_percent_number():
    assert present.money(1234567.4) == "$1,234,567"
    assert present.money(1234567, compact=True) == "$1.23M"
    assert present.money(845_300, "EUR", compact=True) == "€845k"
    assert present.money(-2_500_000_000, compact=True) == "-$2.50B"
    assert present.money(999, "SEK") == "SEK 999"
    assert present.money(math.nan) == "–"
    assert present.percent(0.2345) == "23.4%" and present.percent(0.05, 0, signed=True) == "+5%"
    assert present.percent(None) == "–"
    assert present.number(12345.6) == "12,346" and present.number(pd.NA) == "–"


def test_money_short_keeps_a_tenth_of_its_suffix():
    # the ICP sentences' format: one decimal below 10 of a suffix (1,600 -> 1.6k where compact money says 2k)
    assert [formats.money_short(v, "USD") for v in (950, 1_600, 5_000, 38_400, 2_400_000, math.nan)] == [
        "$950", "$1.6k", "$5k", "$38k", "$2.4M", "–"]
    assert formats.money_short(-1_600, "EUR") == "-€1.6k" and formats.money_short(950, "SEK") == "SEK 950"


def test_table_escapes_crm_text_and_formats_numbers():
    frame = pd.DataFrame({"account_name": ["<script>alert(1)</script>"], "amount": [1234.5], "win_rate": [0.5]})
    html = present.table(frame, money_columns=["amount"], percent_columns=["win_rate"]).to_html()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "$1,234" in html and "50.0%" in html
    assert "account name" in html  # underscores read as spaces in headers


def test_table_says_when_rows_were_cut():
    html = present.table(pd.DataFrame({"x": range(60)}), max_rows=50, caption="Many").to_html()
    assert "Many · first 50 of 60 rows" in html


def test_cards_and_bullets_escape_text():
    card = present.cards([present.Metric("<b>", 1.0, "1 & 2", "note <i>")]).data
    assert "&lt;b&gt;" in card and "1 &amp; 2" in card and "note &lt;i&gt;" in card
    assert present.bullets(["a *b* <c>"]).data == '<ul class="so-bullets"><li>a *b* &lt;c&gt;</li></ul>'


def test_rejects_section_says_when_nothing_was_set_aside():
    empty = pd.DataFrame(columns=["table", "row", "column", "problem", "value", "message"])
    assert "No rows were set aside" in present.rejects(empty).data


def test_float_columns_get_readable_decimals():
    frame = pd.DataFrame({"auc": [0.8123], "ratio": [12.345], "amount": [1234.5]})
    html = present.table(frame).to_html()
    assert "0.81" in html and "12.3" in html and "1,234" in html and "1,234.5" not in html
