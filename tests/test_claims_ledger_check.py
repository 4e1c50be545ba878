"""A claims ledger whose recipes cannot run is refused before anything runs, at its line and column.

``helpers.claims.ledger_check`` checks every recipe of data/claims.csv without evaluating it:
it parses, calls known functions with fitting arguments, names stages, series, HS codes and ids the
curated tables hold, and asks for rows that exist. `make check-data`, ``check_claims`` and the
report's claims job all name ``claims.csv, line N, column 'recipe'``. The small data set of
tests/test_claims.py is used (a temporary folder); the real data/ is only read.
"""
import inspect
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, write_table
from helpers import claims as C
from helpers import data
from helpers.claims import ledger_check
from helpers.report_extension import claims_job
from test_claims import A, CLAIMS, claim, ddir  # noqa: F401 - ddir is the small data set's fixture

#: kind of fault -> (recipe, fragments its message must hold); the newcomer's example first, then others
BAD = {
    "unclosed_paren": ('pct_change(quota("mining", 2018), quota("mining", 2019)',
                       ["recipe is not a valid expression", "'(' was never closed", "expected one expression"]),
    "missing_comma": ('quota("mining" 2019)', ["recipe is not a valid expression", "expected one expression"]),
    "unknown_function": ('pct_chnage(quota("mining", 2018), quota("mining", 2019))',
                         ["unknown function 'pct_chnage' (did you mean 'pct_change'?)", "allowed: "]),
    "unknown_lookup": ('qouta("mining", 2019)', ["unknown function 'qouta' (did you mean 'quota'?)"]),
    "unknown_stage": ('quota("minig", 2019)',
                      ["quota('minig', 2019): unknown stage 'minig' (did you mean 'mining'?)",
                       "expected one of quotas.csv's stage values: mining, smelting"]),
    "unknown_series": ('exports("magnet", "2025-06")', ["unknown series 'magnet' (did you mean 'magnets'?)"]),
    "unknown_hs_code": ('imports("China", 2020, product="HS 28466")',
                        ["unknown product 'HS 28466' (did you mean 'HS 2846'?)"]),
    "unknown_element_item": ('controlled_elements("licensing", item="permanent_magnet")',
                             ["unknown item 'permanent_magnet' (did you mean 'permanent_magnets'?)"]),
    "unknown_notice_stage": ('notices("smleting", 2019)', ["unknown stage 'smleting' (did you mean 'smelting'?)"]),
    "year_without_data": ('quota("mining", 2005)',
                          ["quota('mining', 2005) needs data the curated tables lack",
                           "quotas.csv has no row with stage 'mining' and year 2005",
                           "for stage 'mining' it has year 2018, 2019, 2020", "add the row to data/quotas.csv"]),
    "month_without_data": ('pct_change(exports("magnets", "2025-05"), exports("magnets", "2031-06"))',
                           ["exports('magnets', '2031-06') needs data the curated tables lack",
                            "period_start '2031-06'"]),
    "part_without_data": ('quota("smelting", 2019, part="first_batch")',
                          ["no row with stage 'smelting' and year 2019 and part 'first_batch'"]),
    "misspelt_keyword": ('quota("mining", 2019, prat="annual")',
                         ["quota(): got an unexpected keyword argument 'prat' (did you mean 'part'?)",
                          "expected quota(stage, year, part='annual'"]),
    "missing_argument": ('pct_change(quota("mining", 2019))',
                         ["pct_change(): missing a required argument: 'new'", "expected pct_change(old, new)"]),
    "derived_not_boolean": ('quota("mining", 2019, derived="yes")', ["derived='yes': expected True or False"]),
    # a second break attempt: recipes that passed every check and published a wrong verdict
    "boolean_for_a_year": ('quota("mining", True)', ["quota(): year=True: expected a year, not True or False"]),
    "month_out_of_range": ('years_with_notice_in("first_batch", 2010, 2019, 0, 12)',
                           ["first_month=0: expected a month from 1 to 12"]),
    "range_backwards": ('years_with_notice_in("first_batch", 2019, 2010, 1, 12)',
                        ["first_year=2019 comes after last_year=2010; expected the range in order"]),
}


def bad_ledger(ddir, *recipes):
    """The small ledger plus one claim per recipe; the line each stands on."""
    rows = CLAIMS + [claim(f"bad{i}", 1, "1 t", "t", r) for i, r in enumerate(recipes)]
    write_table(ddir, "claims", rows)
    return {r: (f"{A}__bad{i}", len(CLAIMS) + 2 + i) for i, r in enumerate(recipes)}


def test_the_small_ledger_and_the_real_one_have_no_problem(ddir):
    assert ledger_check.ledger_problems(ddir) == []
    assert ledger_check.ledger_problems() == []


@pytest.mark.parametrize("kind", sorted(BAD))
def test_each_kind_is_named_at_its_line_and_column_by_the_check_and_the_claims_checker(ddir, kind):
    recipe, fragments = BAD[kind]
    (cid, line), = bad_ledger(ddir, recipe).values()
    problems = [str(p) for p in ledger_check.ledger_problems(ddir)]
    assert len(problems) == 1, problems
    where = f"{ddir / 'claims.csv'}, line {line}, column 'recipe': claim {cid}: "
    assert problems[0].startswith(where), problems[0]
    for fragment in fragments:
        assert fragment in problems[0], problems[0]
    # a build stops on the same message, before any recipe runs
    with pytest.raises(C.ClaimError) as err:
        C.check_claims(data_dir=ddir)
    assert str(err.value) == problems[0]


