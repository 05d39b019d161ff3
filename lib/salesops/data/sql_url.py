"""What ``data.sql.url`` names: a DuckDB file, a SQLite file or a server's SQLAlchemy URL; its password taken from
the environment; and the URL as it may be shown (its password never is).

No database package is needed here: the params are read, and a manifest written, without the ``sql`` extra.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from salesops.errors import DataError

#: File suffixes read as a DuckDB database, and as a SQLite one.
DUCKDB_SUFFIXES = (".duckdb", ".ddb")
SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
#: A password written as ``${NAME}``: read from the environment variable NAME when connecting.
ENV_PASSWORD = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
#: ``scheme://user:password@``: the part of a URL holding a password.
_CREDENTIALS = re.compile(r"^(?P<head>[A-Za-z][\w+.-]*://[^:@/?#]*:)(?P<password>[^@/?#]*)(?P<tail>@)")
#: Query parameters that hold a secret (``?password=...``, ``&sslpassword=...``).
_SECRET_QUERY = re.compile(r"(?P<key>[?&][\w.-]*(?:password|secret|token)[\w.-]*=)(?P<value>[^&#]*)", re.IGNORECASE)
HIDDEN = "***"


@dataclass(frozen=True)
class Database:
    """Where the tables are: ``kind`` ``duckdb`` (``path`` a DuckDB file) or ``sqlalchemy`` (``url`` a SQLAlchemy URL,
    a SQLite file's included), and ``shown``, the URL as messages, the manifest and the pages show it."""

    kind: str
    shown: str
    path: Path | None = None
    url: str | None = None


def is_file_path(url: str) -> bool:
    """True when ``url`` names a database file by its path (no ``scheme://``)."""
    return "://" not in url


def redact(url: str) -> str:
    """``url`` with a password written in it replaced by ``***`` (one written ``${NAME}`` stays: it names an
    environment variable, not a secret). A file path is returned as it is."""
    if is_file_path(url):
        return url
    match = _CREDENTIALS.match(url)
    if match and match["password"] and not ENV_PASSWORD.match(match["password"]):
        url = f"{match['head']}{HIDDEN}{match['tail']}{url[match.end():]}"
    return _SECRET_QUERY.sub(lambda m: m["key"] + (m["value"] if ENV_PASSWORD.match(m["value"]) else HIDDEN), url)


def password_variable(url: str) -> str | None:
    """The environment variable named as the password of ``url`` (``${NAME}``), or None."""
    match = _CREDENTIALS.match(url)
    found = ENV_PASSWORD.match(match["password"]) if match else None
    return found[1] if found else None


def database(url: str, root: Path) -> Database:
    """The database ``url`` names: a ``.duckdb``/``.ddb`` file (a path, relative to ``root`` or absolute, or a
    ``duckdb:///path`` URL), a ``.sqlite``/``.sqlite3``/``.db`` file (a path, or a ``sqlite:///path`` URL), or any other
    SQLAlchemy URL, its ``${NAME}`` password read from the environment (``postgresql://`` uses psycopg 3).

    Raises DataError when a database file does not exist, the path has another suffix, or the password's
    environment variable is not set."""
    shown = redact(url)
    for scheme, kind in (("duckdb:///", "duckdb"), ("sqlite:///", "sqlite")):
        if url.startswith(scheme):
            return _file_database(Path(url[len(scheme):]), root, shown, kind)
    if is_file_path(url):
        suffix = Path(url).suffix.lower()
        kind = "duckdb" if suffix in DUCKDB_SUFFIXES else "sqlite" if suffix in SQLITE_SUFFIXES else None
        if kind is None:
            raise DataError(
                f"data.sql.url is {url!r}, which is neither a URL (scheme://...) nor a database file the workbook "
                f"reads (suffix {', '.join(DUCKDB_SUFFIXES)} for DuckDB, {', '.join(SQLITE_SUFFIXES)} for SQLite). "
                "Fix: write the server's SQLAlchemy URL, e.g. postgresql://user:${PASSWORD_VARIABLE}@host/db, or the "
                "path of the database file.")
        return _file_database(Path(url), root, shown, kind)
    variable = password_variable(url)
    if variable is not None:
        if variable not in os.environ:
            raise DataError(
                f"data.sql.url ({shown}) takes its password from the environment variable {variable}, which is not "
                f"set. Fix: set {variable} to the database password before the run (export {variable}=... in the "
                "shell, or a secret of the CI job); never write the password into the params.")
        match = _CREDENTIALS.match(url)
        url = f"{match['head']}{_quote(os.environ[variable])}{match['tail']}{url[match.end():]}"
    if re.match(r"^postgres(?:ql)?://", url):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]  # psycopg 3, not SQLAlchemy's default psycopg2
    return Database("sqlalchemy", shown, url=url)


def _quote(password: str) -> str:
    """A password as a URL holds it (``@``, ``/``, ``:`` ... percent-encoded)."""
    from urllib.parse import quote

    return quote(password, safe="")


def _file_database(path: Path, root: Path, shown: str, kind: str) -> Database:
    path = path if path.is_absolute() else (Path(root) / path)
    path = path.resolve()
    if not path.is_file():
        raise DataError(
            f"data.sql.url names the {'DuckDB' if kind == 'duckdb' else 'SQLite'} file {shown}, but there is no such "
            f"file ({path}). Fix: correct data.sql.url (a relative path is read from the project's folder), or copy "
            "the database file there.")
    if kind == "duckdb":
        return Database("duckdb", shown, path=path)
    # read-only: a SQLite file is never written, nor created when missing
    return Database("sqlalchemy", shown, path=path, url=f"sqlite:///file:{path.as_posix()}?mode=ro&uri=true")
