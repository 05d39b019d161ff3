"""Formatting for people: numbers as text, formatted tables, headline cards and notes.

Tables are pandas Stylers with the index hidden and every text cell HTML-escaped, so a CRM value
like ``<script>`` shows as text. Everything else here is HTML built with every piece of text from the params
or the data escaped — never Markdown, whose renderer would turn ``[x](http://…)`` or a bare web address
into a live link. Nothing here computes a metric: it only shows one.
"""

from __future__ import annotations

import hashlib
import html
import unicodedata
from dataclasses import dataclass

import pandas as pd
from IPython.display import HTML

from salesops.formats import currency_symbol, is_missing, money, number, percent  # noqa: F401  (re-exported)
from salesops.report.labels import column_label, date_label, plain_text, value_label

def table(frame: pd.DataFrame, currency: str = "USD", money_columns=(), percent_columns=(), number_columns=(),
          decimal_columns=(), labels: dict[str, str] | None = None, caption: str | None = None, max_rows: int = 50):
    """A Styler for display: index hidden, columns renamed by ``labels`` (others: by the label registry,
    ``report.labels``), numbers formatted and right-aligned, text in plain words (internal codes as their labels,
    ``labels.value_label``), escaped and left-aligned, dates as ``1 Jan 2027``. Shows at most
    ``max_rows`` rows (the caption says when rows were cut)."""
    shown = frame.head(max_rows)
    if len(frame) > max_rows:
        caption = f"{caption + ' · ' if caption else ''}first {max_rows:,} of {len(frame):,} rows"
    formats = {}
    formats.update({c: (lambda v, cur=currency: money(v, cur)) for c in money_columns})
    formats.update({c: percent for c in percent_columns})
    formats.update({c: number for c in number_columns})
    formats.update({c: (lambda v: number(v, 1)) for c in decimal_columns})
    for column in shown.columns:
        if column in formats:
            continue
        dtype = shown[column].dtype
        if pd.api.types.is_bool_dtype(dtype):
            formats[column] = lambda v: "–" if is_missing(v) else ("yes" if v else "no")
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            formats[column] = lambda v: "–" if is_missing(v) else date_label(v)
        elif pd.api.types.is_integer_dtype(dtype):
            formats[column] = number
        elif pd.api.types.is_float_dtype(dtype):
            formats[column] = lambda v, digits=_decimals(shown[column]): number(v, digits)
    text_columns = [c for c in shown.columns if c not in formats]
    formats.update({c: (lambda v: text_html(value_label(v))) for c in text_columns})  # any other value, as text
    styler = shown.style.format(formats, na_rep="–").hide(axis="index")
    styler = styler.set_uuid(_table_id(shown, caption))
    styler = styler.set_properties(subset=text_columns, **{"text-align": "left"})
    styler = styler.set_properties(subset=[c for c in shown.columns if c not in text_columns],
                                   **{"white-space": "nowrap"})
    labels = labels or {}
    styler = styler.relabel_index([text_html(labels.get(c, column_label(c))) for c in shown.columns],
                                  axis=1)
    if caption:
        styler = styler.set_caption(text_html(plain_text(caption)))
    left_headers = [{"selector": f"th.col_heading.col{i}", "props": "text-align: left;"}
                    for i, c in enumerate(shown.columns) if c in text_columns]
    return styler.set_table_styles([{"selector": "caption", "props": "caption-side: top; text-align: left; "
                                                                      "font-weight: 600; color: #333;"}]
                                   + left_headers)


def _table_id(shown: pd.DataFrame, caption: str | None) -> str:
    """The table's HTML id, from its content: pandas would draw a random one, so a rerun would differ in bytes."""
    content = f"{caption}\n{shown.to_csv(index=False)}".encode("utf-8", "surrogatepass")
    return "so" + hashlib.sha256(content).hexdigest()[:12]


def printable(value):
    """``value`` with its control characters (NUL and the like, not line breaks or tabs) replaced by ``�``,
    which is how a browser shows them anyway; a value that is not text is returned as it is."""
    if not isinstance(value, str):
        return value
    return "".join("\ufffd" if unicodedata.category(c) == "Cc" and c not in "\n\t" else c for c in value)


def text_html(value) -> str:
    """``value`` as text safe to put into HTML: ``&``, ``<``, ``>`` and quotes escaped, control characters
    shown as ``�`` (``printable``), a missing value as ``–``."""
    if is_missing(value):
        return "–"
    return html.escape(printable(str(value)))


def _decimals(values: pd.Series) -> int:
    """Decimals that keep small numbers readable: 2 below 10, 1 below 100, else none."""
    largest = values.abs().max()
    if pd.isna(largest) or largest >= 100:
        return 0
    return 1 if largest >= 10 else 2


@dataclass(frozen=True)
class Metric:
    """A headline number: the value, how it reads, and a note on its definition."""

    label: str
    value: float | None
    display: str
    note: str = ""


def cards(metrics: list[Metric]) -> HTML:
    items = "".join(
        f'<div class="so-card"><div class="so-label">{text_html(plain_text(m.label))}</div>'
        f'<div class="so-value">{text_html(m.display)}</div>'
        + (f'<div class="so-note">{text_html(plain_text(m.note))}</div>' if m.note else "") + "</div>"
        for m in metrics
    )
    return HTML(f'<div class="so-cards">{items}</div>')


def callout(text: str) -> HTML:
    """A highlighted note; ``text`` is escaped."""
    return HTML(f'<div class="so-callout">{text_html(plain_text(text))}</div>')


def warnings(sentences: list[str]) -> HTML:
    """The sanity checks a step's result failed (``salesops.sanity``), each in a highlighted note, at the top of
    the page; nothing at all when every check passed."""
    return HTML("".join(f'<div class="so-callout so-warning">{text_html(text)}</div>' for text in sentences))


