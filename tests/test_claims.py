"""The claims checker on hand-made numbers: recipe language, intervals, statuses, circularity.

Every expected value below was worked out by hand (shown in the comments); the
real data/ folder is never read. A small data set is written to a temporary
folder with the project's own datapackage.json, so the loaders and schema are
the real ones.
"""
import math
import shutil
from fractions import Fraction as F

import pandas as pd
import pytest

from conftest import write_table
from helpers import claims as C
from helpers import data, paths

A = "art_a"      # the article whose claims are checked
B = "art_b"      # another article

SOURCES = [
    {"source_id": A, "publisher": "Example News", "title": "Article A", "published": "2025-06-06",
     "address": "https://example.org/a", "accessed": "2026-11-24", "kind": "news article",
     "seed_file": "000_0000000000000000.txt"},
    {"source_id": B, "publisher": "Other News", "title": "Article B", "published": "2021-02",
     "address": "https://example.org/b", "accessed": "2026-11-24", "kind": "news article"},
    {"source_id": "wire", "publisher": "Wire", "title": "Wire copy", "published": "2025-07-21",
     "address": "https://example.org/w", "accessed": "2026-11-24", "kind": "wire copy"},
    {"source_id": "blog", "publisher": "Metal blog", "title": "Blog", "published": "2024-08",
     "address": "https://example.org/m", "accessed": "2026-11-24", "kind": "blog"},
    {"source_id": "a_copy", "publisher": "Wire via Mirror", "title": "Article A again", "published": "2025-06-06",
     "address": "https://example.org/c", "accessed": "2026-11-24", "kind": "wire copy",
     "notes": f"Same wire text as seed article 000 ({A})."},
]


def q(stage, year, part, value, source="wire", status="reported", preferred="true", formula="", segment="total",
      locator=None, expression=""):
    locator = locator or f"{value or 'no'} tonnes"  # a reported value stands in its locator (checked on load)
    return {"stage": stage, "year": str(year), "part": part, "segment": segment, "value": value, "unit": "t REO",
            "status": status, "formula": formula, "expression": expression, "source_id": source, "locator": locator,
            "preferred": preferred}


def e(series, start, value, partner="World", end=None, kind="month", source="wire", status="reported",
      preferred="true", formula="", locator=None, expression=None):
    locator = locator or f"{value} tonnes"
    expression = formula if expression is None else expression
    return {"series": series, "partner": partner, "period_kind": kind, "period_start": start,
            "period_end": end or start, "value": value, "unit": "t", "status": status, "formula": formula,
            "expression": expression, "source_id": source, "locator": locator, "preferred": preferred}


QUOTAS = [
    q("mining", 2018, "annual", "120000"), q("mining", 2019, "annual", "132000"),
    q("smelting", 2018, "annual", "115000"), q("smelting", 2019, "annual", "127000"),
    q("mining", 2020, "first_batch", "66000"), q("mining", 2021, "first_batch", "84000"),
    # 2023: the preferred row is the article itself; a confirming row from the wire exists
    q("mining", 2023, "annual", "255000", source=A), q("mining", 2023, "annual", "255000", preferred="false"),
    # 2024: only the article gives it
    q("mining", 2024, "annual", "270000", source=A),
    q("mining", 2024, "first_batch", "135000"), q("mining", 2024, "second_batch", "135000"),
    q("mining", 2025, "first_batch", "", status="undisclosed"),
    q("smelting", 2023, "after_second_batch", "230000", locator="230kt REO"),
]
EXPORTS = [
    e("magnets", "2025-05", "46", partner="United States"), e("magnets", "2025-06", "353", partner="United States"),
    e("magnets", "2025-05", "1238"), e("magnets", "2025-06", "3188"),
    e("magnets", "2025-01", "22319", end="2025-06", kind="year_to_date"),
    # June 2024 inferred from the 38.1% claim (preferred) and, independently, from July 2024 and "+2% m/m"
    e("magnets", "2024-06", "5150", status="derived", formula="3188 / (1 - 0.381)"),
    e("magnets", "2024-06", "5175", status="derived", formula="5278 / 1.02", source="blog", preferred="false"),
    e("rare_earths", "2021-12", "4087.6"),
]
PRODUCTION = [
    {"country": "China", "year": "2024", "edition": "MCS 2025", "value": "270000", "unit": "t REO",
     "estimated": "true", "status": "reported", "source_id": "wire", "locator": "270,000", "preferred": "true"},
]
EVENTS = [
    {"event_id": "tariffs", "date": "2025-04-02", "precision": "day", "date_basis": "stated", "kind": "tariff",
     "title": "US tariffs", "source_id": "wire", "locator": "April 2"},
    {"event_id": "licensing", "date": "2025-04-04", "precision": "day", "date_basis": "stated",
     "kind": "export_control", "title": "Licensing", "source_id": "wire", "locator": "April 4"},
    {"event_id": "licensing_month", "date": "2025-04-01", "precision": "month", "date_basis": "stated",
     "kind": "export_control", "title": "Licensing (month only)", "source_id": "wire", "locator": "in April"},
    {"event_id": "quota_start", "date": "2006-01-01", "precision": "year", "date_basis": "stated",
     "kind": "policy", "title": "Quota system", "source_id": "wire", "locator": "In 2006"},
    {"event_id": "notice_2019", "date": "2019-11-08", "precision": "day", "date_basis": "report",
     "kind": "quota_notice", "stage": "both", "quota_year": "2019", "part": "second_batch",
     "title": "2019 notice", "source_id": "wire", "locator": "Friday"},
    {"event_id": "notice_2025", "date": "2025-06-01", "precision": "month", "date_basis": "report",
     "kind": "quota_notice", "stage": "both", "quota_year": "2025", "part": "first_batch",
     "title": "2025 first batch", "source_id": A, "locator": "only last month"},
    {"event_id": "notice_2025_copy", "date": "2025-06-01", "precision": "month", "date_basis": "report",
     "kind": "quota_notice", "stage": "both", "quota_year": "2025", "part": "second_batch",
     "title": "2025 first batch (copy)", "source_id": "a_copy", "locator": "only last month"},
    {"event_id": "second_2024", "date": "2024-08-20", "precision": "day", "date_basis": "report",
     "kind": "quota_notice", "stage": "both", "quota_year": "2024", "part": "second_batch",
     "title": "2024 second batch", "source_id": "wire", "locator": "x"},
    {"event_id": "third_2024_from_a", "date": "2024-12-01", "precision": "month", "date_basis": "stated",
     "kind": "quota_notice", "stage": "both", "quota_year": "2024", "part": "third_batch",
     "title": "a third batch only article A reports", "source_id": A, "locator": "x"},
] + [
    {"event_id": f"first_{y}", "date": d, "precision": "day", "date_basis": "stated", "kind": "quota_notice",
     "stage": "both", "quota_year": str(y), "part": "first_batch", "title": f"{y} first batch",
     "source_id": "wire", "locator": "x"}
    for y, d in [(2021, "2021-02-19"), (2022, "2022-01-28"), (2023, "2023-03-24"), (2024, "2024-04-02")]
]


