"""Read an article's plain text and its publication date, refusing bad input with one clear message.

An article file is plain UTF-8 text. Optional header lines at the top are used
when present: a first line with the title, and ``Published: YYYY-MM-DD`` (or
``YYYY-MM``) and ``Outlet: ...`` lines. Options passed by the caller override them.
Without a ``Published:`` line or option, a dateline in the first part of the page
("June 6, 2025" on its own line, "By Dave Yin / Nov 12, 2019 05:53 AM",
"By Reuters | 19 Jan, 2026", "2026/04/20 11:39") is used, and the report says so.

Every refusal is an :class:`ArticleError` whose message names the file, the line
and column (or the parameter) and what was expected.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
_MONTH_RE = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
             r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?")
_HTML = re.compile(r"<!doctype\s+html|<(?:html|head|body|div|p|span|script|style|meta|a|br|table|article)\b[^>]*>",
                   re.IGNORECASE)
DATELINE_SCAN_LINES = 60        # a page's dateline sits above the article body


class ArticleError(ValueError):
    """The article file or an option cannot be used; the message says where and what was expected.

    Raised with one message: a sentence naming the file, line and column (or the option) and what was
    expected, so the command line prints it instead of a traceback.
    """


@dataclass
class Article:
    """One article: its text (header lines removed) and what is known about it.

    Parameters
    ----------
    path : pathlib.Path or None
        The file read.
    text, title : str
        The body and the first line.
    published : datetime.date
        The publication date (the first of the month when only the month is known).
    precision : str
        ``day`` or ``month``.
    date_from : str
        Where the date came from (option, ``Published:`` line, dateline).
    outlet : str
        From the options or header lines.
    offset_line : int
        Header lines removed, so line numbers in reports refer to the file.
    source_id : str
        From the options or header lines.
    warnings : list of str
        What the reader noticed but did not refuse.
    """
    path: Path | None
    text: str
    title: str
    published: dt.date
    precision: str
    date_from: str
    outlet: str = ""
    offset_line: int = 0
    source_id: str = ""
    warnings: list = field(default_factory=list)

    @property
    def published_text(self) -> str:
        """The publication date as data/sources.csv writes it.

        Returns
        -------
        str
            YYYY-MM-DD, or YYYY-MM when only the month is known.
        """
        return self.published.isoformat() if self.precision == "day" else self.published.strftime("%Y-%m")


def _where(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def parse_date_option(value: str, what: str) -> tuple[dt.date, str]:
    """Read a date option: '2025-07-18' gives (that date, 'day'), '2025-07' (its first day, 'month').

    Parameters
    ----------
    value : str
        The option's value.
    what : str
        The option's name, for the message (``PUBLISHED``).

    Returns
    -------
    tuple
        (datetime.date, precision) with precision ``day`` or ``month``.

    Raises
    ------
    ArticleError
        When the value is not YYYY-MM-DD or YYYY-MM, or not a real date.
    """
    value = (value or "").strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", value)
    if not m:
        raise ArticleError(f"{what}={value!r}: expected a date as YYYY-MM-DD (or YYYY-MM when only the month is known)")
    y, mo, d = int(m.group(1)), int(m.group(2)), m.group(3)
    try:
        return dt.date(y, mo, int(d or 1)), ("day" if d else "month")
    except ValueError:
        raise ArticleError(f"{what}={value!r} is not a calendar date (expected YYYY-MM-DD)") from None


_DATELINES = [
    # "June 6, 2025" / "Nov 12, 2019 05:53 AM" / "19 Jan, 2026" / "August 25 2025" / "2026/04/20 11:39"
    re.compile(rf"\b(?P<mon>{_MONTH_RE})\s+(?P<day>\d{{1,2}}),?\s+(?P<year>(?:19|20)\d{{2}})\b"),
    re.compile(rf"\b(?P<day>\d{{1,2}})\s+(?P<mon>{_MONTH_RE}),?\s+(?P<year>(?:19|20)\d{{2}})\b"),
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})[/-](?P<month>\d{2})[/-](?P<day>\d{2})(?!\d)"),
]


def _date_in(line: str) -> dt.date | None:
    for pattern in _DATELINES:
        m = pattern.search(line)
        if not m:
            continue
        gd = m.groupdict()
        month = int(gd["month"]) if gd.get("month") else MONTHS[gd["mon"].lower().rstrip(".")]
        try:
            return dt.date(int(gd["year"]), month, int(gd["day"]))
        except ValueError:
            return None
    return None


def find_dateline(lines: list[str]) -> tuple[dt.date, int] | None:
    """The first line near the top that is a dateline: a date alone, or with a byline ('By ... / date').

    A date inside a sentence of the article is not a dateline.

    Parameters
    ----------
    lines : list of str
        The article's lines.

    Returns
    -------
    tuple or None
        (datetime.date, line index), or None when the top has no dateline.
    """
    for i, raw in enumerate(lines[:DATELINE_SCAN_LINES]):
        line = raw.strip()
        if not line or len(line) > 90:
            continue
        d = _date_in(line)
        if d is None:
            continue
        rest = line
        for pattern in _DATELINES:
            rest = pattern.sub(" ", rest)
        rest = re.sub(r"\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:AM|PM|am|pm)?\b", " ", rest)
        words = re.findall(r"[A-Za-z]+", rest)
        byline = re.match(r"\s*(By|Published|Updated|Posted)\b", line, re.IGNORECASE)
        if byline or len(words) <= 6 and not re.search(r"[.!?]\s*$", line):
            return d, i
    return None


def read_text(path: Path) -> str:
    """The file as text, or one message saying why it cannot be read as an article.

    Parameters
    ----------
    path : pathlib.Path
        The article's plain-text file.

    Returns
    -------
    str
        The text, newlines normalised.

    Raises
    ------
    ArticleError
        For a missing, empty, binary, non-UTF-8 or HTML file (naming the file and, for bad
        bytes, the line and column).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ArticleError(f"{path}: no such file (expected the article as a plain-text file)") from None
    except IsADirectoryError:
        raise ArticleError(f"{path}: is a folder, not an article file (expected a plain-text file)") from None
    if not raw.strip():
        raise ArticleError(f"{path}: the file is empty (expected the article's plain text)")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ArticleError(f"{path}:{line}:{col}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); expected the article "
                           "as plain UTF-8 text (re-save it as UTF-8, or copy the text from the browser)") from None
    nul = text.find("\x00")
    if nul >= 0:
        line, col = _where(text, nul)
        raise ArticleError(f"{path}:{line}:{col}: a NUL byte: this is a binary file, not the article's plain text")
    tags = list(_HTML.finditer(text))
    if tags and (len(tags) >= 3 or re.match(r"\s*<", text)):
        line, col = _where(text, tags[0].start())
        raise ArticleError(f"{path}:{line}:{col}: this is HTML ({tags[0].group(0)[:30]!r}); expected the article as "
                           "plain text (copy the text from the browser, or save the page as text)")
    if not text.strip():
        raise ArticleError(f"{path}: the file holds only whitespace (expected the article's plain text)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


_HEADER = re.compile(r"^(Published|Outlet|Source|Address)\s*:\s*(.*)$", re.IGNORECASE)


def read_article(path, published: str | None = None, outlet: str | None = None, source_id: str | None = None,
                 today: dt.date | None = None, text: str | None = None) -> Article:
    """Read an article file (or `text`) and settle its publication date.

    Parameters
    ----------
    path : pathlib.Path or str
        The plain-text file (used in messages when `text` is given).
    published : str, optional
        'YYYY-MM-DD' or 'YYYY-MM'; overrides a ``Published:`` line and any dateline.
    outlet : str, optional
        Overrides an ``Outlet:`` line.
    source_id : str, optional
        The article's id in data/sources.csv when it is already there (its rows then never confirm it).
    today : datetime.date, optional
        The date a publication date may not be after (default: today).
    text : str, optional
        The article's text, when it is not read from `path`.

    Returns
    -------
    Article
        The body (header lines removed), title, date and its precision and origin, outlet.

    Raises
    ------
    ArticleError
        A missing, empty, binary, non-UTF-8 or HTML file; a bad date option or header; no
        publication date anywhere; a date in the future.
    """
    path = Path(path) if path is not None else None
    if text is None:
        text = read_text(path)
    name = str(path) if path is not None else "<text>"
    today = today or dt.date.today()
    lines = text.split("\n")
    header: dict[str, tuple[str, int]] = {}
    # header block: optional title line, then Published:/Outlet: lines, before the first blank line
    i = 0
    title = ""
    while i < len(lines) and not lines[i].strip():
        i += 1
    first = i
    j = first
    while j < len(lines) and lines[j].strip() and j - first < 6:
        m = _HEADER.match(lines[j].strip())
        if m:
            header[m.group(1).lower()] = (m.group(2).strip(), j + 1)
        j += 1
    header_lines = {ln for _, ln in header.values()}
    body_lines = [ln if (k + 1) not in header_lines else "" for k, ln in enumerate(lines)]
    for ln in body_lines:
        if ln.strip():
            title = ln.strip()
            break
    body = "\n".join(body_lines)

    if published:
        date, precision = parse_date_option(published, "PUBLISHED")
        date_from = "the PUBLISHED option"
    elif "published" in header:
        value, line_no = header["published"]
        try:
            date, precision = parse_date_option(value, "Published")
        except ArticleError as exc:
            raise ArticleError(f"{name}:{line_no}: {exc}") from None
        date_from = f"the 'Published:' line (line {line_no})"
    else:
        found = find_dateline(lines)
        if found is None:
            raise ArticleError(
                f"{name}: no publication date: the text has no 'Published: YYYY-MM-DD' line and no dateline near the "
                "top; pass PUBLISHED=YYYY-MM-DD (relative dates such as 'last month' are resolved from it)")
        date, idx = found
        precision = "day"
        date_from = f"the dateline on line {idx + 1} ({lines[idx].strip()[:60]!r})"
    if date > today:
        raise ArticleError(f"{name}: publication date {date.isoformat()} (from {date_from}) is in the future "
                           f"(today is {today.isoformat()}); expected the date the article was published")
    out = outlet if outlet else (header.get("outlet", ("", 0))[0])
    sid = source_id or header.get("source", ("", 0))[0]
    return Article(path=path, text=body, title=title, published=date, precision=precision, date_from=date_from,
                   outlet=out, source_id=sid)
