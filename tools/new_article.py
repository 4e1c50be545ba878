"""Scaffold a new article notebook: `make new-article SOURCE=<source_id> SLUG=<yyyy-mm(-dd)_outlet_slug>`.

Given an article already described in data/sources.csv (kind "news article" or
"wire copy") and a slug, it

1. writes notebooks/articles/<slug>.ipynb: the cell skeleton every article
   notebook has (title, `parameters` cell, validation cell, header, the claims
   table marked `# NBVAL_CHECK_OUTPUT`, one example figure, "What the data show
   since"), with TODO where the researcher writes and no outputs;
2. appends the article's entry to notebooks/manifest.yml, as text, so the
   comments stay as they are;
3. prints the claims ledger's header and example rows to copy into
   data/claims.csv. It writes no stub row there: tests/test_claims_ledger.py
   requires every phrase to stand verbatim in the article's seed text, a
   not-checkable reason longer than ten characters and claims only for articles
   with a seed file, so a placeholder row would fail the suite;
4. prints the next steps.

It never overwrites: an existing notebook, an existing manifest entry for the
path or the source id, or a run id already in use stops it before anything is
written. `--dry-run` prints what would be written; `--root` points it at
another copy of the repository (the tests use a temporary one).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import sys
import tempfile
from pathlib import Path

# nbformat is imported where a notebook is built: through jsonschema it builds a URI grammar at
# import (about 1.1 CPU-s), which a refusal (a bad slug, an unknown source) need not pay

ROOT = Path(__file__).resolve().parents[1]
ARTICLE_KINDS = ("news article", "wire copy")
SLUG = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})(?:-(?P<day>\d{2}))?"
                  r"_(?P<outlet>[a-z0-9]+(?:-[a-z0-9]+)*)_(?P<name>[a-z0-9]+(?:-[a-z0-9]+)*)$")
MARK = "# NBVAL_CHECK_OUTPUT"
KERNELSPEC = {"display_name": "Python 3 (rare-earth-notebooks)", "language": "python", "name": "python3"}

# The legend every article notebook shows above its claims table (shared wording, not article text).
CLAIMS_LEGEND = """## Every number in the article

Each number the article states about rare earths, recomputed from the curated data in `data/` (the recipe for each is in `data/claims.csv`).
**Reproduced**: the recomputed value rounds to the printed one. **Within rounding**: it does not, but the two agree once the rounding of the article and of the inputs is allowed for. **Differs**: they disagree by more than rounding can explain; the gap is shown. **Not checkable**: the data cannot check it, and the reason is given."""


class ScaffoldError(Exception):
    """The scaffold cannot be written; the message names the file and the fix."""


def _human_date(published: str) -> str:
    """'2025-07-18' -> '18 July 2025', '2025-07' -> 'July 2025', '' -> 'undated'."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", published):
            d = dt.date.fromisoformat(published)
            return f"{d.day} {d:%B %Y}"
        if re.fullmatch(r"\d{4}-\d{2}", published):
            return dt.date.fromisoformat(published + "-01").strftime("%B %Y")
    except ValueError:
        pass
    return published or "undated"


def parse_slug(slug: str) -> dict:
    m = SLUG.match(slug)
    if not m:
        raise ScaffoldError(
            f"slug {slug!r} does not match YYYY-MM(-DD)_outlet_slug: the article's date, its outlet and a few "
            "words, lowercase, words joined by '-', e.g. 2025-07-18_reuters_quiet-quotas or 2021-02_nikkei_output-boost")
    parts = m.groupdict()
    try:
        dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"] or 1))
    except ValueError:
        raise ScaffoldError(f"slug {slug!r}: {slug.split('_')[0]} is not a calendar date") from None
    return parts


def run_id_for(slug: str) -> str:
    """outlet-year-words, like the existing articles: 2025-07-18_reuters_quiet-quotas -> reuters-2025-quiet-quotas."""
    p = parse_slug(slug)
    return f"{p['outlet']}-{p['year']}-{p['name']}"