ELEMENTS_18 = ["samarium", "gadolinium", "terbium", "dysprosium", "lutetium", "scandium", "yttrium"]
CONTROLLED = [{"event_id": "licensing", "element": el, "item": "materials", "source_id": "wire", "locator": "x"}
              for el in ELEMENTS_18] + [
    {"event_id": "licensing", "element": el, "item": "permanent_magnets", "source_id": "blog", "locator": "x"}
    for el in ("samarium", "terbium", "dysprosium")] + [
    # an element list that only article A gives
    {"event_id": "tariffs", "element": "holmium", "item": "materials", "source_id": A, "locator": "x"}]
HOLDERS = [
    {"year": "2019", "part": "first_batch", "n_groups": "6", "source_id": "wire", "locator": "x"},
    {"year": "2023", "part": "first_batch", "n_groups": "4", "source_id": "wire", "locator": "x"},
    {"year": "2024", "part": "first_batch", "n_groups": "2", "source_id": "wire", "locator": "x"},
    {"year": "2024", "part": "first_batch", "n_groups": "2", "source_id": A, "locator": "x"},
    {"year": "2025", "part": "first_batch", "n_groups": "2", "source_id": "a_copy", "locator": "x"},
    {"year": "2022", "part": "first_batch", "n_groups": "4", "source_id": "wire", "locator": "x"},
    {"year": "2022", "part": "first_batch", "n_groups": "6", "source_id": "blog", "locator": "x"},
]
IMPORTS = [{"country": "China", "year": "2020", "product": "HS 2846", "value": "47629.5", "unit": "t", "status": "derived",
            "formula": "47,629,501.837 kg / 1,000 kg per t = 47629.5", "expression": "47629501.837 / 1000", "source_id": "wire", "locator": "x",
            "preferred": "true"}]
LICENCES = [{"licence_id": "six_month", "granted": "2025-06", "kind": "temporary", "term_months": "6",
             "holders": "suppliers", "source_id": "wire", "locator": "valid for six months"}]


def claim(cid, stated, text, unit, recipe="", qualifier="exact", source=A, reason="", expected="reproduced",
          phrase=None):
    return {"claim_id": f"{source}__{cid}", "source_id": source, "phrase": phrase or text, "stated": str(stated),
            "stated_text": text, "unit": unit, "qualifier": qualifier, "recipe": recipe,
            "not_checkable_reason": reason, "expected_status": expected, "note": ""}


