"""A malformed data file gets a message naming the file, line, column and what was expected.

Each case writes a broken copy of a small valid data set to a temporary folder;
the real data/ is never touched.
"""
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from conftest import REPO, make_project, run_report, write_table
from helpers import data, paths
from nbreport import manifest

GOOD = {
    "sources": [
        {"source_id": "doc_a", "publisher": "Reuters via Example", "title": "Quota rises", "published": "2019-11-08",
         "address": "https://example.org/a", "accessed": "2026-11-24", "kind": "wire copy"},
        {"source_id": "doc_b", "publisher": "USGS", "title": "MCS 2025", "published": "2025",
         "address": "https://example.org/b", "accessed": "2026-11-24", "kind": "statistical publication"},
    ],
    "quotas": [
        {"stage": "mining", "year": "2019", "part": "annual", "segment": "total", "value": "132000", "unit": "t REO",
         "status": "reported", "source_id": "doc_a", "locator": "132,000 tons", "preferred": "true"},
        {"stage": "mining", "year": "2019", "part": "first_batch", "segment": "total", "value": "60000",
         "unit": "t REO", "status": "reported", "source_id": "doc_a", "locator": "60,000 mt", "preferred": "true"},
        {"stage": "mining", "year": "2019", "part": "second_batch", "segment": "total", "value": "72000",
         "unit": "t REO", "status": "derived", "formula": "132,000 - 60,000", "expression": "132000 - 60000",
         "source_id": "doc_a",
         "locator": "132,000 tons", "preferred": "true"},
        {"stage": "mining", "year": "2025", "part": "first_batch", "segment": "total", "value": "",
         "unit": "t REO", "status": "undisclosed", "source_id": "doc_a", "locator": "did not give the quota volumes",
         "preferred": "true"},
    ],
    "exports": [
        {"series": "magnets", "partner": "World", "period_kind": "month", "period_start": "2025-06",
         "period_end": "2025-06", "value": "3188", "unit": "t", "status": "reported", "source_id": "doc_a",
         "locator": "3,188 metric tons", "preferred": "true"},
        {"series": "magnets", "partner": "World", "period_kind": "month", "period_start": "2025-08",
         "period_end": "2025-08", "value": "6146", "unit": "t", "status": "reported", "source_id": "doc_a",
         "locator": "6,146 metric tons", "preferred": "true"},
    ],
    "production": [
        {"country": "China", "year": "2024", "edition": "MCS 2025", "value": "270000", "unit": "t REO",
         "estimated": "false", "status": "reported", "source_id": "doc_b", "locator": "270,000", "preferred": "true"},
    ],
    "events": [
        {"event_id": "licensing", "date": "2025-04-04", "precision": "day", "date_basis": "stated",
         "kind": "export_control", "title": "Licensing of seven rare earths", "source_id": "doc_a",
         "locator": "imposed on April 4"},
    ],
    "claims": [
        {"claim_id": "doc_a__licensing_day", "source_id": "doc_a", "phrase": "imposed on April 4", "stated": "20250404",
         "stated_text": "April 4", "unit": "date", "qualifier": "exact", "recipe": "", "not_checkable_reason":
         "a test row", "expected_status": "not_checkable"},
        {"claim_id": "doc_a__licensing_month", "source_id": "doc_a", "phrase": "in April", "stated": "202504",
         "stated_text": "April", "unit": "month", "qualifier": "exact", "recipe": "", "not_checkable_reason":
         "a test row", "expected_status": "not_checkable"},
    ],
    "controlled_elements": [
        {"event_id": "licensing", "element": "samarium", "item": "materials", "source_id": "doc_a", "locator": "钐"},
        {"event_id": "licensing", "element": "samarium", "item": "permanent_magnets", "source_id": "doc_a",
         "locator": "钐钴永磁材料"},
    ],
}


@pytest.fixture
def datadir(tmp_path):
    package = json.loads(paths.DATAPACKAGE.read_text())
    package["resources"] = [r for r in package["resources"] if r["name"] in GOOD]
    (tmp_path / "datapackage.json").write_text(json.dumps(package))
    for name, rows in GOOD.items():
        write_table(tmp_path, name, rows, package)
    return tmp_path


def edit(datadir, name, row_index, **changes):
    rows = [dict(r) for r in GOOD[name]]
    rows[row_index].update(changes)
    write_table(datadir, name, rows)


