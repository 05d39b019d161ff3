"""Errors the workbook raises for people to read: each says what is wrong and how to fix it."""


class DataError(ValueError):
    """Input data breaks the data contract (a missing table or column, bad rows, an unreadable file)."""


class StepError(RuntimeError):
    """A step notebook failed during a run."""
