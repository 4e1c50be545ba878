"""Accept a reviewed draft ledger: `make accept-article DRAFT=<csv> FILE=<article.txt> SOURCE=<id> SLUG=<slug> ...`.

After `make check-article` has drafted an article's rows and a researcher has reviewed
them (deleted wrong rows, fixed recipes, written a `not_checkable_reason` where the
drafter was unsure), this one command

1. re-checks every kept row with the ledger's checker (same statuses and circularity
   rules) and pins the status it gets as `expected_status`;
2. copies the article's text into a texts folder (TEXTS=, default ../article-texts) as
   NNN_<sha256[:16]>.txt and records its full SHA-256 in data/sources.csv (text_sha256): the
   texts stay out of the repository, the ledger tests find them through ARTICLE_TEXTS
   (helpers.drafting.texts) and fail if one changes;
3. appends the article to data/sources.csv and its rows to data/claims.csv;
4. scaffolds its notebook and manifest entry (tools/new_article.py, `make new-article`).

Rows kept: those without a `skip_reason`; when the CSV has an `accept` column, only the
rows marked yes / y / x / 1 / true. A kept row whose reason still starts "unsure" and has
no recipe is refused: the drafter was unsure and nobody has said why it cannot be checked.

Everything is validated before anything is written; a refusal names the file, line and
column and what was expected, and leaves the repository as it was. `--root` points it at
another copy of the repository (the tests use a temporary one).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import re
import sys
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
YES = {"yes", "y", "x", "1", "true"}
MAX_PHRASE_WORDS = 12


class AcceptError(Exception):
    """The draft cannot be accepted; the message names the file, line and column and what was expected."""


def _norm(text: str) -> str:
    for a, b in {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                 "\u00a0": " "}.items():
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip()


def _schema_enum(package: dict, table: str, column: str) -> list[str]:
    from helpers import data
    for f in data.resource(table, package)["schema"]["fields"]:
        if f["name"] == column:
            return list(f.get("constraints", {}).get("enum", []))
    return []


def read_draft(path: Path) -> list[tuple[int, dict]]:
    """(line in the CSV, row) of every kept row."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AcceptError(f"{path}: no such file (expected the CSV written by make check-article)") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AcceptError(f"{path}: not UTF-8 (byte {exc.start}); expected the CSV written by make check-article") \
            from None
    reader = csv.DictReader(io.StringIO(text))
    need = {"phrase", "stated", "stated_text", "unit", "qualifier", "recipe"}
    missing = sorted(need - set(reader.fieldnames or []))
    if missing:
        raise AcceptError(f"{path}:1: missing column(s) {', '.join(missing)}; expected the header written by "
                          "make check-article")
    has_accept = "accept" in (reader.fieldnames or [])
    rows = []
    for row in reader:
        line = reader.line_num
        if (row.get("skip_reason") or "").strip():
            continue
        if has_accept and (row.get("accept") or "").strip().lower() not in YES:
            continue
        rows.append((line, {k: (v or "").strip() for k, v in row.items() if k is not None}))
    if not rows:
        raise AcceptError(f"{path}: no rows to accept (every row is skipped"
                          f"{' or not marked in the accept column' if has_accept else ''}); expected reviewed rows")
    return rows