def fails(datadir, table, *fragments):
    with pytest.raises(data.DataError) as err:
        data.load_table(table, datadir)
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in message
    return message


def test_the_small_data_set_is_valid(datadir):
    assert data.validate_all(datadir) == []
    q = data.load_quotas(data_dir=datadir)
    assert q["value"].dtype == "float64" and q["year"].dtype == "Int64"
    assert isinstance(q["stage"].dtype, pd.CategoricalDtype)
    assert q.loc[q["year"] == 2025, "value"].isna().all()
    e = data.load_exports(data_dir=datadir)
    assert str(e["period_end"].dtype) == "period[M]"
    m = data.monthly_exports("magnets", data_dir=datadir)
    assert list(m.index.astype(str)) == ["2025-06", "2025-07", "2025-08"]
    assert pd.isna(m["2025-07"]), "an absent month must stay missing, not be interpolated"


def test_non_numeric_value(datadir):
    edit(datadir, "quotas", 0, value="132,000")
    fails(datadir, "quotas", "data", "quotas.csv, line 2, column 'value'", "expected a number, got '132,000'",
          "without thousands separators")


def test_unknown_unit(datadir):
    edit(datadir, "exports", 1, unit="kg")
    fails(datadir, "exports", "exports.csv, line 3, column 'unit'", "expected one of ['t'], got 'kg'")


def test_unknown_source_id(datadir):
    edit(datadir, "quotas", 1, source_id="doc_zzz")
    fails(datadir, "quotas", "quotas.csv, line 3, column 'source_id'", "unknown source_id 'doc_zzz'",
          "expected an id listed in sources.csv")


def test_missing_source_id(datadir):
    edit(datadir, "production", 0, source_id="")
    fails(datadir, "production", "production.csv, line 2, column 'source_id'", "a value is required")


def test_duplicate_key(datadir):
    rows = GOOD["quotas"] + [dict(GOOD["quotas"][0], value="120000")]
    write_table(datadir, "quotas", rows)
    fails(datadir, "quotas", "quotas.csv, line 6", "duplicate key", "already on line 2")


def test_two_preferred_rows_for_one_key(datadir):
    rows = GOOD["quotas"] + [dict(GOOD["quotas"][0], source_id="doc_b")]
    write_table(datadir, "quotas", rows)
    fails(datadir, "quotas", "column 'preferred'", "needs exactly one row with preferred=true, found 2")


def test_negative_tonnage(datadir):
    edit(datadir, "exports", 0, value="-3188")
    fails(datadir, "exports", "exports.csv, line 2, column 'value'", "negative value is not allowed", "t")


def test_period_out_of_range(datadir):
    edit(datadir, "quotas", 0, year="1999")
    fails(datadir, "quotas", "column 'year'", "expected at least 2006")
    edit(datadir, "exports", 0, period_start="2025-13", period_end="2025-13")
    fails(datadir, "exports", "column 'period_start'", "expected a year and month YYYY-MM, got '2025-13'")


def test_inconsistent_period(datadir):
    edit(datadir, "exports", 0, period_end="2025-07")
    fails(datadir, "exports", "line 2, column 'period_kind'", "a month must start and end in the same month")


def test_missing_column(datadir):
    path = datadir / "events.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    idx = header.index("precision")
    path.write_text("\n".join(",".join(c for i, c in enumerate(l.split(",")) if i != idx) for l in lines) + "\n")
    fails(datadir, "events", "events.csv, line 1", "missing column(s) ['precision']", "expected the header")


def test_renamed_column(datadir):
    path = datadir / "production.csv"
    path.write_text(path.read_text().replace("edition", "edtion", 1))
    fails(datadir, "production", "missing column(s) ['edition']", "unknown column(s) ['edtion']")