def read_source(root: Path, source_id: str) -> dict:
    file = root / "data" / "sources.csv"
    try:
        with file.open(encoding="utf-8", newline="") as fh:
            rows = {r["source_id"]: r for r in csv.DictReader(fh)}
    except FileNotFoundError:
        raise ScaffoldError(f"data/sources.csv not found under {root}") from None
    if source_id not in rows:
        close = [s for s in rows if source_id and (source_id in s or s in source_id)][:5]
        hint = f" (similar ids: {', '.join(close)})" if close else ""
        raise ScaffoldError(
            f"source id {source_id!r} is not in data/sources.csv{hint}. Describe the article there first "
            "(one row: source_id, publisher, title, published, kind 'news article', seed_file, ...), "
            "then run this again.")
    row = rows[source_id]
    if row["kind"] not in ARTICLE_KINDS:
        raise ScaffoldError(f"source {source_id!r} in data/sources.csv has kind {row['kind']!r}; an article "
                            f"notebook is for a source of kind {' or '.join(repr(k) for k in ARTICLE_KINDS)}")
    return row


def build_notebook(slug: str, source: dict) -> "nbformat.NotebookNode":  # noqa: F821
    import nbformat

    rel = f"articles/{slug}.ipynb"
    sid = source["source_id"]
    title = f"# {source['publisher']}, {_human_date(source['published'])}: {source['title']}"
    code = nbformat.v4.new_code_cell
    md = nbformat.v4.new_markdown_cell
    cells = [
        md(f"{title}\n\nTODO: one or two sentences: what this notebook checks in the article and what it shows. "
           "Rewrite the title above in the same form as the other articles (outlet, date: what the article reports)."),
        code("first_year: int = 2015  # first quota year on the example chart; range: 2010..2022",
             metadata={"tags": ["parameters"]}),
        code("from helpers import articles, charts, data, figures\n"
             "from helpers.parameters import validate_parameters\n\n"
             f'params = validate_parameters("{rel}", globals())  # stops here, naming the parameter, if a value is off\n'
             f'SOURCE_ID = "{sid}"\n'
             "charts.set_theme()"),
        code('articles.show_header(SOURCE_ID, "TODO: what the article says, in two or three plain sentences, '
             'with the numbers it states.")'),
        md(CLAIMS_LEGEND),
        code(f"{MARK}\narticles.show_claims(SOURCE_ID)"),
        md("## TODO: a heading for the first chart\n\n"
           "TODO: what the chart shows and which of the article's numbers it puts in context."),
        code("# TODO: replace with the chart this article calls for (helpers.figures has the shared charts); the alt\n"
             "# text says what a reader who cannot see the chart would learn from it.\n"
             'fig = figures.quota_chart(["mining", "smelting"], first_year, 2024,\n'
             '                          f"China\'s rare earth quotas, {first_year}-2024", label_growth=True)\n'
             'charts.show(fig, alt=f"Line chart of China\'s annual rare earth mining and smelting quotas from '
             '{first_year} to 2024, with the year-on-year growth labelled on each point.")'),
        md("## What the data show since\n\n"
           "TODO: what happened after the article, from the curated data (a chart or a table with "
           "`articles.show_table`), and whether it bore the article out."),
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:02d}"
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": dict(KERNELSPEC),
                                                         "language_info": {"name": "python"}})
    nbformat.validate(nb)
    return nb


def manifest_text(slug: str, source_id: str, run_id: str) -> str:
    return (f"\n  - path: articles/{slug}.ipynb\n"
            f"    kind: article\n"
            f"    source_id: {source_id}\n"
            f"    runs:\n"
            f"      - {{id: {run_id}}}\n")