def section(content, reason: str = "", *args, chart=None, **kwargs):
    """One section of a page that may have nothing to show. ``content``: shown with ``chart(content, *args,
    **kwargs)`` when a chart (or other display) function is given, e.g. ``chart=cards`` for a list of metrics;
    else a list of sentences as ``bullets`` and a frame as ``table(content, *args, **kwargs)``. When
    ``content`` is None, the ``callout`` of ``reason``, the sentence saying why the section is empty (nothing
    at all when ``reason`` is empty)."""
    if content is None:
        return callout(reason) if reason else None
    if chart is not None:
        return chart(content, *args, **kwargs)
    if isinstance(content, list):
        return bullets(content)
    return table(content, *args, **kwargs)


def bullets(sentences: list[str]) -> HTML:
    """Sentences as a bulleted list; each sentence is escaped and shown as written: no Markdown, and a web
    address in it stays text, never a link."""
    items = "".join(f"<li>{text_html(plain_text(s))}</li>" for s in sentences)
    return HTML(f'<ul class="so-bullets">{items}</ul>')


def header_line(company: str, *facts: str | tuple[str, str]) -> HTML:
    """The line under a page's title: ``company`` in bold, then each fact, separated by `` · ``. A fact is a
    text, or a (label, value) pair shown as "label **value**" (e.g. ``("planning", "2027Q1")``). All text is
    escaped: a company named ``<img src=x onerror=…>`` or ``[x](http://…)`` is shown as written."""
    parts = [f"<strong>{text_html(company)}</strong>"]
    for fact in facts:
        if isinstance(fact, tuple):
            label, value = fact
            parts.append(f"{text_html(label)} <strong>{text_html(value)}</strong>")
        else:
            parts.append(text_html(fact))
    return HTML(f'<p class="so-header">{" · ".join(parts)}</p>')


def rejects(frame: pd.DataFrame, causes: pd.DataFrame | None = None, won=None, currency: str = "USD",
            max_rows: int = 30):
    """The rows set aside by validation (``validation.REJECT_COLUMNS``), or a note that there were none.

    With ``causes`` (``quarantine.rejects_by_cause``) and ``won`` (``quarantine.won_set_aside``): a sentence on how
    many rows went and the won bookings among them, one line per root cause (the bad row, then what was set
    aside because of it, per table), then the rows themselves grouped the same way, each cause first. A value
    of a personal column (``privacy``) is never shown: it is masked.
    """
    if frame.empty:
        return callout("No rows were set aside: every row of every table met the data contract.")
    from salesops.contract import privacy

    shown = frame.assign(value=[privacy.mask(v) if privacy.is_personal(t, c) or privacy.looks_like_email(v) else v
                                for t, c, v in zip(frame["table"], frame["column"], frame["value"])])
    if causes is None or "cause_row" not in frame.columns:
        return table(shown[["table", "row", "column", "problem", "value"]], max_rows=max_rows,
                     labels={"row": "row in file"}, caption="Rows set aside (quarantined)")
    from salesops.contract.quarantine import ROW_KEY

    rows = len(frame.drop_duplicates(ROW_KEY))
    sentence = (f"{rows:,} row{'s' if rows != 1 else ''} set aside, from {len(causes):,} root "
                f"cause{'s' if len(causes) != 1 else ''}")
    if won is not None and won.deals:
        sentence += (f"; among them {won.deals:,} won deal{'s' if won.deals != 1 else ''} worth "
                     f"{money(won.value, currency, compact=True)}, {percent(won.share)} of all won bookings, missing "
                     "from every figure built on bookings until the rows are fixed")
    sentence += ". Fix the rows that are the cause: what was set aside because of them comes back with them."
    # a table read from several files names the file of each row (its rows are numbered in each file)
    several = set(shown.groupby("table")["file"].nunique().loc[lambda n: n > 1].index)
    cause_order = {cause: i for i, cause in enumerate(zip(causes["cause_table"], causes["cause_file"],
                                                           causes["cause_row"]))}
    detail = shown.assign(
        _cause=[cause_order.get(cause, len(cause_order))
                for cause in zip(shown["cause_table"], shown["cause_file"], shown["cause_row"])],
        because_of=[("(the cause)" if own else f"{f if t in several else t} row {r}")
                    for own, t, f, r in zip(shown["is_cause"], shown["cause_table"], shown["cause_file"],
                                            shown["cause_row"])],
        table=[f"{t} ({f})" if t in several else t for t, f in zip(shown["table"], shown["file"])],
    ).sort_values(["_cause", "is_cause", "table", "row"], ascending=[True, False, True, True], kind="stable")
    return HTML(
        callout(sentence).data
        + table(causes[["cause", "rows", "because_of_it", "won_deals", "won_value"]], currency,
                money_columns=["won_value"], number_columns=["rows", "won_deals"],
                labels={"rows": "rows set aside", "because_of_it": "set aside because of it, per table",
                        "won_deals": "won deals among them", "won_value": "their bookings"},
                caption="Why rows were set aside: one line per root cause, most won bookings first",
                max_rows=max_rows).to_html()
        + table(detail[["table", "row", "column", "problem", "value", "because_of"]], max_rows=max_rows,
                labels={"row": "row in file", "because_of": "set aside because of"},
                caption="Rows set aside (quarantined), each root cause first").to_html())


def drop_blank(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """``frame`` without those of ``columns`` that say nothing: every value missing, empty text or false."""
    def blank(values: pd.Series) -> bool:
        return bool(values.isna().all() or values.dropna().astype(str).isin(["", "False", "0"]).all())
    return frame.drop(columns=[c for c in columns if c in frame and blank(frame[c])])
