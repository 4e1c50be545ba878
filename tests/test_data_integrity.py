"""The curated data: every value traceable, parts adding up, coverage as promised."""
import pandas as pd
import pytest

from conftest import manifest_articles, required
from helpers import data
from helpers.data.numbers import locator_has_value, numbers_in

SUM_EXCEPTION = "SUM-EXCEPTION:"  # a curator's note that says why parts do not add up to their total

VALUE_TABLES = ["quotas", "exports", "production", "imports"]


def test_every_table_validates_against_the_schema():
    problems = data.validate_all()
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("table", VALUE_TABLES)
def test_reported_values_stand_in_their_locator(table):
    frame = data.load_table(table)
    rep = frame[(frame["status"] == "reported") & frame["value"].notna()]
    bad = [f"{r.source_id}: {r.value:g} not in {r.locator!r}"
           for r in rep.itertuples() if not locator_has_value(r.locator, r.value)]
    assert not bad, f"{table}: reported values missing from their locator:\n" + "\n".join(bad)


@pytest.mark.parametrize("table", VALUE_TABLES)
def test_derived_rows_carry_a_formula_and_reported_rows_none(table):
    frame = data.load_table(table)
    der = frame[frame["status"] == "derived"]
    assert der["formula"].notna().all()
    assert (der["formula"].str.len() > 5).all()
    rep = frame[frame["status"] == "reported"]
    assert rep["formula"].isna().all(), "a reported value has a formula: is it derived?"
    assert der["expression"].notna().all() and rep["expression"].isna().all()


def test_every_table_with_a_formula_declares_its_expression():
    package = data.read_package()
    for res in package["resources"]:
        fields = {f["name"]: f for f in res["schema"]["fields"]}
        if "formula" in fields:
            assert fields.get("expression", {}).get("x-expression-of") == "value", res["name"]


@pytest.mark.parametrize("table", VALUE_TABLES)
def test_the_expression_uses_the_numbers_its_prose_formula_names(table):
    """Readers see the formula, the checker evaluates the expression: every number of one is in the other."""
    from helpers.data.expressions import parse_expression

    frame = data.load_table(table)
    pk = data.resource(table, data.read_package())["schema"]["primaryKey"]
    values = {tuple(str(r[k]) for k in pk): r["value"] for _, r in frame.iterrows()}
    bad = []
    for r in frame[frame["status"] == "derived"].itertuples():
        expr = parse_expression(r.expression, len(pk))
        used = [float(x.value) for x in expr.literals] + [values[k] for k in expr.references]
        printed = numbers_in(r.formula)
        bad += [f"{r.expression!r}: {x:g} not in {r.formula!r}" for x in used
                if not any(abs(x - p) < 1e-9 for p in printed)]
    assert not bad, "\n".join(bad)


def test_every_source_is_cited_and_every_citation_is_a_source():
    sources = data.load_sources()
    used = set()
    cited_by = [r["name"] for r in data.read_package()["resources"]
                if r["name"] not in ("sources", "claims") and "source_id" in data.schema_names(r["schema"])]
    assert {"quotas", "exports", "production", "events", "controlled_elements", "quota_holders"} <= set(cited_by)
    for table in cited_by:
        used |= set(data.load_table(table)["source_id"])
    assert used <= set(sources.index)
    articles = set(sources[sources["seed_file"].notna()].index)
    unused = set(sources.index) - used - articles
    assert not unused, f"sources never cited by any table: {sorted(unused)}"


def test_publishers_can_be_drawn_in_the_chart_font():
    """Charts print 'Publisher (date)' source lines: every character needs a glyph in the chart font."""
    import matplotlib.pyplot as plt
    from matplotlib import font_manager, ft2font

    from helpers import charts

    charts.set_theme()
    path = font_manager.findfont(font_manager.FontProperties(family=plt.rcParams["font.family"]))
    glyphs = ft2font.FT2Font(path).get_charmap()
    sources = data.load_sources()
    bad = {sid: "".join(sorted({c for c in pub if ord(c) not in glyphs}))
           for sid, pub in zip(sources["source_id"], sources["publisher"])}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"publisher names with characters the chart font ({path}) cannot draw: {bad}"


def test_each_document_is_one_source():
    sources = data.load_sources()
    addresses = sources["address"].dropna().str.rstrip("/")
    dup = addresses[addresses.duplicated(keep=False)]
    assert dup.empty, f"one address, several source ids: {sorted(dup.index)}"


def test_sources_have_addresses_and_the_articles_their_seed_files():
    sources = data.load_sources()
    seeds = sources[sources["seed_file"].notna()]
    assert set(seeds.index) == manifest_articles(), (
        "the sources with a seed_file must be the articles the manifest lists: "
        f"{sorted(set(seeds.index) ^ manifest_articles())} differ")
    others = sources[sources["seed_file"].isna()]
    assert others["address"].notna().all(), list(others[others["address"].isna()].index)


