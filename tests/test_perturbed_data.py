"""No data value is typed by hand where a reader sees it.

Every site run is executed twice: on the real data (the session's `repo_build`) and on a
perturbed copy of the repository in which every value of quotas.csv, exports.csv and
production.csv, and every tonnage or percent an article states in claims.csv, is multiplied
by its own factor between 1.07 and 1.67 (one factor per row, so ratios, growth rates and
shares move too, by more than their rounding). A number computed from the data then changes; a
number typed into a markdown cell, an alt text, a chart label in code or a sentence stays. The
test compares what a reader sees in each pair of executed notebooks, position by position:

- markdown cells and the string literals of code cells (alt texts, labels, sentences): any
  number that did not move fails;
- outputs (text, Markdown, HTML, alt text): a number that did not move fails when it is also
  written literally in the notebook or in src/helpers/**/*.py, i.e. typed into a helper that
  builds text. A statistic that rests on counts of months rather than on values (a placebo
  p-value, a smoothing parameter at its bound) may not move, and is not typed anywhere.

Numbers that should not move are never counted:

- years (1990-2039 written without a separator) and integers below 100 without a unit:
  calendar labels, counts of months, days of the month, ranks;
- the run's parameters (0.9 is also allowed as 90%);
- `METHOD_CONSTANTS`: numbers that describe the method, each with its reason.

The claims-table cells are not compared: they show the ledger's own stated numbers, and
tests/test_claims_ledger.py guards them.
"""
from __future__ import annotations

import ast
import csv
import difflib
import hashlib
import html
import io
import json
import re
import shutil
import tokenize
from pathlib import Path

import pytest

from conftest import REPO, run_report
from helpers import data
from nbreport.config import SWEEP_ENV

pytestmark = pytest.mark.notebook

SCALED_TABLES = ("quotas", "exports", "production")
CLAIM_UNITS = ("t", "t REO", "%")
METHOD_CONSTANTS = {
    "2,000": "models.N_DRAWS, the number of simulated counterfactual paths",
    "0.98": "statsmodels' cap on Holt's damping factor",
    "85051110": "the customs (HS) code of magnets",
    "50%": "the fan chart's inner interval and the first recovery threshold's default wording",
    "80%": "the fan chart's middle interval",
    "1.00": "the naive baseline's MAE divided by itself",
    "0.10": "the placebo test's significance level",
    "0.05": "the placebo test's significance level",
}

NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(\s?%|\s?t\b)?")
URL = re.compile(r"https?://\S+|href='[^']*'|href=\"[^\"]*\"")
TAG = re.compile(r"<[^>]+>")
BRACES = re.compile(r"\{[^{}]*\}")


# --------------------------------------------------------------------------- perturbing the data

def factor(key: str) -> float:
    """A factor in [1.07, 1.67], fixed for a key (row), so every row moves by its own amount."""
    h = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return 1.07 + 0.60 * h


def retype(text: str, old: float, new: float) -> str:
    """Replace the printed form of `old` in a locator or phrase by `new`, in the same style."""
    def repl(m: re.Match) -> str:
        digits, scale = m.group(1), (m.group(2) or "")
        if re.fullmatch(r"\d+,\d{1,2}", digits):  # a decimal comma ("10468,3"), as helpers.provenance reads it
            number, decimals = float(digits.replace(",", ".")), len(digits.split(",")[1])
            if abs(number - old) > 1e-6 * max(1.0, abs(old)):
                return m.group(0)
            return f"{round(new, decimals):.{decimals}f}".replace(".", ",") + scale
        number = float(digits.replace(",", "").replace(" ", ""))
        mult = {"kt": 1000.0, "thousand": 1000.0, "万": 1e4, "萬": 1e4}.get(scale.strip().lower(), 1.0)
        if abs(number * mult - old) > 1e-6 * max(1.0, abs(old)):
            return m.group(0)
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        shown = round(new / mult, decimals)
        sep = "," if "," in digits.split(".")[0] else (" " if " " in digits else "")
        body = f"{shown:,.{decimals}f}" if sep == "," else f"{shown:.{decimals}f}"
        if sep == " ":
            body = f"{shown:,.{decimals}f}".replace(",", " ")
        return body + scale
    pattern = (r"(?<![\d.])(?<!\d,)(\d+,\d{1,2}(?![\d])|\d{1,3}(?:[, ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
               r"(\s?(?:kt|thousand)\b|万|萬)?")
    return re.sub(pattern, repl, text)


