"""What every article notebook shows besides its own charts: the header and the claims.

The header is written from data/sources.csv, so the citation a reader sees is
the one the data cite; all text from the data is HTML-escaped.
"""
from __future__ import annotations

import html

from IPython.display import HTML, display

from helpers import data


def header_html(source_id: str, summary: str) -> str:
    """Title, outlet, author, date and address of an article, with our summary, as HTML.

    Every field comes from data/sources.csv and is HTML-escaped, so the citation a reader
    sees is the one the data cite.

    Parameters
    ----------
    source_id : str
        The article's id in data/sources.csv.
    summary : str
        Our one-paragraph summary (plain text; escaped).

    Returns
    -------
    str
        An HTML fragment (``div.re-article-header``).

    Raises
    ------
    KeyError
        When ``source_id`` is not in data/sources.csv.
    """
    sources = data.load_sources()
    if source_id not in sources.index:
        raise KeyError(f"unknown article source_id {source_id!r}: expected an id in data/sources.csv")
    s = sources.loc[source_id]
    esc = lambda v: html.escape(str(v)) if isinstance(v, str) and v else ""  # noqa: E731
    date = esc(s["published"]) or "date not shown"
    if esc(s["date_note"]):
        date += f" <span class='re-muted'>({esc(s['date_note'])})</span>"
    address = esc(s["address"])
    link = f"<a href='{address}'>{address}</a>" if address else "<span class='re-muted'>no address in the copy read</span>"
    rows = [("Outlet", esc(s["publisher"])), ("Author", esc(s["author"]) or "not credited"), ("Published", date),
            ("Address", link)]
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (f"<div class='re-article-header'><p class='re-kicker'>Source article</p>"
            f"<h2>{esc(s['title'])}</h2><table>{table}</table>"
            f"<p class='re-summary'><strong>In short:</strong> {html.escape(summary)}</p></div>")


def show_header(source_id: str, summary: str) -> None:
    """Display the article header in the notebook.

    ``{name}`` in the summary is the article's own number for claim ``<source_id>__<name>`` in
    data/claims.csv, formatted by `said`, so no stated number is typed twice.

    Parameters
    ----------
    source_id : str
        The article's id in data/sources.csv.
    summary : str
        Our summary, with ``{name}`` or ``{name:printed}`` placeholders (see `fill`).
    """
    display(HTML(header_html(source_id, fill(source_id, summary))))


QUALIFIER_WORDS = {"at_least": "at least ", "at_most": "at most ", "about": "about ", "around": "around ",
                   "approximately": "approximately ", "nearly": "nearly ", "close_to": "close to ",
                   "almost": "almost ", "more_than": "more than ", "less_than": "less than "}


def said(claim_id: str, qualifier: bool = True, printed: bool = False) -> str:
    """An article's number as the ledger records it, for prose and chart labels.

    Tonnages and percents are formatted from the ledger's ``stated`` value ('132,000 t',
    'close to 30%'); counts, dates and other units, or ``printed=True``, give the ledger's
    ``stated_text`` as the article prints it.

    Parameters
    ----------
    claim_id : str
        A claim_id of data/claims.csv (``<source_id>__<name>``).
    qualifier : bool, default True
        Put the qualifier's words in front ('about ', 'close to ').
    printed : bool, default False
        Give the article's own words (``stated_text``) whatever the unit.

    Returns
    -------
    str
        The number as readers see it.

    Raises
    ------
    KeyError
        For an unknown claim_id.
    """
    claims_frame = data.load_table("claims")
    row = claims_frame[claims_frame["claim_id"] == claim_id]
    if row.empty:
        raise KeyError(f"unknown claim_id {claim_id!r}: expected an id in data/claims.csv")
    r = row.iloc[0]
    value, unit = float(r["stated"]), str(r["unit"])
    if printed:
        return str(r["stated_text"])
    if unit in ("t", "t REO"):
        text = f"{value:,.0f} t"
    elif unit == "%":
        text = f"{value:,g}%"
    else:
        return str(r["stated_text"])
    return (QUALIFIER_WORDS.get(str(r["qualifier"]), "") if qualifier else "") + text


def fill(source_id: str, template: str) -> str:
    """Replace each ``{name}`` in a template by ``said(f"{source_id}__{name}")``.

    ``{name:printed}`` gives the ledger's ``stated_text``, the article's own words ('about a quarter').

    Parameters
    ----------
    source_id : str
        The article's id (the claim ids' prefix).
    template : str
        Text with ``{name}`` / ``{name:printed}`` placeholders.

    Returns
    -------
    str
        The text with every placeholder filled from data/claims.csv.

    Raises
    ------
    ValueError
        For any other format spec or conversion in a placeholder.
    KeyError
        For a placeholder naming no claim.
    """
    import string

    out = []
    for literal, name, spec, conv in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            if conv or spec not in ("", "printed"):
                raise ValueError(f"placeholder {{{name}}}: the only format is {{{name}:printed}} (the article's words)")
            out.append(said(f"{source_id}__{name}", printed=spec == "printed"))
    return "".join(out)