def test_only_the_article_asked_for_is_checked(ddir):
    bad_ledger(ddir, 'quota("minig", 2019)')
    assert ledger_check.ledger_problems(ddir, source_id="art_b") == []
    assert len(ledger_check.ledger_problems(ddir, source_id=A)) == 1


def test_several_problems_are_all_listed_with_their_lines(ddir):
    at = bad_ledger(ddir, 'quota("minig", 2019)', 'quota("mining", 2005)')
    with pytest.raises(C.ClaimError) as err:
        C.check_claims(data_dir=ddir)
    message = str(err.value)
    assert message.startswith("2 problems in the claims ledger:"), message
    for cid, line in at.values():
        assert f"claims.csv, line {line}, column 'recipe': claim {cid}: " in message, message


def test_a_fault_found_only_by_running_is_located_too(ddir):
    # well formed and naming existing data, but an event gives a date where the unit wants tonnes
    (cid, line), = bad_ledger(ddir, 'event("licensing")').values()
    assert ledger_check.ledger_problems(ddir) == []
    with pytest.raises(C.ClaimError) as err:
        C.check_claims(data_dir=ddir)
    assert str(err.value).startswith(f"{ddir / 'claims.csv'}, line {line}, column 'recipe': {cid}: recipe gives a "
                                     "date but the unit 't' needs a number"), str(err.value)


def test_the_report_names_the_place_and_the_fix(ddir, tmp_path):
    (cid, line), = bad_ledger(ddir, BAD["unknown_function"][0]).values()
    out = claims_job({"data_dir": str(ddir), "out_csv": str(tmp_path / "out.csv"), "articles": [A]})
    assert out["status"] == "failed"
    assert f"claims.csv, line {line}, column 'recipe': claim {cid}: unknown function 'pct_chnage' " \
           "(did you mean 'pct_change'?)" in out["message"], out["message"]


def test_check_data_lists_every_recipe_problem_with_the_others(ddir, tmp_path_factory):
    root = tmp_path_factory.mktemp("proj")
    (root / "notebooks").mkdir()
    shutil.copytree(ddir, root / "data")
    at = bad_ledger(root / "data", *(recipe for recipe, _ in BAD.values()))
    env = {**os.environ, "NBREPORT_ROOT": str(root)}
    code = ("import runpy, sys\nsys.argv = ['helpers.data']\ntry:\n    runpy.run_module('helpers.data', run_name='__main__')\n"
            "except SystemExit as exc:\n    print('exit', exc.code, 'pandas' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=str(REPO / "src"),
                          timeout=120)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out and "data OK" not in out, out
    assert out.rstrip().endswith(f"{len(BAD)} problem(s)\nexit 1 False"), out  # listed, exit 1, pandas never loaded
    for recipe, fragments in BAD.values():
        cid, line = at[recipe]
        shown = next((s for s in out.splitlines() if f"line {line}, column 'recipe': claim {cid}: " in s), None)
        assert shown is not None, out
        assert all(f in shown for f in fragments), shown


def test_every_lookup_is_described_by_columns_of_its_table():
    package = json.loads((REPO / "data" / "datapackage.json").read_text())
    assert set(ledger_check.LOOKUP_KEYS) == set(C.LOOKUPS)
    for name, keys in ledger_check.LOOKUP_KEYS.items():
        params = inspect.signature(C.LOOKUPS[name]).parameters
        fields = {f["name"] for f in data.resource(keys.table, package)["schema"]["fields"]}
        assert set(keys.columns) <= set(params), name
        assert set(keys.columns.values()) <= fields, name


@pytest.mark.parametrize("stated, text, unit", [(5, "7 t", "t"), (13200, "132,000 tons", "t REO")])
def test_a_stated_number_its_text_does_not_print_is_named_at_the_stated_text(ddir, stated, text, unit):
    rows = CLAIMS + [claim("mismatch", stated, text, unit, 'quota("mining", 2019)')]
    write_table(ddir, "claims", rows)
    problems = [str(p) for p in ledger_check.ledger_problems(ddir)]
    assert len(problems) == 1 and problems[0].startswith(
        f"{ddir / 'claims.csv'}, line {len(rows) + 1}, column 'stated_text': claim {A}__mismatch: "), problems
    with pytest.raises(C.ClaimError) as err:
        C.check_claims(data_dir=ddir)
    assert str(err.value) == problems[0]
    # the claims checker's own message has the same place when it is the one that finds the fault
    monkey = pytest.MonkeyPatch()
    monkey.setattr(C.ledger, "ledger_problems", lambda *a, **k: [])
    try:
        with pytest.raises(C.ClaimError) as err:
            C.check_claims(data_dir=ddir)
    finally:
        monkey.undo()
    assert str(err.value).startswith(f"{ddir / 'claims.csv'}, line {len(rows) + 1}, column 'stated_text': "
                                     f"{A}__mismatch: "), str(err.value)


def test_the_build_refuses_a_ledger_that_cannot_be_checked_before_anything_runs(ddir, tmp_path):
    """The report builder's data check (the extension's check_data, run before any notebook) lists the
    ledger's problems as check-data does; without it the build ran every notebook, then failed its claims."""
    from helpers import report_extension

    root = tmp_path / "proj"
    shutil.copytree(ddir, root / "data")
    assert report_extension.check_data(root) == []
    (cid, line), = bad_ledger(root / "data", 'quota("minig", 2019)').values()
    problems = report_extension.check_data(root)
    assert len(problems) == 1 and problems[0].startswith(
        f"{root / 'data' / 'claims.csv'}, line {line}, column 'recipe': claim {cid}: "), problems
    assert "'minig'" in problems[0], problems
