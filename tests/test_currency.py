"""Deals entered in several currencies: converted to the company currency with a rates table (undated or
dated, kept against the company currency or another base), stated in the adjustments; a currency without a
rate, a zero rate or a rate given twice is a row problem naming file, column and rows."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops.contract import currency
from salesops.data.inputs import load_inputs
from salesops.errors import DataError

from builders import folder_params, tiny_export, write_export


def _rates(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["currency", "rate", "start_date"]).astype({"start_date": "datetime64[ns]"})


def test_undated_rates_divide_the_entered_amount_and_the_company_currency_needs_no_row():
    codes = pd.Series(["EUR", "usd", None, " gbp "], dtype="string")
    dates = pd.Series(pd.to_datetime(["2026-01-10"] * 4))
    rates = currency.rates_per_row(codes, dates, _rates([("EUR", 0.8, None), ("GBP", 0.5, None)]), "USD")
    assert rates.tolist() == [0.8, 1.0, 1.0, 0.5]
    assert currency.convert(pd.Series([100.0, 100.0, 100.0, 100.0]), rates).tolist() == [125.0, 100.0, 100.0, 200.0]


def test_dated_rates_take_the_rate_in_force_on_the_day_and_the_first_rate_before_it():
    table = _rates([("EUR", 0.9, "2026-01-01"), ("EUR", 0.8, "2026-04-01"), ("EUR", 0.5, "2026-07-01")])
    codes = pd.Series(["EUR"] * 5, dtype="string")
    dates = pd.Series(pd.to_datetime(["2025-12-31", "2026-01-01", "2026-03-31", "2026-04-01", "2026-12-01"]))
    assert currency.rates_per_row(codes, dates, table, "USD").tolist() == [0.9, 0.9, 0.9, 0.8, 0.5]


def test_rates_kept_against_another_base_are_divided_by_the_company_currency_rate_of_the_day():
    # the CRM keeps rates per one USD; the company plans in EUR: GBP per EUR = (GBP per USD) / (EUR per USD)
    table = _rates([("EUR", 0.8, "2026-01-01"), ("EUR", 0.5, "2026-07-01"), ("GBP", 0.4, None), ("USD", 1.0, None)])
    codes = pd.Series(["GBP", "GBP", "USD", "EUR"], dtype="string")
    dates = pd.Series(pd.to_datetime(["2026-02-01", "2026-08-01", "2026-02-01", "2026-08-01"]))
    assert currency.rates_per_row(codes, dates, table, "EUR").tolist() == [0.5, 0.8, 1.25, 1.0]


def test_unknown_currency_has_no_rate():
    rates = currency.rates_per_row(pd.Series(["JPY"], dtype="string"), pd.Series(pd.to_datetime(["2026-01-01"])),
                                   _rates([("EUR", 0.8, None)]), "USD")
    assert rates.isna().all()


def test_conversion_date_is_the_close_date_else_the_created_date():
    frame = pd.DataFrame({"close_date": pd.to_datetime(["2026-03-01", None]),
                          "created_date": pd.to_datetime(["2026-01-01", "2026-02-01"])})
    assert currency.conversion_dates(frame).tolist() == [pd.Timestamp("2026-03-01"), pd.Timestamp("2026-02-01")]


def _export(tmp_path, currencies, rates: pd.DataFrame | None):
    tables = tiny_export()
    tables["opportunities"] = tables["opportunities"].assign(CurrencyIsoCode=currencies)
    if rates is not None:
        tables["CurrencyType"] = rates
    return write_export(tmp_path / "export", tables)


def _params(folder, **data):
    return folder_params(folder, files={"currency_rates": "CurrencyType.csv"},
                         columns={"opportunities": {"CurrencyIsoCode": "currency"},
                                  "currency_rates": {"IsoCode": "currency", "ConversionRate": "rate"}}, **data)


def test_a_folder_with_rates_converts_deals_keeps_the_entered_amounts_and_states_it(tmp_path):
    rates = pd.DataFrame({"IsoCode": ["USD", "EUR", "GBP"], "ConversionRate": ["1", "0.8", "0.5"]})
    folder = _export(tmp_path, ["EUR", "USD", "GBP", "", "EUR"], rates)
    inputs = load_inputs(_params(folder))
    opportunities = inputs.tables["opportunities"]
    # entered 10,000 25,000 40,000 15,000 30,000
    assert opportunities["amount"].tolist() == [12500.0, 25000.0, 80000.0, 15000.0, 37500.0]
    assert opportunities["amount_entered"].tolist() == [10000.0, 25000.0, 40000.0, 15000.0, 30000.0]
    stated = inputs.adjustments.set_index("rule").loc["amounts_converted"]
    assert stated["rows"] == 3
    assert stated["detail"].endswith("EUR (2 at 0.8 per USD); GBP (1 at 0.5 per USD)")


def test_a_currency_without_rate_names_the_file_column_rows_and_the_fix(tmp_path):
    rates = pd.DataFrame({"IsoCode": ["EUR"], "ConversionRate": ["0.8"]})
    folder = _export(tmp_path, ["EUR", "JPY", "USD", "CHF", "EUR"], rates)
    with pytest.raises(DataError) as error:
        load_inputs(_params(folder))
    message = str(error.value)
    assert "opportunities.csv, column 'currency': 2 rows hold a currency with no exchange rate (rows 3, 5" in message
    assert "add a rate for CHF, JPY to the currency_rates table" in message


def test_foreign_deals_without_any_rates_table_are_problems(tmp_path):
    folder = _export(tmp_path, ["EUR", "", "USD", "USD", "USD"], None)
    with pytest.raises(DataError, match=r"column 'currency': 1 row hold a currency with no exchange rate \(row 2;"):
        load_inputs(folder_params(folder, columns={"opportunities": {"CurrencyIsoCode": "currency"}}))


def test_zero_and_repeated_rates_are_row_problems_of_the_rates_file(tmp_path):
    rates = pd.DataFrame({"IsoCode": ["EUR", "GBP", "EUR"], "ConversionRate": ["0.8", "0", "0.9"]})
    folder = _export(tmp_path, ["USD"] * 5, rates)
    with pytest.raises(DataError) as error:
        load_inputs(_params(folder))
    message = str(error.value)
    assert "CurrencyType.csv, column 'rate': 1 row hold zero or a negative number (row 3" in message
    assert "CurrencyType.csv, column 'currency': 1 row repeat a key already used" in message


def test_outliers_are_judged_after_conversion(tmp_path):
    # 30,000,000 in a currency at 1,000 per USD is 30,000 USD: not an outlier of the column
    tables = tiny_export()
    opportunities = tables["opportunities"]
    tables["opportunities"] = opportunities.assign(amount=["10000", "25000", "40000", "15000", "30000000"],
                                                   CurrencyIsoCode=["USD"] * 4 + ["CLP"])
    tables["CurrencyType"] = pd.DataFrame({"IsoCode": ["CLP"], "ConversionRate": ["1000"]})
    folder = write_export(tmp_path / "export", tables)
    inputs = load_inputs(_params(folder, max_amount_ratio=100, flag_amount_ratio=100))
    assert inputs.tables["opportunities"]["amount"].iloc[4] == 30000.0


def test_a_column_named_like_a_canonical_one_can_be_left_out(tmp_path):
    # an invoice currency next to amounts already in USD: left out, nothing is converted
    folder = _export(tmp_path, ["CLP", "Sin_Factura", "USD", "MXN", ""], None)
    tables = tiny_export()
    tables["opportunities"] = tables["opportunities"].assign(currency=["CLP", "Sin_Factura", "USD", "MXN", ""])
    write_export(folder, tables)
    inputs = load_inputs(folder_params(folder, ignore_columns={"opportunities": ["currency"]}))
    assert "currency" not in inputs.tables["opportunities"].columns
    assert inputs.tables["opportunities"]["amount"].tolist() == [10000.0, 25000.0, 40000.0, 15000.0, 30000.0]
    with pytest.raises(DataError, match="column 'currency': 3 rows hold a currency with no exchange rate"):
        load_inputs(folder_params(folder))


def test_ignore_columns_names_only_known_tables(tmp_path):
    from salesops.settings.loader import ParamsError

    folder = _export(tmp_path, ["USD"] * 5, None)
    with pytest.raises(ParamsError, match="deals"):
        folder_params(folder, ignore_columns={"deals": ["currency"]})