CLAIMS = [
    claim("mining_2019", 132000, "132,000 tons", "t REO", 'quota("mining", 2019)'),
    claim("growth", 10.4, "10.4%", "%", 'pct_change(quota("smelting", 2018), quota("smelting", 2019))'),
    claim("us_jump", 660, "660 percent", "%",
          'pct_change(exports("magnets", "2025-05", partner="United States"), '
          'exports("magnets", "2025-06", partner="United States"))', expected="within_rounding"),
    claim("below", 38.1, "38.1 percent", "%",
          'pct_below(exports("magnets", "2025-06"), exports("magnets", "2024-06", derived=True))',
          expected="within_rounding"),
    claim("june_2024", 5158, "5,158 tons", "t", 'exports("magnets", "2024-06", derived=True)',
          expected="within_rounding"),
    claim("h1", 22319, "22,319 tons", "t", 'exports("magnets", "2025-01", "2025-06", kind="year_to_date")'),
    claim("seventeen", 17, "17 elements", "count", reason="definition, not data", expected="not_checkable"),
    claim("close", 30, "close to 30%", "%",
          'pct_change(quota("mining", 2020, part="first_batch"), quota("mining", 2021, part="first_batch"))',
          qualifier="close_to", source=B, expected="differs"),
]


@pytest.fixture
def ddir(tmp_path):
    shutil.copy(paths.DATAPACKAGE, tmp_path / "datapackage.json")
    for name, rows in [("sources", SOURCES), ("quotas", QUOTAS), ("exports", EXPORTS), ("production", PRODUCTION),
                       ("events", EVENTS), ("controlled_elements", CONTROLLED), ("quota_holders", HOLDERS),
                       ("licence_terms", LICENCES), ("imports", IMPORTS), ("claims", CLAIMS)]:
        write_table(tmp_path, name, rows)
    assert data.validate_all(tmp_path) == []
    return tmp_path


@pytest.fixture
def tables(ddir):
    return C.Tables(ddir)


def run(tables, recipe, source=A, numbers=()):
    ctx = C.Context("test__claim", source, tables, C.article_number_forms(numbers), tables.own_sources(source))
    return C.evaluate(recipe, ctx)


def check(tables, stated, text, unit, recipe, qualifier="exact", source=A, numbers=()):
    c = {"claim_id": f"{source}__x", "source_id": source, "stated": stated, "stated_text": text, "unit": unit,
         "qualifier": qualifier, "recipe": recipe}
    return C.check_claim(c, tables, C.article_number_forms(numbers))


# --------------------------------------------------------------------------- the three worked cases

def test_660_percent_from_46_to_353_is_within_rounding(tables):
    # point (353/46 - 1) x 100 = 667.39; interval (352.5/46.5 - 1) x 100 = 658.06 to (353.5/45.5 - 1) x 100 = 676.92
    res = check(tables, 660, "660%", "%", 'pct_change(exports("magnets", "2025-05", partner="United States"), '
                                         'exports("magnets", "2025-06", partner="United States"))')
    v = res["value"]
    assert v.point == F(30700, 46)
    assert v.lo == (F(3525, 10) / F(465, 10) - 1) * 100 and v.hi == (F(3535, 10) / F(455, 10) - 1) * 100
    assert round(float(v.lo), 2) == 658.06 and round(float(v.hi), 2) == 676.92
    assert res["status"] == "within_rounding"
    assert round(float(res["point_diff"]), 2) == 7.39


def test_38_1_percent_below_from_3188_and_5158_differs():
    # point (1 - 3188/5158) x 100 = 38.193; interval (1 - 3188.5/5157.5) x 100 = 38.1774 to
    # (1 - 3187.5/5158.5) x 100 = 38.2088; stated 38.1% = [38.05, 38.15]: gap 38.1774 - 38.15 = 0.0274 pp
    june = C.Q(F(3188), F("3187.5"), F("3188.5"))
    ref = C.Q(F(5158), F(51575, 10), F(51585, 10))
    value = C._pct_below(june, ref)
    assert value.point == (1 - F(3188, 5158)) * 100
    assert round(float(value.point), 3) == 38.193
    assert (round(float(value.lo), 4), round(float(value.hi), 4)) == (38.1774, 38.2088)
    st = C.stated_interval(38.1, "38.1%", "%", "exact")
    res = C.judge(value, st)
    assert res["status"] == "differs"
    assert res["gap"] == value.lo - F(3815, 100)
    assert C.gap_number(res["gap"]) == 0.027
    assert C.status_words("differs", res["gap"], "%", None) == "differs by 0.027 pp"


def test_27_percent_from_66000_to_84000_reproduces_but_close_to_30_differs(tables):
    # 84000/66000 - 1 = 27.27% -> rounds to 27; interval 27.2713 .. 27.2745
    recipe = 'pct_change(quota("mining", 2020, part="first_batch"), quota("mining", 2021, part="first_batch"))'
    res = check(tables, 27, "27%", "%", recipe)
    assert res["value"].point == F(300, 11)
    assert res["status"] == "reproduced"
    # "close to 30%" allows [30 - 5% of 30, 30.5) = [28.5, 30.5): 27.27 is 1.23 pp short of the band
    res = check(tables, 30, "close to 30%", "%", recipe, qualifier="close_to", source=B)
    assert res["status"] == "differs"
    assert C.gap_number(res["gap"]) == 1.2
    assert round(float(res["point_diff"]), 2) == -2.73