def ledger_example(root: Path, source_id: str) -> str:
    """The ledger's header (read from data/claims.csv) and two example rows, as CSV."""
    with (root / "data" / "claims.csv").open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    examples = [
        {"claim_id": f"{source_id}__mining_quota_up", "source_id": source_id,
         "phrase": "the mining quota rose 10% from last year", "stated": "10", "stated_text": "10%",
         "unit": "%", "qualifier": "exact",
         "recipe": 'pct_change(quota("mining", 2018), quota("mining", 2019))',
         "not_checkable_reason": "", "expected_status": "reproduced", "note": ""},
        {"claim_id": f"{source_id}__us_supply_share", "source_id": source_id,
         "phrase": "China supplies 80% of US imports", "stated": "80", "stated_text": "80%",
         "unit": "%", "qualifier": "about", "recipe": "",
         "not_checkable_reason": "the curated data hold no US imports by origin",
         "expected_status": "not_checkable", "note": ""},
    ]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in examples:
        writer.writerow([row.get(col, "") for col in header])
    return buf.getvalue()


def check_manifest(root: Path, new_text: str, slug: str, source_id: str, run_id: str) -> None:
    """Refuse duplicates, then check that the manifest with the new entry still loads."""
    from nbreport import manifest as manifest_mod

    file = root / "notebooks" / "manifest.yml"
    rel = f"articles/{slug}.ipynb"
    try:
        current = manifest_mod.load(file, root=root, check_files=False)
    except manifest_mod.ManifestError as exc:
        raise ScaffoldError(f"the manifest does not load as it is; fix it first: {exc}") from None
    for entry in current.entries:
        if entry.path == rel:
            raise ScaffoldError(f"notebooks/manifest.yml already lists {rel} ({entry.label()}); not adding it again")
        if entry.source_id == source_id:
            raise ScaffoldError(f"notebooks/manifest.yml already has an article entry for {source_id!r}: "
                                f"{entry.label()}; one notebook per article")
        for run in entry.runs:
            if run.id == run_id:
                raise ScaffoldError(f"run id {run_id!r} (derived from the slug) is already used by {entry.label()} "
                                    "in notebooks/manifest.yml; choose another slug")
    if not manifest_mod.RUN_ID.match(run_id):
        raise ScaffoldError(f"run id {run_id!r} derived from the slug breaks the manifest's rule "
                            "(lowercase letters, digits, '-' or '_', at most 80 characters); shorten the slug")
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "manifest.yml"
        probe.write_text(new_text, encoding="utf-8")
        try:
            after = manifest_mod.load(probe, root=root, check_files=False)
        except manifest_mod.ManifestError as exc:
            raise ScaffoldError(f"the manifest with the new entry would not load ({exc}); nothing written") from None
    added = after.entries[-1]
    if (added.path, added.kind, added.source_id, [r.id for r in added.runs]) != (rel, "article", source_id, [run_id]):
        raise ScaffoldError("the entry appended to notebooks/manifest.yml did not read back as written "
                            "(does the file end inside another block?); nothing written")


def next_steps(slug: str, source: dict, run_id: str, ledger: str) -> str:
    sid = source["source_id"]
    seed = source.get("seed_file") or ""
    seed_note = (f"its text is the seed file {seed}" if seed else
                 "data/sources.csv gives it no seed_file yet: make accept-article keeps the text in "
                 "../article-texts/ (TEXTS=) and records seed_file and text_sha256; the ledger tests find it "
                 "through ARTICLE_TEXTS and check every phrase against it)")
    return f"""
Next steps for {sid} ({seed_note}):
  1. Fill the ledger: one row per number the article states, appended to data/claims.csv.
     The phrase is a few words copied verbatim from the article and contains stated_text; a row without a
     recipe needs expected_status not_checkable and a reason. Recipe language: src/helpers/claims/recipe.py.
     Columns and two example rows:

{ledger}
  2. Write the notebook: notebooks/articles/{slug}.ipynb (every TODO). The tests want at least two figures
     with alt text, every `one of` value run, and a second run in the manifest entry, e.g.
       - {{id: {run_id}-from-2012, parameters: {{first_year: 2012}}, site: false}}
  3. make snapshot   store the claims table the tests guard (tools/snapshot_notebooks.py)
  4. make test       ledger, notebooks (run {run_id}) and site
  5. make report     build site/ with the new article
"""


