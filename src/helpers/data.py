"""Load the curated tables in data/, validated against data/datapackage.json.

The schema is the one description of the data: this module, the README's data
dictionary and the tests all read it. A malformed file stops with a message
naming the file, the line, the column and what was expected, before pandas sees
it, so a researcher who mistypes a row reads the fix, not a traceback.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from helpers import paths

MAX_ERRORS = 10  # problems listed per file before the message is cut short


class DataError(ValueError):
    """A data file does not match its schema; the message says where and why."""


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
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- schema

def read_package(data_dir: Path | None = None) -> dict:
    """The data package descriptor (datapackage.json) of data_dir."""
    data_dir = Path(data_dir) if data_dir else paths.DATA
    path = data_dir / "datapackage.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{_display(path)}: schema file is missing") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{_display(path)}, line {exc.lineno}: not valid JSON ({exc.msg})") from None


def resource(name: str, package: dict) -> dict:
    for res in package["resources"]:
        if res["name"] == name:
            return res
    known = ", ".join(r["name"] for r in package["resources"])
    raise DataError(f"datapackage.json: no table named {name!r} (tables: {known})")


def table_names(data_dir: Path | None = None) -> list[str]:
    return [r["name"] for r in read_package(data_dir)["resources"]]


# --------------------------------------------------------------------------- parsing

_YEARMONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _parse(raw: str, field: dict):
    """Convert one cell; raise ValueError with what was expected."""
    ftype = field.get("type", "string")
    if ftype == "string":
        return raw
    if ftype == "integer":
        if not re.fullmatch(r"[+-]?\d+", raw):
            raise ValueError(f"expected a whole number, got {raw!r}")
        return int(raw)
    if ftype == "number":
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", raw):
            hint = " (write numbers without thousands separators)" if re.fullmatch(r"[\d,.]+", raw) else ""
            raise ValueError(f"expected a number, got {raw!r}{hint}")
        return float(raw)
    if ftype == "boolean":
        trues = field.get("trueValues", ["true"])
        falses = field.get("falseValues", ["false"])
        if raw in trues:
            return True
        if raw in falses:
            return False
        raise ValueError(f"expected one of {trues + falses}, got {raw!r}")
    if ftype == "date":
        try:
            return dt.date.fromisoformat(raw) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) else _bad()
        except ValueError:
            raise ValueError(f"expected a date YYYY-MM-DD, got {raw!r}") from None
    if ftype == "yearmonth":
        m = _YEARMONTH.match(raw)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"expected a year and month YYYY-MM, got {raw!r}")
        return pd.Period(raw, freq="M")
    raise ValueError(f"schema type {ftype!r} is not supported")


def _bad():
    raise ValueError


def _bound(value, field: dict):
    """Schema bounds converted to the field's type, for comparison."""
    ftype = field.get("type")
    if ftype == "date":
        return dt.date.fromisoformat(value)
    if ftype == "yearmonth":
        return pd.Period(value, freq="M")
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

def _read_rows(path: Path, schema: dict, problems: list[Problem]) -> list[dict]:
    """Parse and check one CSV row by row; collect problems instead of raising."""
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(path, None, None, "file is missing"))
        return []
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
        return []
    if "\x00" in text:
        problems.append(Problem(path, None, None, "not a CSV file (it contains NUL bytes)"))
        return []
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        problems.append(Problem(path, 1, None, f"file is empty: expected a header row {names}"))
        return []
    except csv.Error as exc:
        problems.append(Problem(path, 1, None, f"not valid CSV ({exc})"))
        return []
    if header != names:
        missing = [n for n in names if n not in header]
        extra = [h for h in header if h not in names]
        detail = []
        if missing:
            detail.append(f"missing column(s) {missing}")
        if extra:
            detail.append(f"unknown column(s) {extra}")
        if not detail:
            detail.append("columns are out of order")
        problems.append(Problem(path, 1, None, "; ".join(detail) + f": expected the header {','.join(names)}"))
        return []

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
            problems.append(Problem(path, line, None, f"expected {len(names)} fields, got {len(cells)} (check commas and quotes)"))
            continue
        row: dict = {"_line": line}
        ok = True
        for field, raw in zip(fields, cells):
            name = field["name"]
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
        if ok:
            rows.append(row)
    return rows


def _check_table_rules(path: Path, schema: dict, rows: list[dict], problems: list[Problem]) -> None:
    group = schema.get("x-one-preferred-per")
    if group:
        counts: dict[tuple, list[int]] = {}
        for row in rows:
            counts.setdefault(tuple(str(row[k]) for k in group), []).append(row["_line"] if row["preferred"] else -row["_line"])
        for key, lines in counts.items():
            chosen = [n for n in lines if n > 0]
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
            cols[name] = pd.array(values, dtype="period[M]")
        elif "enum" in field.get("constraints", {}):
            cols[name] = pd.Categorical(values, categories=field["constraints"]["enum"])
        else:
            cols[name] = pd.array(values, dtype="str")
    return pd.DataFrame(cols)


def validate_table(name: str, data_dir: Path | None = None, package: dict | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse one table; return the good rows as a frame and every problem found."""
    data_dir = Path(data_dir) if data_dir else paths.DATA
    package = package or read_package(data_dir)
    res = resource(name, package)
    path = data_dir / res["path"]
    problems: list[Problem] = []
    rows = _read_rows(path, res["schema"], problems)
    _check_table_rules(path, res["schema"], rows, problems)
    for fk in res["schema"].get("foreignKeys", []):
        ref = fk["reference"]
        ref_res = resource(ref["resource"], package)
        ref_rows = _read_rows(data_dir / ref_res["path"], ref_res["schema"], [])
        known = {r[ref["fields"]] for r in ref_rows}
        for row in rows:
            value = row.get(fk["fields"])
            if value is not None and value not in known:
                problems.append(Problem(path, row["_line"], fk["fields"],
                                        f"unknown {fk['fields']} {value!r}: expected an id listed in {ref_res['path']}"))
    return _frame(rows, res["schema"]), problems


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
    package = read_package(data_dir)
    problems: list[Problem] = []
    for res in package["resources"]:
        problems.extend(validate_table(res["name"], data_dir, package)[1])
    return problems


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
        problems = validate_all()
        for p in problems:
            print(p)
        print("data OK" if not problems else f"{len(problems)} problem(s)")
        sys.exit(1 if problems else 0)