# --------------------------------------------------------------------------- statuses and boundaries

def exact(x):
    return C.Q.exact(F(x))


def span(lo, hi, point=None):
    lo, hi = F(lo), F(hi)
    return C.Q(F(point) if point is not None else (lo + hi) / 2, lo, hi)


@pytest.mark.parametrize("point, status", [
    ("10.35", "reproduced"),        # lower rounding edge rounds up to 10.4 (ties away from zero)
    ("10.4499", "reproduced"),
    ("10.45", "within_rounding"),   # upper edge rounds to 10.5, but touches the stated interval
    ("10.34", "differs"),
    ("10.46", "differs"),
])
def test_exact_rounding_edges(point, status):
    st = C.stated_interval(10.4, "10.4%", "%", "exact")
    assert (st.lo, st.hi) == (F("10.35"), F("10.45"))
    assert C.judge(exact(point), st)["status"] == status


def test_within_rounding_needs_the_interval_to_reach_the_stated_one():
    st = C.stated_interval(10, "10%", "%", "exact")
    assert C.judge(span("10.4", "10.6", "10.55"), st)["status"] == "within_rounding"
    res = C.judge(span("10.6", "10.8", "10.7"), st)
    assert res["status"] == "differs" and res["gap"] == F("0.1")
    assert res["point_diff"] == F("0.7")


def test_at_least_is_one_sided():
    st = C.stated_interval(10, "at least 10%", "%", "at_least")
    assert st.lo == F("9.5") and st.hi == math.inf
    assert C.judge(exact("250"), st)["status"] == "reproduced"
    assert C.judge(exact("9.5"), st)["status"] == "reproduced"    # rounds to 10
    assert C.judge(exact("9.49"), st)["status"] == "differs"
    assert C.judge(span("9.4", "9.6", "9.45"), st)["status"] == "within_rounding"
    assert C.judge(exact("9.49"), st)["gap"] == F("0.01")


def test_more_than_and_less_than_are_strict():
    more = C.stated_interval(100, "more than 100 percent", "%", "more_than")
    assert C.judge(exact("100.01"), more)["status"] == "reproduced"
    assert C.judge(exact("100"), more)["status"] == "within_rounding"   # touches the open bound
    assert C.judge(exact("99"), more)["status"] == "differs"
    less = C.stated_interval(1, "less than a month", "months", "less_than")
    assert C.judge(exact("0.99"), less)["status"] == "reproduced"
    assert C.judge(exact("1.5"), less)["status"] == "differs"


def test_at_most():
    st = C.stated_interval(5, "at most five", "count", "at_most")
    assert C.judge(exact(5), st)["status"] == "reproduced"
    assert C.judge(exact(6), st)["status"] == "differs"


def test_nearly_means_a_little_below():
    st = C.stated_interval(30, "nearly 30%", "%", "nearly")
    assert (st.lo, st.hi) == (F("28.5"), F("30.5"))
    assert C.judge(exact("28.5"), st)["status"] == "reproduced"
    assert C.judge(exact("30.4"), st)["status"] == "reproduced"      # rounds to 30
    assert C.judge(exact("30.5"), st)["status"] == "within_rounding"
    assert C.judge(exact("28.4"), st)["status"] == "differs"


def test_about_is_five_percent_either_side():
    st = C.stated_interval(25, "about a quarter", "%", "about")
    assert (st.lo, st.hi) == (F("23.75"), F("26.25"))
    assert C.judge(exact("26.25"), st)["status"] == "reproduced"
    assert C.judge(exact("26.3"), st)["status"] == "differs"


def test_stated_text_must_match_stated():
    with pytest.raises(ValueError, match="does not match"):
        C.stated_interval(10.5, "10.4%", "%", "exact")
    with pytest.raises(ValueError, match="unknown qualifier"):
        C.stated_interval(10, "10%", "%", "roughly-ish")


@pytest.mark.parametrize("text, unit, value, half", [
    ("10.4%", "%", "10.4", "0.05"),
    ("660 percent", "%", "660", "0.5"),
    ("132,000 tons", "t REO", "132000", "0.5"),
    ("1.2 million tonnes", "t", "1200000", "50000"),
    ("two months", "months", "2", "0.5"),
    ("about a quarter", "%", "25", "0"),
    ("Five American companies", "count", "5", "0.5"),
    ("fifth consecutive month", "count", "5", "0.5"),
    ("a third", "%", "100/3", "0"),
])
def test_parse_stated(text, unit, value, half):
    assert C.parse_stated(text, unit) == (F(value), F(half))


@pytest.mark.parametrize("raw, locator, half", [
    ("132000", "132,000 tons", "0.5"),
    ("4087.6", "4,087.6 tonnes", "0.05"),
    ("2949.60", "2,949.60 tonnes", "0.005"),     # trailing zero kept from the CSV text
    ("120000", "120kt REO", "500"),
    ("52500", "52.5 thousand tonnes", "50"),
    ("120000", "120,000 tonnes", "0.5"),
    ("105000", "開採總量控制指標為10.5萬噸", "500"),      # 10.5 x 10,000, printed to 0.1 万
    ("89200", "指标为8.92万吨", "50"),
])
def test_data_values_carry_their_printed_precision(raw, locator, half):
    point, h = C.data_value(float(raw), raw, locator)
    assert point == F(raw) and h == F(half)


