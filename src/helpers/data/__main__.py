"""``python -m helpers.data``: check every table (exit 1 with the problems); ``--write-readme``
writes the data dictionary into README.md (`make docs`)."""
import sys

from helpers import paths
from helpers.data.dictionary import readme_with_dictionary
from helpers.data.tables import DataError, table_schema_problems, validate_all

if sys.argv[1:] == ["--write-readme"]:
    readme = paths.ROOT / "README.md"
    readme.write_text(readme_with_dictionary(readme.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the data dictionary into {readme}")
else:
    # jsonschema (frictionless's descriptor check) would import rfc3987-syntax, a URI grammar installed
    # for JupyterLab that takes seconds to build; frictionless checks no formats, so it is not needed
    sys.modules.setdefault("rfc3987_syntax", None)
    try:
        found = validate_all()  # the loaders' checks; frictionless's second opinion when they pass
        problems = [str(p) for p in found or table_schema_problems()]
        from helpers.claims.ledger_check import ledger_problems  # the recipes of data/claims.csv, without pandas

        problems += [str(p) for p in ledger_problems()]
    except DataError as exc:  # one message, which may list several problems (exc.count)
        problems, count = [str(exc)], exc.count
    else:
        count = len(problems)
    for p in problems:
        print(p)
    print("data OK" if not problems else f"{count} problem(s)")
    sys.exit(1 if problems else 0)
