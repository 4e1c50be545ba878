"""`python -m helpers.drafting FILE [--published D] [--outlet O] [--source ID] [--out CSV]`."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    """`make check-article`: draft an article's ledger, print the report, write the CSV.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``): the file, ``--published``, ``--outlet``,
        ``--source``, ``--out``.

    Returns
    -------
    int
        0 when drafted; 2 when the input is refused (one message on stderr naming the file, line
        and column or the option, never a traceback).
    """
    p = argparse.ArgumentParser(prog="make check-article",
                                description="Draft the claims ledger of an article from its plain text.")
    p.add_argument("file", help="the article as plain UTF-8 text")
    p.add_argument("--published", default=None, help="publication date YYYY-MM-DD (or YYYY-MM)")
    p.add_argument("--outlet", default=None)
    p.add_argument("--source", default=None, help="the article's source_id in data/sources.csv, if it is there")
    p.add_argument("--out", default=None, help="CSV for the draft rows (default build/drafts/<file>.csv)")
    args = p.parse_args(argv)
    if not args.file:
        print("make check-article: FILE=<plain-text article> is required", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    from helpers import paths
    from helpers.drafting import ArticleError, draft_article, report, write_csv
    t_import = time.perf_counter() - t0
    try:
        d = draft_article(args.file, published=args.published or None, outlet=args.outlet or None,
                          source_id=args.source or None)
    except ArticleError as exc:
        print(f"check-article: {exc}", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else paths.BUILD / "drafts" / (Path(args.file).stem + ".csv")
    write_csv(d, out)
    print(report(d, out))
    print(f"(imports {t_import:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