def _printed(locator: str, new: float, integer: bool):
    """The number the retyped locator prints nearest to new (a locator rounds: '20.4kt' for 20,437)."""
    from helpers.data.numbers import numbers_in

    printed = min(numbers_in(locator, strict_scale=True), key=lambda n: abs(n - new), default=new)
    return int(round(printed)) if integer and float(printed).is_integer() else round(printed, 6)


def perturb(root: Path) -> None:
    """Scale every value of the data tables (and the articles' stated tonnages and percents) in a copy."""
    for name in SCALED_TABLES:
        path = root / "data" / f"{name}.csv"
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            fields, rows = reader.fieldnames, list(reader)
        moved = {}
        for i, row in enumerate(rows):
            if not row["value"]:
                continue
            old = float(row["value"])
            new = old * factor(f"{name}:{i}")
            new = round(new) if "." not in row["value"] else round(new, 2)
            row["locator"] = retype(row["locator"], old, new)
            if row["status"] == "reported":  # the loaders refuse a value its locator does not print: keep them agreeing
                new = _printed(row["locator"], new, integer="." not in row["value"])
            row["value"] = str(new)
            if row.get("expression"):  # the loaders check it gives the value: the moved value is its arithmetic
                row["expression"] = str(new)
            moved.setdefault(old, new)
        for row in rows:  # a derived row's formula quotes values of the table: they move with them
            for old, new in moved.items():
                if row.get("formula"):
                    row["formula"] = retype(row["formula"], old, new)
        _write(path, fields, rows)
    path = root / "data" / "claims.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    for row in rows:
        if row["unit"] not in CLAIM_UNITS or not row["stated"]:
            continue
        old = float(row["stated"])
        decimals = len(row["stated"].split(".")[1]) if "." in row["stated"] else 0
        new = round(old * factor(row["claim_id"]), decimals)
        new = int(new) if decimals == 0 else new
        text = retype(row["stated_text"], old, new)
        if text == row["stated_text"]:  # printed in words ('about a quarter'): the ledger keeps it
            continue
        row["stated"], row["stated_text"] = str(new), text
        row["phrase"] = retype(row["phrase"], old, new)
    _write(path, fields, rows)