def build_claims(draft_path: Path, rows, article, source_id: str, root: Path) -> list[dict]:
    """Ledger rows for data/claims.csv, each re-checked; raises AcceptError naming the draft's line and column."""
    from helpers import claims, data
    from helpers.drafting.draft import DraftTables
    package = data.read_package(root / "data")
    units = _schema_enum(package, "claims", "unit")
    qualifiers = _schema_enum(package, "claims", "qualifier")
    header = list(csv.reader(open(root / "data" / "claims.csv", encoding="utf-8")))[0]
    text = _norm(article.text)
    out, ids = [], set()
    existing = {r["claim_id"] for r in csv.DictReader(open(root / "data" / "claims.csv", encoding="utf-8"))}
    for line, r in rows:
        where = f"{draft_path}:{line}"
        phrase = _norm(r["phrase"])
        if not phrase:
            raise AcceptError(f"{where}: column phrase is empty; expected the few words of the article the number "
                              "stands in")
        if len(phrase.split()) > MAX_PHRASE_WORDS:
            raise AcceptError(f"{where}: column phrase has {len(phrase.split())} words; expected at most "
                              f"{MAX_PHRASE_WORDS} words copied from the article")
        if phrase not in text:
            raise AcceptError(f"{where}: column phrase {phrase[:60]!r} does not stand in the article's text; expected "
                              "words copied verbatim")
        if _norm(r["stated_text"]).lower() not in phrase.lower():
            raise AcceptError(f"{where}: column stated_text {r['stated_text']!r} is not in the phrase; expected the "
                              "number as printed in it")
        if r["unit"] not in units:
            raise AcceptError(f"{where}: column unit {r['unit']!r}; expected one of {', '.join(units)}")
        if r["qualifier"] not in qualifiers:
            raise AcceptError(f"{where}: column qualifier {r['qualifier']!r}; expected one of {', '.join(qualifiers)}")
        try:
            Fraction(r["stated"])
        except (ValueError, ZeroDivisionError):
            raise AcceptError(f"{where}: column stated {r['stated']!r}; expected a number") from None
        reason = r.get("not_checkable_reason", "") or (r.get("reason", "") if not r["recipe"] else "")
        if not r["recipe"] and (not reason or reason.lower().startswith("unsure") or len(reason) <= 10):
            raise AcceptError(f"{where}: no recipe and no reviewed reason (the drafter said {reason[:80]!r}); "
                              "expected a recipe or a not_checkable_reason saying why the data cannot check it")
        name = r.get("claim_id", "").split("__", 1)[-1] or "number"
        name = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "number"
        cid, k = f"{source_id}__{name}", 2
        while cid in ids or cid in existing:
            cid, k = f"{source_id}__{name}_{k}", k + 1
        ids.add(cid)
        out.append((line, {"claim_id": cid, "source_id": source_id, "phrase": phrase, "stated": r["stated"],
                           "stated_text": r["stated_text"], "unit": r["unit"], "qualifier": r["qualifier"],
                           "recipe": r["recipe"], "not_checkable_reason": "" if r["recipe"] else reason,
                           "expected_status": "", "note": r.get("note", "")}))
    tables = DraftTables(root / "data", article=article, draft_id=source_id)
    forms = claims.article_number_forms((Fraction(c["stated"]), c["unit"]) for _, c in out
                                        if c["unit"] in claims.MEASURED_UNITS)
    for line, c in out:
        if not c["recipe"]:
            c["expected_status"] = "not_checkable"
            continue
        try:
            res = claims.check_claim(dict(c), tables, forms)
        except (claims.ClaimError, ValueError, TypeError) as exc:
            raise AcceptError(f"{draft_path}:{line}: column recipe {c['recipe'][:80]!r} does not run ({exc}); "
                              "expected a recipe in the language of src/helpers/claims/recipe.py, or none and a "
                              "not_checkable_reason") from None
        c["expected_status"] = res["status"]
        if res["status"] == "not_checkable" and not c["not_checkable_reason"]:
            c["not_checkable_reason"] = res.get("reason") or "the checker found no value for this recipe"
    return [{k: c.get(k, "") for k in header} for _, c in out]


def _append_csv(path: Path, rows: list[dict]) -> None:
    header = list(csv.reader(open(path, encoding="utf-8")))[0]
    existing = path.read_text(encoding="utf-8")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    for r in rows:
        w.writerow({k: r.get(k, "") for k in header})
    path.write_text(existing + ("" if existing.endswith("\n") else "\n") + buf.getvalue(), encoding="utf-8")