def test_data_lookup_reads_the_csv_text_and_the_locator(tables):
    v = run(tables, 'exports("rare_earths", "2021-12")')
    assert (v.lo, v.hi) == (F("4087.55"), F("4087.65"))
    v = run(tables, 'quota("smelting", 2023, part="after_second_batch")')
    assert (v.lo, v.hi) == (F(229500), F(230500))


# --------------------------------------------------------------------------- dates and counts

def test_dates_durations_and_weekdays(tables):
    st = C.stated_interval(20250404, "April 4", "date", "exact")
    assert C.judge(run(tables, 'event("licensing")'), st)["status"] == "reproduced"
    # a month-precision date cannot confirm a day: it is within rounding
    assert C.judge(run(tables, 'event("licensing_month")'), st)["status"] == "within_rounding"
    early = C.stated_interval(202504, "early April", "month", "early")
    assert C.judge(run(tables, 'event("licensing")'), early)["status"] == "reproduced"
    late = C.stated_interval(202504, "late April", "month", "late")
    res = C.judge(run(tables, 'event("licensing")'), late)
    assert res["status"] == "differs" and res["gap"] == 17          # April 4 to April 21
    assert run(tables, 'days_between(event("tariffs"), event("licensing"))').point == 2
    # 2025-04-04 to 2025-06-06 = 63 days = 63 / 30.436875 months = 2.07
    m = run(tables, 'months_between(event("licensing"), published())')
    assert m.point == F(63) / C.MEAN_MONTH_DAYS
    assert C.judge(m, C.stated_interval(2, "two months", "months", "exact"))["status"] == "reproduced"
    assert run(tables, 'year(event("quota_start"))').point == 2006
    assert run(tables, 'weekday(event("tariffs"))').point == 3          # 2 April 2025 was a Wednesday


def test_report_dated_events_cover_the_days_before(tables):
    v = run(tables, 'event("notice_2019")')
    assert v.hi - v.lo == C.REPORT_WINDOW_DAYS
    res = check(tables, 5, "Friday", "weekday", 'weekday(event("notice_2019"))')
    assert res["status"] == "not_checkable" and "not known to the day" in res["reason"]


def test_counts(tables):
    # 2024: first and second batch from the wire; the third batch only article A reports is not counted for A
    assert run(tables, 'notices("mining", 2024)').point == 2
    assert run(tables, 'notices("mining", 2024)', source=B).point == 3
    with pytest.raises(C.NotCheckable, match="no smelting quota notice for 2018"):
        run(tables, 'notices("smelting", 2018)')
    # first batches 2021-2024: Feb, Jan, Mar and 2 April 2024 -> three of four in the first quarter
    v = run(tables, 'years_with_notice_in("first_batch", 2021, 2024, 1, 3)')
    assert (v.point, v.lo, v.hi) == (3, 3, 3)
    res = check(tables, 4, "previous four years", "count", 'years_with_notice_in("first_batch", 2021, 2024, 1, 3)')
    assert res["status"] == "differs" and res["gap"] == F("0.5")
    res = check(tables, 4, "four", "count", 'years_with_notice_in("first_batch", 2020, 2023, 1, 3)')
    assert res["status"] == "not_checkable" and "2020" in res["reason"]


# --------------------------------------------------------------------------- circularity

def test_derived_rows_need_explicit_permission(tables):
    res = check(tables, 5158, "5,158 tons", "t", 'exports("magnets", "2024-06")', numbers=[])
    assert res["status"] == "not_checkable"
    assert "does not allow derived values" in res["reason"]


def test_a_value_derived_from_the_claim_never_confirms_it(tables):
    numbers = [(38.1, "%"), (3188, "t"), (5158, "t")]
    recipe = 'pct_below(exports("magnets", "2025-06"), exports("magnets", "2024-06", derived=True))'
    # with only the circular row, the claim is not checkable and the reason names the shared number
    only_circular = C.Tables(tables.data_dir)
    f = only_circular.frame("exports")
    only_circular._frames["exports"] = f[f["source_id"] != "blog"].reset_index(drop=True)
    res = check(only_circular, 38.1, "38.1%", "%", recipe, numbers=numbers)
    assert res["status"] == "not_checkable"
    assert "derived from this article's own numbers" in res["reason"] and "0.381" in res["reason"]
    # the independent derivation (5,278 / 1.02) is used instead; its interval carries the rounding of "2%":
    # [5277.5/1.025, 5278.5/1.015] = [5148.78, 5200.49] -> 38.1% below is within rounding
    v = run(tables, 'exports("magnets", "2024-06", derived=True)', numbers=numbers)
    assert v.inputs[0].source_id == "blog"
    assert (v.lo, v.hi) == (F("5277.5") / F("1.025"), F("5278.5") / F("1.015"))
    res = check(tables, 38.1, "38.1%", "%", recipe, numbers=numbers)
    assert res["status"] == "within_rounding"