def _write(path: Path, fields, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# --------------------------------------------------------------------------- what a reader sees

def _string_literals(source: str) -> list[str]:
    """The literal text of a code cell's strings (f-string fields removed): labels, alt texts, sentences."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                out.append(BRACES.sub(" ", tok.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out.append(source)
    return out


def _figure_alt(output: dict) -> str | None:
    """A chart's alt text: in its PNG's metadata, or, where no image was drawn (the perturbed build,
    as a sweep point: helpers.plots.output.show), in its text's."""
    meta = output.get("metadata", {})
    return (meta.get("image/png") or meta.get("text/plain") or {}).get("alt")


def _output_text(output: dict) -> list[str]:
    texts = []
    data = output.get("data", {})
    if "text/markdown" in data:
        texts.append("".join(data["text/markdown"]))
    elif "text/html" in data:
        texts.append(html.unescape(TAG.sub(" ", URL.sub(" ", "".join(data["text/html"])))))
    elif "text/plain" in data and "image/png" not in data:
        texts.append("".join(data["text/plain"]))
    alt = _figure_alt(output)
    if alt:
        texts.append(alt)
    if output.get("output_type") == "stream":
        texts.append("".join(output.get("text", "")))
    return texts


def reader_texts(nb: dict) -> list[tuple[str, str, bool]]:
    """(place, text, typed) for everything a reader of the run's page sees, claims tables left out.

    typed is True for text written in the notebook (markdown, string literals), False for outputs."""
    out = []
    for i, cell in enumerate(nb["cells"]):
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            out.append((f"markdown cell {i}", source, True))
            continue
        if "show_claims(" in source or "parameters" in cell.get("metadata", {}).get("tags", []) \
                or "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        for j, text in enumerate(_string_literals(source)):
            out.append((f"code cell {i}, string {j}", text, True))
        for k, output in enumerate(cell.get("outputs", [])):
            for text in _output_text(output):
                out.append((f"code cell {i}, output {k}", text, False))
    return out


def _value(token: str) -> float:
    return float(token.replace(",", "").rstrip("%t ").strip())


def _code_literals(source: str) -> list[str]:
    """The string constants of Python code (where text is typed), docstrings left out (they reach no page)."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str)}
    return [str(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and id(node) not in docstrings
            and isinstance(node.value, str)]


def literals(nb: dict) -> set[float]:
    """Every number written in the notebook's cells or in the code of src/helpers/**/*.py (what a typed value would be)."""
    texts = ["".join(c["source"]) for c in nb["cells"]]
    for path in sorted(p for p in (REPO / "src" / "helpers").rglob("*.py") if "drafting" not in p.parts):
        texts += _code_literals(path.read_text(encoding="utf-8"))
    found = set()
    for text in texts:
        for m in re.finditer(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?", text):
            found.add(float(m.group(0).replace(",", "")))
    return found


def _data_like(token: str) -> bool:
    """A number precise enough that finding it typed in a source is no accident: 3+ digits, a separator or a decimal."""
    digits = re.sub(r"\D", "", token.split(".")[0])
    return "," in token or "." in token or len(digits.lstrip("0")) >= 3


def numbers(text: str, allowed: set[str]) -> list[str]:
    """The data-like numbers in a text, normalised ('132,000 t', '10.4%'), allowed ones dropped."""
    found = []
    for m in NUMBER.finditer(URL.sub(" ", text)):
        whole, frac, unit = m.group(1), m.group(2) or "", (m.group(3) or "").strip()
        token = whole + frac + (f" {unit}" if unit == "t" else unit)
        if not frac and not unit and "," not in whole and (int(whole) < 100 or 1990 <= int(whole) <= 2039):
            continue
        if token in allowed or (whole + frac) in allowed:
            continue
        found.append(token)
    return found


def run_parameters(nb: dict) -> set[str]:
    """Every number in the run's parameter cells, also as a percent (0.9 -> 90%)."""
    allowed = set()
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            for m in re.finditer(r"(?<![\w.])\d+(?:\.\d+)?", "".join(cell["source"])):
                allowed.add(m.group(0))
                value = float(m.group(0))
                allowed.update({f"{value:.1f}", f"{value:.2f}"})  # 0.2 printed as 0.20 is the same number
                if 0 < value <= 1:
                    allowed.add(f"{value * 100:g}%")
    return allowed


def unmoved(original: dict, perturbed: dict) -> list[str]:
    """Numbers shown in the same place on both pages: typed by hand, or not computed from the data."""
    allowed = set(METHOD_CONSTANTS) | run_parameters(perturbed)
    a, b = reader_texts(original), reader_texts(perturbed)
    written = literals(perturbed)
    problems = []
    places = {place: text for place, text, _ in b}
    for place, text, typed in a:
        if place not in places:
            continue
        na, nb_ = numbers(text, allowed), numbers(places[place], allowed)
        if len(na) == len(nb_):
            same = [x for x, y in zip(na, nb_) if x == y]
        else:
            sm = difflib.SequenceMatcher(a=na, b=nb_, autojunk=False)
            same = [x for blk in sm.get_matching_blocks() for x in na[blk.a:blk.a + blk.size]]
        if not typed:
            same = [x for x in same if _data_like(x) and _value(x) in written]
        if same:
            flat = " ".join(places[place].split())
            at = max(flat.find(same[0].split()[0]), 0)
            excerpt = ("..." if at > 100 else "") + flat[max(at - 100, 0):at + 140]
            problems.append(f"{place}: {', '.join(dict.fromkeys(same))} did not move with the data -- \"{excerpt}\"")
    return problems


# --------------------------------------------------------------------------- the tests

@pytest.fixture(scope="module")
def perturbed_build(tmp_path_factory):
    base = tmp_path_factory.mktemp("perturbed")
    root = base / "repo"
    root.mkdir()
    for folder in ("data", "notebooks"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(REPO / "environment.yml", root / "environment.yml")
    if (REPO.parent / "shared").exists():
        (base / "shared").symlink_to(REPO.parent / "shared")
    perturb(root)
    # the site runs only: a sweep's points are not pages, and their numbers are the same code's (CI time)
    only = [a for rid in site_runs() for a in ("--only", rid)]
    # and no chart is laid out or rasterised, as in a sweep point (SWEEP_ENV): the comparison reads a
    # chart's alt text, never its pixels, and the images were half of this build's CPU
    proc = run_report(root, "--build-dir", str(base / "build"), "--site-dir", str(base / "site"), *only,
                      env={SWEEP_ENV: "perturbed-data"}, timeout=1200)
    return base / "build", proc


def site_runs():
    from nbreport import manifest as manifest_mod

    man = manifest_mod.load(REPO / "notebooks" / "manifest.yml", root=REPO)
    return [r.id for _, r in man.runs(site_only=True)]


@pytest.mark.parametrize("run_id", site_runs())
def test_no_number_on_the_page_survives_a_change_of_the_data(repo_build, perturbed_build, run_id):
    build, proc = perturbed_build
    path = build / "notebooks" / f"{run_id}.ipynb"
    assert path.is_file(), f"the perturbed build did not execute {run_id}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    state = json.loads((build / "state.json").read_text(encoding="utf-8"))["runs"][run_id]
    assert state["error"] is None, f"{run_id} fails on perturbed data: {state['error']}"
    problems = unmoved(repo_build.notebook(run_id), json.loads(path.read_text(encoding="utf-8")))
    assert not problems, (f"{run_id}: numbers typed by hand (or not formatted from the data) -- they stayed the same when "
                          "every data value was scaled. Format them from the data (helpers.narrative) or the ledger "
                          "(articles.said / articles.fill):\n  " + "\n  ".join(problems))


def test_a_retyped_number_is_caught(repo_build, perturbed_build):
    """The comparison itself: a data value typed into a markdown cell and into an alt text is reported."""
    build, _ = perturbed_build
    run_id = "ainvest-2025-magnet-rebound"
    original = repo_build.notebook(run_id)
    perturbed = json.loads((build / "notebooks" / f"{run_id}.ipynb").read_text(encoding="utf-8"))
    assert unmoved(original, perturbed) == []
    typed = "They did: July's magnet exports reached 5,577 t, +74.9% on June."
    for nb in (original, perturbed):
        nb["cells"].append({"cell_type": "markdown", "id": "typed", "metadata": {}, "source": typed})
    problems = unmoved(original, perturbed)
    assert len(problems) == 1 and "5,577 t" in problems[0] and "74.9%" in problems[0], problems
    # a number written in the notebook (here a comment) that an alt text shows: the chart is drawn in
    # the real build, not in the perturbed one, and its alt text is read from either
    charts = [[(c, o) for c in nb["cells"] for o in c.get("outputs", []) if _figure_alt(o)] for nb in (original, perturbed)]
    assert charts[0] and len(charts[0]) == len(charts[1]), "the two builds show the same charts"
    assert "image/png" in charts[0][0][1]["data"] and "image/png" not in charts[1][0][1]["data"]
    for (cell, out), mime in zip((charts[0][0], charts[1][0]), ("image/png", "text/plain")):
        cell["source"] = "".join(cell["source"]) + "\n# peak 6,123 t"
        out["metadata"][mime]["alt"] += " Peak: 6,123 t."
    problems = unmoved(original, perturbed)
    assert len(problems) == 2 and any(", output " in p and "6,123 t" in p for p in problems), problems


def test_perturbing_moves_every_value_and_keeps_locators_printing_them(tmp_path):
    shutil.copytree(REPO / "data", tmp_path / "data")
    (tmp_path / "notebooks").mkdir()
    perturb(tmp_path)
    before = list(csv.DictReader((REPO / "data" / "quotas.csv").open(encoding="utf-8")))
    after = list(csv.DictReader((tmp_path / "data" / "quotas.csv").open(encoding="utf-8")))
    moved = [(a["value"], b["value"]) for a, b in zip(before, after) if a["value"]]
    assert moved and all(a != b for a, b in moved)
    row = next(b for a, b in zip(before, after) if a["stage"] == "mining" and a["year"] == "2019" and a["preferred"] == "true")
    assert f"{int(row['value']):,}" in row["locator"], row
    for name in SCALED_TABLES:  # every reported value is still printed by its locator (the loaders may check it)
        old = list(csv.DictReader((REPO / "data" / f"{name}.csv").open(encoding="utf-8")))
        new = list(csv.DictReader((tmp_path / "data" / f"{name}.csv").open(encoding="utf-8")))
        stale = [(a["value"], a["locator"]) for a, b in zip(old, new)
                 if a["value"] and a["status"] == "reported" and a["locator"] == b["locator"]]
        assert not stale, f"{name}: locators that no longer print their perturbed value: {stale[:3]}"
    assert data.validate_all(tmp_path / "data") == [], "the loaders refuse the perturbed copy"
    assert retype("remained at 19.1kt REO", 19100, 20437) == "remained at 20.4kt REO"
    assert retype("World production,137000", 137000, 150000) == "World production,150000"
    assert retype("estimated at 124 000 tons", 124000, 131000) == "estimated at 131 000 tons"
    assert retype("指标为8.92万吨", 89200, 100000) == "指标为10.00万吨"
    assert retype("在一月-феврале 10468,3, согласно", 10468.3, 11000.04) == "在一月-феврале 11000,0, согласно"
    assert retype("出口稀土4753吨,进口9471吨", 4753, 5000) == "出口稀土5000吨,进口9471吨"