def scaffold(root: Path, source_id: str, slug: str, dry_run: bool = False, out=sys.stdout) -> int:
    root = Path(root).resolve()
    source_id, slug = source_id.strip(), slug.strip().removesuffix(".ipynb")
    if not source_id:
        raise ScaffoldError("no source id given (SOURCE=<source_id from data/sources.csv>)")
    if not slug:
        raise ScaffoldError("no slug given (SLUG=yyyy-mm-dd_outlet_slug)")
    parts = parse_slug(slug)
    source = read_source(root, source_id)
    nb_file = root / "notebooks" / "articles" / f"{slug}.ipynb"
    rel_nb = f"notebooks/articles/{slug}.ipynb"
    if nb_file.exists():
        raise ScaffoldError(f"{rel_nb} already exists; not overwriting it (pick another slug or edit that notebook)")
    run_id = run_id_for(slug)
    manifest_file = root / "notebooks" / "manifest.yml"
    old = manifest_file.read_text(encoding="utf-8")
    new = old + ("" if old.endswith("\n") or not old else "\n") + manifest_text(slug, source_id, run_id)
    check_manifest(root, new, slug, source_id, run_id)

    nb = build_notebook(slug, source)
    ledger = ledger_example(root, source_id)
    slug_date = slug.split("_", 1)[0]
    published = source.get("published") or ""
    warn = ""
    if published and not (slug_date.startswith(published) or published.startswith(slug_date)):
        warn = (f"note: the slug's date {slug_date} differs from the published date {published} in "
                "data/sources.csv; the other articles' slugs start with it\n")

    if dry_run:
        print(f"dry run: nothing written under {root}\n", file=out)
        print(f"would write {rel_nb}:", file=out)
        for cell in nb.cells:
            tags = cell.metadata.get("tags")
            print(f"--- {cell.id} ({cell.cell_type}{', tags: ' + ', '.join(tags) if tags else ''})", file=out)
            print(cell.source, file=out)
        print("\nwould append to notebooks/manifest.yml:", manifest_text(slug, source_id, run_id), sep="", file=out)
        print("would not touch data/claims.csv (a placeholder row fails tests/test_claims_ledger.py)", file=out)
        print(warn + next_steps(slug, source, run_id, ledger), file=out)
        return 0

    nb_file.parent.mkdir(parents=True, exist_ok=True)
    import nbformat

    with nb_file.open("x", encoding="utf-8") as fh:  # "x": never overwrite, even in a race
        nbformat.write(nb, fh)
    try:
        with manifest_file.open("a", encoding="utf-8") as fh:
            fh.write(new[len(old):])
    except OSError:
        nb_file.unlink()
        raise
    print(f"wrote {rel_nb}", file=out)
    print(f"appended {parts['outlet']} article entry (run {run_id}) to notebooks/manifest.yml", file=out)
    print("data/claims.csv not touched: a placeholder row would fail tests/test_claims_ledger.py "
          "(phrases must stand in the article's text); add the real rows as below", file=out)
    print(warn + next_steps(slug, source, run_id, ledger), file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", required=True, help="the article's source_id in data/sources.csv")
    ap.add_argument("--slug", required=True, help="notebook name: YYYY-MM(-DD)_outlet_slug, e.g. 2025-07-18_reuters_quiet-quotas")
    ap.add_argument("--root", default=str(ROOT), help="repository root to write into (default: this repository)")
    ap.add_argument("--dry-run", action="store_true", help="print what would be written; write nothing")
    args = ap.parse_args(argv)
    try:
        return scaffold(Path(args.root), args.source, args.slug, dry_run=args.dry_run)
    except ScaffoldError as exc:
        print(f"new-article: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
