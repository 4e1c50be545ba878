"""The claims ledger: load data/claims.csv, check every claim, and the per-article table and summary.

Part of ``helpers.claims``.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from fractions import Fraction
from pathlib import Path

from helpers import data as _data
from helpers.data.schema import listed_problems, pd  # pandas on first use: checking the ledger (make check-data) needs none
from helpers.claims.derived import article_number_forms
from helpers.claims.intervals import ClaimError, DATE_UNITS, NotCheckable
from helpers.claims.ledger_check import claim_problem, ledger_problems
from helpers.claims.lookups import Context, Tables
from helpers.claims.present import (_decimals, _display_decimals, _fmt_interval, _fmt_stated_interval, _fmt_value,
                                    gap_number, status_words)
from helpers.claims.recipe import evaluate
from helpers.claims.stated import _round_half_away, judge, stated_interval


# --------------------------------------------------------------------------- checking

def check_claim(claim: dict, tables: Tables, article_numbers: frozenset = frozenset()) -> dict:
    """Recompute one claim and judge it against the interval its printing allows.

    Parameters
    ----------
    claim : dict
        One ledger row (columns of ``claims`` in data/datapackage.json).
    tables : Tables
        The curated tables the recipe reads.
    article_numbers : frozenset, optional
        Forms of the article's own measured numbers (`article_number_forms`): a derived
        row whose formula uses one of them cannot confirm the claim.

    Returns
    -------
    dict
        ``status`` (one of ``STATUSES``), the recomputed value `Q`, the stated interval,
        ``gap`` and ``reason`` (why not checkable).

    Raises
    ------
    ClaimError
        When the recipe is broken or names data that do not exist.
    """
    cid, unit, qual = claim["claim_id"], claim["unit"], claim["qualifier"]
    try:
        st = stated_interval(claim["stated"], claim["stated_text"], unit, qual)
    except ValueError as exc:
        raise ClaimError(f"{cid}: {exc}", column="stated_text") from None
    out = {"claim_id": cid, "stated_interval": st, "value": None, "status": "not_checkable",
           "gap": None, "point_diff": None, "reason": None}
    recipe = claim.get("recipe")
    if not isinstance(recipe, str) or not recipe.strip():
        out["reason"] = claim.get("not_checkable_reason") or "no recipe"
        return out
    ctx = Context(cid, claim["source_id"], tables, article_numbers, tables.own_sources(claim["source_id"]))
    try:
        value = evaluate(recipe, ctx)
    except NotCheckable as exc:
        out["reason"] = str(exc)
        return out
    want = "date" if unit in DATE_UNITS else "number"
    if value.kind != want:
        raise ClaimError(f"{cid}: recipe gives a {value.kind} but the unit {unit!r} needs a {want}")
    out.update(value=value, **judge(value, st))
    return out


def load_claims(data_dir: Path | None = None) -> pd.DataFrame:
    """The claims ledger, validated against its schema.

    Parameters
    ----------
    data_dir : path, optional
        A data folder laid out like data/.

    Returns
    -------
    DataFrame
        One row per claim of data/claims.csv, in file order.

    Raises
    ------
    DataError
        When data/claims.csv does not match its schema (file, line, column named).
    """
    return _data.load_table("claims", data_dir)


def _numbers_by_article(claims: pd.DataFrame) -> dict[str, frozenset]:
    out = {}
    for sid, grp in claims.groupby("source_id", observed=True):
        out[str(sid)] = article_number_forms(
            (v, str(u)) for v, u in zip(grp["stated"], grp["unit"]) if pd.notna(v))
    return out

RESULTS_SCHEMA_FILE = Path(__file__).resolve().parent.parent / "claims_results.schema.json"  # shared with the site writer
RESULTS_SCHEMA = json.loads(RESULTS_SCHEMA_FILE.read_text(encoding="utf-8"))
RESULTS_COLUMNS = [f["name"] for f in RESULTS_SCHEMA["fields"]]


def _bound(x, kind: str) -> float:
    """A bound as a number for the results table: NaN when infinite, YYYYMMDD for dates (ordinals)."""
    if x in (math.inf, -math.inf):
        return math.nan
    if kind == "date":
        d = dt.date.fromordinal(int(x))
        return float(d.year * 10000 + d.month * 100 + d.day)
    return float(x)


def _refuse(problems: list) -> None:
    """Raise ClaimError listing the ledger's problems (each with its line), if there are any."""
    if len(problems) == 1:
        raise ClaimError(str(problems[0]))
    if problems:
        raise ClaimError(f"{len(problems)} problems in the claims ledger:\n{listed_problems(problems)}")


