"""Load the curated tables in data/, validated against data/datapackage.json.

The schema is the one description of the data: this module, the README's data
dictionary and the tests all read it. A malformed file stops with a message
naming the file, the line, the column and what was expected, before pandas sees
it, so a researcher who mistypes a row reads the fix, not a traceback.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from typing import NamedTuple


class _LazyPandas:
    """pandas, imported on first use: checking the data (make report's preflight) does not need it."""

    def __getattr__(self, name):
        import pandas

        globals()["pd"] = pandas
        return getattr(pandas, name)


pd = _LazyPandas()


class YearMonth(NamedTuple):
    """A parsed YYYY-MM cell (ordered, with .year and .month); frames hold it as a pandas Period."""
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

from helpers import paths
from helpers.data.numbers import locator_has_value

MAX_ERRORS = 10  # problems listed per file before the message is cut short


class DataError(ValueError):
    """A data file does not match its schema; the message says where and why."""

    def _render_traceback_(self) -> list[str]:
        """What IPython (a notebook kernel) shows instead of a traceback: the message is the whole story."""
        return [f"DataError: {self}"]


@dataclass(frozen=True)
class Problem:
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


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- schema

def read_package(data_dir: Path | None = None) -> dict:
    """The data package descriptor (datapackage.json) of data_dir, checked.

    Raises DataError naming the file and line for invalid JSON, a repeated key,
    or a descriptor the loaders cannot follow (see check_descriptor).
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
    return _read_package_cached(str(path), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=8)
def _read_package_cached(path: str, mtime: int, size: int) -> tuple[dict, dict]:
    from helpers.strictparse import ParseError, load_json

    path = Path(path)
    shown = _display(path)
    raw = path.read_bytes()
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
        package, lines = load_json(text, shown)
    except ParseError as exc:
        raise DataError(str(exc)) from None
    from helpers.data.descriptor import check_descriptor

    problems = check_descriptor(package, lines, shown)
    if problems:
        raise DataError(f"{len(problems)} problem(s) in the data package descriptor:\n  " + "\n  ".join(problems))
    return package, lines


FIELD_TYPES = ("string", "integer", "number", "boolean", "date", "yearmonth")
CONSTRAINTS = ("required", "unique", "enum", "pattern", "minimum", "maximum")
_CALENDAR_FORMS = {"YYYY": r"(\d{4})", "YYYY-MM": r"(\d{4})-(\d{2})", "YYYY-MM-DD": r"(\d{4})-(\d{2})-(\d{2})",
                   "YYYYMM": r"(\d{4})(\d{2})", "YYYYMMDD": r"(\d{4})(\d{2})(\d{2})"}


def _keys(value) -> list:
    """Table Schema allows a field name or a list of names (primaryKey, foreignKeys)."""
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def resource(name: str, package: dict) -> dict:
    """The resource (table description) called name."""
    for res in package["resources"]:
        if res["name"] == name:
            return res
    known = ", ".join(r["name"] for r in package["resources"])
    raise DataError(f"datapackage.json: no table named {name!r} (tables: {known})")


def table_names(data_dir: Path | None = None) -> list[str]:
    return [r["name"] for r in read_package(data_dir)["resources"]]


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
    """None when raw is a real date in one of the forms (YYYY, YYYY-MM, YYYY-MM-DD, YYYYMM, YYYYMMDD)."""
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


def _check_constraints(value, raw: str, field: dict) -> str | None:
    c = field.get("constraints", {})
    if "enum" in c and value not in c["enum"]:
        return f"expected one of {c['enum']}, got {raw!r}"
    if "pattern" in c and not re.fullmatch(c["pattern"], raw):
        return f"expected text matching {c['pattern']}, got {raw!r}"
    if "minimum" in c and value < _bound(c["minimum"], field):
        unit = f" {field['unit']}" if field.get("unit") else ""
        what = "a negative value" if c["minimum"] == 0 else "a value"
        return f"{what} is not allowed: expected at least {c['minimum']}{unit}, got {raw!r}"
    if "maximum" in c and value > _bound(c["maximum"], field):
        return f"out of range: expected at most {c['maximum']}, got {raw!r}"
    return None


# --------------------------------------------------------------------------- validation

_SPREADSHEET = "as spreadsheets set to a European locale write"
_BAD_CHARS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_CHAR_NAMES = {"\x0c": "a form feed", "\x0b": "a vertical tab", "\x85": "a next-line character (U+0085)",
               "\u2028": "a line separator (U+2028)", "\u2029": "a paragraph separator (U+2029)",
               "\n": "a line break", "\r": "a carriage return", "\ufeff": "a byte-order mark (U+FEFF)"}


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    """The file as text, or None with the problem recorded (missing, BOM, not UTF-8, binary)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(path, None, None, "file is missing"))
        return None
    except OSError as exc:
        problems.append(Problem(path, None, None, f"cannot be read ({exc.strerror})"))
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        problems.append(Problem(path, 1, "1", "the file starts with a UTF-8 byte-order mark (BOM), as Excel's "
                                "'CSV UTF-8' writes: expected plain UTF-8 without it (remove the first three bytes, "
                                "or save from a text editor)"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_line_col(raw, exc.start)
        guess = ""
        try:
            if b"\x00" in raw:
                raise UnicodeDecodeError("cp1252", raw, 0, 1, "binary")
            raw.decode("cp1252")
            guess = ": it looks like Windows-1252/Latin-1 text, as older spreadsheets save it"
        except UnicodeDecodeError:
            pass
        problems.append(Problem(path, line, str(col), f"not UTF-8 text (byte 0x{raw[exc.start]:02x}{guess}); "
                                "expected UTF-8: save as 'CSV UTF-8' or convert the file"))
        return None
    if "\x00" in text:
        problems.append(Problem(path, None, None, "not a CSV file (it contains NUL bytes)"))
        return None
    return text


def _header_problem(header: list[str], names: list[str]) -> str:
    """Why a header row is not the schema's, in words."""
    expected = f"expected the header {','.join(names)}"
    if len(header) == 1 and "\t" in header[0] and len(names) > 1:
        return f"columns are separated by tabs: {expected}, separated by commas"
    if len(header) == 1 and header[0].count(";") >= 1 and len(names) > 1:
        return f"columns are separated by ';' ({_SPREADSHEET}, often with decimal commas): {expected}, separated " \
               "by commas, with decimal points"
    dupes = [h for i, h in enumerate(header) if h in header[:i]]
    if dupes:
        first = header.index(dupes[0]) + 1
        again = header.index(dupes[0], first) + 1
        return f"duplicate column {dupes[0]!r} (columns {first} and {again}): {expected}"
    missing = [n for n in names if n not in header]
    extra = [h for h in header if h not in names]
    detail = []
    if missing:
        detail.append(f"missing column(s) {missing}")
    if extra:
        detail.append(f"unknown column(s) {extra}")
    if not detail:
        detail.append("columns are out of order")
    return "; ".join(detail) + f": {expected}"


def _read_rows(path: Path, schema: dict, problems: list[Problem], rejected: list | None = None) -> list[dict]:
    """Parse and check one CSV row by row; collect problems instead of raising."""
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    text = _read_text(path, problems)
    if text is None:
        return []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # only \n, \r\n, \r end a line
    try:
        header = next(reader)
    except StopIteration:
        problems.append(Problem(path, 1, None, f"file is empty: expected a header row {','.join(names)}"))
        return []
    except csv.Error as exc:
        problems.append(Problem(path, 1, None, f"not valid CSV ({exc})"))
        return []
    if header != names:
        problems.append(Problem(path, 1, None, _header_problem(header, names)))
        return []
    group = schema.get("x-one-preferred-per", [])

    def reject(cells, row_problems) -> None:
        """Remember a rejected row's group and whether it claimed to be preferred (see _check_table_rules)."""
        if rejected is None or not group:
            return
        bad_cols = {p.column for p in row_problems}
        if cells is None or any(k in bad_cols for k in group):
            rejected.append((None, True))
            return
        pref = next((f for f in fields if f["name"] == "preferred"), {})
        claimed = cells[names.index("preferred")].strip() not in pref.get("falseValues", ["false"])
        rejected.append((tuple(cells[names.index(k)].strip() for k in group), claimed))

    printed = {f["name"]: f["x-printed-in"] for f in fields if f.get("x-printed-in")}
    calendar_by = {f["name"]: f["x-calendar-by"] for f in fields if f.get("x-calendar-by")}
    data_lines = 0
    rows: list[dict] = []
    seen_keys: dict[tuple, int] = {}
    seen_unique: dict[str, dict] = {f["name"]: {} for f in fields if f.get("constraints", {}).get("unique")}
    pk = schema.get("primaryKey", [])
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(path, reader.line_num, None, f"not valid CSV ({exc})"))
            break
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            semi = " (separated by ';'? expected commas)" if len(cells) == 1 and ";" in cells[0] else ""
            problems.append(Problem(path, line, None, f"expected {len(names)} fields, got {len(cells)}{semi} "
                                                      "(check commas and quotes)"))
            data_lines += 1
            reject(None, [])
            continue
        data_lines += 1
        row: dict = {"_line": line}
        ok = True
        n_before = len(problems)
        for field, raw in zip(fields, cells):
            name = field["name"]
            bad = _BAD_CHARS.search(raw)
            if bad:
                what = _CHAR_NAMES.get(bad.group(), f"the control character U+{ord(bad.group()):04X}")
                problems.append(Problem(path, line, name, f"contains {what} at character {bad.start() + 1}: "
                                                          "expected plain text on one line (replace it by a space)"))
                ok = False
                continue
            if raw == "":
                if field.get("constraints", {}).get("required"):
                    problems.append(Problem(path, line, name, "a value is required here"))
                    ok = False
                row[name] = None
                continue
            try:
                value = _parse(raw, field)
            except ValueError as exc:
                problems.append(Problem(path, line, name, str(exc)))
                ok = False
                continue
            issue = _check_constraints(value, raw, field)
            if not issue and field.get("x-calendar"):
                issue = calendar_issue(raw, field["x-calendar"])
            if issue:
                problems.append(Problem(path, line, name, issue))
                ok = False
            if name in seen_unique:
                if raw in seen_unique[name]:
                    problems.append(Problem(path, line, name, f"duplicate {raw!r}: already on line {seen_unique[name][raw]}"))
                    ok = False
                seen_unique[name].setdefault(raw, line)
            row[name] = value
        if not ok:
            reject(cells, problems[n_before:])
            continue
        for field in fields:
            for rule, wants in (("x-required-if", True), ("x-required-unless", False)):
                cond = field.get(rule)
                if cond and (row.get(cond["field"]) == cond["equals"]) == wants and row.get(field["name"]) is None:
                    verb = "is" if wants else "is not"
                    problems.append(Problem(path, line, field["name"],
                                            f"a value is required when {cond['field']} {verb} {cond['equals']!r}"))
                    ok = False
        if "status" in row and row.get("status") == "undisclosed" and row.get("value") is not None:
            problems.append(Problem(path, line, "value", "an undisclosed quota must have no value"))
            ok = False
        if pk and ok:
            key = tuple(str(row[k]) for k in pk)
            if key in seen_keys:
                problems.append(Problem(path, line, None,
                                        f"duplicate key {dict(zip(pk, key))}: already on line {seen_keys[key]}"))
                ok = False
            seen_keys[key] = line
        for name, rule in printed.items():
            cond, value, locator = rule.get("if"), row.get(name), row.get(rule["field"])
            if ok and value is not None and locator and (not cond or row.get(cond["field"]) == cond["equals"]) \
                    and not locator_has_value(locator, value, strict_scale=True):
                when = f" ({cond['field']} {cond['equals']})" if cond else ""
                problems.append(Problem(path, line, name, f"{value:,g} is not printed in its {rule['field']}{when} "
                                                          f"{_short(locator)}: expected the number as the source "
                                                          "prints it (a typo, a decimal comma or a wrong scale?)"))
                ok = False
        for name, rule in calendar_by.items():
            form = rule.get(str(row.get(rule["field"])))
            raw = cells[names.index(name)]
            issue = calendar_issue(raw, [form]) if form and raw else None
            if issue:
                problems.append(Problem(path, line, name, f"{issue} (as {rule['field']} is {row.get(rule['field'])})"))
                ok = False
        if ok:
            rows.append(row)
        else:
            reject(cells, problems[n_before:])
    if not data_lines and not schema.get("x-may-be-empty"):
        problems.append(Problem(path, 2, None, "the table has a header but no rows: expected at least one row "
                                               "(the analysis reads this table)"))
    return rows


def _check_table_rules(path: Path, schema: dict, rows: list[dict], problems: list[Problem],
                      rejected: list | None = None) -> None:
    group = schema.get("x-one-preferred-per")
    if group:
        counts: dict[tuple, list[int]] = {}
        for row in rows:
            counts.setdefault(tuple(str(row[k]) for k in group), []).append(row["_line"] if row["preferred"] else -row["_line"])
        # a rejected row that claimed preferred=true is already reported: no second "found 0" for its group
        pending = {key for key, claimed in (rejected or []) if claimed}
        for key, lines in counts.items():
            chosen = [n for n in lines if n > 0]
            if not chosen and (key in pending or None in pending):
                continue
            if len(chosen) != 1:
                where = f"lines {sorted(abs(n) for n in lines)}"
                problems.append(Problem(path, None, "preferred",
                                        f"{dict(zip(group, key))} needs exactly one row with preferred=true, "
                                        f"found {len(chosen)} ({where})"))
    if {"period_start", "period_end", "period_kind"} <= set(schema_names(schema)):
        for row in rows:
            start, end, kind = row["period_start"], row["period_end"], row["period_kind"]
            bad = None
            if end < start:
                bad = "period_end is before period_start"
            elif kind == "month" and start != end:
                bad = "a month must start and end in the same month"
            elif kind == "year_to_date" and (start.month != 1 or start.year != end.year):
                bad = "a year_to_date period must start in January of its end year"
            elif kind == "year" and (start.month != 1 or end.month != 12 or start.year != end.year):
                bad = "a year must run from January to December of one year"
            if bad:
                problems.append(Problem(path, row["_line"], "period_kind", f"{bad} (got {start} to {end}, {kind})"))


def schema_names(schema: dict) -> list[str]:
    return [f["name"] for f in schema["fields"]]


def _frame(rows: list[dict], schema: dict) -> pd.DataFrame:
    """Tidy DataFrame with dtypes from the schema."""
    cols = {}
    for field in schema["fields"]:
        name, ftype = field["name"], field.get("type", "string")
        values = [r[name] for r in rows]
        if ftype == "integer":
            cols[name] = pd.array(values, dtype="Int64")
        elif ftype == "number":
            cols[name] = pd.array([float("nan") if v is None else v for v in values], dtype="float64")
        elif ftype == "boolean":
            cols[name] = pd.array(values, dtype="boolean")
        elif ftype == "date":
            cols[name] = pd.to_datetime(pd.Series(values, dtype="object"))
        elif ftype == "yearmonth":
            cols[name] = pd.array([None if v is None else pd.Period(str(v), freq="M") for v in values],
                                  dtype="period[M]")
        elif "enum" in field.get("constraints", {}):
            cols[name] = pd.Categorical(values, categories=field["constraints"]["enum"])
        else:
            cols[name] = pd.array(values, dtype="str")
    return pd.DataFrame(cols)


def validate_table(name: str, data_dir: Path | None = None, package: dict | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse one table; return the good rows as a frame and every problem found."""
    package = package or _read_package(data_dir)[0]
    rows, problems = _validate(name, data_dir, package)
    return _frame(rows, resource(name, package)["schema"]), problems


def _validate(name: str, data_dir: Path | None, package: dict) -> tuple[list[dict], list[Problem]]:
    """The good rows of one table (dicts) and every problem found; no pandas needed."""
    data_dir = Path(data_dir) if data_dir else paths.DATA
    package = package or read_package(data_dir)
    res = resource(name, package)
    path = data_dir / res["path"]
    problems: list[Problem] = []
    rejected: list = []
    rows = _read_rows(path, res["schema"], problems, rejected)
    _check_table_rules(path, res["schema"], rows, problems, rejected)
    for fk in res["schema"].get("foreignKeys", []):
        ref = fk["reference"]
        own, theirs = _keys(fk["fields"]), _keys(ref["fields"])
        ref_res = resource(ref["resource"], package) if ref.get("resource") else res
        known = ({tuple(r[k] for k in theirs) for r in rows} if ref_res is res
                 else _ref_keys(data_dir / ref_res["path"], ref_res["schema"], tuple(theirs)))
        for row in rows:
            value = tuple(row.get(k) for k in own)
            if all(v is not None for v in value) and value not in known:
                shown = value[0] if len(own) == 1 else dict(zip(own, value))
                problems.append(Problem(path, row["_line"], ", ".join(own),
                                        f"unknown {', '.join(own)} {shown!r}: expected an id listed in {ref_res['path']}"))
    return rows, problems


_REF_KEYS: dict = {}


def _ref_keys(path: Path, schema: dict, fields: tuple) -> set:
    """The key values a foreign key may refer to (valid rows of the referenced file), cached per file version."""
    try:
        st = path.stat()
    except OSError:
        return set()
    key = (str(path), st.st_mtime_ns, st.st_size, json.dumps(schema, sort_keys=True), fields)
    if key not in _REF_KEYS:
        if len(_REF_KEYS) > 64:
            _REF_KEYS.clear()
        _REF_KEYS[key] = {tuple(r[k] for k in fields) for r in _read_rows(path, schema, [])}
    return _REF_KEYS[key]


def _raise(problems: list[Problem]) -> None:
    shown = "\n  ".join(str(p) for p in problems[:MAX_ERRORS])
    more = f"\n  ... and {len(problems) - MAX_ERRORS} more" if len(problems) > MAX_ERRORS else ""
    raise DataError(f"{len(problems)} problem(s) in the curated data:\n  {shown}{more}")


@lru_cache(maxsize=None)
def _load_cached(name: str, data_dir: str, stamp: tuple) -> pd.DataFrame:
    frame, problems = validate_table(name, Path(data_dir))
    if problems:
        _raise(problems)
    return frame


def load_table(name: str, data_dir: Path | None = None) -> pd.DataFrame:
    """One validated table; raises DataError listing every problem found."""
    data_dir = Path(data_dir) if data_dir else paths.DATA
    # re-read when any file changes, so a researcher's edit is picked up on re-run
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in data_dir.glob("*") if p.is_file()))
    return _load_cached(name, str(data_dir), stamp).copy()


def validate_all(data_dir: Path | None = None) -> list[Problem]:
    """Every problem in every table (empty list when the data are clean)."""
    package = _read_package(data_dir)[0]
    problems: list[Problem] = []
    for res in package["resources"]:
        problems.extend(_validate(res["name"], data_dir, package)[1])
    return problems


def table_schema_problems(data_dir: Path | None = None, known: list[Problem] | None = None) -> list[Problem]:
    """Problems frictionless-py finds with the Table Schema rules, beyond those already known.

    The second, generic opinion that `make check-data` adds to the loaders' own checks
    (types, constraints, primary and foreign keys, header labels). Lines already named
    in `known` are not repeated: the project's wording is the clearer one. Frictionless
    is not used by the loaders: importing it costs about 0.7 s and checking the data
    about 0.5 to 4 s, in every kernel (measured on two cores, November 2026).
    """
    data_dir = Path(data_dir) if data_dir else paths.DATA
    import frictionless

    package = read_package(data_dir)
    seen = {(Path(p.path).name, p.line) for p in known or []}
    seen_files = {Path(p.path).name for p in known or [] if p.line in (None, 1)}
    out: list[Problem] = []
    try:
        report = frictionless.validate(package, basepath=str(data_dir))
    except Exception as exc:  # noqa: BLE001 - a library failure is reported, never a traceback
        return [Problem(data_dir / "datapackage.json", None, None, f"frictionless could not check the package ({exc})")]
    for task in report.tasks:
        file = Path(task.place).name if task.place else f"{task.name}.csv"
        for err in task.errors:
            line = getattr(err, "row_number", None)
            line = 1 if err.type in ("duplicate-label", "blank-label", "incorrect-label", "extra-label",
                                     "missing-label", "blank-header") else line
            if (file, line) in seen or file in seen_files:
                continue
            out.append(Problem(data_dir / file, line, getattr(err, "field_name", None),
                               f"{err.note} (Table Schema rule '{err.type}', checked by frictionless)"))
    for err in report.errors:
        out.append(Problem(data_dir / "datapackage.json", None, None, f"{err.message} (checked by frictionless)"))
    return out


# --------------------------------------------------------------------------- table loaders

def _preferred(frame: pd.DataFrame, preferred_only: bool) -> pd.DataFrame:
    if preferred_only:
        frame = frame[frame["preferred"].fillna(False)]
    return frame.reset_index(drop=True)


def load_sources(data_dir: Path | None = None) -> pd.DataFrame:
    """The documents every value cites, indexed by source_id."""
    return load_table("sources", data_dir).set_index("source_id", drop=False)


def load_quotas(stage: str | None = None, part: str | None = None, segment: str | None = None,
                preferred_only: bool = True, data_dir: Path | None = None) -> pd.DataFrame:
    """Quota rows (t REO); by default only the row the analysis uses per key."""
    frame = _preferred(load_table("quotas", data_dir), preferred_only)
    for col, want in (("stage", stage), ("part", part), ("segment", segment)):
        if want is not None:
            _check_choice("quotas", col, want, frame)
            frame = frame[frame[col] == want]
    return frame.sort_values(["stage", "year", "part", "segment"]).reset_index(drop=True)


def annual_quotas(stage: str, data_dir: Path | None = None, include_derived: bool = True) -> pd.Series:
    """Annual total quota by year for one stage (t REO), the series models fit."""
    q = load_quotas(stage=stage, part="annual", segment="total", data_dir=data_dir)
    q = q[q["value"].notna()]
    if not include_derived:
        q = q[q["status"] == "reported"]
    return pd.Series(q["value"].to_numpy(), index=pd.Index(q["year"].astype(int), name="year"), name=f"{stage}_quota_t")


def load_exports(series: str | None = None, partner: str | None = None, period_kind: str | None = None,
                 preferred_only: bool = True, data_dir: Path | None = None) -> pd.DataFrame:
    """Customs export rows (t); filter by series, partner and period kind."""
    frame = _preferred(load_table("exports", data_dir), preferred_only)
    for col, want in (("series", series), ("partner", partner), ("period_kind", period_kind)):
        if want is not None:
            _check_choice("exports", col, want, frame)
            frame = frame[frame[col] == want]
    return frame.sort_values(["series", "partner", "period_end", "period_start"]).reset_index(drop=True)


def monthly_exports(series: str, partner: str = "World", data_dir: Path | None = None,
                    include_derived: bool = True) -> pd.Series:
    """Monthly export tonnes on a complete monthly PeriodIndex; absent months stay NaN."""
    frame = load_exports(series=series, partner=partner, period_kind="month", data_dir=data_dir)
    if not include_derived:
        frame = frame[frame["status"] == "reported"]
    s = pd.Series(frame["value"].to_numpy(), index=pd.PeriodIndex(frame["period_end"], freq="M"), name=f"{series}_{partner}_t")
    if s.empty:
        return s
    full = pd.period_range(s.index.min(), s.index.max(), freq="M")
    return s.reindex(full).rename_axis("month")


def load_production(country: str | None = None, preferred_only: bool = True,
                    data_dir: Path | None = None) -> pd.DataFrame:
    """USGS mine production rows (t REO) with their edition."""
    frame = _preferred(load_table("production", data_dir), preferred_only)
    if country is not None:
        _check_choice("production", "country", country, frame)
        frame = frame[frame["country"] == country]
    return frame.sort_values(["country", "year", "edition"]).reset_index(drop=True)


def load_events(kind: str | None = None, data_dir: Path | None = None) -> pd.DataFrame:
    """Dated events, oldest first."""
    frame = load_table("events", data_dir)
    if kind is not None:
        _check_choice("events", "kind", kind, frame)
        frame = frame[frame["kind"] == kind]
    return frame.sort_values("date").reset_index(drop=True)


def _check_choice(table: str, column: str, value: str, frame: pd.DataFrame) -> None:
    allowed = list(frame[column].cat.categories) if isinstance(frame[column].dtype, pd.CategoricalDtype) else sorted(frame[column].dropna().unique())
    if value not in allowed:
        raise ValueError(f"{table}.{column}: unknown value {value!r}; expected one of {allowed}")


def cite(source_ids, data_dir: Path | None = None, dates: bool = True) -> str:
    """'Publisher (date)' for each source id, for chart source lines and tables.

    With dates=False, each publisher once: the short form for charts that draw
    on many documents (data/ names each value's document).
    """
    sources = load_sources(data_dir)
    out = []
    for sid in dict.fromkeys(source_ids):
        if sid not in sources.index:
            raise KeyError(f"unknown source_id {sid!r}")
        row = sources.loc[sid]
        date = row["published"] if isinstance(row["published"], str) and row["published"] else "n.d."
        out.append(f"{row['publisher']} ({date})" if dates else row["publisher"])
    return "; ".join(dict.fromkeys(out))


# --------------------------------------------------------------------------- data dictionary

def field_rules(field: dict) -> tuple[str, list[str]]:
    """When a column is required and what it allows, in words (code in backticks).

    One wording for the README's dictionary and the site's data page.
    """
    c = field.get("constraints", {})
    allowed = []
    if "enum" in c:
        allowed.append(", ".join(f"`{v}`" for v in c["enum"]))
    if "pattern" in c:
        allowed.append(f"pattern `{c['pattern']}`")
    if "minimum" in c:
        allowed.append(f"≥ {c['minimum']}")
    if "maximum" in c:
        allowed.append(f"≤ {c['maximum']}")
    if c.get("unique"):
        allowed.append("unique")
    if field.get("x-calendar"):
        allowed.append("a real calendar date: " + " or ".join(field["x-calendar"]))
    if field.get("x-calendar-by"):
        rule = field["x-calendar-by"]
        allowed.append("a real calendar date: " + "; ".join(f"{v} when {rule['field']} = {k}"
                                                            for k, v in rule.items() if k != "field"))
    if field.get("x-printed-in"):
        rule, cond = field["x-printed-in"], field["x-printed-in"].get("if")
        when = f" when {cond['field']} = {cond['equals']}" if cond else ""
        allowed.append(f"printed in `{rule['field']}`{when}")
    req = "yes" if c.get("required") else ""
    for rule, word in (("x-required-if", "if"), ("x-required-unless", "unless")):
        if rule in field:
            eq = field[rule]["equals"]
            req = f"{word} {field[rule]['field']} is empty" if eq is None else f"{word} {field[rule]['field']} = {eq}"
    return req, allowed


def data_dictionary_markdown(data_dir: Path | None = None) -> str:
    """The README's data dictionary, written from the schema."""
    package = read_package(data_dir)
    lines = []
    for res in package["resources"]:
        schema = res["schema"]
        lines += [f"#### `data/{res['path']}`: {res.get('title', res['name'])}", "", res.get("description", ""), "",
                  f"Key: {', '.join(schema.get('primaryKey', []))}.", "",
                  "| column | type | unit | required | allowed | meaning |", "|---|---|---|---|---|---|"]
        for f in schema["fields"]:
            req, allowed = field_rules(f)
            allowed = [a.replace("|", "\\|") for a in allowed]
            lines.append(f"| `{f['name']}` | {f.get('type', 'string')} | {f.get('unit', '')} | {req} | "
                         f"{'; '.join(allowed)} | {f.get('description', '')} |")
        fks = schema.get("foreignKeys", [])
        for fk in fks:
            lines.append("")
            lines.append(f"Every `{fk['fields']}` must exist in `{fk['reference']['resource']}.{fk['reference']['fields']}`.")
        if "x-one-preferred-per" in schema:
            lines.append(f"Exactly one row per ({', '.join(schema['x-one-preferred-per'])}) has `preferred` = true: the one the analysis uses.")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- README

README_BEGIN = "<!-- data-dictionary:begin (written by `make docs` from data/datapackage.json; do not edit) -->"
README_END = "<!-- data-dictionary:end -->"


def readme_with_dictionary(readme_text: str, data_dir: Path | None = None) -> str:
    """README text with the block between the markers replaced by the current dictionary."""
    if README_BEGIN not in readme_text or README_END not in readme_text:
        raise ValueError("README.md has no data-dictionary markers")
    head, rest = readme_text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    return f"{head}{README_BEGIN}\n\n{data_dictionary_markdown(data_dir)}\n{README_END}{tail}"


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--write-readme"]:
        readme = paths.ROOT / "README.md"
        readme.write_text(readme_with_dictionary(readme.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"wrote the data dictionary into {readme}")
    else:
        # jsonschema (frictionless's descriptor check) would import rfc3987-syntax, a URI grammar installed
        # for JupyterLab that takes seconds to build; frictionless checks no formats, so it is not needed
        sys.modules.setdefault("rfc3987_syntax", None)
        try:
            found = validate_all()  # the loaders' checks; frictionless's second opinion when they pass
            problems = [str(p) for p in found or table_schema_problems()]
        except DataError as exc:
            problems = [str(exc)]
        for p in problems:
            print(p)
        print("data OK" if not problems else f"{len(problems)} problem(s)")
        sys.exit(1 if problems else 0)
