"""The data package's schema (data/datapackage.json): reading it, its vocabulary, and one cell
parsed and checked against its field. Part of ``helpers.data``.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from helpers import paths


class _LazyPandas:
    """pandas, imported on first use: checking the data (make report's preflight) does not need it."""

    def __getattr__(self, name):
        import pandas

        globals()["pd"] = pandas
        return getattr(pandas, name)


pd = _LazyPandas()


class YearMonth(NamedTuple):
    """A parsed YYYY-MM cell (ordered, with .year and .month); frames hold it as a pandas Period.

    Parameters
    ----------
    year : int
        The year.
    month : int
        The month, 1 to 12.
    """
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


MAX_ERRORS = 10  # problems listed per file before the message is cut short


class DataError(ValueError):
    """A data file does not match its schema; the message says where and why.

    Parameters
    ----------
    message : str
        Where each problem is (file, line, column) and what was expected.
    count : int, default 1
        How many problems the message lists; `make check-data` reports it in its last line.
    """

    def __init__(self, message: str, count: int = 1):
        super().__init__(message)
        self.count = count

    def _render_traceback_(self) -> list[str]:
        """What IPython (a notebook kernel) shows instead of a traceback: the message is the whole story."""
        return [f"DataError: {self}"]


@dataclass(frozen=True)
class Problem:
    """One fault in a data file, printed as ``file, line N, column 'c': message``.

    Parameters
    ----------
    path : Path
        The file.
    line : int or None
        Physical line in the CSV (1 = header); None for a whole-table fault.
    column : str or None
        The column, or None for a whole-row fault.
    message : str
        What is wrong and what was expected.
    """
    path: Path
    line: int | None  # physical line in the CSV (1 = header)
    column: str | None
    message: str

    def __str__(self) -> str:
        where = _display(self.path)
        if self.line is not None:
            where += f", line {self.line}"
        if self.column and self.column.isdigit():  # a character position (encoding, byte-order mark)
            where += f", column {self.column}"
        elif self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


def listed_problems(problems: list) -> str:
    """The first MAX_ERRORS problems, one per indented line, then how many more: the body of a message
    that lists the faults of a table or of the claims ledger.

    Parameters
    ----------
    problems : list of Problem
        Non-empty.

    Returns
    -------
    str
        ``"  <problem>\n  <problem>..."`` and ``"\n  ... and N more"`` past MAX_ERRORS.
    """
    shown = "\n  ".join(str(p) for p in problems[:MAX_ERRORS])
    more = f"\n  ... and {len(problems) - MAX_ERRORS} more" if len(problems) > MAX_ERRORS else ""
    return f"  {shown}{more}"


def _display(path: Path) -> str:
    """A path as messages show it: relative to the repository when inside it (nbreport.strictparse.display)."""
    from nbreport.strictparse import display

    return display(path, paths.ROOT)


# --------------------------------------------------------------------------- schema

def read_package(data_dir: Path | None = None) -> dict:
    """The data package descriptor (datapackage.json) of data_dir, checked.

    Parameters
    ----------
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's).

    Returns
    -------
    dict
        A copy of the descriptor (callers may change it).

    Raises
    ------
    DataError
        Naming the file and line for invalid JSON, a repeated key, or a descriptor the
        loaders cannot follow (see `check_descriptor`).
    """
    import copy

    return copy.deepcopy(_read_package(data_dir)[0])


def _read_package(data_dir: Path | None = None) -> tuple[dict, dict]:
    data_dir = Path(data_dir) if data_dir else paths.DATA
    path = data_dir / "datapackage.json"
    try:
        st = path.stat()
    except FileNotFoundError:
        raise DataError(f"{_display(path)}: the data package descriptor (datapackage.json) is missing: "
                        f"expected the schema of every table in {_display(data_dir)}/") from None
    except OSError as exc:  # a symbolic link loop
        raise DataError(f"{_display(path)}: the data package descriptor cannot be read ({exc.strerror or exc}); "
                        "expected a JSON file") from None
    return _read_package_cached(str(path), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=8)
def _read_package_cached(path: str, mtime: int, size: int) -> tuple[dict, dict]:
    from nbreport.strictparse import ParseError, load_json

    path = Path(path)
    shown = _display(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:  # a folder, a symbolic link loop, no permission
        raise DataError(f"{shown}: the data package descriptor cannot be read ({exc.strerror or exc}); "
                        "expected a JSON file") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raise DataError(f"{shown}, line 1, column 1: the file starts with a UTF-8 byte-order mark; "
                        "expected plain UTF-8 JSON without it")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_line_col(raw, exc.start)
        raise DataError(f"{shown}, line {line}, column {col}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                        "expected UTF-8") from None
    try:
        package, marks = load_json(text, shown)
    except ParseError as exc:
        raise DataError(str(exc)) from None
    from helpers.data.descriptor import check_descriptor

    problems = check_descriptor(package, marks, shown)
    if problems:
        raise DataError(f"{len(problems)} problem(s) in the data package descriptor:\n  " + "\n  ".join(problems),
                        len(problems))
    return package, marks


FIELD_TYPES = ("string", "integer", "number", "boolean", "date", "yearmonth")
CONSTRAINTS = ("required", "unique", "enum", "pattern", "minimum", "maximum")
_CALENDAR_FORMS = {"YYYY": r"(\d{4})", "YYYY-MM": r"(\d{4})-(\d{2})", "YYYY-MM-DD": r"(\d{4})-(\d{2})-(\d{2})",
                   "YYYYMM": r"(\d{4})(\d{2})", "YYYYMMDD": r"(\d{4})(\d{2})(\d{2})"}


def _keys(value) -> list:
    """Table Schema allows a field name or a list of names (primaryKey, foreignKeys)."""
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def resource(name: str, package: dict) -> dict:
    """The resource (table description) called name.

    Parameters
    ----------
    name : str
        A resource name (``quotas``, ``exports`` ...).
    package : dict
        The descriptor (`read_package`).

    Returns
    -------
    dict
        The resource: ``name``, ``path``, ``schema`` ...

    Raises
    ------
    DataError
        When no table has that name (the message lists the tables).
    """
    for res in package["resources"]:
        if res["name"] == name:
            return res
    known = ", ".join(r["name"] for r in package["resources"])
    raise DataError(f"datapackage.json: no table named {name!r} (tables: {known})")


def _byte_line_col(raw: bytes, pos: int) -> tuple[int, int]:
    """Line and (character) column of a byte offset, counting only \\n as a line break."""
    start = raw.rfind(b"\n", 0, pos) + 1
    col = len(raw[start:pos].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, pos) + 1, col


# --------------------------------------------------------------------------- parsing

def _parse(raw: str, field: dict):
    """Convert one cell; raise ValueError with what was expected."""
    ftype = field.get("type", "string")
    if ftype == "string":
        return raw
    if ftype == "integer":
        if not re.fullmatch(r"[+-]?\d+", raw):
            raise ValueError(f"expected a whole number, got {raw!r}")
        if len(raw) > 19 or not -2**63 < int(raw) < 2**63:
            raise ValueError(f"expected a whole number of at most 18 digits, got {_short(raw)} (too large)")
        return int(raw)
    if ftype == "number":
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", raw):
            hint = ""
            if re.fullmatch(r"[+-]?[\d.]*\d,\d+", raw) and not re.fullmatch(r"\d{1,3}(,\d{3})+", raw):
                hint = " (a decimal comma? write a decimal point, e.g. 4087.6, as the schema's numbers use)"
            elif re.fullmatch(r"[\d,.' ]+", raw):
                hint = " (write numbers with a decimal point and without thousands separators)"
            raise ValueError(f"expected a number, got {_short(raw)}{hint}")
        value = float(raw)
        mantissa = re.split("[eE]", raw)[0]
        if not math.isfinite(value) or (abs(value) < 1e-300 and re.search("[1-9]", mantissa)):
            raise ValueError(f"expected a finite number, got {_short(raw)} (beyond what a float holds)")
        return value
    if ftype == "boolean":
        trues = field.get("trueValues", ["true"])
        falses = field.get("falseValues", ["false"])
        if raw in trues:
            return True
        if raw in falses:
            return False
        raise ValueError(f"expected one of {trues + falses}, got {raw!r}")
    if ftype == "date":
        issue = calendar_issue(raw, ["YYYY-MM-DD"])
        if issue:
            raise ValueError(f"expected a date YYYY-MM-DD, got {_short(raw)}"
                             + (f" ({issue.split(':')[0]})" if issue.startswith("impossible") else ""))
        return dt.date.fromisoformat(raw)
    if ftype == "yearmonth":
        issue = calendar_issue(raw, ["YYYY-MM"])
        if issue:
            raise ValueError(f"expected a year and month YYYY-MM, got {_short(raw)}"
                             + (f" ({issue.split(':')[0]})" if issue.startswith("impossible") else ""))
        return YearMonth(int(raw[:4]), int(raw[5:7]))
    raise ValueError(f"schema type {ftype!r} is not supported")


def _short(raw: str) -> str:
    """A cell for a message: quoted, long ones cut in the middle."""
    return repr(raw) if len(raw) <= 40 else f"{raw[:18]!r}...{raw[-12:]!r} ({len(raw)} characters)"


def calendar_issue(raw: str, forms: list[str]) -> str | None:
    """What is wrong with a date cell, or None when it is a real date in one of the forms.

    Parameters
    ----------
    raw : str
        The cell as written.
    forms : list of str
        Allowed forms: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``YYYYMM``, ``YYYYMMDD``.

    Returns
    -------
    str or None
        The fault and what was expected (an impossible month or day, another form).
    """
    for form in forms:
        m = re.fullmatch(_CALENDAR_FORMS[form], raw)
        if not m:
            continue
        parts = [int(g) for g in m.groups()]
        if len(parts) > 1 and not 1 <= parts[1] <= 12:
            return f"impossible month {parts[1]:02d} in {raw!r}: expected 01 to 12 ({form})"
        if len(parts) > 2:
            try:
                dt.date(*parts)
            except ValueError as exc:
                return f"impossible date {raw!r}: {exc} ({form})"
        return None
    return f"expected a date written {' or '.join(forms)}, got {_short(raw)}"


def _bound(value, field: dict):
    """Schema bounds converted to the field's type, for comparison."""
    ftype = field.get("type")
    if ftype == "date":
        return dt.date.fromisoformat(value)
    if ftype == "yearmonth":
        return YearMonth(int(value[:4]), int(value[5:7]))
    return value


def _enum(field: dict) -> list:
    """The allowed values as the field's cells parse (dates and months as written in the schema, parsed)."""
    enum = field["constraints"]["enum"]
    return [_bound(v, field) for v in enum] if field.get("type") in ("date", "yearmonth") else enum


def _check_constraints(value, raw: str, field: dict) -> str | None:
    c = field.get("constraints", {})
    if "enum" in c and value not in _enum(field):
        return f"expected one of {c['enum']}, got {raw!r}"
    if "pattern" in c and not re.fullmatch(c["pattern"], raw):
        return f"expected the whole value to match {c['pattern']}, got {raw!r}"
    if "minimum" in c and value < _bound(c["minimum"], field):
        unit = f" {field['unit']}" if field.get("unit") else ""
        what = "a negative value" if c["minimum"] == 0 else "a value"
        return f"{what} is not allowed: expected at least {c['minimum']}{unit}, got {raw!r}"
    if "maximum" in c and value > _bound(c["maximum"], field):
        return f"out of range: expected at most {c['maximum']}, got {raw!r}"
    return None