def accept(root: Path, draft: Path, file: Path, source_id: str, slug: str, *, published: str | None = None,
           outlet: str | None = None, title: str | None = None, address: str = "", kind: str = "news article",
           author: str = "", today: dt.date | None = None, texts_dir: Path | None = None, out=sys.stdout) -> int:
    """Accept reviewed draft rows: re-check them, store the text, append source and claims, scaffold.

    Parameters
    ----------
    root : pathlib.Path
        The repository to write into.
    draft, file : pathlib.Path
        The reviewed CSV (make check-article) and the article's plain text.
    source_id, slug : str
        The new source_id and the notebook name (YYYY-MM(-DD)_outlet_slug).
    published, outlet, title, address, kind, author : str, optional
        Override or complete what the text's header gives.
    today : datetime.date, optional
        The access date recorded (default: today).
    texts_dir : pathlib.Path, optional
        Folder the text is copied into (default ``<root>/../article-texts``).
    out : file, optional
        Where the summary is printed.

    Returns
    -------
    int
        0 when accepted.

    Raises
    ------
    AcceptError
        Anything refused, naming file, line and column (or option); nothing is written then.
    """
    root = Path(root).resolve()
    import os
    os.environ["NBREPORT_ROOT"] = str(root)
    from helpers.drafting.reader import ArticleError, read_article
    import new_article
    today = today or dt.date.today()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_]*", source_id or ""):
        raise AcceptError(f"SOURCE={source_id!r}: expected a new source id of lowercase letters, digits and '_'")
    sources_file = root / "data" / "sources.csv"
    sources = list(csv.DictReader(open(sources_file, encoding="utf-8")))
    if any(s["source_id"] == source_id for s in sources):
        raise AcceptError(f"SOURCE={source_id!r} is already in data/sources.csv; expected a new article's id")
    if address and not re.fullmatch(r"https?://\S+", address):
        raise AcceptError(f"ADDRESS={address!r}: expected the article's public address (http:// or https://)")
    new_article.parse_slug(slug)
    try:
        article = read_article(file, published=published, outlet=outlet, today=today)
    except ArticleError as exc:
        raise AcceptError(str(exc)) from None
    rows = read_draft(Path(draft))
    new_claims = build_claims(Path(draft), rows, article, source_id, root)

    seeds = Path(texts_dir).resolve() if texts_dir else root.parent / "article-texts"
    if seeds == (root.parent / "shared" / "seeds").resolve():
        raise AcceptError(f"TEXTS={seeds}: the shared seed pack is read-only; expected another folder "
                          "(default ../article-texts)")
    if address and any(s.get("address", "").rstrip("/") == address.rstrip("/") for s in sources):
        other = next(s["source_id"] for s in sources if s.get("address", "").rstrip("/") == address.rstrip("/"))
        raise AcceptError(f"ADDRESS={address!r} is already the address of {other} in data/sources.csv: the data "
                          "were curated from this text, so its numbers would confirm themselves; expected a new "
                          "article (or mark the copy 'same text as' in its notes first)")
    raw = Path(file).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    n = len([s for s in sources if s.get("seed_file")])
    seed_name = f"{n:03d}_{digest[:16]}.txt"
    seed_path = seeds / seed_name
    if seed_path.exists() and seed_path.read_bytes() != raw:
        raise AcceptError(f"{seed_path}: exists with other content; not overwriting it")
    source_row = {"source_id": source_id, "publisher": article.outlet or outlet or "",
                  "title": title or article.title, "author": author, "published": article.published_text,
                  "date_note": f"from {article.date_from}", "address": address, "accessed": today.isoformat(),
                  "kind": kind, "seed_file": seed_name, "text_sha256": digest,
                  "notes": "Source article (claims under test), added with make accept-article."
                           + ("" if address else " The copy read carries no address.")}
    if not source_row["publisher"]:
        raise AcceptError(f"{file}: no outlet: the text has no 'Outlet:' line; pass OUTLET=\"...\"")

    # dry-run the scaffold (refuses duplicates, a taken slug or a bad manifest) before writing anything
    nb = root / "notebooks" / "articles" / f"{slug}.ipynb"
    if nb.exists():
        raise AcceptError(f"SLUG={slug!r}: notebooks/articles/{slug}.ipynb already exists; expected a new slug")
    manifest_file = root / "notebooks" / "manifest.yml"
    old = manifest_file.read_text(encoding="utf-8")
    try:
        new_article.check_manifest(root, old + ("" if old.endswith("\n") else "\n")
                                   + new_article.manifest_text(slug, source_id, new_article.run_id_for(slug)),
                                   slug, source_id, new_article.run_id_for(slug))
    except new_article.ScaffoldError as exc:
        raise AcceptError(f"SLUG={slug!r}: {exc}") from None
    backups = {p: p.read_bytes() for p in (sources_file, root / "data" / "claims.csv",
                                           root / "notebooks" / "manifest.yml")}
    created_seed = not seed_path.exists()
    try:
        seeds.mkdir(parents=True, exist_ok=True)
        if created_seed:
            seed_path.write_bytes(raw)
        _append_csv(sources_file, [source_row])
        _append_csv(root / "data" / "claims.csv", new_claims)
        new_article.scaffold(root, source_id, slug, out=io.StringIO())
    except BaseException as exc:
        for p, b in backups.items():
            p.write_bytes(b)
        if created_seed and seed_path.exists():
            seed_path.unlink()
        if isinstance(exc, new_article.ScaffoldError):
            raise AcceptError(f"SLUG={slug!r}: {exc}; nothing written") from None
        if nb.exists() and not isinstance(exc, FileExistsError):
            nb.unlink()
        raise
    counts = {}
    for c in new_claims:
        counts[c["expected_status"]] = counts.get(c["expected_status"], 0) + 1
    print(f"accepted {len(new_claims)} rows for {source_id} into data/claims.csv ("
          + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in sorted(counts.items())) + ")", file=out)
    print(f"added {source_id} to data/sources.csv; its text is {seed_path} (SHA-256 {digest[:16]}...)", file=out)
    from helpers.drafting.texts import text_folders
    if seeds not in text_folders():
        print(f"note: {seeds} is not in ARTICLE_TEXTS; add it there or the ledger tests will skip this text",
              file=out)
    print(f"wrote notebooks/articles/{slug}.ipynb and its manifest entry (run {new_article.run_id_for(slug)})",
          file=out)
    print("next: fill the notebook's TODOs, make snapshot, make test, make report", file=out)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draft", required=True, help="the reviewed CSV written by make check-article")
    ap.add_argument("--file", required=True, help="the article's plain text (the file check-article read)")
    ap.add_argument("--source", required=True, help="the new source_id for data/sources.csv")
    ap.add_argument("--slug", required=True, help="notebook name YYYY-MM(-DD)_outlet_slug")
    ap.add_argument("--published", default=None)
    ap.add_argument("--outlet", default=None)
    ap.add_argument("--title", default=None)
    ap.add_argument("--address", default="")
    ap.add_argument("--kind", default="news article", choices=["news article", "wire copy"])
    ap.add_argument("--root", default=str(ROOT), help="repository root to write into (default: this repository)")
    ap.add_argument("--texts", default=None, help="folder to keep the article's text in (default ../article-texts)")
    args = ap.parse_args(argv)
    try:
        return accept(Path(args.root), Path(args.draft), Path(args.file), args.source, args.slug,
                      published=args.published, outlet=args.outlet, title=args.title, address=args.address,
                      kind=args.kind, texts_dir=Path(args.texts) if args.texts else None)
    except AcceptError as exc:
        print(f"accept-article: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - a scaffold or data error: one message, never a traceback first
        name = type(exc).__name__
        if name in ("ScaffoldError", "ArticleError"):
            print(f"accept-article: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
