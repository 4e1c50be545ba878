"""Load the curated tables in data/, validated against data/datapackage.json.

The schema is the one description of the data: this module, the README's data
dictionary and the tests all read it. A malformed file stops with a message
naming the file, the line, the column and what was expected, before pandas sees
it, so a researcher who mistypes a row reads the fix, not a traceback.
"""
from __future__ import annotations

import csv
import io
import json
import re
from functools import lru_cache
from pathlib import Path

from helpers import paths
from helpers.data.expressions import expression_problems
from helpers.data.integrity import integrity_problems
from helpers.data.numbers import locator_has_value
from helpers.data.schema import (DataError, Problem, _byte_line_col, _check_constraints, _display, _keys, _parse,
                                 _read_package, _short, calendar_issue, listed_problems, pd, read_package, resource)


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


def _quoted_locator(locator: str) -> str:
    """The locator in a message whole up to 200 characters: the reader needs the number it prints, often in the middle."""
    return repr(locator) if len(locator) <= 200 else _short(locator)


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
    pk = _keys(schema.get("primaryKey"))
    line = 1
    while True:
        start = reader.line_num + 1  # a record can span lines (a quoted line break): name the line it starts on
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(path, reader.line_num, None, f"not valid CSV ({exc})"))
            break
        line = start
        if not any(c.strip() for c in cells):  # a row whose contents were deleted must not vanish silently
            problems.append(Problem(path, line, None, f"blank row: expected {len(names)} fields "
                                                      f"({','.join(names[:3])},...); restore the row or delete the line"))
            continue
        if len(cells) != len(names):
            semi = " (separated by ';'? expected commas)" if len(cells) == 1 and ";" in cells[0] else ""
            problems.append(Problem(path, line, None, f"expected {len(names)} fields, got {len(cells)}{semi} "
                                                      "(check commas and quotes)"))
            data_lines += 1
            reject(None, [])
            continue
        data_lines += 1
        row: dict = {"_line": line, "_raw": dict(zip(names, cells))}
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
            if raw and not raw.strip():  # looks empty to a reader, is not empty to a check: a rule it guards would skip
                problems.append(Problem(path, line, name, f"only spaces ({len(raw)}): expected a value, or nothing at "
                                                          "all for an empty cell"))
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
            cond = field.get("x-empty-if")
            if cond and row.get(cond["field"]) == cond["equals"] and row.get(field["name"]) is not None:
                problems.append(Problem(path, line, field["name"], f"must have no value when {cond['field']} is "
                                                                   f"{cond['equals']!r} (declared x-empty-if)"))
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
                                                          f"{_quoted_locator(locator)}: expected the number as the source "
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
    period = schema.get("x-period")      # {"start", "end", "kind"}: field names; the kinds' calendar rules below
    if period:
        for row in rows:
            start, end, kind = row[period["start"]], row[period["end"]], row[period["kind"]]
            bad = None
            if end < start:
                bad = f"{period['end']} is before {period['start']}"
            elif kind == "month" and start != end:
                bad = "a month must start and end in the same month"
            elif kind == "year_to_date" and (start.month != 1 or start.year != end.year):
                bad = "a year_to_date period must start in January of its end year"
            elif kind == "year" and (start.month != 1 or end.month != 12 or start.year != end.year):
                bad = "a year must run from January to December of one year"
            if bad:
                problems.append(Problem(path, row["_line"], period["kind"], f"{bad} (got {start} to {end}, {kind})"))


def schema_names(schema: dict) -> list[str]:
    """The column names a table schema declares, in order.

    Parameters
    ----------
    schema : dict
        A ``schema`` of data/datapackage.json.

    Returns
    -------
    list of str
    """
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
    """Parse one table against its schema, collecting problems instead of raising.

    Parameters
    ----------
    name : str
        A resource name of data/datapackage.json (``quotas``, ``exports`` ...).
    data_dir : path, optional
        A data folder laid out like data/.
    package : dict, optional
        An already-read descriptor.

    Returns
    -------
    (DataFrame, list of Problem)
        The rows that pass, typed by the schema, and every problem (file, line, column, message).
    """
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
    if not path.is_file() and any(p.path == path and p.message == "file is missing" for p in problems):
        problems[:] = [Problem(path, None, None, f"file is missing: {_declared_at(data_dir, name)} declares it "
                                                 f"as the table {name!r}; expected the file there (or the table "
                                                 "removed from the descriptor)") if p.path == path
                       and p.message == "file is missing" else p for p in problems]
    problems.extend(integrity_problems(data_dir, name, res, path))
    _check_table_rules(path, res["schema"], rows, problems, rejected)
    problems.extend(expression_problems(path, res["schema"], rows))
    for fk in res["schema"].get("foreignKeys", []):
        ref = fk["reference"]
        own, theirs = _keys(fk["fields"]), _keys(ref["fields"])
        ref_res = resource(ref["resource"], package) if ref.get("resource") else res
        if ref_res is not res and not (data_dir / ref_res["path"]).is_file():
            problems.append(Problem(path, None, None, f"{', '.join(own)} cannot be checked: {ref_res['path']}, "
                                                      f"which {_declared_at(data_dir, ref_res['name'])} declares "
                                                      "as the table they refer to, is missing"))
            continue
        known = ({tuple(r[k] for k in theirs) for r in rows} if ref_res is res
                 else _ref_keys(data_dir / ref_res["path"], ref_res["schema"], tuple(theirs)))
        for row in rows:
            value = tuple(row.get(k) for k in own)
            if all(v is not None for v in value) and value not in known:
                shown = value[0] if len(own) == 1 else dict(zip(own, value))
                problems.append(Problem(path, row["_line"], ", ".join(own),
                                        f"unknown {', '.join(own)} {shown!r}: expected an id listed in {ref_res['path']}"))
    return rows, problems


