"""What every article notebook shows besides its own charts: the header and the claims.

The header is written from data/sources.csv, so the citation a reader sees is
the one the data cite; all text from the data is HTML-escaped.
"""
from __future__ import annotations

import html

from IPython.display import HTML, display

from helpers import data


def header_html(source_id: str, summary: str) -> str:
    """Title, outlet, author, date and address of an article, with our summary."""
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
    display(HTML(header_html(source_id, summary)))
