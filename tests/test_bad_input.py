"""A malformed data file gets a message naming the file, line, column and what was expected.

Each case writes a broken copy of a small valid data set to a temporary folder;
the real data/ is never touched.
"""
import json
import pandas as pd
import pytest

from conftest import write_table
from helpers import data, paths

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
         "unit": "t REO", "status": "derived", "formula": "132,000 - 60,000", "source_id": "doc_a",
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
    fails(datadir, "quotas", "quotas.csv, line 6", "expected 12 fields, got 3")


def test_derived_row_needs_its_formula(datadir):
    edit(datadir, "quotas", 2, formula="")
    fails(datadir, "quotas", "line 4, column 'formula'", "required when status is 'derived'")


def test_reported_value_cannot_be_empty_and_undisclosed_cannot_have_one(datadir):
    edit(datadir, "quotas", 0, value="")
    fails(datadir, "quotas", "line 2, column 'value'", "required when status is not 'undisclosed'")
    edit(datadir, "quotas", 3, value="100000")
    fails(datadir, "quotas", "line 5, column 'value'", "an undisclosed quota must have no value")


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