def test_every_article_text_is_where_it_should_be_and_unchanged():
    """Each seed_file is looked for in the ARTICLE_TEXTS folders (default ../shared/seeds, ../article-texts).

    A text found with another SHA-256 than text_sha256 fails (it changed since acceptance). The shared
    pack's texts (no text_sha256) must be present under CI / REQUIRE_SEEDS; any other absent text is
    reported as skipped, with where it was looked for.
    """
    from helpers.drafting import texts

    sources = data.load_sources().reset_index(drop=True)
    found = texts.article_texts(sources)
    assert set(found) == set(sources.loc[sources["seed_file"].notna(), "source_id"])
    changed = [t.why for t in found.values() if t.state == "changed"]
    assert not changed, "\n".join(changed)
    missing_shared = [t.why for t in found.values() if t.state == "absent" and t.shared]
    if missing_shared and required("REQUIRE_SEEDS"):
        pytest.fail("; ".join(missing_shared) + "; REQUIRE_SEEDS or CI is set, so this is a failure, not a skip")
    absent = [t.why for t in found.values() if t.state == "absent"]
    if absent:
        pytest.skip("article texts not checked (absent): " + "; ".join(absent))


def _mismatch(parts_total: float, total: float) -> bool:
    return abs(parts_total - total) > 0.5


def test_batches_add_up_to_annual_totals_or_the_exception_is_recorded():
    q = data.load_quotas(segment="total")
    problems = []
    for (stage, year), g in q.groupby(["stage", "year"], observed=True):
        annual = g[g["part"] == "annual"]
        batches = g[g["part"].isin(["first_batch", "second_batch", "third_batch"])]
        if annual.empty or batches.empty or annual["value"].isna().any():
            continue
        parts = set(batches["part"])
        complete = {"first_batch", "second_batch"} <= parts
        if not complete:
            continue
        total, summed = annual["value"].iloc[0], batches["value"].sum()
        note = str(annual["note"].iloc[0] or "")
        if _mismatch(summed, total) and SUM_EXCEPTION not in note:
            problems.append(f"{stage} {year}: batches sum to {summed:,.0f}, annual is {total:,.0f}")
        if not _mismatch(summed, total) and SUM_EXCEPTION in note:
            problems.append(f"{stage} {year}: recorded a sum exception but the batches add up")
    assert not problems, "\n".join(problems)


def _sum_of_periods(start, end, months, combined):
    """Sum of single months (or a combined span starting there) covering start..end, or None."""
    total, m = 0.0, start
    while m <= end:
        if m in months.index:
            total, m = total + months[m], m + 1
        elif m in combined and combined[m][0] <= end:
            total, m = total + combined[m][1], combined[m][0] + 1
        else:
            return None
    return total


def test_months_add_up_to_year_to_date_totals_or_the_exception_is_recorded():
    e = data.load_exports()
    problems, checked = [], 0
    for (series, partner), g in e.groupby(["series", "partner"], observed=True):
        months = g[g["period_kind"] == "month"].set_index("period_end")["value"]
        # combined periods (customs' January-February) stand in for their months, never split
        combined = {r.period_start: (r.period_end, r.value) for r in g[g["period_kind"] == "months"].itertuples()}
        for _, tot in g[g["period_kind"].isin(["year_to_date", "year"])].iterrows():
            summed = _sum_of_periods(tot["period_start"], tot["period_end"], months, combined)
            if summed is None:
                continue
            checked += 1
            note = str(tot["note"] or "")
            if _mismatch(summed, tot["value"]) and SUM_EXCEPTION not in note:
                problems.append(f"{series} {partner} {tot['period_start']}..{tot['period_end']}: months sum to "
                                f"{summed:,.1f}, total is {tot['value']:,.1f}")
    assert not problems, "\n".join(problems)


def _years(stage, part="annual", status=None):
    q = data.load_quotas(stage=stage, part=part, segment="total")
    if status:
        q = q[q["status"] == status]
    return set(q["year"].astype(int))


def test_quota_coverage():
    assert {2011, 2013, 2014, *range(2017, 2025)} <= _years("mining", status="reported")
    assert {2010, 2012} <= _years("mining")
    assert {2011, *range(2017, 2025)} <= _years("smelting", status="reported")
    for stage in ("mining", "smelting"):
        assert set(range(2019, 2025)) <= _years(stage, "first_batch")
        assert set(range(2019, 2025)) <= _years(stage, "second_batch") | _years(stage, "annual") - {2025}
    q = data.load_quotas(part="first_batch")
    undisclosed = q[q["year"] == 2025]
    assert set(undisclosed["stage"]) == {"mining", "smelting"}
    assert (undisclosed["status"] == "undisclosed").all() and undisclosed["value"].isna().all()
    assert not (data.load_quotas(preferred_only=False)["year"] == 2025).loc[lambda s: s].empty


