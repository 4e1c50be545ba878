"""When a guarded notebook output moves, say in words which claim or finding moved.

nbval (`--nbval-lax`, set in pyproject.toml) re-executes every notebook and compares
the cells marked `# NBVAL_CHECK_OUTPUT`: the articles' claims tables and the models'
findings boxes. On a difference nbval prints the two raw outputs (a line of HTML
each). This hook puts a reader's summary first: for a claims table, each claim whose
row changed, column by column ("Data give: 667.4 -> 650.1"); for a findings box, each
finding whose wording changed, with the numbers that moved ("-60% -> -53%"); and that
`make snapshot` stores a deliberate change. nbval's own report follows it.

It is the repository's root conftest so that it applies to every way the notebooks
are tested (`make test`, `pytest notebooks/...`, `pytest -n 2`). Being the root one,
pytest always loads it before tests/conftest.py, so the tests' `from conftest import`
still finds tests/conftest.py (a conftest.py in notebooks/ would shadow it).
tests/test_guards.py watches it fail on altered copies.
"""
from __future__ import annotations

import difflib
import re
from html.parser import HTMLParser

import pytest

HINT = ("If the change is deliberate (new data, a ledger edit, a model change), run `make snapshot` "
        "to store the new output and commit the notebook diff; if not, a number readers see has moved "
        "and the cause must be found.")


class _Table(HTMLParser):
    """Rows of the first <table> (header cells and data cells) and the text outside it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.header: list[str] = []
        self.rows: list[list[str]] = []
        self.outside: list[str] = []
        self._in_table = 0
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._is_header = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._in_table += 1
        elif tag == "tr" and self._in_table:
            self._row, self._is_header = [], False
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._is_header = self._is_header or tag == "th"

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._is_header and not self.header:
                self.header = self._row
            elif self._row:
                self.rows.append(self._row)
            self._row = None
        elif tag == "table":
            self._in_table -= 1

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif not self._in_table and data.strip():
            self.outside.append(" ".join(data.split()))


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _items(outputs) -> dict[str, object]:
    """The guarded output as named items: table rows (dict of column -> text) or lines of text."""
    items: dict[str, object] = {}
    for n, out in enumerate(outputs or []):
        data = out.get("data", {}) if hasattr(out, "get") else {}
        html = _text(data.get("text/html", ""))
        if "<table" in html:
            table = _Table()
            table.feed(html)
            for j, line in enumerate(table.outside):
                items[f"summary line {j + 1}" if j else "summary"] = line
            header = table.header or [f"column {k + 1}" for k in range(max(map(len, table.rows), default=0))]
            for row in table.rows:
                cells = dict(zip(header, row))
                number = row[0] if row and row[0].isdigit() else ""
                label = next((c for c in row if c and not c.isdigit()), "")
                key = f"claim {number} '{label}'" if number else f"row '{label}'"
                # a numbered claim keeps its phrase as a column: a number moved inside the phrase
                # then reads as a change of that column, not as one claim gone and another new
                items[key] = {k: v for k, v in cells.items() if v != number and (number or v != label)}
            continue
        text = _text(data.get("text/markdown") or data.get("text/plain") or out.get("text", ""))
        for j, line in enumerate(text.splitlines()):
            line = line.lstrip("> ").strip()
            if not line:
                continue
            m = re.match(r"^[-*]\s+\*\*(.+?)\*\*\s*(.*)$", line)
            if m:
                items[m.group(1).rstrip(":")] = m.group(2)
            elif line.startswith("**") and line.endswith("**"):
                items["title"] = line.strip("*")
            else:
                items[f"output {n + 1}, line {j + 1}"] = line
    return items


_TOKEN = re.compile(r"[-+\u2212]?\d[\d,]*(?:\.\d+)?%?|\w+|[^\w\s]")


def _moved(old: str, new: str) -> list[str]:
    """The spans of text that changed, as 'old -> new' (numbers whole, words whole)."""
    a = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(old)]
    b = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(new)]
    sm = difflib.SequenceMatcher(a=[t for t, _, _ in a], b=[t for t, _, _ in b], autojunk=False)
    moves = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        was = old[a[i1][1]:a[i2 - 1][2]] if i2 > i1 else ""
        now = new[b[j1][1]:b[j2 - 1][2]] if j2 > j1 else ""
        moves.append(f"{was} -> {now}" if was and now else f"added '{now}'" if now else f"dropped '{was}'")
    return moves


def _aligned(reference, fresh) -> tuple[dict, dict]:
    """Stored and new items, a numbered claim named as stored even when its phrase changed."""
    old, new = _items(reference), _items(fresh)
    by_number = {k.split("'")[0]: k for k in old if k.startswith("claim ")}
    renamed = {}
    for k, v in new.items():
        stored = by_number.get(k.split("'")[0]) if k.startswith("claim ") and k not in old else None
        renamed[stored if stored and stored not in new else k] = v
    return old, renamed


def moved_keys(reference, fresh) -> list[str]:
    """The names of the claims or findings that differ between the stored and the new output."""
    old, new = _aligned(reference, fresh)
    return [k for k in list(old) + [k for k in new if k not in old] if old.get(k) != new.get(k)]


def explain(reference, fresh) -> list[str]:
    """Lines naming each claim or finding that differs between the stored and the new output."""
    old, new = _aligned(reference, fresh)
    lines = []
    for key in moved_keys(reference, fresh):
        if key not in new:
            lines.append(f"  {key}: no longer shown (was: {old[key]})")
        elif key not in old:
            lines.append(f"  {key}: new (now: {new[key]})")
        elif old[key] != new[key]:
            if isinstance(old[key], dict) and isinstance(new[key], dict):
                cols = [c for c in list(old[key]) + [c for c in new[key] if c not in old[key]]
                        if old[key].get(c) != new[key].get(c)]
                lines.append(f"  {key}: " + "; ".join(
                    f"{c}: {old[key].get(c, '(none)')} -> {new[key].get(c, '(none)')}" for c in cols))
            else:
                lines.append(f"  {key}: " + "; ".join(_moved(str(old[key]), str(new[key]))))
                lines.append(f"      was: {old[key]}")
                lines.append(f"      now: {new[key]}")
    return lines


def _what(items: dict) -> str:
    if any(k.startswith("claim ") for k in items):
        return "claims table"
    if "title" in items:
        return f"findings box '{items['title']}'"
    return "guarded output"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if (report.when != "call" or not report.failed or call.excinfo is None
            or type(item).__name__ != "IPyNbCell" or "Cell outputs differ" not in str(call.excinfo.value)):
        return report
    reference, fresh = item.cell.outputs, item.test_outputs
    lines = explain(reference, fresh) or ["  (the outputs differ in a way no claim or finding line shows; "
                                          "see nbval's report below)"]
    where = item.nodeid.split("::")[0]
    keys = moved_keys(reference, fresh)
    head = (f"GUARDED OUTPUT MOVED: {', '.join(keys) or 'the output'} "
            f"({where}, code cell {item.cell_num}, the {_what(_items(reference))}). Stored -> now:")
    report.longrepr = "\n".join([head, *lines, HINT, "", "nbval's comparison:", str(report.longrepr)])
    return report
