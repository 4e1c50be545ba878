"""Write the README's article list and claims totals from the data (`make docs`).

Three blocks of README.md are generated, each between its begin/end markers:

- ``articles``: one row per source article, from data/sources.csv (the rows with a
  ``seed_file``) and notebooks/manifest.yml (its notebook);
- ``claims-totals``: how many numbers the ledger holds and how many reproduce, reproduce
  within rounding, differ or cannot be checked, overall and per article, and each
  claim that differs with its gap, from the claims checker (helpers.claims);
- ``findings``: the main lines of each model's findings box, copied from the output
  stored in the committed notebook (the one nbval compares with a fresh run, so the
  README quotes a checked output, never a number typed by hand).

Nothing in them is typed by hand, so adding an article or changing the data or the
ledger needs `make docs`, never an edit of the README's numbers;
tests/test_readme.py fails while a block is stale.

Usage: ``python tools/readme_totals.py [--write]`` (without --write: print the blocks).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = ("articles", "claims-totals", "findings")
# The findings lines the README quotes, by the start of their bold label, per model notebook.
FINDINGS = {"models/quota_growth.ipynb": ("Average growth", "Slowdown test", "Backtest against the naive baseline",
                                          "2025"),
            "models/export_rebound.ipynb": ("Trough depth", "90% of the gap recovered")}
STATUSES = (("reproduced", "reproduce"), ("within_rounding", "within rounding"), ("differs", "differ"),
            ("not_checkable", "not checkable"))


def markers(name: str) -> tuple[str, str]:
    return (f"<!-- {name}:begin (written by `make docs` from the data; do not edit) -->", f"<!-- {name}:end -->")


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _unit(unit) -> str:
    return "%" if unit == "%" else f" {unit}" if unit in ("t", "t REO", "days", "months", "years") else ""


def articles_block() -> str:
    from helpers import data, paths
    from nbreport import manifest

    sources = data.load_sources()
    notebooks = {e.source_id: e.path for e in manifest.load(paths.MANIFEST, root=paths.ROOT).entries
                 if e.kind == "article"}
    seeded = sources[sources["seed_file"].notna()].sort_values("published")
    rows = ["| published | outlet | title | notebook |", "|---|---|---|---|"]
    for sid, s in seeded.iterrows():
        outlet = s["publisher"] + (f", {s['author']}" if isinstance(s["author"], str) and s["author"] else "")
        book = f"`{notebooks[sid]}`" if sid in notebooks else "(no notebook in the manifest)"
        rows.append(f"| {_cell(s['published'] if isinstance(s['published'], str) else '')} | {_cell(outlet)} "
                    f"| {_cell(s['title'])} | {book} |")
    return "\n".join(rows)


def claims_block() -> str:
    from helpers import claims

    checked = claims.check_claims()
    counts = checked["status"].value_counts()
    n = lambda status: int(counts.get(status, 0))  # noqa: E731
    lines = [f"Today, of {len(checked)} numbers: {n('reproduced')} reproduce, {n('within_rounding')} reproduce "
             f"within rounding, {n('differs')} differ and {n('not_checkable')} cannot be checked.", "",
             "| article | numbers | " + " | ".join(label for _, label in STATUSES) + " |",
             "|---|---:|" + "---:|" * len(STATUSES)]
    for (article, publisher), part in checked.groupby(["article", "publisher"], sort=False):
        c = part["status"].value_counts()
        lines.append(f"| {_cell(publisher)} (`{article}`) | {len(part)} | "
                     + " | ".join(str(int(c.get(s, 0))) for s, _ in STATUSES) + " |")
    differs = checked[checked["status"] == "differs"]
    if len(differs):
        lines += ["", "The numbers that differ:", ""]
        lines += [f"- {_cell(r['publisher'])}, \"{_cell(r['claim'])}\": the article says {_cell(r['stated_text'])}, "
                  f"the data give {_cell(r['recomputed_text'])}{_unit(r['unit'])} ({_cell(r['result'])})."
                  for _, r in differs.iterrows()]
    return "\n".join(lines)


def findings_block() -> str:
    import re

    import nbformat

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from snapshot_notebooks import guarded

    from helpers import paths

    out = []
    for rel, labels in FINDINGS.items():
        nb = nbformat.read(paths.NOTEBOOKS / rel, as_version=4)
        stored = [o.data["text/markdown"] for c in nb.cells if c.cell_type == "code" and guarded(c)
                  for o in c.outputs if "text/markdown" in o.get("data", {})]
        if not stored:
            raise ValueError(f"notebooks/{rel}: no stored findings box (run `make snapshot`)")
        boxes = [[line.lstrip("> ").strip() for line in box.splitlines()] for box in stored]
        # a notebook may show more than one guarded box (the rebound's second event); take the one
        # titled "Findings", else the first
        lines = next((b for b in boxes if any(line.startswith("**Findings") for line in b)), boxes[0])
        title = next((line.strip("*") for line in lines if line.startswith("**")), rel)
        picked = [line for line in lines for label in labels if re.match(rf"^- \*\*{re.escape(label)}", line)]
        missing = [label for label in labels if not any(line.startswith(f"- **{label}") for line in picked)]
        if missing:
            raise ValueError(f"notebooks/{rel}: the stored findings box has no line starting {missing}")
        out += [f"From the findings box stored in `{rel}` ({title}):", "", *picked, ""]
    return "\n".join(out).rstrip()


def render(readme: str) -> str:
    """README text with every generated block replaced by its current content."""
    makers = {"articles": articles_block, "claims-totals": claims_block, "findings": findings_block}
    for name in BLOCKS:
        begin, end = markers(name)
        if begin not in readme or end not in readme:
            raise ValueError(f"README.md has no '{name}' block: expected the lines {begin!r} and {end!r}")
        head, rest = readme.split(begin, 1)
        _, tail = rest.split(end, 1)
        readme = f"{head}{begin}\n\n{makers[name]()}\n\n{end}{tail}"
    return readme


if __name__ == "__main__":
    readme = ROOT / "README.md"
    text = render(readme.read_text(encoding="utf-8"))
    if sys.argv[1:] == ["--write"]:
        readme.write_text(text, encoding="utf-8")
        print(f"wrote the article list, claims totals and model findings into {readme}")
    else:
        print(articles_block() + "\n\n" + claims_block() + "\n\n" + findings_block())