def test_structural_constants_are_never_an_articles_numbers(tables):
    # "more than 100 percent" gives 100/100 = 1, the exact 1 of every "(1 - p)" formula
    forms = C.article_number_forms([(100, "%"), (0, "t"), (38.1, "%")])
    assert not forms & {0, 1, 100} and F("0.381") in forms
    v = run(tables, 'exports("magnets", "2024-06", derived=True)', source=B, numbers=[(100, "%")])
    assert v.inputs[0].source_id == "wire"


def test_the_same_derived_row_may_check_another_article(tables):
    # article B states none of 3,188 / 38.1: the preferred derived row is usable for it
    v = run(tables, 'exports("magnets", "2024-06", derived=True)', source=B, numbers=[(30, "%")])
    assert v.inputs[0].source_id == "wire"
    # its interval reflects 0.381 printed to three decimals: [3187.5/0.6195, 3188.5/0.6185]
    assert (v.lo, v.hi) == (F("3187.5") / F("0.6195"), F("3188.5") / F("0.6185"))


def test_derived_interval_takes_each_number_at_its_printed_precision(tables):
    row = tables.frame("exports").query("status == 'derived' and source_id == 'wire'").iloc[0]
    value, literals = C.derived_interval(tables, "exports", row)        # 3188 / (1 - 0.381)
    assert literals == [F(3188), F(1), F("0.381")]
    assert (value.lo, value.hi) == (F("3187.5") / (1 - F("0.3805")), F("3188.5") / (1 - F("0.3815")))


def test_a_referenced_derived_row_carries_its_rounding_and_its_numbers(tmp_path):
    """{key} to a derived row is evaluated from that row's expression, not its rounded value."""
    import shutil

    shutil.copy(paths.DATAPACKAGE, tmp_path / "datapackage.json")
    write_table(tmp_path, "sources", SOURCES)
    write_table(tmp_path, "exports", [
        e("magnets", "2024-07", "5278"),
        e("magnets", "2024-06", "5174.51", status="derived", formula="Jun = Jul 5,278 / 1.02 (+2% m/m)",
          expression="5278 / 1.02"),
        e("magnets", "2024-01", "27534", end="2024-06", kind="year_to_date", status="derived",
          formula="Jan-Jun = Jan-May 22,359.49 + Jun 5174.51 (derived)",
          expression="22359.49 + {magnets/World/month/2024-06/2024-06/wire}")])
    t = C.Tables(tmp_path)
    row = t.frame("exports").query("period_kind == 'year_to_date'").iloc[0]
    value, literals = C.derived_interval(t, "exports", row)
    assert sorted(literals) == sorted([F("22359.49"), F(5278), F("1.02")])
    assert (value.lo, value.hi) == (F("22359.485") + F("5277.5") / F("1.025"), F("22359.495") + F("5278.5") / F("1.015"))


def test_a_row_built_on_a_derived_row_from_the_articles_number_is_refused_too(tmp_path):
    """The circularity rule follows {key} references: the referenced row's numbers are the row's own."""
    shutil.copy(paths.DATAPACKAGE, tmp_path / "datapackage.json")
    write_table(tmp_path, "sources", SOURCES)
    write_table(tmp_path, "exports", [
        e("magnets", "2024-06", "5150.24", status="derived", formula="Jun 2024 = 3,188 / (1 - 0.381)",
          expression="3188 / (1 - 0.381)"),
        e("magnets", "2024-01", "27534", end="2024-06", kind="year_to_date", status="derived",
          formula="Jan-Jun 2024 = Jan-May 22,383.76 + Jun 5150.24 (derived: 3,188 / (1 - 0.381))",
          expression="22383.76 + {magnets/World/month/2024-06/2024-06/wire}")])
    t = C.Tables(tmp_path)
    recipe = 'exports("magnets", "2024-01", "2024-06", derived=True)'
    with pytest.raises(C.NotCheckable, match="derived from this article's own numbers"):
        run(t, recipe, numbers=[(38.1, "%")])
    assert run(t, recipe, source=B, numbers=[(30, "%")]).point == F(27534)


def test_literal_interval_keeps_1_and_100_exact():
    from helpers.data.expressions import parse_expression

    one, hundred, two, ten = parse_expression("1 + 100 + 2 + 1.0", 1).literals
    assert C.literal_interval(one) == C.Q.exact(1) and C.literal_interval(hundred) == C.Q.exact(100)
    assert (C.literal_interval(two).lo, C.literal_interval(two).hi) == (F("1.5"), F("2.5"))
    assert (C.literal_interval(ten).lo, C.literal_interval(ten).hi) == (F("0.95"), F("1.05"))