def test_not_valid_csv(datadir):
    (datadir / "sources.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    fails(datadir, "sources", "sources.csv, line 1, column 1: not UTF-8 text (byte 0x89)")
    (datadir / "sources.csv").write_bytes(b"source_id,publisher\x00\n")
    fails(datadir, "sources", "sources.csv: not a CSV file (it contains NUL bytes)")
    path = datadir / "quotas.csv"
    path.write_text(path.read_text() + 'mining,2020,annual,total,"140000,t REO\n')
    fails(datadir, "quotas", "quotas.csv, line", "CSV")


def test_wrong_field_count(datadir):
    path = datadir / "quotas.csv"
    path.write_text(path.read_text() + "mining,2020,annual\n")
    fails(datadir, "quotas", "quotas.csv, line 6", "expected 13 fields, got 3")


def test_derived_row_needs_its_formula(datadir):
    edit(datadir, "quotas", 2, formula="")
    fails(datadir, "quotas", "line 4, column 'formula'", "required when status is 'derived'")


def test_reported_value_cannot_be_empty_and_undisclosed_cannot_have_one(datadir):
    edit(datadir, "quotas", 0, value="")
    fails(datadir, "quotas", "line 2, column 'value'", "required when status is not 'undisclosed'")
    edit(datadir, "quotas", 3, value="100000")
    fails(datadir, "quotas", "line 5, column 'value'", "must have no value when status is 'undisclosed'")


def test_missing_file_and_every_problem_listed(datadir):
    (datadir / "events.csv").unlink()
    fails(datadir, "events", "events.csv: file is missing")
    edit(datadir, "exports", 0, value="x")
    edit_rows = [dict(r) for r in GOOD["exports"]]
    edit_rows[0]["value"] = "x"
    edit_rows[1]["unit"] = "kg"
    write_table(datadir, "exports", edit_rows)
    message = fails(datadir, "exports", "2 problem(s)", "line 2, column 'value'", "line 3, column 'unit'")
    assert message.count("exports.csv") == 2


def test_unknown_filter_value_is_named(datadir):
    with pytest.raises(ValueError, match=r"quotas.stage: unknown value 'refining'; expected one of \['mining', 'smelting'\]"):
        data.load_quotas(stage="refining", data_dir=datadir)


def test_an_edit_is_picked_up_without_restarting(datadir):
    assert data.load_table("production", datadir)["value"].iloc[0] == 270000
    edit(datadir, "production", 0, value="255000", locator="255,000")
    assert data.load_table("production", datadir)["value"].iloc[0] == 255000


# --------------------------------------------------------------------------- every kind, at every reader
#
# Each case breaks a copy of the small data set; the loaders (in the kernel), `make check-data`
# and `make report` must all refuse it with the file, line, column and what was expected, and
# the first thing printed must be that message, never a traceback.

def _rewrite(datadir, name, fn, encoding="utf-8"):
    path = datadir / f"{name}.csv"
    path.write_bytes(fn(path.read_text(encoding="utf-8")).encode(encoding))


def _line(datadir, name, n, fn):
    """Apply fn to physical line n (1 = header) of a table."""
    def change(text):
        lines = text.split("\n")
        lines[n - 1] = fn(lines[n - 1])
        return "\n".join(lines)
    _rewrite(datadir, name, change)


def _package(datadir, fn):
    path = datadir / "datapackage.json"
    path.write_text(fn(path.read_text(encoding="utf-8")), encoding="utf-8")


def _descriptor(datadir, fn):
    """Change the descriptor as JSON and write it back one resource per line (lines stay predictable)."""
    pkg = json.loads((datadir / "datapackage.json").read_text(encoding="utf-8"))
    fn(pkg)
    (datadir / "datapackage.json").write_text(json.dumps(pkg, indent=1), encoding="utf-8")


def _field(pkg, table, name):
    res = next(r for r in pkg["resources"] if r["name"] == table)
    return next(f for f in res["schema"]["fields"] if f["name"] == name)


def _dup_header(text):
    head, rest = text.split("\n", 1)
    return head.replace("edition", "year", 1) + "\n" + rest


def _semicolons(text):
    import csv as _csv
    import io as _io
    rows = list(_csv.reader(_io.StringIO(text)))
    out = _io.StringIO()
    _csv.writer(out, delimiter=";", lineterminator="\n").writerows(
        [[c.replace("4087.6", "4087,6") for c in r] for r in rows])
    return out.getvalue()


BROKEN = {
    # a reported value its locator does not print, whatever the scale of the typo
    "thousands_dot": (lambda d: edit(d, "quotas", 0, value="132.000"), "quotas",
                      ["quotas.csv, line 2, column 'value'", "132 is not printed in its locator", "'132,000 tons'"]),
    "scale_word": (lambda d: edit(d, "quotas", 0, value="132", locator="132 thousand tons"), "quotas",
                   ["quotas.csv, line 2, column 'value'", "132 is not printed in its locator"]),
    "extra_zero": (lambda d: edit(d, "exports", 1, value="61460"), "exports",
                   ["exports.csv, line 3, column 'value'", "61,460 is not printed", "expected the number as the source"]),
    # a long locator is shown whole: the number the reader must compare sits in its middle
    "long_locator": (lambda d: edit(d, "exports", 1, value="6164", locator=(
        "In August, China exported 6,146 metric tons of rare earth permanent magnets, customs data showed")),
        "exports", ["exports.csv, line 3, column 'value'", "6,164 is not printed",
                    "'In August, China exported 6,146 metric tons of rare earth permanent magnets, customs data showed'"]),
    "production_typo": (lambda d: edit(d, "production", 0, value="27000"), "production",
                        ["production.csv, line 2, column 'value'", "27,000 is not printed"]),
    # a derived row's expression: syntax, references, result (helpers.data.expressions)
    "expression_syntax": (lambda d: edit(d, "quotas", 2, expression="132000 -"), "quotas",
                          ["quotas.csv, line 4, column 'expression'", "not complete arithmetic"]),
    "expression_separator": (lambda d: edit(d, "quotas", 2, expression="132,000 - 60,000"), "quotas",
                             ["quotas.csv, line 4, column 'expression'", "expected numbers as 5278, not 5,278"]),
    "expression_word": (lambda d: edit(d, "quotas", 2, expression="annual - 60000"), "quotas",
                        ["quotas.csv, line 4, column 'expression'", "contains 'annual'", "expected only numbers"]),
    "expression_unknown_reference": (
        lambda d: edit(d, "quotas", 2, expression="{mining/2019/annual/total/doc_z} - 60000"), "quotas",
        ["quotas.csv, line 4, column 'expression'", "{mining/2019/annual/total/doc_z} does not resolve",
         "expected the stage/year/part/segment/source_id of a row"]),
    "expression_short_reference": (lambda d: edit(d, "quotas", 2, expression="{mining/2019/annual} - 60000"),
                                   "quotas", ["quotas.csv, line 4, column 'expression'", "names 3 key value(s): expected 5"]),
    "expression_wrong_result": (lambda d: edit(d, "quotas", 2, expression="132000 - 6000"), "quotas",
                                ["quotas.csv, line 4, column 'expression'", "'132000 - 6000' gives 126000.00, not the "
                                 "value 72000", "within ±0.5"]),
    "expression_zero_division": (lambda d: edit(d, "quotas", 2, expression="132000 / (1 - 1)"), "quotas",
                                 ["quotas.csv, line 4, column 'expression'", "divides by zero",
                                  "expected arithmetic that gives 72000"]),
    "expression_circular": (lambda d: edit(d, "quotas", 2, expression="{mining/2019/second_batch/total/doc_a} + 0"),
                            "quotas", ["quotas.csv, line 4, column 'expression'", "lead back to the row itself"]),
    # non-finite or overflowing numbers
    "number_1e400": (lambda d: edit(d, "exports", 0, value="1e400"), "exports",
                     ["exports.csv, line 2, column 'value'", "expected a finite number, got '1e400'"]),
    "number_underflow": (lambda d: edit(d, "exports", 0, value="1e-400"), "exports",
                         ["exports.csv, line 2, column 'value'", "expected a finite number, got '1e-400'"]),
    # a row whose contents were deleted, or an empty line added: the row would vanish without a word
    "emptied_row": (lambda d: _line(d, "exports", 3, lambda ln: ""), "exports",
                    ["exports.csv, line 3: blank row: expected", "restore the row or delete the line"]),
    "commas_only_row": (lambda d: _line(d, "exports", 3, lambda ln: "," * ln.count(",")), "exports",
                        ["exports.csv, line 3: blank row"]),
    "added_blank_line": (lambda d: _rewrite(d, "quotas", lambda t: t.rstrip("\n") + "\n\n"), "quotas",
                         ["quotas.csv, line", "blank row"]),
    "tabs": (lambda d: _rewrite(d, "sources", lambda t: t.replace(",", "\t")), "sources",
             ["sources.csv, line 1", "separated by tabs"]),
    "number_400_nines": (lambda d: edit(d, "quotas", 1, value="9" * 400), "quotas",
                         ["quotas.csv, line 3, column 'value'", "expected a finite number", "(400 characters)"]),
    "integer_400_nines": (lambda d: edit(d, "events", 0, quota_year="9" * 400), "events",
                          ["events.csv, line 2, column 'quota_year'", "expected a whole number of at most 18 digits"]),
    # impossible calendar values, in every date or month field
    "published_month_13": (lambda d: edit(d, "sources", 0, published="2019-13"), "sources",
                           ["sources.csv, line 2, column 'published'", "impossible month 13 in '2019-13'"]),
    "published_day_32": (lambda d: edit(d, "sources", 0, published="2019-11-32"), "sources",
                         ["sources.csv, line 2, column 'published'", "impossible date '2019-11-32'"]),
    "accessed_feb_30": (lambda d: edit(d, "sources", 1, accessed="2026-02-30"), "sources",
                        ["sources.csv, line 3, column 'accessed'", "expected a date YYYY-MM-DD, got '2026-02-30'"]),
    "event_date": (lambda d: edit(d, "events", 0, date="2025-02-29"), "events",
                   ["events.csv, line 2, column 'date'", "impossible date '2025-02-29'"]),
    "period_month_13": (lambda d: edit(d, "exports", 0, period_start="2025-13"), "exports",
                        ["exports.csv, line 2, column 'period_start'", "expected a year and month YYYY-MM"]),
    "claim_stated_date": (lambda d: edit(d, "claims", 0, stated="20191132"), "claims",
                          ["claims.csv, line 2, column 'stated'", "impossible date '20191132'", "unit is date"]),
    "claim_stated_month": (lambda d: edit(d, "claims", 1, stated="201913"), "claims",
                           ["claims.csv, line 3, column 'stated'", "impossible month 13", "unit is month"]),
    # what spreadsheets write
    "bom": (lambda d: (d / "sources.csv").write_bytes(b"\xef\xbb\xbf" + (d / "sources.csv").read_bytes()), "sources",
            ["sources.csv, line 1, column 1", "byte-order mark"]),
    "cp1252": (lambda d: edit(d, "quotas", 1, locator="60,000 mt \u2013 caf\u00e9") or
               _rewrite(d, "quotas", lambda t: t, encoding="cp1252"), "quotas",
               ["quotas.csv, line 3, column ", "not UTF-8 text (byte 0x96", "Windows-1252", "expected UTF-8"]),
    "semicolons": (lambda d: _rewrite(d, "exports", _semicolons), "exports",
                   ["exports.csv, line 1", "separated by ';'", "expected the header series,partner"]),
    "decimal_comma": (lambda d: edit(d, "exports", 0, value="3188,5"), "exports",
                      ["exports.csv, line 2, column 'value'", "got '3188,5'", "decimal comma"]),
    "header_only": (lambda d: write_table(d, "events", []), "events",
                    ["events.csv, line 2", "header but no rows", "expected at least one row"]),
    "duplicate_column": (lambda d: _rewrite(d, "production", _dup_header), "production",
                         ["production.csv, line 1", "duplicate column 'year' (columns 2 and 3)"]),
    "line_separator": (lambda d: _line(d, "quotas", 3, lambda l: l.replace("60,000 mt", "60,000\u2028mt"))
                       or _line(d, "quotas", 4, lambda l: l.replace("72000", "x")), "quotas",
                       ["quotas.csv, line 3, column 'locator'", "line separator (U+2028)",
                        "quotas.csv, line 4, column 'value'"]),
    "next_line": (lambda d: _line(d, "sources", 2, lambda l: l.replace("Quota rises", "Quota\x85rises"))
                  or _line(d, "sources", 3, lambda l: l.replace("2026-11-24", "2026-11-31")), "sources",
                  ["sources.csv, line 2, column 'title'", "next-line character (U+0085)",
                   "sources.csv, line 3, column 'accessed'"]),
    "form_feed": (lambda d: _line(d, "events", 2, lambda l: l.replace("seven", "seven\x0c")), "events",
                  ["events.csv, line 2, column 'title'", "a form feed"]),
    # duplicate keys in JSON; broken descriptors
    "json_duplicate_resources": (lambda d: _package(d, lambda t: t.rstrip().rstrip("}") + ', "resources": []}'),
                                 "quotas", ["datapackage.json, line", "duplicate key 'resources' in the top level",
                                            "(first on line"]),
    "json_syntax": (lambda d: _package(d, lambda t: t.replace('"name": "quotas",', '"name": "quotas"', 1)),
                    "quotas", ["datapackage.json, line", ", column", "not valid JSON (Expecting ',' delimiter)"]),
    "json_nan": (lambda d: _package(d, lambda t: t.replace('"minimum": 0', '"minimum": NaN', 1)), "quotas",
                 ["datapackage.json, line", ", column", "not valid JSON", "NaN and Infinity are not JSON"]),
    "resources_misspelt": (lambda d: _package(d, lambda t: t.replace('"resources"', '"resorces"', 1)), "quotas",
                           ["datapackage.json, line", "no 'resources' key (found 'resorces': misspelt?)"]),
    "bad_pattern": (lambda d: _descriptor(d, lambda p: _field(p, "production", "edition")["constraints"]
                                          .update(pattern="^(MCS|MYB")), "production",
                    ["datapackage.json, line", "production.edition: pattern '^(MCS|MYB' is not a valid regular expression"]),
    "bad_type": (lambda d: _descriptor(d, lambda p: _field(p, "quotas", "year").update(type="interger")), "quotas",
                 ["datapackage.json, line", "quotas.year: unknown or unsupported type 'interger' (found 'integer': misspelt?)",
                  "expected one of string, integer"]),
    "missing_descriptor": (lambda d: (d / "datapackage.json").unlink(), "quotas",
                           ["datapackage.json: the data package descriptor (datapackage.json) is missing"]),
    # a rejected row that was marked preferred: one error, not a second 'found 0 preferred'
    "rejected_preferred": (lambda d: edit(d, "quotas", 0, value="13x000"), "quotas",
                           ["quotas.csv, line 2, column 'value'", "expected a number, got '13x000'"]),
}


def _descriptor_line(datadir, text):
    return next(i for i, l in enumerate((datadir / "datapackage.json").read_text().splitlines(), 1) if text in l)


def _descriptor_value_place(datadir, key, value_start, line_has=""):
    """'line L, column C' of the value after `key` (its first character, `value_start`) on the first
    line holding `key` and `line_has`, found in the text (not by the reader under test)."""
    for i, line in enumerate((datadir / "datapackage.json").read_text().splitlines(), 1):
        if key in line and line_has in line:
            return f"line {i}, column {line.index(value_start, line.index(key) + len(key)) + 1}"
    raise AssertionError(f"{key} is not in the descriptor")


@pytest.fixture
def project(tmp_path):
    """A repository-shaped folder: the small data set in data/, a manifest with one notebook."""
    root = make_project(tmp_path / "proj", {"models/m.ipynb": ["print('the notebook ran')"]},
                        "notebooks:\n  - path: models/m.ipynb\n    kind: model\n    title: M\n    runs: [{id: m}]\n")
    for f in (root / "data").iterdir():
        f.unlink()
    write_good_data(root / "data")
    return root


def write_good_data(ddir):
    """The small valid data set (GOOD) in `ddir`, under the real schema of its tables, one key per line."""
    ddir.mkdir(parents=True, exist_ok=True)
    package = json.loads(paths.DATAPACKAGE.read_text())
    package["resources"] = [r for r in package["resources"] if r["name"] in GOOD]
    (ddir / "datapackage.json").write_text(json.dumps(package, indent=1))
    for name, rows in GOOD.items():
        write_table(ddir, name, rows, package)


def check_data(root):
    env = {**os.environ, "NBREPORT_ROOT": str(root)}
    return subprocess.run([sys.executable, "-m", "helpers.data"], capture_output=True, text=True, env=env,
                          cwd=str(REPO), timeout=120)


def _no_traceback_first(text):
    assert "Traceback" not in text, text
    assert text.strip(), "nothing was printed"


def test_the_small_project_passes_every_reader(project):
    proc = check_data(project)
    assert proc.returncode == 0 and "data OK" in proc.stdout, proc.stdout + proc.stderr
    proc = run_report(project)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_every_kind_is_refused_by_loaders_check_data_and_report(project, kind):
    break_it, table, fragments = BROKEN[kind]
    ddir = project / "data"
    break_it(ddir)
    # the loaders, as a notebook kernel calls them
    message = fails(ddir, table, *fragments)
    assert "found 0" not in message
    # make check-data
    proc = check_data(project)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    _no_traceback_first(out)
    assert "found 0" not in out, out
    for fragment in fragments:
        assert fragment in out, out
    # make report: refused before any notebook runs, the site untouched
    proc = run_report(project)
    err = proc.stdout + proc.stderr
    assert proc.returncode == 2, err
    _no_traceback_first(err)
    assert err.startswith("report: the data cannot be used; nothing was executed"), err
    for fragment in fragments:
        assert fragment in err, err
    assert not (project / "site").exists() and not list((project / "build").glob("**/*.ipynb"))


def test_line_numbers_name_the_right_line(datadir):
    """Lines are counted on newlines only: U+2028, U+0085 and form feeds do not shift them."""
    _line(datadir, "quotas", 2, lambda l: l.replace("132,000 tons", "132,000\u2028tons\x85\x0c"))
    _line(datadir, "quotas", 5, lambda l: l.replace("t REO", "kg"))
    message = fails(datadir, "quotas", "line 2, column 'locator'", "line 5, column 'unit'")
    assert "line 6" not in message and "line 7" not in message


def test_crlf_line_endings_are_accepted(datadir):
    def crlf():
        for f in datadir.glob("*.csv"):
            f.write_bytes(f.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    crlf()
    assert b"\r\n" in (datadir / "quotas.csv").read_bytes()
    assert data.validate_all(datadir) == []
    assert data.load_quotas(data_dir=datadir)["value"].max() == 132000
    edit(datadir, "quotas", 1, value="x")
    crlf()
    fails(datadir, "quotas", "quotas.csv, line 3, column 'value'")


def test_descriptor_problems_name_their_line_and_column(datadir):
    _descriptor(datadir, lambda p: _field(p, "quotas", "year").update(type="interger"))
    place = _descriptor_value_place(datadir, '"type":', '"', line_has="interger")
    fails(datadir, "quotas", f"datapackage.json, {place}:")
    _descriptor(datadir, lambda p: _field(p, "quotas", "year").update(type="integer"))
    _package(datadir, lambda t: t.rstrip().rstrip("}") + ',\n"resources": []}')
    n = len((datadir / "datapackage.json").read_text().splitlines())
    first = _descriptor_line(datadir, '"resources"')
    fails(datadir, "quotas", f"datapackage.json, line {n}, column 1: duplicate key 'resources'",
          f"(first on line {first})")


def test_declared_domain_rules_that_name_unknown_fields_are_refused_at_their_line_and_column(datadir):
    """x-empty-if and x-period (rules the validator once hard-coded) are checked like every declared rule."""
    _descriptor(datadir, lambda p: _field(p, "quotas", "value")["x-empty-if"].update(field="statsu"))
    place = _descriptor_value_place(datadir, '"x-empty-if":', "{")
    fails(datadir, "quotas", f"datapackage.json, {place}:", "x-empty-if names unknown field 'statsu'")
    _descriptor(datadir, lambda p: _field(p, "quotas", "value")["x-empty-if"].update(field="status"))

    def bad_period(pkg):
        next(r for r in pkg["resources"] if r["name"] == "exports")["schema"]["x-period"]["end"] = "period_ned"
    _descriptor(datadir, bad_period)
    place = _descriptor_value_place(datadir, '"x-period":', "{")
    fails(datadir, "exports", f"datapackage.json, {place}:", "x-period must be")

def test_foreign_keys_written_as_arrays_work(datadir):
    def arrays(pkg):
        for res in pkg["resources"]:
            for fk in res["schema"].get("foreignKeys", []):
                fk["fields"] = [fk["fields"]]
                fk["reference"]["fields"] = [fk["reference"]["fields"]]
    _descriptor(datadir, arrays)
    assert data.validate_all(datadir) == []
    edit(datadir, "quotas", 1, source_id="doc_zzz")
    fails(datadir, "quotas", "quotas.csv, line 3, column 'source_id'", "unknown source_id 'doc_zzz'")


def test_rejected_preferred_row_does_not_hide_a_real_missing_preferred(datadir):
    rows = [dict(r) for r in GOOD["quotas"]]
    rows[0]["value"] = "x"                # rejected, and it was the preferred one: reported once
    rows[1]["preferred"] = "false"        # a different group with no preferred row: still reported
    write_table(datadir, "quotas", rows)
    message = fails(datadir, "quotas", "line 2, column 'value'", "'part': 'first_batch'", "found 0")
    assert message.count("found 0") == 1


# --------------------------------------------------------------------------- the manifest (YAML)

MANIFEST_OK = """notebooks:
  - path: models/m.ipynb
    kind: model
    title: M
    runs:
      - id: m-a
        parameters: {label: a}
"""
BROKEN_MANIFESTS = {
    "repeated_run_id": (MANIFEST_OK.replace("        parameters: {label: a}\n",
                                            "        parameters: {label: a}\n        id: m-b\n"),
                        ["notebooks/manifest.yml, line 8, column 9: duplicate key 'id' (first on line 6)"]),
    "second_notebooks_key": (MANIFEST_OK + "notebooks: []\n",
                             ["notebooks/manifest.yml, line 8, column 1: duplicate key 'notebooks' (first on line 1)"]),
    "latin1": (MANIFEST_OK.replace("title: M", "title: Caf\u00e9 model"),
               ["notebooks/manifest.yml, line 4, column 15: not UTF-8 text (byte 0xe9)", "expected UTF-8"]),
    "impossible_date": (MANIFEST_OK.replace("{label: a}", "{label: a, since: 2024-13-01}"),
                        ["notebooks/manifest.yml, line 7, column", "impossible date '2024-13-01'",
                         "expected a real calendar date"]),
}


@pytest.mark.parametrize("kind", sorted(BROKEN_MANIFESTS))
def test_manifest_duplicate_keys_and_dates_are_refused(project, kind):
    text, fragments = BROKEN_MANIFESTS[kind]
    (project / "notebooks" / "manifest.yml").write_text(text, encoding="latin-1" if kind == "latin1" else "utf-8")
    with pytest.raises(manifest.ManifestError) as err:
        manifest.load(root=project)
    for fragment in fragments:
        assert fragment in str(err.value)
    proc = run_report(project)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    _no_traceback_first(proc.stderr)
    for fragment in fragments:
        assert fragment in proc.stderr, proc.stderr


# --------------------------------------------------------------------------- frictionless, make check-data's second opinion

def test_frictionless_agrees_on_the_good_data_and_names_the_same_cell(datadir):
    assert data.table_schema_problems(datadir) == []
    edit(datadir, "exports", 1, unit="kg")
    ours = data.validate_all(datadir)
    theirs = data.table_schema_problems(datadir)
    assert [(p.line, p.column) for p in theirs] == [(3, "unit")], theirs
    assert "enum" in theirs[0].message and "frictionless" in theirs[0].message
    assert data.table_schema_problems(datadir, known=ours) == [], "a cell already named is not repeated"


def test_a_notebook_kernel_shows_the_message_not_a_traceback(datadir, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    edit(datadir, "quotas", 0, value="132.000")
    shell = InteractiveShell.instance()
    result = shell.run_cell(f"from helpers import data\ndata.load_quotas(data_dir={str(datadir)!r})")
    shown = capsys.readouterr().out
    assert isinstance(result.error_in_exec, data.DataError)
    assert shown.lstrip().startswith("DataError: 1 problem(s) in the curated data:"), shown
    assert "Traceback" not in shown and "quotas.csv, line 2, column 'value'" in shown


def test_an_element_row_must_name_a_known_announcement_and_element(datadir):
    edit(datadir, "controlled_elements", 1, event_id="licencing")
    fails(datadir, "controlled_elements", "controlled_elements.csv, line 3, column 'event_id'",
          "unknown event_id 'licencing': expected an id listed in events.csv")
    edit(datadir, "controlled_elements", 0, element="Samarium")
    fails(datadir, "controlled_elements", "controlled_elements.csv, line 2, column 'element'", "expected one of")


def test_a_record_spanning_lines_is_named_at_the_line_it_starts_on(datadir):
    """A quoted line break makes one record span three lines; it was named at the line it ends on."""
    edit(datadir, "sources", 0, title="Quota\nrises\nagain")  # the first record: line 2 to line 4
    message = fails(datadir, "sources", "sources.csv, line 2, column 'title': contains a line break")
    assert "line 4" not in message, message
    # the records after it are named at their own lines
    edit(datadir, "sources", 0, title="Quota\nrises")
    rows = [dict(r) for r in GOOD["sources"]]
    rows[0]["title"], rows[1]["published"] = "Quota\nrises", "2025-13"
    write_table(datadir, "sources", rows)
    fails(datadir, "sources", "sources.csv, line 4, column 'published'")


@pytest.mark.parametrize("table, column", [("sources", "title"), ("claims", "recipe")])
def test_a_cell_of_only_spaces_is_refused(datadir, table, column):
    """A recipe of spaces counted as a recipe for the schema and as none for the claims checker, so a claim
    became 'not checkable' with no reason given; a cell that looks empty must be empty."""
    edit(datadir, table, 0, **{column: "   "})
    fails(datadir, table, f"{table}.csv, line 2, column '{column}': only spaces (3): expected a value")