STATUS_CLASS = {"reproduced": "ok", "within rounding": "near", "differs": "bad", "not checkable": "na"}


def _status_class(result: str) -> str:
    for words, cls in STATUS_CLASS.items():
        if result.startswith(words):
            return cls
    return "na"


def claims_bundle(source_id: str) -> dict:
    """The article's claims table as deterministic text and HTML (nbval compares both).

    Parameters
    ----------
    source_id : str
        The article's id in data/sources.csv.

    Returns
    -------
    dict
        ``{"text/plain": str, "text/html": str}``: the summary line and one row per claim
        (status, stated, recomputed), or a one-line note when the ledger has no claim of it yet.
    """
    from helpers import claims

    if source_id not in set(claims.load_claims()["source_id"].astype(str)):  # a new article, ledger not yet filled
        line = "No numbers from this article are in the claims ledger (data/claims.csv) yet."
        return {"text/plain": line, "text/html": f"<p class='re-claims-summary'><strong>{html.escape(line)}</strong></p>"}
    checked = claims.check_claims(source_id)
    table = claims.article_table(source_id, checked=checked)
    line = claims.summary(source_id, checked=checked)
    import pandas as pd

    with pd.option_context("display.max_colwidth", None, "display.width", 10_000, "display.max_rows", None):
        text = f"{line}\n{table.to_string()}"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["#", *table.columns])
    body = []
    for idx, row in table.iterrows():
        cls = _status_class(row["Result"])
        cells = "".join(f"<td>{html.escape(str(v))}</td>" for v in row.to_numpy())
        body.append(f"<tr class='re-{cls}'><td>{idx}</td>{cells}</tr>")
    markup = (f"<p class='re-claims-summary'><strong>{html.escape(line)}</strong></p>"
              f"<div class='re-table-wrap'><table class='re-claims'><thead><tr>{head}</tr></thead>"
              f"<tbody>{''.join(body)}</tbody></table></div>")
    return {"text/plain": text, "text/html": markup}


def show_claims(source_id: str) -> None:
    """Display every number the article states, with its status, as a table (see `claims_bundle`).

    Parameters
    ----------
    source_id : str
        The article's id in data/sources.csv.
    """
    display(claims_bundle(source_id), raw=True)


def stated(claim_id: str) -> float:
    """The number an article states for one claim, as written in the ledger (for chart annotations).

    Parameters
    ----------
    claim_id : str
        A claim_id of data/claims.csv.

    Returns
    -------
    float
        The ledger's ``stated`` value, in the claim's unit (t, %, ...).

    Raises
    ------
    KeyError
        For an unknown claim_id.
    """
    claims_frame = data.load_table("claims")
    row = claims_frame[claims_frame["claim_id"] == claim_id]
    if row.empty:
        raise KeyError(f"unknown claim_id {claim_id!r}: expected an id in data/claims.csv")
    return float(row["stated"].iloc[0])


def table_bundle(frame, caption: str = "") -> dict:
    """A small data table as deterministic text and escaped HTML (no Styler ids, so nbval can compare it).

    Parameters
    ----------
    frame : DataFrame
        The table; every cell is shown with ``str``.
    caption : str, optional
        A caption above the table.

    Returns
    -------
    dict
        ``{"text/plain": str, "text/html": str}``.
    """
    import pandas as pd

    with pd.option_context("display.max_colwidth", None, "display.width", 10_000, "display.max_rows", None):
        text = (caption + "\n" if caption else "") + frame.to_string(index=False)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>"
                   for r in frame.astype(str).to_numpy())
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    markup = f"<div class='re-table-wrap'><table class='re-data'>{cap}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    return {"text/plain": text, "text/html": markup}


def show_table(frame, caption: str = "") -> None:
    """Show a table in the notebook as HTML and plain text (see `table_bundle`).

    Parameters
    ----------
    frame : DataFrame
        The table.
    caption : str, optional
        A caption above the table.
    """
    display(table_bundle(frame, caption), raw=True)


def quota_growth_table(first_year: int, last_year: int):
    """Annual mining and smelting quotas with year-on-year growth, formatted for readers.

    Parameters
    ----------
    first_year, last_year : int
        The years shown (inclusive).

    Returns
    -------
    DataFrame
        One row per year: ``Year``, then per stage the quota (t REO, '132,000') and its growth
        on the year before ('+12.3%'); '-' where a year has no value.
    """
    from helpers import figures

    q = figures.with_growth(figures.annual_quota_frame(["mining", "smelting"], first_year, last_year))
    wide = q.pivot_table(index="year", columns="stage", values=["value", "growth_pct"], observed=True)
    import pandas as pd

    out = pd.DataFrame({"Year": wide.index.astype(int)})
    for stage, label in (("mining", "Mining"), ("smelting", "Smelting")):
        if ("value", stage) in wide:
            out[f"{label} quota (t REO)"] = [f"{v:,.0f}" if v == v else "-" for v in wide[("value", stage)]]
            out[f"{label} growth"] = [f"{g:+.1f}%" if g == g else "-" for g in wide[("growth_pct", stage)]]
    return out
