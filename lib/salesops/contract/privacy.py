"""Personal data: which columns hold it, and how one of its values is shown when a page must mention it.

A column is personal when the data contract flags it (``schema.ColumnSpec.personal``: a lead's e-mail
and phone) or, for a column the contract does not know (an unmapped extra column of an export), when
its name says it holds an e-mail address, a phone number or a person's name (``Contact Email``,
``Mobile Phone``, ``First Name``; in the leads table also a bare ``Name``). Engagement counts named
after a channel (``email_opens``, ``Phone Calls``) are not personal.

Executive pages never show a value of a personal column: :func:`mask` replaces it (``j•••@•••.com``
for an e-mail address, ``(hidden: personal data)`` otherwise), and the table artifacts step 1 writes
leave personal columns out.
"""

from __future__ import annotations

import re

import pandas as pd

from salesops.contract import schema

#: What a masked value that is not an e-mail address reads as.
HIDDEN = "(hidden: personal data)"

#: Normalised column names (lower case, letters and digits only, trailing digits dropped) that end in one of
#: these hold personal data: "Contact Email", "work_phone", "Mobile", "Last Name", "Date of Birth" ...
_PERSONAL_ENDINGS = (
    "email", "emailaddress", "mail", "mailaddress", "phone", "phonenumber", "telephone", "mobile", "mobilenumber",
    "cell", "cellphone", "fax", "firstname", "lastname", "fullname", "givenname", "familyname", "surname",
    "middlename", "contactname", "personname", "dateofbirth", "birthdate", "birthday", "streetaddress",
    "homeaddress", "linkedin", "linkedinurl",
)
#: ... or that start with one of these followed by one of the qualifiers: "Email (work)", "Phone 2 home".
_PERSONAL_STARTS = ("email", "phone", "mobile", "telephone", "fax")
_QUALIFIERS = ("", "address", "number", "no", "work", "home", "personal", "private", "business", "primary",
               "secondary", "other", "direct", "office", "main")
#: Tables whose rows are people, where a bare "name" column is a person's name.
_PEOPLE_TABLES = ("leads", "contacts")

_EMAIL = re.compile(r"^\s*([^@\s]+)@([^@\s]+)\.([A-Za-z]{2,})\s*$")


def _normalised(name: str) -> str:
    return re.sub(r"\d+$", "", "".join(ch for ch in str(name).lower() if ch.isalnum()))


def name_looks_personal(name: str, table: str = "") -> bool:
    """Whether a column called ``name`` (in ``table``) holds personal data, judged by its name alone."""
    key = _normalised(name)
    if not key:
        return False
    if table in _PEOPLE_TABLES and key == "name":
        return True
    if key.endswith(_PERSONAL_ENDINGS):
        return True
    return any(key.startswith(start) and key[len(start):] in _QUALIFIERS for start in _PERSONAL_STARTS)


def is_personal(table: str, column: str) -> bool:
    """Whether ``table.column`` holds personal data: the contract's flag for a canonical column, the
    column's name for any other (see the module text)."""
    spec = schema.TABLES.get(table)
    if spec is not None and column in spec.column_names:
        return spec.column(column).personal
    return name_looks_personal(column, table)


def personal_columns(table: str, columns) -> list[str]:
    """Those of ``columns`` of ``table`` that hold personal data, in their order."""
    return [str(c) for c in columns if is_personal(table, str(c))]


def looks_like_email(value) -> bool:
    return isinstance(value, str) and _EMAIL.match(value) is not None


def mask(value) -> str:
    """A personal value as a page may show it: an e-mail address keeps its first letter and its top-level
    domain (``jane@acme.com`` → ``j•••@•••.com``), anything else reads ``(hidden: personal data)``; a missing
    value stays empty (``""``)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value)
    if not text.strip():
        return ""
    found = _EMAIL.match(text)
    if found:
        return f"{found.group(1)[0]}•••@•••.{found.group(3).lower()}"
    return HIDDEN
