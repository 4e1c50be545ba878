"""The claims ledger (data/claims.csv) against the real curated data.

Every claim is recomputed and must get the status pinned in expected_status: a
data or code change that moves a claim fails here until the ledger is updated
on purpose. Every phrase must stand in its article (../shared/seeds), every
article must have claims, every 'differs' must show its gap, and no claim may
be confirmed by its own article or by a value derived from its article's
numbers.
"""
import csv
import re
from fractions import Fraction

import pandas as pd
import pytest

from conftest import article_text, manifest_articles
from helpers import claims as C
from helpers import data, paths

CLAIM_IDS = [r["claim_id"] for r in csv.DictReader(open(paths.DATA / "claims.csv", encoding="utf-8"))]


@pytest.fixture(scope="module")
def ledger():
    return data.load_table("claims")


@pytest.fixture(scope="module")
def checked():
    return C.check_claims().set_index("claim_id", drop=False)


@pytest.fixture(scope="module")
def sources():
    return data.load_sources()


def norm(text: str) -> str:
    """Whitespace collapsed, typographic quotes and dashes made plain."""
    for a, b in {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                 "\u00a0": " "}.items():
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip()


def test_the_ledger_loads_through_its_schema(ledger):
    assert len(ledger) == len(CLAIM_IDS) > 0
    names = [f["name"] for f in data.resource("claims", data.read_package())["schema"]["fields"]]
    assert list(ledger.columns) == names


@pytest.mark.parametrize("claim_id", CLAIM_IDS)
def test_status_is_the_pinned_one(checked, claim_id):
    row = checked.loc[claim_id]
    assert row["status"] == row["expected_status"], (
        f"{claim_id}: the data now give {row['status']} ({row['result']}; recomputed {row['recomputed_text']}, "
        f"interval {row['recomputed_interval']}, stated {row['stated_text']}) but the ledger pins {row['expected_status']}. "
        "If the change is intended, update expected_status (and the note) in data/claims.csv.")


def test_every_seed_article_has_claims(ledger, sources):
    articles = set(sources.loc[sources["seed_file"].notna() & (sources["seed_file"] != ""), "source_id"])
    notebooks = manifest_articles()
    assert articles, "no article in data/sources.csv has a seed_file"
    assert articles == notebooks, (f"articles with a seed file but no notebook in the manifest: "
                                   f"{sorted(articles - notebooks)}; article notebooks whose source has no seed "
                                   f"file: {sorted(notebooks - articles)}")
    counts = ledger["source_id"].astype(str).value_counts()
    missing = sorted(a for a in articles if counts.get(a, 0) == 0)
    assert not missing, f"articles without claims: {missing}"


def test_claims_belong_to_seed_articles(ledger, sources):
    seeded = set(sources.loc[sources["seed_file"].notna() & (sources["seed_file"] != ""), "source_id"])
    others = sorted(set(ledger["source_id"].astype(str)) - seeded)
    assert not others, f"claims for documents that are not one of the articles (a source with a seed_file): {others}"


def test_claim_ids_start_with_their_article(ledger):
    bad = [cid for cid, sid in zip(ledger["claim_id"], ledger["source_id"]) if not cid.startswith(f"{sid}__")]
    assert not bad


def test_differs_rows_show_a_nonzero_gap(checked):
    differs = checked[checked["status"] == "differs"]
    assert len(differs) > 0
    for _, row in differs.iterrows():
        assert row["gap"] > 0, row["claim_id"]
        assert row["result"].startswith("differs by ") and not row["result"].startswith("differs by 0 "), row["claim_id"]
        assert pd.notna(row["recomputed"]), row["claim_id"]


def test_only_differs_rows_have_a_gap(checked):
    assert checked.loc[checked["status"] != "differs", "gap"].isna().all()


def test_not_checkable_rows_say_why(checked, ledger):
    nc = checked[checked["status"] == "not_checkable"]
    assert (nc["reason"].str.len() > 10).all()
    no_recipe = ledger[ledger["recipe"].isna() | (ledger["recipe"].astype(str).str.strip() == "")]
    assert (no_recipe["expected_status"] == "not_checkable").all()
    assert no_recipe["not_checkable_reason"].notna().all()


@pytest.mark.parametrize("claim_id", CLAIM_IDS)
def test_phrase_stands_in_its_article(ledger, sources, claim_id):
    """Against the accepted text (found through ARTICLE_TEXTS; skipped, saying why, when absent)."""
    row = ledger.set_index("claim_id").loc[claim_id]
    text = norm(article_text(str(row["source_id"])))
    phrase = norm(row["phrase"])
    assert phrase in text, f"{claim_id}: {phrase!r} is not in {sources.loc[row['source_id'], 'seed_file']}"


def test_phrases_are_short_and_read_as_their_number(ledger):
    """What can be checked without the article's text, for every row (a text may be absent)."""
    long = [cid for cid, phrase in zip(ledger["claim_id"], ledger["phrase"]) if len(norm(phrase).split()) > 12]
    assert not long, f"a phrase is a few words, not a passage: {long}"
    bad, read = [], 0
    for row in ledger.to_dict("records"):
        if row["unit"] in ("date", "month", "weekday", "year"):
            continue                      # dates: test_printed_dates_agree_with_stated
        value, half = C.parse_stated(str(row["stated_text"]), str(row["unit"]))
        read += 1
        if abs(value - Fraction(str(row["stated"]))) > half:
            bad.append(f"{row['claim_id']}: {row['stated_text']!r} reads as {float(value):g}, stated {row['stated']}")
    assert read > 0 and not bad, "stated_text does not read as stated:\n" + "\n".join(bad)