def test_the_article_never_confirms_itself(tables):
    v = run(tables, 'quota("mining", 2023)')                 # falls back to the confirming wire row
    assert v.inputs[0].source_id == "wire"
    with pytest.raises(C.NotCheckable, match="article itself"):
        run(tables, 'quota("mining", 2024)')
    assert run(tables, 'quota("mining", 2024)', source=B).point == 270000
    with pytest.raises(C.NotCheckable, match="this article itself"):
        run(tables, 'event("notice_2025")')
    # a syndicated copy (its notes say "same wire text as" the article) is the article too
    assert tables.own_sources(A) == {A, "a_copy"}
    with pytest.raises(C.NotCheckable, match=r"a copy of this article \(a_copy\)"):
        run(tables, 'event("notice_2025_copy")')
    assert run(tables, 'event("notice_2025_copy")', source=B).kind == "date"


def test_undisclosed_is_not_checkable(tables):
    with pytest.raises(C.NotCheckable, match="not disclosed"):
        run(tables, 'quota("mining", 2025, part="first_batch")')


# --------------------------------------------------------------------------- the recipe language is safe

@pytest.mark.parametrize("recipe, message", [
    ('__import__("os").system("true")', "only the listed functions may be called"),
    ('__import__("os")', "unknown function '__import__'"),
    ('eval("1")', "unknown function 'eval'"),
    ('quota("mining", 2019).point', "Attribute is not allowed"),
    ('pct_change(46, 353)', "the number 46 is written into the recipe"),
    ('quota("mining", 2019) * 1.1', "the number 1.1 is written"),
    ('quota("mining", 2018 + 1)', "lookup arguments must be plain"),
    ('quota("mining", year)', "Name is not allowed"),
    ('[quota("mining", 2019)]', "List is not allowed"),
    ('(lambda: 1)()', "only the listed functions"),
    ('quota("mining", 2019) ** 2', "operator Pow is not allowed"),
    ('quota(*["mining", 2019])', "*arguments are not allowed"),
    ('"mining"', "may only be an argument of a lookup"),
    ('quota("mining", 2019', "not a valid expression"),
])
def test_unsafe_or_hard_coded_recipes_are_refused(tables, recipe, message):
    with pytest.raises(C.ClaimError) as exc:
        run(tables, recipe)
    assert message in str(exc.value) and "test__claim" in str(exc.value)


@pytest.mark.parametrize("recipe, missing", [
    ('quota("mining", 2031)', "no quotas row for quota mining 2031 annual total"),
    ('exports("magnets", "2019-05")', "no exports row for exports magnets to World month 2019-05"),
    ('event("no_such_event")', "no event 'no_such_event'"),
    ('production("China", 2019)', "no production row for production China 2019"),
    ('days_between(quota("mining", 2019), event("tariffs"))', "days_between expects a date"),
    ('quota("mining", 2019) + event("tariffs")', "cannot add a date"),
])
def test_missing_keys_fail_naming_the_claim_and_the_key(tables, recipe, missing):
    with pytest.raises(C.ClaimError) as exc:
        run(tables, recipe)
    assert "test__claim" in str(exc.value) and missing in str(exc.value)


def test_unit_and_recipe_kind_must_agree(tables):
    with pytest.raises(C.ClaimError, match="needs a date"):
        check(tables, 20250404, "April 4", "date", 'quota("mining", 2019)')


# --------------------------------------------------------------------------- tables for readers

def test_check_claims_reports_every_status(ddir):
    df = C.check_claims(data_dir=ddir)
    assert list(df["claim_id"]) == [c["claim_id"] for c in CLAIMS]
    assert list(df["status"]) == [c["expected_status"] for c in CLAIMS]
    for col in ["claim_id", "article", "publisher", "published", "claim", "stated", "unit", "recomputed",
                "recomputed_interval", "status", "gap", "note"]:
        assert col in df.columns
    row = df.set_index("claim_id").loc[f"{B}__close"]
    assert row["gap"] == 1.2 and row["result"] == "differs by 1.2 pp" and row["recomputed"] == 27.3
    row = df.set_index("claim_id").loc[f"{A}__us_jump"]
    assert row["recomputed_text"] == "667.4" and row["recomputed_interval"] == "658.0 to 677.0"
    assert math.isnan(row["gap"])
    # the circular preferred row was refused for article A: the blog's derivation was used
    assert df.set_index("claim_id").loc[f"{A}__below", "inputs"] == "wire, blog"
    assert df.set_index("claim_id").loc[f"{A}__seventeen", "result"] == "not checkable: definition, not data"


def test_check_claims_for_one_article(ddir):
    df = C.check_claims(B, data_dir=ddir)
    assert list(df["article"]) == [B]
    with pytest.raises(KeyError, match="no claims for article"):
        C.check_claims("nobody", data_dir=ddir)


