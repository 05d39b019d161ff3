"""Reporting: labels and formats, tables and charts, the HTML pages and their templates, the Excel workbook."""
