"""What each number is about (series, partner, period, stage, event) and the recipe that recomputes it.

This is the collection's own mapping from words to its tables: the three export
series kept apart (customs HS 8505 "magnets", the customs "rare earths"
headline, Bloomberg's "rare earth products"), quotas by stage, part and segment,
USGS production, and the events table. Periods are resolved against the
publication date: "in March" in an April 2026 article is 2026-03, "last month"
is the month before publication, "the first half" is January to June of the
latest year whose first half had ended.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from helpers.drafting.extract import MONTHS, Mention, Sentence, UP_RE, DOWN_RE

WORLD = "World"
PARTNERS = [
    (r"United States|U\.S\.(?!\w)|\bUS\b|America(?!n)|the States", "United States"),
    (r"Germany|German\b", "Germany"),
    (r"Japan", "Japan"),
    (r"South Korea|Korea", "South Korea"),
    (r"India\b", "India"),
    (r"Vietnam", "Vietnam"),
    (r"the EU\b|\bEU\b|European Union", "EU-27"),
]
PARTNER_CONTEXT = re.compile(
    r"(?:\bto (?:the |its )?|\bfor (?:the )?|\bproportion for (?:the )?)(?P<p>United States|U\.S\.|US|America|Germany|"
    r"Japan|South Korea|India|Vietnam|the EU|EU|European Union)(?!\w)|"
    r"(?P<q>U\.S\.|US|American?|Japan|EU|Germany)[- ]bound|"
    r"(?P<r>The US|the US|The U\.S\.|the U\.S\.|The United States|Japan|Germany|India|Vietnam)(?:'s)?\s+"
    r"(?:bought|imported|imports|purchases|purchased)|"
    r"(?P<s>Germany|Japan|South Korea|India|Vietnam|the United States|the U\.S\.|the EU)\s+(?:remained|was|became|"
    r"stayed|received|took)\b[^;,]{0,40}?\b(?:destination|recipient|buyer|market|tons|tonnes)")

_STOP = set("""the a an of and to in on for by at its is was were be been has have had that this with from as it
china chinas chinese rare earth earths year years month months last first second third new said says will would
which their they there than over after before into about also more most some such these those them other per
t tons tonnes""".split())


def _words(text: str) -> set[str]:
    return {w[:6] for w in re.findall(r"[a-z]+", text.lower().replace("'", "")) if w not in _STOP and len(w) > 2}


def month_add(y: int, m: int, k: int) -> tuple[int, int]:
    """Move a (year, month) by ``k`` months.

    Parameters
    ----------
    y, m : int
        Year and month (1-12).
    k : int
        Months to add (negative to go back).

    Returns
    -------
    tuple of int
        (year, month).
    """
    n = y * 12 + (m - 1) + k
    return n // 12, n % 12 + 1


@dataclass
class Period:
    """Months y1-m1 .. y2-m2 that a number is about.

    Parameters
    ----------
    y1, m1, y2, m2 : int
        First and last month.
    year_only : bool
        The text gave a year (quota and production years), not months.
    """
    y1: int
    m1: int
    y2: int
    m2: int
    year_only: bool = False

    @property
    def single(self) -> bool:
        """Whether the period is one month.

        Returns
        -------
        bool
        """
        return (self.y1, self.m1) == (self.y2, self.m2)

    def shift(self, months: int) -> "Period":
        """The same span moved by some months ('a year earlier' is -12).

        Parameters
        ----------
        months : int
            Months to move.

        Returns
        -------
        Period
        """
        a = month_add(self.y1, self.m1, months)
        b = month_add(self.y2, self.m2, months)
        return Period(a[0], a[1], b[0], b[1], self.year_only)

    def args(self) -> str:
        """The period as recipe arguments: '"2026-03"' or '"2026-01", "2026-03"'.

        Returns
        -------
        str
        """
        s = f'"{self.y1:04d}-{self.m1:02d}"'
        if not self.single:
            s += f', "{self.y2:04d}-{self.m2:02d}"'
        return s


def _year_for_month(month: int, pub: dt.date) -> int:
    return pub.year if month <= pub.month else pub.year - 1


_NUMWORD = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
            "eleven": 11}
_MON = (r"January|February|March|April|May|June|July|August|September|October|November|December|Sept|Jan|Feb|Mar|"
        r"Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec")


RECORD_BEFORE = re.compile(r"\b(?:highest|lowest|record|peak|largest|biggest|smallest|best|worst|most|least|strongest|"
                           r"weakest)\b[^,.;]{0,45}?\b(?:since|in|this|of|for)\s+(?:at least\s+)?(?:the\s+)?$|"
                           r"\brecords? (?:began|start(?:ed)?) in\s+$")


def find_periods(text: str, pub: dt.date, current: Period | None) -> list[tuple[int, int, Period, str]]:
    """Period expressions in a sentence, resolved against the publication date.

    "in March" in an April 2026 article is 2026-03; "last year", "the first half", "the first
    three quarters", "year-to-date" and "a year earlier" are read the same way.

    Parameters
    ----------
    text : str
        The sentence.
    pub : datetime.date
        The publication date.
    current : Period, optional
        The period the text was last about (for "the same month a year earlier").

    Returns
    -------
    list of tuple
        (start, end, Period, role) in the sentence; role ``base`` after from / than / compared with.
    """
    out = []

    def add(m, period, role=""):
        if period is None:
            return
        b = text[max(0, m.start() - 50):m.start()].lower()
        if RECORD_BEFORE.search(b):
            return          # 'the highest since January', 'the highest this year': a record's label, not a period
        if not role and re.search(r"(?:from|than|compared (?:with|to)|over|versus|vs\.?|against|on)\s+(?:the\s+)?"
                                  r"(?:(?:about |around |some )?[\d,.]+\s*(?:metric\s+)?(?:tons|tonnes|t)\s+(?:in|for|of)\s+|"
                                  r"(?:figures?|levels?|volumes?|totals?|amounts?)\s+(?:for|in|of)\s+)?"
                                  r"(?:the\s+)?$", b):
            role = "base"
        if role == "base" and re.match(r",?\s+when\b", text[m.end():m.end() + 8]):
            role = ""       # 'a reversal from July, when exports slumped 23%': the when-clause is about July
        if any(s <= m.start() < e for s, e, _, _ in out):
            return
        out.append((m.start(), m.end(), period, role))

    # relative bases first (they hold month and year words the rules below would read on their own)
    for m in re.finditer(r"\b(?:the\s+)?(?:same|corresponding)\s+(?:month|period|time|quarter|months)\s+"
                         r"(?:(?:in|of|a year ago in)\s+(?P<y>(?:19|20)\d{2})|(?P<ly>(?:of\s+)?last year|a year (?:earlier|"
                         r"ago|before)|(?:of|in)\s+the (?:previous|prior) year))", text, re.IGNORECASE):
        y = m.group("y")
        ref = current or Period(pub.year, 1, pub.year, 12)
        if y:
            add(m, ref.shift((int(y) - ref.y2) * 12), f"base_year:{y}")
        else:
            add(m, ref.shift(-12), "base_yoy")
    for m in re.finditer(r"\b(?:the\s+)?(?:previous|prior|preceding) month\b|\ba month (?:earlier|before|ago)\b|"
                         r"\bthe month before\b", text, re.IGNORECASE):
        ref = current or Period(pub.year, pub.month, pub.year, pub.month)
        add(m, ref.shift(-1), "base_mom")

    for m in re.finditer(r"\b(?:the\s+)?(?:first|1st)\s+(?:half|six months)(?:\s+of\s+(?:(?P<y>(?:19|20)\d{2})|"
                         r"(?P<rel>this|last) year|the year))?|\bH1\s*(?P<y2>(?:19|20)\d{2})?", text, re.IGNORECASE):
        y = m.group("y") or m.group("y2")
        if y:
            year = int(y)
        elif m.group("rel") == "last":
            year = pub.year - 1
        elif m.group("rel") == "this":
            year = pub.year
        else:
            year = pub.year if pub.month > 6 else pub.year - 1
        add(m, Period(year, 1, year, 6))
    for m in re.finditer(r"\b(?:the\s+)?first\s+(?P<n>three|two|3|2)?\s*quarters?(?:\s+of\s+(?:(?P<y>(?:19|20)\d{2})|"
                         r"(?P<rel>this|last) year|the year))?|\bQ1\s*(?P<y2>(?:19|20)\d{2})?", text, re.IGNORECASE):
        n = {"three": 3, "3": 3, "two": 2, "2": 2}.get((m.group("n") or "").lower(), 1)
        y = m.group("y") or m.group("y2")
        end = 3 * n
        year = int(y) if y else (pub.year - 1 if m.group("rel") == "last" else
                                  pub.year if (m.group("rel") == "this" or pub.month > end) else pub.year - 1)
        add(m, Period(year, 1, year, end))
    for m in re.finditer(r"\b(?:the\s+)?first\s+(?P<n>\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|eleven)\s+"
                         r"months(?:\s+of\s+(?:(?P<y>(?:19|20)\d{2})|(?P<rel>this|last) year|the year))?", text,
                         re.IGNORECASE):
        g = m.group("n").lower()
        n = int(g) if g.isdigit() else _NUMWORD[g]
        y = m.group("y")
        year = int(y) if y else (pub.year - 1 if m.group("rel") == "last" else
                                  pub.year if pub.month > n else pub.year - 1)
        add(m, Period(year, 1, year, n))
    for m in re.finditer(rf"\b(?:[Bb]etween\s+|[Ff]rom\s+)?(?P<a>{_MON})(?:\s*(?:-|\u2013|to|and|through)\s*)(?P<b>{_MON})\b"
                         rf"(?:\s+(?P<y>(?:19|20)\d{{2}}))?", text):
        ma, mb = MONTHS[m.group("a").lower()], MONTHS[m.group("b").lower()]
        y = int(m.group("y")) if m.group("y") else _year_for_month(mb, pub)
        if ma < mb:
            add(m, Period(y, ma, y, mb))
    for m in re.finditer(r"\b(?:year[- ]to[- ]date|so far this year)\b", text, re.IGNORECASE):
        if current is not None and current.single:
            add(m, Period(current.y2, 1, current.y2, current.m2))
        else:
            a = month_add(pub.year, pub.month, -1)
            add(m, Period(a[0], 1, a[0], a[1]))
    for m in re.finditer(r"\b(?P<rel>last|this|next|previous|prior|the)\s+month\b", text, re.IGNORECASE):
        rel = m.group("rel").lower()
        if rel == "last":
            a = month_add(pub.year, pub.month, -1)
            add(m, Period(a[0], a[1], a[0], a[1]))
        elif rel == "this":
            add(m, Period(pub.year, pub.month, pub.year, pub.month))
        elif rel in ("previous", "prior") or (rel == "the" and re.search(r"before", text[m.end():m.end() + 8])):
            if current is not None and current.single:
                p = current.shift(-1)
                add(m, p, "base")
    for m in re.finditer(r"\ba month (?:earlier|before)\b", text, re.IGNORECASE):
        if current is not None and current.single:
            add(m, current.shift(-1), "base")
    for m in re.finditer(rf"\b(?P<mon>{_MON})\b(?:'s|\u2019s)?(?:\s+(?P<y>(?:19|20)\d{{2}}))?", text):
        name = m.group("mon")
        if name in ("May",) and re.match(r"\s+(?:not|be|have|also|well|still|face|need|take|affect)\b",
                                         text[m.end():m.end() + 10]):
            continue
        mon = MONTHS[name.lower()]
        y = int(m.group("y")) if m.group("y") else _year_for_month(mon, pub)
        add(m, Period(y, mon, y, mon))
    for m in re.finditer(r"\b(?:the\s+)?(?:following|next) month\b|\ba month later\b", text, re.IGNORECASE):
        before = [(s0, p) for s0, e0, p, role in out if e0 <= m.start() and not role.startswith("base")]
        if before:
            add(m, max(before, key=lambda x: x[0])[1].shift(1))
    for m in re.finditer(r"\b(?P<rel>last|this) year\b", text, re.IGNORECASE):
        y = pub.year - 1 if m.group("rel").lower() == "last" else pub.year
        add(m, Period(y, 1, y, 12, True))
    for m in re.finditer(r"\bfor the year\b", text, re.IGNORECASE):
        add(m, Period(pub.year, 1, pub.year, 12, True))
    for m in re.finditer(r"(?<![\d,.])(?P<y>(?:19|20)\d{2})(?![\d%]|[,.]\d|\s*(?:tons|tonnes|t\b|metric))", text):
        y = int(m.group("y"))
        if y > pub.year:
            continue
        b = text[max(0, m.start() - 25):m.start()].lower()
        role = "base" if re.search(r"(?:from|than|on|over|compared with)\s+(?:the\s+)?$", b) else ""
        add(m, Period(y, 1, y, 12, True), role)
    out.sort()
    return out


@dataclass
class Context:
    """What the drafter knows from the sentences before.

    Parameters
    ----------
    series, stage, partner : str
        The series, quota stage and partner in play.
    period : Period or None
        The period in play.
    stages_order : tuple
        The stages in the order the text named them ('mining and smelting quotas of ... and ...').
    """
    series: str = ""
    stage: str = ""
    partner: str = ""
    period: Period | None = None
    stages_order: tuple = ()


EVENT_EXPORT = re.compile(r"export[- ](?:controls?|restrictions?|licen[cs]\w*|bans?|curbs?|regime|control list|"
                          r"restriction list|measures)", re.IGNORECASE)


def series_of(text: str) -> str:
    """The export series or table a sentence is about.

    Parameters
    ----------
    text : str
        The sentence (or clause).

    Returns
    -------
    str
        ``magnets``, ``rare_earths``, ``rare_earth_products`` (Bloomberg's term), ``quota``,
        ``production`` or ``""`` when the words do not say.
    """
    low = EVENT_EXPORT.sub(" ", text.lower())
    if re.search(r"rare[- ]earth products", low):
        return "rare_earth_products"
    if re.search(r"quota|allotment|allowance", low):
        return "quota"
    if "magnet" in low:
        return "magnets"
    if re.search(r"\busgs\b|mine production|world production|global production|produced \d", low):
        return "production"
    if re.search(r"\bimports?\b|\bimported\b", low) and not re.search(r"export|shipment|shipped|outbound", low):
        return "imports"
    if re.search(r"rare[- ]earth|the minerals|17 (?:minerals|elements|metals|components)|rare minerals|rare[- ]earths",
                 low) and re.search(r"export|shipment|shipped|outbound|sales", low):
        return "rare_earths"
    return ""


def stage_near(text: str, pos: int) -> str:
    """The quota stage named nearest before ``pos`` in a sentence (or after, when none before).

    Parameters
    ----------
    text : str
        The sentence.
    pos : int
        The number's offset in it.

    Returns
    -------
    str
        ``mining``, ``smelting`` or ``""``.
    """
    best, where = "", -1
    for m in re.finditer(r"smelting|separation|mining|output|production|extract", text[:pos], re.IGNORECASE):
        best = "smelting" if m.group(0).lower() in ("smelting", "separation") else "mining"
        where = m.start()
    if where >= 0:
        return best
    m = re.search(r"smelting|separation|mining|output|production", text[pos:], re.IGNORECASE)
    if m:
        return "smelting" if m.group(0).lower() in ("smelting", "separation") else "mining"
    return ""


def partner_of(sent_text: str, before_pos: int | None = None) -> str:
    """The export partner a sentence names ("to the U.S.", "to Germany").

    Parameters
    ----------
    sent_text : str
        The sentence.
    before_pos : int, optional
        Ignore partners named well after this offset.

    Returns
    -------
    str
        A partner as exports.csv spells it, or ``""``.
    """
    for m in PARTNER_CONTEXT.finditer(sent_text):
        if before_pos is not None and m.start() > before_pos + 60:
            continue
        name = m.group("p") or m.group("q") or m.group("r") or m.group("s")
        for pat, partner in PARTNERS:
            if re.search(pat, name):
                return partner
    return ""


CONTRAST = re.compile(r"\b(?:overall|in total|worldwide|globally|meanwhile)\b|;|\u2014|\b(?:but|while|whereas|and)\s+"
                      r"(?:\w+\s+){0,4}(?:exports|shipments|imports|sales|volumes?)\b", re.IGNORECASE)
CLAUSE_CUT = re.compile(r"[,;:\u2013\u2014]\s|\s(?:after|before|when|which|while|but|and then|as|following|amid|"
                        r"although|whereas)\s")


def clause_bounds(text: str, a: int, b: int) -> tuple[int, int]:
    """The clause of the span ``a..b`` in a sentence: from the cut before it to the cut after it.

    Parameters
    ----------
    text : str
        The sentence.
    a, b : int
        The span's offsets.

    Returns
    -------
    tuple of int
        (start, end) offsets of the clause.
    """
    left = max([0] + [m.end() for m in CLAUSE_CUT.finditer(text) if m.end() <= a])
    right = min([len(text)] + [m.start() for m in CLAUSE_CUT.finditer(text) if m.start() >= b])
    return left, right


def partner_at(sent_text: str, a: int, b: int) -> str | None:
    """The partner a number at ``a..b`` of a sentence is about.

    The partner named in the number's own clause; else the nearest one named before it in
    the sentence with no contrast word ('but', 'while', 'however') between; else None.

    Parameters
    ----------
    sent_text : str
        The sentence.
    a, b : int
        The number's offsets in it.

    Returns
    -------
    str or None
        A partner, ``World`` when the clause says overall / worldwide / in total, or None
        (the sentence says nothing about this number's destination).
    """
    left, right = clause_bounds(sent_text, a, b)
    clause = sent_text[left:right]
    found = [(m.start(), _partner_name(m)) for m in PARTNER_CONTEXT.finditer(sent_text)]
    inside = [(abs(s - a), p) for s, p in found if left <= s < right]
    if inside:
        return min(inside)[1]
    if re.search(r"\bWorld\b", clause) or re.search(r"\boverall\b|\bglobally\b|\bworldwide\b|\bin total\b|"
                                                  r"\btotal\b[^,.;]{0,30}\b(?:exports|shipments)", clause, re.IGNORECASE):
        return WORLD
    before = [(s, p) for s, p in found if s < a]
    if before:
        s, p = max(before)
        if not CONTRAST.search(sent_text[s:a]):
            return p
        return WORLD
    return None


def _partner_name(m) -> str:
    name = m.group("p") or m.group("q") or m.group("r") or m.group("s")
    for pat, partner in PARTNERS:
        if re.search(pat, name):
            return partner
    return ""


def part_of(text: str) -> str:
    """The quota batch (or half) a sentence names.

    Parameters
    ----------
    text : str
        The sentence.

    Returns
    -------
    str
        ``first_batch``, ``second_batch``, ``third_batch`` or ``annual``.
    """
    low = text.lower()
    if re.search(r"first half|first batch|first set|first round|first-half|first quarterly", low):
        return "first_batch"
    if re.search(r"second batch|second half|second-half|second round", low):
        return "second_batch"
    if re.search(r"third batch", low):
        return "third_batch"
    return "annual"


def segment_of(text: str) -> str:
    """The quota segment a sentence names.

    Parameters
    ----------
    text : str
        The sentence.

    Returns
    -------
    str
        ``medium_heavy`` (dysprosium, terbium, ion-adsorption), ``light`` (rock-type) or ``total``.
    """
    low = text.lower()
    if re.search(r"dysprosium|terbium|medium[- ]heavy|heavy rare|ion[- ]adsorption|ion[- ]absorbed", low):
        return "medium_heavy"
    if re.search(r"\blight rare|rock[- ]type", low):
        return "light"
    return "total"


# --------------------------------------------------------------------------- events

MONTH_WORDS = {m[:6] for m in ("january february march april may june july august september october november "
                                "december").split()}     # the date is compared on its own: a weak word
PEOPLE_WORDS = {"presid", "trump", "donald", "jinpin", "biden", "joe", "minist", "spokes", "leader", "premie",
                "chairm", "secret"}
MONTHS_APART = 3      # a dated mention matches an event at most this many months away


def match_events(events, sent_text: str, *, year: int | None = None, month: int | None = None,
                 day: dt.date | None = None, window: tuple[dt.date, dt.date] | None = None, min_score: float | None = None):
    """Events ranked by the words they share with the sentence, within a date window when given.

    The ranking uses words, not the stated date, so a wrong date in the article is found to
    differ, not matched away.

    Parameters
    ----------
    events : pandas.DataFrame
        data/events.csv.
    sent_text : str
        The sentence.
    year, month : int, optional
        Keep events of this year (and month).
    day : datetime.date, optional
        Keep events near this day.
    window : tuple of datetime.date, optional
        Keep events between these days.
    min_score : float, optional
        The least share of words to count as a match.

    Returns
    -------
    list of tuple
        (score, event_id, date, precision), best first.
    """
    if min_score is None:
        # a mention dated to the month is held to events within MONTHS_APART: fewer shared words suffice
        min_score = 1.5 if (year is not None and month is not None) else 2
    words = _words(sent_text)
    out = []
    for ev in events.itertuples(index=False):
        d = ev.date.date() if hasattr(ev.date, "date") else ev.date
        if year is not None and abs(d.year - year) > 1:
            continue
        if year is not None and month is not None and abs((d.year * 12 + d.month) - (year * 12 + month)) > MONTHS_APART:
            continue    # an event months away is another event (the data may not hold this one), not a wrong date
        same_year = year is None or d.year == year
        if window is not None and not (window[0] <= d <= window[1]):
            continue
        ev_words = _words(f"{ev.title} {ev.event_id.replace('_', ' ')} {ev.kind.replace('_', ' ')}")
        shared = words & ev_words
        # who acted, and the month, weigh half of what happened: 'export controls' over 'President Trump in April'
        score = sum(0.5 if w in PEOPLE_WORDS or w in MONTH_WORDS else 1 for w in shared)
        if score >= min_score:
            closeness = 0
            if year is not None:
                closeness -= abs(d.year - year) * 12
                if month is not None:
                    closeness -= abs(d.month - month)
            out.append((same_year, score, closeness, ev.event_id, d, str(ev.precision)))
    out.sort(key=lambda r: (not r[0], -r[1], -r[2], r[3]))
    return [(s, eid, d, p) for _, s, _, eid, d, p in out]