def test_broken_recipe_in_the_ledger_stops_the_check(ddir):
    rows = CLAIMS + [claim("broken", 1, "1 t", "t", 'quota("mining", 1999)')]
    write_table(ddir, "claims", rows)
    with pytest.raises(C.ClaimError) as err:
        C.check_claims(data_dir=ddir)
    # found before any recipe runs, at its place in the ledger (helpers.claims.ledger_check)
    assert str(err.value).startswith(f"{ddir / 'claims.csv'}, line {len(rows) + 1}, column 'recipe': claim {A}__broken: "
                                     "quota('mining', 1999) needs data the curated tables lack"), str(err.value)


def test_ledger_requires_a_reason_when_there_is_no_recipe(ddir):
    write_table(ddir, "claims", CLAIMS + [claim("no_reason", 1, "1 t", "t")])
    with pytest.raises(data.DataError, match="not_checkable_reason"):
        C.load_claims(ddir)


def test_article_table_is_plain_and_deterministic(ddir):
    one = C.article_table(A, data_dir=ddir)
    two = C.article_table(A, data_dir=ddir)
    assert one.to_string() == two.to_string()
    assert list(one.columns) == ["Phrase in the article", "Article says", "Data give", "Range from rounding", "Result"]
    assert list(one.index) == list(range(1, len(one) + 1))
    words = set(one["Result"])
    assert {"reproduced", "within rounding"} <= words
    assert any(w.startswith("not checkable: ") for w in words)
    assert "0x" not in one.to_string()


def test_summary_wording(ddir):
    assert C.summary(data_dir=ddir) == "3 of 8 numbers reproduce (3 within rounding, 1 differs, 1 not checkable)."
    assert C.summary(B, data_dir=ddir) == "0 of 1 number reproduce (0 within rounding, 1 differs, 0 not checkable)."


def test_status_words():
    assert C.status_words("within_rounding", None, "%", None) == "within rounding"
    assert C.status_words("differs", F(1), "days", None) == "differs by 1 day"
    assert C.status_words("differs", F(1234), "t", None) == "differs by 1,234 t"
    assert C.status_words("differs", F("0.11"), "months", None) == "differs by 0.11 months"
    assert C.status_words("not_checkable", None, "%", "no May 2018 figure") == "not checkable: no May 2018 figure"


@pytest.mark.parametrize("text, published, expected", [
    ("April 4", "2025-06-06", (2025, 4, 4)),
    ("early April", "2025-07", (2025, 4, None)),
    ("late-June", "2025-07", (2025, 6, None)),
    ("June 2024", "2025-07", (2024, 6, None)),
    ("April", "2026-01-19", (2025, 4, None)),       # a month after the publication month: the year before
    ("January 9", "2026-01-19", (2026, 1, 9)),
])
def test_printed_dates(text, published, expected):
    assert C.stated_text_date(text, published) == expected
    with pytest.raises(ValueError, match="no month name"):
        C.stated_text_date("last month", published)


# --------------------------------------------------------------------------- counts from the small fact tables

def test_controlled_elements_are_counted_not_typed(tables):
    seven = run(tables, 'controlled_elements("licensing")')
    assert (seven.point, seven.lo, seven.hi) == (7, 7, 7)
    assert {i.text for i in seven.inputs} == set(ELEMENTS_18)
    assert run(tables, 'controlled_elements("licensing", item="permanent_magnets")').point == 3
    res = check(tables, 7, "seven", "count", 'controlled_elements("licensing")')
    assert res["status"] == "reproduced"
    res = check(tables, 3, "three", "count", 'controlled_elements("licensing")')
    assert res["status"] == "differs"


def test_quota_holders_count_one_notice_and_refuse_the_article_itself(tables):
    assert run(tables, 'quota_holders(2024)').point == 2
    assert run(tables, 'quota_holders(2023, part="first_batch")').point == 4
    assert check(tables, 6, "six", "count", 'quota_holders(2023)')["status"] == "differs"
    with pytest.raises(C.NotCheckable, match="this article or a copy"):
        run(tables, 'quota_holders(2025)')                  # only a copy of article A gives 2025
    with pytest.raises(C.NotCheckable, match="disagree"):
        run(tables, 'quota_holders(2022)')                  # two sources, two counts: no silent pick
    with pytest.raises(C.NotCheckable, match="no quota_holders row"):
        run(tables, 'quota_holders(2030)')
    with pytest.raises(C.NotCheckable, match="this article"):
        run(tables, 'controlled_elements("tariffs")')


def test_licence_term_in_months(tables):
    res = check(tables, 6, "six months", "months", 'licence_term("six_month")')
    assert res["status"] == "reproduced" and res["value"].point == 6


def test_imports_converted_from_kilograms_need_derived_and_show_the_gap(tables):
    with pytest.raises(C.NotCheckable, match="does not allow derived"):
        run(tables, 'imports("China", 2020)')
    res = check(tables, 47000, "47,000 tons", "t", 'imports("China", 2020, derived=True)')
    # 47,629.5 t is 629.5 t above; the formula's printed 1,000 widens it to about ±24 t, still far from 47,000
    assert res["status"] == "differs" and res["value"].point == F(476295, 10)
