"""The data dictionary: each column's rules in words, written from the schema into the README
(`make docs`) and the site's data page. Part of ``helpers.data``.
"""
from __future__ import annotations

from pathlib import Path

from helpers.data.schema import _keys, read_package


# --------------------------------------------------------------------------- data dictionary

def field_rules(field: dict) -> tuple[str, list[str]]:
    """When a column is required and what it allows, in words (code in backticks).

    One wording for the README's dictionary and the site's data page. Reads the Table
    Schema constraints and the project's declared rules (``x-required-if``,
    ``x-required-unless``, ``x-empty-if``, ``x-printed-in``, ``x-calendar``, ``x-calendar-by``,
    ``x-expression-of``).

    Parameters
    ----------
    field : dict
        One field of a table schema in data/datapackage.json.

    Returns
    -------
    (str, list of str)
        When it is required (``"yes"``, ``"unless status = undisclosed"``, or ``""``), and
        each rule on its values.
    """
    c = field.get("constraints", {})
    allowed = []
    if "enum" in c:
        allowed.append(", ".join(f"`{v}`" for v in c["enum"]))
    if "pattern" in c:
        allowed.append(f"pattern `{c['pattern']}`")
    if "minimum" in c:
        allowed.append(f"≥ {c['minimum']}")
    if "maximum" in c:
        allowed.append(f"≤ {c['maximum']}")
    if c.get("unique"):
        allowed.append("unique")
    if field.get("x-calendar"):
        allowed.append("a real calendar date: " + " or ".join(field["x-calendar"]))
    if field.get("x-calendar-by"):
        rule = field["x-calendar-by"]
        allowed.append("a real calendar date: " + "; ".join(f"{v} when {rule['field']} = {k}"
                                                            for k, v in rule.items() if k != "field"))
    if field.get("x-empty-if"):
        cond = field["x-empty-if"]
        allowed.append(f"empty when {cond['field']} = {cond['equals']}")
    if field.get("x-printed-in"):
        rule, cond = field["x-printed-in"], field["x-printed-in"].get("if")
        when = f" when {cond['field']} = {cond['equals']}" if cond else ""
        allowed.append(f"printed in `{rule['field']}`{when}")
    if field.get("x-expression-of"):
        allowed.append(f"arithmetic that gives `{field['x-expression-of']}` to its printed precision: numbers, "
                       "`+ - * /`, parentheses and `{key}` references to rows of the table (checked on load)")
    req = "yes" if c.get("required") else ""
    for rule, word in (("x-required-if", "if"), ("x-required-unless", "unless")):
        if rule in field:
            eq = field[rule]["equals"]
            req = f"{word} {field[rule]['field']} is empty" if eq is None else f"{word} {field[rule]['field']} = {eq}"
    return req, allowed


def data_dictionary_markdown(data_dir: Path | None = None) -> str:
    """The README's data dictionary, written from the schema (one table per resource).

    Parameters
    ----------
    data_dir : path, optional
        A data folder laid out like data/.

    Returns
    -------
    str
        Markdown: per table its key and, per column, type, unit, when required, rules and meaning.
    """
    package = read_package(data_dir)
    lines = []
    for res in package["resources"]:
        schema = res["schema"]
        lines += [f"#### `data/{res['path']}`: {res.get('title', res['name'])}", "", res.get("description", ""), "",
                  f"Key: {', '.join(_keys(schema.get('primaryKey')))}.", "",
                  "| column | type | unit | required | allowed | meaning |", "|---|---|---|---|---|---|"]
        for f in schema["fields"]:
            req, allowed = field_rules(f)
            allowed = [a.replace("|", "\\|") for a in allowed]
            lines.append(f"| `{f['name']}` | {f.get('type', 'string')} | {f.get('unit', '')} | {req} | "
                         f"{'; '.join(allowed)} | {f.get('description', '')} |")
        fks = schema.get("foreignKeys", [])
        for fk in fks:
            lines.append("")
            lines.append(f"Every `{fk['fields']}` must exist in `{fk['reference']['resource']}.{fk['reference']['fields']}`.")
        if "x-period" in schema:
            per = schema["x-period"]
            lines.append(f"A period runs from `{per['start']}` to `{per['end']}` (not before it) and matches its "
                         f"`{per['kind']}`: a `month` starts and ends in one month; a `year_to_date` starts in "
                         "January of its end year; a `year` runs from January to December of one year.")
        if "x-one-preferred-per" in schema:
            lines.append(f"Exactly one row per ({', '.join(schema['x-one-preferred-per'])}) has `preferred` = true: the one the analysis uses.")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- README

README_BEGIN = "<!-- data-dictionary:begin (written by `make docs` from data/datapackage.json; do not edit) -->"
README_END = "<!-- data-dictionary:end -->"


def readme_with_dictionary(readme_text: str, data_dir: Path | None = None) -> str:
    """README text with the block between the markers replaced by the current dictionary.

    Parameters
    ----------
    readme_text : str
        The README.
    data_dir : path, optional
        A data folder laid out like data/.

    Returns
    -------
    str
        The README with a fresh dictionary between `README_BEGIN` and `README_END`.

    Raises
    ------
    ValueError
        When the README has no markers.
    """
    if README_BEGIN not in readme_text or README_END not in readme_text:
        raise ValueError("README.md has no data-dictionary markers")
    head, rest = readme_text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    return f"{head}{README_BEGIN}\n\n{data_dictionary_markdown(data_dir)}\n{README_END}{tail}"