def _months(series, partner="World"):
    s = data.monthly_exports(series, partner)
    return {str(p) for p in s.dropna().index}


def test_export_coverage():
    magnets = _months("magnets")
    expected = {"2024-07", "2024-08", "2024-09", "2024-10", "2025-01", "2025-05", "2025-06", "2025-07", "2025-08",
                "2025-09", "2025-10", "2025-11", "2025-12"}
    assert expected <= magnets, sorted(expected - magnets)
    us = _months("magnets", "United States")
    assert {f"2025-{m:02d}" for m in range(5, 13)} <= us
    re_ = _months("rare_earths")
    assert {"2024-05", "2024-06", "2024-07", "2024-08", "2024-11", "2024-12", "2025-03", "2025-04", "2025-05",
            "2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-12"} <= re_


def _span(first, last):
    return {str(p) for p in pd.period_range(first, last, freq="M")}


def test_export_coverage_reaches_the_newest_month_in_the_2026_pack():
    # magnets to the world: every month 2023-01..2026-03 the packs give (single months found or derivable)
    not_in_packs = {"2023-01", "2023-02", "2023-03", "2023-04", "2023-05", "2023-06", "2023-11", "2023-12",
                    "2024-01", "2024-03"}
    missing = _span("2023-01", "2026-03") - not_in_packs - _months("magnets")
    assert not missing, sorted(missing)
    assert max(_months("magnets")) == "2026-03"
    us = _months("magnets", "United States")
    assert _span("2025-03", "2026-03") | {"2024-05", "2024-06", "2024-10"} <= us, sorted(_span("2025-03", "2026-03") - us)
    # 'rare earths': every reporting period 2023 .. January-February 2026, January and February always combined
    periods = data.export_periods("rare_earths")
    have = {(str(a), str(b)) for a, b in zip(periods["period_start"], periods["period_end"])}
    for year in range(2023, 2027):
        assert (f"{year}-01", f"{year}-02") in have, f"no combined January-February {year}"
    singles = {a for a, b in have if a == b}
    missing = {m for m in _span("2023-03", "2025-12") if m[5:] not in ("01", "02")} - singles
    assert not missing, sorted(missing)


def test_combined_periods_are_flagged_and_never_split_into_months():
    periods = data.export_periods("rare_earths")
    combined = periods[periods["combined"]]
    assert len(combined) >= 4 and (combined["n_months"] == 2).all()
    assert not periods.loc[~periods["combined"], "n_months"].ne(1).any()
    monthly = data.monthly_exports("rare_earths")
    for start, end in zip(combined["period_start"], combined["period_end"]):
        covered = [m for m in pd.period_range(start, end, freq="M") if m in monthly.index]
        assert monthly.loc[covered].isna().all(), f"{start}..{end} was split into months"


def test_series_are_never_mixed_in_one_row():
    e = data.load_exports(preferred_only=False)
    assert set(e["series"]) <= {"magnets", "magnets_and_alloys", "rare_earths", "rare_earth_products"}
    # the three June 2025 figures of conflict C9 are three series, not three versions of one
    june = e[(e["period_kind"] == "month") & (e["period_end"] == pd.Period("2025-06", "M")) & (e["partner"] == "World")]
    assert set(june["series"]) >= {"magnets", "rare_earths", "rare_earth_products"}


def test_production_rows_name_their_edition_and_china_is_the_quota():
    p = data.load_production()
    assert p["edition"].notna().all()
    china = p[p["country"] == "China"].set_index("year")["value"]
    quota = data.annual_quotas("mining", include_derived=False)
    both = sorted(set(china.index) & set(quota.index) & set(range(2015, 2026)))
    assert {2015, 2016, 2018, 2024} <= set(both), both
    # in the editions held (MCS 2016 on) USGS reports China's output as the official quota: they agree year by year
    assert all(china[y] == quota[y] for y in both), {y: (china[y], quota[y]) for y in both}


def test_select_filters_on_every_given_column_and_names_an_unknown_value():
    from helpers.data.loaders import _select
    frame = pd.DataFrame({"stage": pd.Categorical(["mining", "mining", "smelting"], categories=["mining", "smelting"]),
                          "part": ["annual", "first_batch", "annual"]})
    assert list(_select("quotas", frame, stage="mining", part=None).index) == [0, 1]
    assert list(_select("quotas", frame, stage="mining", part="annual").index) == [0]
    assert len(_select("quotas", frame, stage=None, part=None)) == 3
    with pytest.raises(ValueError, match=r"quotas\.part: unknown value 'second_batch'; expected one of "
                                         r"\['annual', 'first_batch'\]"):
        _select("quotas", frame, stage=None, part="second_batch")