def _declared_at(data_dir: Path, name: str) -> str:
    """Where datapackage.json declares a table's file: '<descriptor>, line L, column C'."""
    package, marks = _read_package(data_dir)
    i = next((i for i, r in enumerate(package["resources"]) if r.get("name") == name), None)
    return marks.locate(_display(data_dir / "datapackage.json"), ("resources", i, "path") if i is not None else ())


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
    raise DataError(f"{len(problems)} problem(s) in the curated data:\n{listed_problems(problems)}", len(problems))


@lru_cache(maxsize=None)
def _load_cached(name: str, data_dir: str, stamp: tuple) -> pd.DataFrame:
    frame, problems = validate_table(name, Path(data_dir))
    if problems:
        _raise(problems)
    return frame


def load_table(name: str, data_dir: Path | None = None) -> pd.DataFrame:
    """One validated table, typed by the schema; re-read when any file of the folder changes.

    Parameters
    ----------
    name : str
        A resource of data/datapackage.json.
    data_dir : path, optional
        A data folder laid out like data/.

    Returns
    -------
    DataFrame
        Every row, with the schema's dtypes (Int64, float64, boolean, period[M], categories).

    Raises
    ------
    DataError
        Listing every problem found (file, line, column, what was expected).
    """
    data_dir = Path(data_dir) if data_dir else paths.DATA
    # re-read when any file changes, so a researcher's edit is picked up on re-run
    return _load_cached(name, str(data_dir), folder_stamp(data_dir)).copy()


def folder_stamp(data_dir: Path | None = None) -> tuple:
    """The version of a data folder: every file's name, modification time (ns) and size.

    Results computed from the data are cached under it (`load_table`, the models' series), so a
    researcher's edit to any file is picked up on the next call, and an unchanged folder is not
    read or validated again.

    Parameters
    ----------
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's data/).

    Returns
    -------
    tuple
        ``(name, mtime_ns, size)`` per file, sorted by name; hashable, for cache keys.
    """
    data_dir = Path(data_dir) if data_dir else paths.DATA
    return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in data_dir.glob("*") if p.is_file()))


def validate_all(data_dir: Path | None = None) -> list[Problem]:
    """Every problem in every table of the data package, without pandas.

    Parameters
    ----------
    data_dir : path, optional
        A data folder laid out like data/.

    Returns
    -------
    list of Problem
        Empty when the data are clean; each names file, line, column and what was expected.

    Raises
    ------
    DataError
        When data/datapackage.json itself cannot be read or is malformed.
    """
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

    Parameters
    ----------
    data_dir : path, optional
        A data folder laid out like data/.
    known : list of Problem, optional
        Problems the loaders already reported.

    Returns
    -------
    list of Problem
        Frictionless's further findings; one problem if frictionless itself fails.
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
            if err.type in ("byte-count", "hash-count", "row-count", "field-count"):
                continue  # the loaders check these, at the key in datapackage.json (helpers.data.integrity)
            line = getattr(err, "row_number", None)
            line = 1 if err.type in ("duplicate-label", "blank-label", "incorrect-label", "extra-label",
                                     "missing-label", "blank-header") else line
            if (file, line) in seen or file in seen_files:
                continue
            out.append(Problem(data_dir / file, line, getattr(err, "field_name", None),
                               f"{err.note} (Table Schema rule '{err.type}', checked by frictionless)"))
    marks = _read_package(data_dir)[1]
    for err in report.errors:
        # a package-level error names its place as a JSON pointer from the top: give its line and column
        m = re.search(r"at property '([^']*)'", err.message) if err.type == "package-error" else None
        place = marks.find(tuple(int(x) if x.isdigit() else x for x in m.group(1).split("/"))) if m else None
        out.append(Problem(data_dir / "datapackage.json", place[0] if place else None,
                           str(place[1]) if place else None, f"{err.message} (checked by frictionless)"))
    return out

