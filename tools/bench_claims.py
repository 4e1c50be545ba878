"""Benchmark the claims drafter against hand-written ledgers: `make bench-claims`.

Development set:
- the five seed articles (../shared/seeds/, mapped to source_ids by data/sources.csv's
  seed_file) against today's ledger, data/claims.csv;
- further real articles whose texts live OUTSIDE the repository, in the folder given by
  --devset or DEVSET_DIR (default: ../shared/devset if it exists, else ../devset), with
  their metadata in tests/devset/articles.csv and their hand-written ledger in
  tests/devset/claims.csv (same columns as data/claims.csv).

Prints, per article and overall:
- recall: hand-ledger numbers the drafter found (a drafted, not skipped, row whose number
  stands inside the hand row's phrase with the same value);
- recipe accuracy: of the found numbers the hand ledger checks with a recipe, those whose
  drafted recipe gives the same result with the ledger's checker (same value and interval,
  or the same not-checkable reason, or the same recipe when the data lack the row);
- furniture false positives: drafted rows that match no hand row (a careful curator would
  drop them), as a share of drafted rows;
- speed: seconds per article after imports, and for a 1,000-word article.

Targets (issue 12): recall >= 95%, recipe accuracy >= 70%, furniture FP <= 5%, < 2 s.
Not a timed test; `--strict` exits 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import ast
import csv
import os
import re
import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TARGETS = {"recall": 0.95, "accuracy": 0.70, "fp": 0.05, "seconds": 2.0}


def devset_dir(option: str | None) -> Path | None:
    if option:
        return Path(option)
    env = os.environ.get("DEVSET_DIR")
    if env:
        return Path(env)
    for cand in (ROOT.parent / "shared" / "devset", ROOT.parent / "devset"):
        if cand.is_dir():
            return cand
    return None


def _norm(s: str) -> str:
    s = s.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", s)


def _value(x, unit: str):
    if x is None or x == "":
        return None
    try:
        return Fraction(str(x))
    except (ValueError, ZeroDivisionError):
        return None


def _norm_recipe(recipe: str) -> str:
    try:
        return ast.dump(ast.parse(recipe.strip(), mode="eval"))
    except SyntaxError:
        return recipe.strip()


def load_articles(devset: Path | None):
    """(label, path, source_id for the checker, published, hand rows) for every article."""
    from helpers import claims
    ledger = list(csv.DictReader(open(ROOT / "data" / "claims.csv", encoding="utf-8")))
    sources = list(csv.DictReader(open(ROOT / "data" / "sources.csv", encoding="utf-8")))
    from helpers.drafting.texts import article_texts
    found = article_texts(sources)            # ARTICLE_TEXTS (default ../shared/seeds, ../article-texts)
    out = []
    for src in sources:
        if src["seed_file"]:
            rows = [r for r in ledger if r["source_id"] == src["source_id"]]
            t = found[src["source_id"]]
            path = t.path if t.path is not None else ROOT.parent / "shared" / "seeds" / src["seed_file"]
            out.append((src["source_id"], path, src["source_id"], src["published"], rows, "seed"))
    meta_file = ROOT / "tests" / "devset" / "articles.csv"
    if devset is not None and meta_file.is_file():
        hand = list(csv.DictReader(open(ROOT / "tests" / "devset" / "claims.csv", encoding="utf-8")))
        accepted = {s["address"].rstrip("/"): s["source_id"] for s in sources if s["seed_file"] and s["address"]}
        for a in csv.DictReader(open(meta_file, encoding="utf-8")):
            if a["address"].rstrip("/") in accepted:    # accepted into data/: measured once, against its ledger
                print(f"bench-claims: {a['article_id']} is the accepted article {accepted[a['address'].rstrip('/')]}; "
                      "measured against data/claims.csv, not its development-set ledger")
                continue
            rows = [r for r in hand if r["source_id"] == a["article_id"]]
            out.append((a["article_id"], devset / a["file"], a["source_id"] or "", a["published"], rows, "devset"))
    return out


def match(draft, hand_rows, text: str):
    """Pairs (hand row, drafted row or None) and the drafted rows matched by no hand row."""
    ntext = _norm(text)
    # map offsets of the normalised text back: the drafter reports offsets in the raw text; normalise per row
    drafted = [r for r in draft.claims]
    used = set()
    pairs = []
    for h in hand_rows:
        phrase = _norm(h["phrase"]).strip()
        spans = []
        start = 0
        raw_positions = []
        for m in re.finditer(re.escape(phrase).replace(r"\ ", r"\s+"), text):
            raw_positions.append((m.start(), m.end()))
        hv = _value(h["stated"], h["unit"])
        best = None
        for i, r in enumerate(drafted):
            if i in used:
                continue
            dv = _value(r.stated_str(), r.mention.unit)
            if dv is None or hv is None or dv != hv:
                continue
            inside = any(a <= r.mention.start and r.mention.end <= b + 2 or (r.mention.start < b and a < r.mention.end)
                         for a, b in raw_positions)
            if inside:
                best = i
                break
            if not raw_positions and best is None:
                best = i
        if best is not None:
            used.add(best)
            pairs.append((h, drafted[best]))
        else:
            pairs.append((h, None))
    extra = [r for i, r in enumerate(drafted) if i not in used]
    return pairs, extra


def same_result(h, r, tables, hand_forms, draft_forms, sid_hand, sid_draft) -> bool:
    from helpers import claims
    want = h["recipe"].strip()
    got = (r.recipe or "").strip()
    proposals = [got] if got else []
    proposals += [a for a in r.alternatives[:1] if a and not got]
    if not proposals:
        return False

    def run(recipe, sid, forms, row):
        claim = {"claim_id": "bench", "source_id": sid, "stated": row[0], "stated_text": row[1], "unit": row[2],
                 "qualifier": row[3], "recipe": recipe}
        try:
            res = claims.check_claim(claim, tables, forms)
        except claims.ClaimError as exc:
            return ("error", str(exc).split(": ", 1)[-1])
        except (ValueError, TypeError) as exc:
            return ("error", str(exc))
        v = res["value"]
        if v is None:
            return ("not_checkable", res["reason"])
        return ("value", v.kind, v.point, v.lo, v.hi)

    hand_row = (h["stated"], h["stated_text"], h["unit"], h["qualifier"])
    a = run(want, sid_hand, hand_forms, hand_row)
    for p in proposals:
        if _norm_recipe(p) == _norm_recipe(want):
            return True
        b = run(p, sid_hand, hand_forms, hand_row)
        if a[0] != "error" and a == b:
            return True
    return False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--devset", default=None, help="folder of the development-set texts (or DEVSET_DIR)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--verbose", "-v", action="store_true", help="list every miss, wrong recipe and extra row")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    from helpers import claims
    from helpers.drafting import draft as dr
    from helpers.drafting.reader import ArticleError
    t_import = time.perf_counter() - t0
    dev = devset_dir(args.devset)
    articles = load_articles(dev)
    if dev is None:
        print("bench-claims: no development-set folder: set DEVSET_DIR or --devset to the folder holding the texts "
              "listed in tests/devset/README.md (looked in ../shared/devset and ../devset); only the five seeds "
              "are used")
    tables = dr.DraftTables()
    ledger_numbers = {}
    totals = {"hand": 0, "found": 0, "checkable": 0, "right": 0, "drafted": 0, "extra": 0}
    times = []
    print(f"{'article':44} {'hand':>4} {'found':>5} {'chk':>4} {'right':>5} {'drafted':>7} {'extra':>5} {'s':>5}")
    details = []
    for label, path, sid, published, hand_rows, kind in articles:
        if not path.is_file():
            where = "the ARTICLE_TEXTS folders (default ../shared/seeds, ../article-texts)" if kind == "seed" else \
                f"{path.parent} (DEVSET_DIR or --devset; tests/devset/README.md lists each page's address)"
            print(f"{label:44} missing text {path.name}: expected in {where}")
            continue
        try:
            d = dr.draft_article(path, published=published or None, source_id=sid or None, tables=tables)
        except ArticleError as exc:
            print(f"{label:44} refused: {exc}")
            continue
        times.append((d.seconds, d.words, label))
        text = d.article.text
        pairs, extra = match(d, hand_rows, text)
        hand_forms = claims.article_number_forms((_value(h["stated"], h["unit"]), h["unit"]) for h in hand_rows
                                                 if h["unit"] in claims.MEASURED_UNITS)
        draft_forms = hand_forms
        found = sum(1 for h, r in pairs if r is not None)
        chk = [(h, r) for h, r in pairs if h["recipe"].strip() and r is not None]
        checkable_total = sum(1 for h in hand_rows if h["recipe"].strip())
        right = sum(1 for h, r in chk if same_result(h, r, tables, hand_forms, draft_forms, d.source_id, d.source_id))
        n_drafted = len(d.claims)
        totals["hand"] += len(hand_rows)
        totals["found"] += found
        totals["checkable"] += checkable_total
        totals["right"] += right
        totals["drafted"] += n_drafted
        totals["extra"] += len(extra)
        print(f"{label:44} {len(hand_rows):>4} {found:>5} {checkable_total:>4} {right:>5} {n_drafted:>7} "
              f"{len(extra):>5} {d.seconds:>5.2f}")
        if args.verbose:
            for h, r in pairs:
                if r is None:
                    details.append(f"  MISS  {label}: {h['stated_text']!r} in {h['phrase']!r}")
                elif h["recipe"].strip() and not same_result(h, r, tables, hand_forms, draft_forms, d.source_id,
                                                             d.source_id):
                    details.append(f"  WRONG {label}: {h['stated_text']!r}: hand {h['recipe']} | drafted "
                                   f"{r.recipe or '(none) ' + r.reason}")
            for r in extra:
                details.append(f"  EXTRA {label}: {r.mention.stated_text!r} in {r.phrase!r} ({r.mention.kind})")
    print("\n".join(details))
    recall = totals["found"] / totals["hand"] if totals["hand"] else 0.0
    acc = totals["right"] / totals["checkable"] if totals["checkable"] else 0.0
    fp = totals["extra"] / totals["drafted"] if totals["drafted"] else 0.0
    # a 1,000-word article: the development texts joined and cut to 1,000 words
    words = []
    for _, path, _, _, _, _ in articles:
        if path.is_file():
            words += path.read_text(encoding="utf-8").split(" ")
    thousand = " ".join(words[:1000])
    t1 = time.perf_counter()
    dr.draft_article(None, published="2026-04-30", text=thousand, tables=tables)
    t_thousand = time.perf_counter() - t1
    print()
    print(f"articles: {len(times)} ({sum(1 for a in articles if a[5] == 'seed')} seeds, "
          f"{sum(1 for a in articles if a[5] == 'devset')} development set{'' if dev is None else ' from ' + str(dev)})")
    print(f"recall:                    {totals['found']}/{totals['hand']} = {recall:.1%}   (target >= 95%)")
    print(f"recipe accuracy:           {totals['right']}/{totals['checkable']} = {acc:.1%}   (target >= 70%; "
          "of the numbers the hand ledgers check with a recipe)")
    print(f"furniture false positives: {totals['extra']}/{totals['drafted']} = {fp:.1%}   (target <= 5%)")
    slowest = max(times) if times else (0, 0, "")
    print(f"speed: slowest article {slowest[0]:.2f} s ({slowest[1]} words, {slowest[2]}); a 1,000-word article "
          f"{t_thousand:.2f} s after imports ({t_import:.2f} s)   (target < 2 s)")
    ok = recall >= TARGETS["recall"] and acc >= TARGETS["accuracy"] and fp <= TARGETS["fp"] and \
        t_thousand < TARGETS["seconds"]
    print("targets met" if ok else "targets NOT met")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