def check_claims(source_id: str | None = None, data_dir: Path | None = None) -> pd.DataFrame:
    """Recompute every claim of the ledger (or of one article) from the curated data.

    One row per claim, in ledger order, with the columns of RESULTS_SCHEMA in
    its order (their descriptions say what each holds): numbers in float
    columns (stated, recomputed, the low and high bounds of the stated and the
    recomputed interval, gap, point_diff; NaN where there is none), the
    printed text in string columns (stated_text, recomputed_text,
    stated_interval, recomputed_interval, result).

    Parameters
    ----------
    source_id : str, optional
        One article's source id; all articles when None.
    data_dir : path, optional
        A data folder laid out like data/.

    Returns
    -------
    DataFrame
        Shape (claims, len(RESULTS_COLUMNS)).

    Raises
    ------
    ClaimError
        When a recipe is broken or names data that do not exist; the message names
        data/claims.csv, the line and the column (``ledger_check.ledger_problems``).
    DataError
        When a data file does not match its schema.
    """
    tables = Tables(data_dir)
    claims = load_claims(tables.data_dir)
    _refuse(ledger_problems(tables.data_dir, source_id))  # every recipe that cannot run, before any runs
    sources = tables.frame("sources").set_index("source_id")
    numbers = _numbers_by_article(claims)
    if source_id is not None:
        if source_id not in set(claims["source_id"].astype(str)):
            raise KeyError(f"no claims for article {source_id!r} in the ledger")
        claims = claims[claims["source_id"] == source_id]
    rows = []
    for claim in claims.to_dict("records"):
        claim = {k: (None if (not isinstance(v, str) and pd.isna(v)) else v) for k, v in claim.items()}
        claim["source_id"], claim["unit"], claim["qualifier"] = (str(claim["source_id"]), str(claim["unit"]),
                                                                 str(claim["qualifier"]))
        try:
            res = check_claim(claim, tables, numbers.get(claim["source_id"], frozenset()))
        except ClaimError as exc:       # the row's place in the ledger, as the tables' checks give it
            raise ClaimError(str(claim_problem(tables.data_dir, claim["claim_id"], exc.column, str(exc))),
                             exc.column) from None
        value, st, unit = res["value"], res["stated_interval"], claim["unit"]
        src = sources.loc[claim["source_id"]] if claim["source_id"] in sources.index else None
        if value is not None and value.kind == "number":
            d = _display_decimals(st, value, unit)
            recomputed = float(_round_half_away(value.point, Fraction(1, 10 ** d)))
        elif value is not None:
            recomputed = _bound(value.point, value.kind)
        else:
            recomputed = math.nan
        st_kind = "date" if st.qualifier == "date" else "number"
        rows.append({
            "claim_id": claim["claim_id"],
            "article": claim["source_id"],
            "publisher": "" if src is None else str(src["publisher"]),
            "published": "" if src is None or not isinstance(src["published"], str) else src["published"],
            "claim": claim["phrase"],
            "stated": float(claim["stated"]),
            "stated_text": claim["stated_text"],
            "unit": unit,
            "qualifier": claim["qualifier"],
            "stated_low": _bound(st.lo, st_kind),
            "stated_high": _bound(st.hi, st_kind),
            "recomputed": recomputed,
            "recomputed_text": "" if value is None else _fmt_value(value, st, unit),
            "recomputed_low": math.nan if value is None else _bound(value.lo, value.kind),
            "recomputed_high": math.nan if value is None else _bound(value.hi, value.kind),
            "recomputed_interval": "" if value is None else _fmt_interval(value, st, unit),
            "stated_interval": _fmt_stated_interval(st, unit),
            "status": res["status"],
            "expected_status": claim["expected_status"],
            "gap": math.nan if res["gap"] is None else gap_number(res["gap"]),
            "point_diff": (math.nan if res["point_diff"] is None
                           else float(_round_half_away(res["point_diff"], Fraction(1, 10 ** (_decimals(st.half) + 2))))),
            "result": status_words(res["status"], res["gap"], unit, res["reason"]),
            "reason": res["reason"] or "",
            "inputs": "" if value is None else ", ".join(dict.fromkeys(i.source_id for i in value.inputs)),
            "note": claim.get("note") or "",
        })
    frame = pd.DataFrame(rows, columns=RESULTS_COLUMNS)
    return frame.reset_index(drop=True)


def article_table(source_id: str, data_dir: Path | None = None, checked: pd.DataFrame | None = None) -> pd.DataFrame:
    """Reader-facing table of one article's numbers: plain columns, words for statuses.

    Parameters
    ----------
    source_id : str
        The article's source id.
    data_dir : path, optional
        A data folder laid out like data/.
    checked : DataFrame, optional
        A `check_claims` result to reuse instead of checking again.

    Returns
    -------
    DataFrame
        Columns Phrase in the article, Article says, Data give, Range from rounding,
        Result; index 1..n. Deterministic (no ids, fixed rounding), for nbval outputs.
    """
    df = checked if checked is not None else check_claims(source_id, data_dir)
    df = df[df["article"] == source_id]
    out = pd.DataFrame({
        "Phrase in the article": df["claim"].to_numpy(),
        "Article says": df["stated_text"].to_numpy(),
        "Data give": [t if t else "-" for t in df["recomputed_text"]],
        "Range from rounding": [t if t else "-" for t in df["recomputed_interval"]],
        "Result": df["result"].to_numpy(),
    })
    out.index = pd.RangeIndex(1, len(out) + 1)
    return out


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def summary(source_id: str | None = None, data_dir: Path | None = None, checked: pd.DataFrame | None = None) -> str:
    """One line: 'R of N numbers reproduce (W within rounding, D differ, C not checkable).'.

    N counts every number in the ledger (for the article, or all); R those
    reproduced exactly; the parenthesis splits the rest, so R + W + D + C = N.
    'reproduce'/'differ' take the singular ('reproduces', 'differs') when the
    count is 1.

    Parameters
    ----------
    source_id : str, optional
        One article; the whole ledger when None.
    data_dir : path, optional
        A data folder laid out like data/.
    checked : DataFrame, optional
        A `check_claims` result to reuse.

    Returns
    -------
    str
        The line, for the article page, the index card and the README.
    """
    df = checked if checked is not None else check_claims(source_id, data_dir)
    if source_id is not None:
        df = df[df["article"] == source_id]
    counts = df["status"].value_counts()
    n, r = len(df), int(counts.get("reproduced", 0))
    w, d, c = (int(counts.get(s, 0)) for s in ("within_rounding", "differs", "not_checkable"))
    verb = "reproduces" if r == 1 else "reproduce"
    return (f"{r} of {_plural(n, 'number', 'numbers')} {verb} "
            f"({w} within rounding, {d} {'differs' if d == 1 else 'differ'}, {c} not checkable).")