def test_stated_text_stands_in_its_phrase(ledger):
    bad = [cid for cid, phrase, stated in zip(ledger["claim_id"], ledger["phrase"], ledger["stated_text"])
           if norm(stated).lower() not in norm(phrase).lower()]
    assert not bad, f"stated_text not found in its phrase: {bad}"


def test_no_claim_is_confirmed_by_its_own_article_or_its_numbers(ledger):
    tables = C.Tables()
    numbers = C._numbers_by_article(ledger)
    used_derived, examined = 0, set()
    for claim in ledger.to_dict("records"):
        if not isinstance(claim["recipe"], str) or not claim["recipe"].strip():
            continue
        sid = str(claim["source_id"])
        ctx = C.Context(claim["claim_id"], sid, tables, numbers[sid], tables.own_sources(sid))
        try:
            value = C.evaluate(claim["recipe"], ctx)
        except C.NotCheckable:
            continue
        for inp in value.inputs:
            if inp.table == "sources":          # the article's own dateline, used only to resolve "ago"
                continue
            examined.add(inp.table)
            assert inp.source_id not in ctx.own_sources, f"{claim['claim_id']} rests on {inp.source_id}"
            if inp.status == "derived":
                used_derived += 1
                f = tables.frame(inp.table)
                hit = f[(f["status"] == "derived") & (f["source_id"] == inp.source_id) & (f["formula"] == inp.formula)]
                assert len(hit) == 1, f"{claim['claim_id']}: the derived row behind {inp.key} is not found once"
                row = hit.iloc[0]
                _, literals = C.derived_interval(tables, inp.table, row)
                shared = set(literals) & numbers[sid]
                assert not shared, f"{claim['claim_id']} rests on {inp.formula!r}, built from its own numbers {shared}"
    assert used_derived > 0          # the guard above was exercised on the real ledger
    assert {"quotas", "exports"} <= examined, f"the guard saw inputs from {sorted(examined)} only"


def test_the_june_2024_value_built_from_38_1_percent_is_refused_for_ainvest(checked, ledger):
    assert "metalnomist_2024_08_magnet_exports" in checked.loc["ainvest_2025_quiet_quotas__june_below_june_2024", "inputs"]
    # keep only the June 2024 row computed as 3,188 / (1 - 0.381), whatever the data prefer
    tables = C.Tables()
    f = tables.frame("exports")
    june = (f["series"] == "magnets") & (f["partner"] == "World") & (f["period_kind"] == "month") \
        & (f["period_start"] == pd.Period("2024-06", freq="M"))
    circular = june & f["formula"].fillna("").str.contains("0.381", regex=False)
    assert circular.sum() == 1, "the data no longer hold the June 2024 value derived from 38.1%"
    tables._frames["exports"] = f[~june | circular].reset_index(drop=True)
    numbers = C._numbers_by_article(ledger)
    recipe = 'exports("magnets", "2024-06", derived=True)'
    ainvest = C.Context("probe", "ainvest_2025_quiet_quotas", tables, numbers["ainvest_2025_quiet_quotas"],
                        tables.own_sources("ainvest_2025_quiet_quotas"))
    with pytest.raises(C.NotCheckable, match="derived from this article's own numbers"):
        C.evaluate(recipe, ainvest)
    # an article that states neither 3,188 nor 38.1% may use it
    nyt = C.Context("probe", "nyt_2025_limited_exports", tables, numbers["nyt_2025_limited_exports"],
                    tables.own_sources("nyt_2025_limited_exports"))
    assert C.evaluate(recipe, nyt).inputs[0].formula.count("0.381") == 1


def test_summary_adds_up(checked):
    line = C.summary(checked=checked.reset_index(drop=True))
    m = re.fullmatch(r"(\d+) of (\d+) numbers reproduce \((\d+) within rounding, (\d+) differs?, (\d+) not checkable\)\.",
                     line)
    assert m, line
    r, n, w, d, c = map(int, m.groups())
    assert n == len(CLAIM_IDS) and r + w + d + c == n
    assert (r, w, d, c) == tuple(int((checked["status"] == s).sum()) for s in C.STATUSES)


def test_reader_tables_cover_every_claim_without_artefacts(checked, sources):
    flat = checked.reset_index(drop=True)
    for sid in sorted(set(flat["article"])):
        table = C.article_table(sid, checked=flat)
        assert len(table) == int((flat["article"] == sid).sum())
        text = table.to_string()
        assert "nan" not in text.lower().split() and "0x" not in text and "Fraction" not in text


def test_printed_dates_agree_with_stated(ledger, sources):
    """'April 4' must be stated 20250404, 'early April' 202504; relative dates ('last month') are set by hand."""
    checked_any = False
    for row in ledger[ledger["unit"].isin(["date", "month"])].to_dict("records"):
        published = sources.loc[row["source_id"], "published"]
        try:
            year, month, day = C.stated_text_date(row["stated_text"], published)
        except ValueError:
            continue                      # no month name: a relative date such as "last month"
        n = int(row["stated"])
        got = (n // 10000, n // 100 % 100, n % 100) if row["unit"] == "date" else (n // 100, n % 100, None)
        assert got == (year, month, day), f"{row['claim_id']}: {row['stated_text']!r} vs stated {n}"
        checked_any = True
    assert checked_any
