"""A report page's outline: one h1, the title once, and a contents list from the notebook's headings.

The page wrapper (templates/site/report.html.j2) prints the report's title as the page's only
``<h1>``. A notebook usually opens with a title of its own (a Markdown ``# ...`` cell), and
an output may repeat the title as a heading (an article's source header); shown as they are,
a reader sees the title two or three times and the page has several h1. `outline` rewrites the
notebook fragment once, at site-writing time:

- the notebook's first h1 becomes the page's subtitle (what it adds to the title: a subtitle
  that ends with the title keeps only its beginning, e.g. the outlet and date; one that starts
  with the title keeps only its end);
- a heading whose text is the title is dropped (the title is shown once, in the h1);
- any other h1 becomes an h2;
- every h2 gets an id (the notebook's own where it has one) and makes one entry of the contents.

Standard library only.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

HEADING = re.compile(r"<h([1-6])\b([^>]*)>(.*?)</h\1\s*>", re.S | re.I)
TAG = re.compile(r"<[^>]+>")
ID = re.compile(r"""\sid\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


def text_of(markup: str) -> str:
    """Give the visible text of an HTML snippet, to compare headings with titles and to label boxes.

    Tags are removed, entities decoded, the ¶ of anchor links dropped and white space collapsed.

    Parameters
    ----------
    markup : str
        An HTML snippet (the inside of a heading).

    Returns
    -------
    str
        Its text.
    """
    text = html.unescape(TAG.sub("", markup)).replace("\u00b6", "")
    return " ".join(text.split())


def _key(text: str) -> str:
    """Text compared loosely: case, punctuation and spacing ignored."""
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.casefold()).strip("-") or "section"


@dataclass
class Outline:
    """A report fragment rewritten for its page, with the subtitle and contents list taken from it.

    Parameters
    ----------
    fragment : str or None
        The rewritten fragment; None when the report has no output.
    subtitle : str, default ""
        The notebook's first h1 when it says more than the title, else ``""``.
    contents : list of tuple of (str, str), optional
        The h2 headings as ``(id, text)``, in page order.
    """

    fragment: str
    subtitle: str = ""
    contents: list[tuple[str, str]] = field(default_factory=list)


def outline(fragment: str | None, title: str) -> Outline:
    """Rewrite a report's notebook fragment so that the page has one h1 and shows its title once.

    Parameters
    ----------
    fragment : str or None
        The sanitised notebook HTML (nbreport.render), or None when the report has no output.
    title : str
        The report's title, printed by the page as its h1.

    Returns
    -------
    Outline
        The fragment without h1 and without headings that repeat the title, the subtitle taken
        from the notebook's first h1, and the h2 headings (id, text) for the contents list.
    """
    if fragment is None:
        return Outline(fragment=None)
    want = _key(title)
    used = set(m.group(1) or m.group(2) for m in ID.finditer(fragment))
    out = Outline(fragment="")
    first_h1 = True

    def rewrite(m: re.Match) -> str:
        nonlocal first_h1
        level, attrs, inner = int(m.group(1)), m.group(2), m.group(3)
        text = text_of(inner)
        if level == 1 and first_h1:
            first_h1 = False
            sub = text
            if want and _key(sub) != want and _key(sub).endswith(want):
                cut = next(i for i in range(len(sub)) if _key(sub[i:]) == want)
                sub = sub[:cut].rstrip(" :,;-\u2013\u2014")
            elif want and _key(sub) != want and _key(sub).startswith(want + " "):
                cut = next(i for i in range(len(sub), 0, -1) if _key(sub[:i]) == want)
                sub = sub[cut:].lstrip(" :,;-\u2013\u2014")
                sub = sub[:1].upper() + sub[1:]
            if _key(sub) != want and sub:
                out.subtitle = sub
            return ""
        if want and _key(text) == want:
            return ""
        if level == 1:
            level = 2
        if level == 2:
            found = ID.search(attrs)
            ident = (found.group(1) or found.group(2)) if found else ""
            if not ident:
                base = ident = _slug(text)
                n = 1
                while ident in used:
                    n += 1
                    ident = f"{base}-{n}"
                used.add(ident)
                attrs = f' id="{ident}"' + attrs
            out.contents.append((ident, text))
        return f"<h{level}{attrs}>{inner}</h{level}>"

    out.fragment = HEADING.sub(rewrite, fragment)
    return out


SCROLL_BOX = re.compile(r'<div class="table-scroll">')
H2_BEFORE = re.compile(r"<h2\b[^>]*>(.*?)</h2\s*>", re.S | re.I)


def label_scroll_boxes(page: str) -> str:
    """Make each ``<div class="table-scroll">`` of a page focusable and labelled.

    A box that scrolls sideways must be reachable by keyboard (axe-core:
    ``scrollable-region-focusable``) and say what it holds: it gets ``tabindex="0"``,
    ``role="region"`` and an ``aria-label`` naming the section it sits in (the nearest h2 above it).
    Boxes written with their own attributes are left as they are.

    Parameters
    ----------
    page : str
        A whole rendered page.

    Returns
    -------
    str
        The page with every bare ``<div class="table-scroll">`` given those attributes.
    """
    out, last, n = [], 0, 0
    for m in SCROLL_BOX.finditer(page):
        heads = H2_BEFORE.findall(page, 0, m.start())
        n += 1
        name = text_of(heads[-1]) if heads else f"Table {n}"
        out.append(page[last:m.start()])
        out.append(f'<div class="table-scroll" tabindex="0" role="region" '
                   f'aria-label="{html.escape("Table: " + name + " (scrolls sideways)", quote=True)}">')
        last = m.end()
    out.append(page[last:])
    return "".join(out)
