"""Find every number an article states, say where it stands and what it is.

Hand rules (regular expressions and word lists) find the numbers; ``text2num``
reads compound number words ("twenty-one"). Each number becomes a
:class:`Mention` with the printed text, the value in the ledger's convention
(``stated``), unit, qualifier, direction (up/down/below/above), kind (level,
change_mom, change_yoy, change, share, total, count, date) and, when the number
is page furniture or otherwise left out of the ledger, ``skip`` with the reason
(the README's "What the ledger leaves out" is the rule).

Libraries measured against these rules (tools/bench_claims.py prints the
comparison): quantulum3 reads scaled quantities well but reads "a fifth
consecutive month" as 0.2, drops "percentage points" and "twice", and its first
call takes about 2.5 s; dateparser resolves "last month" to a day, not a month,
and does not read "the first half" or "the previous four years". Neither is used.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from fractions import Fraction

from text_to_num import text2num

from helpers.drafting.reader import MONTHS, _MONTH_RE

WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name, start=1)}

CARDINALS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
             "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred").split()
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12}
SPECIAL_WORDS = {"twice": 2, "once": 1, "semiannually": 2, "biannually": 2, "semi-annually": 2, "dozen": 12}
FRACTIONS = {"a quarter": Fraction(1, 4), "a third": Fraction(1, 3), "half": Fraction(1, 2)}

RE_TOPIC = re.compile(r"rare[- ]earth|magnet|quota|\bREO\b|dysprosium|terbium|neodymium|lanthan|yttrium|scandium|"
                      r"\b17 (?:elements|minerals|metals)|the minerals|rare minerals|the elements|smelting|separation|export control|"
                      r"export licen[cs]|export restriction|customs", re.IGNORECASE)
EVENT_WORDS = re.compile(r"\b(?:impos\w*|introduc\w*|implement\w*|added|adds?|announc\w*|issu\w*|agreed|agreements?|"
                         r"proposal|propos\w*|release[ds]?|notice|ban(?:ned|s)?|summit|call|deal|truce|restrict\w*|"
                         r"controls?|suspend\w*|licensing|regulations?|rules|framework|finali[sz]ed|signed|unveil\w*|"
                         r"took effect|statement|set its|raised|cut|lifted|began|started|commenc\w*|consultation|launch\w*)\b", re.IGNORECASE)
SPEECH = re.compile(r"\b(?:said|says|say|told|telling|tell|declined|wrote|emphasi[sz]ed|spoke|speaking|interview|"
                    r"reported|showed|shows|released|published|survey|conducted|news conference|briefing|reporters)\b",
                    re.IGNORECASE)
MEASURE_WORDS = re.compile(r"\b(?:exports?|exported|shipments?|shipped|imports?|imported|outbound|volumes?|sales|"
                           r"bought|purchases|totall?ed|output|production|quotas?)\b", re.IGNORECASE)

UP = r"up|rose|rise|rises|rising|jump(?:ed|s)?|climb(?:ed|s)?|increas(?:e|ed|es|ing)|surg(?:e|ed|es)|grew|growth|" \
     r"higher|gain(?:ed|s)?|boost(?:ed)?|rais(?:e|ed)|lift(?:ed)?|rebound(?:ed)?|added|more"
DOWN = r"down|fell|fall|falls|falling|drop(?:ped|s)?|declin(?:e|ed|es|ing)|slip(?:ped|s)?|slump(?:ed|s)?|" \
       r"plung(?:e|ed)|plummet(?:ed)?|lower|decreas(?:e|ed|es)|cut|tumbl(?:e|ed)|slid|less"
UP_RE = re.compile(rf"\b(?:{UP})\b", re.IGNORECASE)
DOWN_RE = re.compile(rf"\b(?:{DOWN})\b", re.IGNORECASE)

YOY = re.compile(r"year[- ]on[- ]year|year[- ]over[- ]year|\by/y\b|\byoy\b|a year (?:earlier|ago|before)|"
                 r"the year before|the previous year|from the same|same (?:month|period|time|quarter)|corresponding|"
                 r"\bon year\b|\bannual(?:ly)? (?:rise|fall|decline|increase|drop|growth)|an annual|"
                 r"\bon-year\b|from a year|than a year|last year's|in the previous year|\bannually\b|an annual", re.IGNORECASE)
MOM = re.compile(r"month[- ]on[- ]month|month[- ]over[- ]month|\bm/m\b|\bmom\b|(?:previous|prior|preceding) month|"
                 r"a month (?:earlier|before)|month to month|from the month before|the month before|"
                 r"compared with the previous", re.IGNORECASE)
SHARE = re.compile(r"accounting for|accounts? for|accounted for|\bshare\b|proportion|of the world|of global|"
                   r"of (?:all|total|its|the country's|china's)\b|of [A-Z][a-z]+ exports|dependent|of the market",
                   re.IGNORECASE)

_NUM = (r"(?<![\w.])(?<![A-Za-z]-)(?P<sign>[+\-\u2212])?(?P<digits>\d{1,3}(?:,\d{3})+(?![\d])|\d+)"
        r"(?:\.(?P<dec>\d+))?(?:\s*(?P<scale>thousand|million|billion|mn|bn)\b)?")
_UNIT = (r"(?P<unit>\s*(?:%|-?\s?per\s?cent\b|-?percent(?:age points?)?\b|percentage points?\b|"
         r"(?:metric\s+)?(?:tonnes|tonne|tons|ton)\b|\s?mt\b|\s?kt\b|t\b(?!\w)|\s?kg\b|"
         r"-?(?:days?|weeks?|months?|years?)\b))?")
NUMBER = re.compile(_NUM + _UNIT, re.IGNORECASE)
MONEY = re.compile(r"(?:US\$|\$|\u00a5|\u20ac|\u00a3|USD\s?|RMB\s?)\s?\d[\d,.]*(?:\s*(?:million|billion|mln|bn|m)\b)?|"
                   r"\d[\d,.]*\s*(?:million|billion|mln|bn)?\s*(?:yuan|dollars|euros|USD|US dollars)\b|"
                   r"\d[\d,.]*\s*(?:\u4e07)?\u7f8e\u5143", re.IGNORECASE)
DATE_MD = re.compile(rf"\b(?P<mon>{_MONTH_RE})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>(?:19|20)\d{{2}}))?"
                     r"(?![\d,]*\s*(?:tons|tonnes|t\b|%|per))")
DATE_DM = re.compile(rf"\b(?P<day>\d{{1,2}})\s+(?P<mon>{_MONTH_RE})(?:,?\s+(?P<year>(?:19|20)\d{{2}}))?\b")
MONTH = re.compile(rf"\b(?:(?P<part>early|mid|late)[- ](?:in\s+)?)?(?P<mon>January|February|March|April|May|June|July|"
                   rf"August|September|October|November|December|Sept)\b(?:\s+(?P<year>(?:19|20)\d{{2}}))?")
WEEKDAY = re.compile(r"\b(?P<day>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
RELMONTH = re.compile(r"\b(?P<rel>last|this|next)\s+month\b", re.IGNORECASE)
WORDNUM = re.compile(r"\b(?P<w>(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[- ](?:one|two|three|four|"
                     r"five|six|seven|eight|nine))|" + "|".join(CARDINALS) + r")\b(?P<fold>-?fold)?", re.IGNORECASE)
SPECIAL = re.compile(r"\b(?P<w>twice|once|semi-?annually|biannually)\b", re.IGNORECASE)
FRACTION_RE = re.compile(r"\b(?P<w>a quarter|a third(?![- ](?:consecutive|straight|successive|time|month|year|quarter|"
                         r"week|day|batch|round|highest|largest|biggest|lowest))|(?<=a )half|(?<=one )half|half(?= of (?!the year|this year|"
                         r"last year|next year|\d)))\b(?!-)", re.IGNORECASE)
ORDINAL = re.compile(r"\b(?P<w>" + "|".join(ORDINALS) + r"|\d{1,2}(?:st|nd|rd|th))\b(?P<after>[- ]\w+)?", re.IGNORECASE)
N_MONTH_HIGH = re.compile(r"\b(?P<w>" + "|".join(CARDINALS) + r"|\d{1,2}|half)-(?P<u>month|year|week|day)\b"
                          r"(?=\s+(?:high|low|peak|record|best|worst))", re.IGNORECASE)
LESS_THAN_A = re.compile(r"\bless than an? (?P<u>day|week|month|year)\b", re.IGNORECASE)

TAIL_MARKERS = re.compile(r"^(?:related (?:articles|posts|stories|news|content)|read more|more news|you may also like|"
                          r"must-watch video|stay updated.*|comments?|leave a comment|sponsored content|recommended|"
                          r"also read|read next|share this article|contact reporter.*|hashtags|more from .*|"
                          r"popular|most read|trending now|the post .* appeared first on .*|disclaimer:.*|"
                          r"copyright .*|\u00a9.*|daily stocks & crypto headlines.*)$", re.IGNORECASE)
SOURCES_WORDS = re.compile(r"^\s*(?:more\s+|other\s+|additional\s+)?(?:sources?|people|officials|analysts|"
                           r"traders|executives|persons|speakers|reporters|of them|of the sources|men|women|leaders|"
                           r"presidents|sides|neighbou?rs|spokes\w+)\b", re.IGNORECASE)
ABBREV = re.compile(r"\b(?:U\.S|U\.K|Mr|Mrs|Ms|Dr|No|Inc|Co|Ltd|Corp|St|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|"
                    r"Dec|vs|e\.g|i\.e|a\.m|p\.m)\.$")


@dataclass
class Sentence:
    text: str
    start: int          # offset in the article text
    line: int           # 1-based line in the article text
    para: int           # index of the paragraph (line) it belongs to
    heading: bool       # a line that is not a sentence (title, subhead, navigation, caption)
    furniture: str = ""  # reason when the whole line is page furniture
    topic: bool = True  # about rare earths (its paragraph or the one before mentions them)


@dataclass
class Mention:
    """One number the article states."""
    start: int
    end: int
    stated_text: str
    stated: object              # Fraction/int, or YYYYMMDD / YYYYMM / weekday number / year
    unit: str
    qualifier: str = "exact"
    direction: str = ""
    kind: str = "level"
    token: str = "number"       # number, word, fraction, ordinal, date, month, weekday, year, relative_month
    sentence: Sentence | None = None
    skip: str = ""
    unsure: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def line(self) -> int:
        return self.sentence.line if self.sentence else 0


# --------------------------------------------------------------------------- sentences and furniture

def _is_heading(line: str) -> bool:
    s = line.strip()
    words = re.findall(r"[\w'\u2019%$.,-]+", s)
    if not words:
        return True
    if re.search(r"[.!?\u201d\"')]\s*$", s) and len(words) >= 6:
        return False
    if len(words) >= 16 and re.search(r"[a-z]{3,}\s+[a-z]{3,}", s):
        return False       # a long unpunctuated line is still prose
    return True


def _line_furniture(line: str) -> str:
    s = line.strip()
    low = s.lower()
    if re.fullmatch(r"[\d.,]+\s*[kKmM]?", s) or re.search(r"\b(shares?|views?|likes?|tweet)\b", low) and \
            re.search(r"\d", s) and len(s) < 40:
        return "a share or view counter"
    if re.search(r"\b\d+\s+(?:minutes?|hours?|days?|weeks?)\s+ago\b", low):
        return "an 'ago' timestamp"
    if re.match(r"(?:by|published|updated|posted)\b", low) or re.search(r"\b\d{1,2}:\d{2}\b", s):
        return "a byline, dateline or timestamp"
    if re.search(r"\bimage \d+$", low):
        return "an image caption"
    if re.search(r"\d+\s*px\b", low):
        return "page controls"
    return ""


def split_sentences(text: str) -> list[Sentence]:
    """Paragraph lines split into sentences, each marked heading / furniture / topic."""
    out: list[Sentence] = []
    offset = 0
    tail = False
    seen_body = False
    lines = text.split("\n")
    para_topic: list[bool] = []
    for idx, line in enumerate(lines):
        start = offset
        offset += len(line) + 1
        s = line.strip()
        if not s:
            continue
        heading = _is_heading(line)
        furniture = ""
        if seen_body and TAIL_MARKERS.match(s):
            tail = True
        if tail:
            furniture = "a related story or the page's tail (after the article ends)"
        elif heading:
            furniture = _line_furniture(s)
        if not heading and not tail:
            seen_body = True
        topic = bool(RE_TOPIC.search(s))
        para_topic.append(topic)
        lead = len(line) - len(line.lstrip())
        if heading:
            out.append(Sentence(s, start + lead, idx + 1, idx, True, furniture, topic))
            continue
        # split the paragraph into sentences
        pos = 0
        body = line
        for m in re.finditer(r"(?<=[.!?\u201d\"])\s+(?=[A-Z\u201c\"(\u2018'])", body):
            piece = body[pos:m.start()]
            if ABBREV.search(piece.rstrip()):
                continue
            if piece.strip():
                lead2 = len(piece) - len(piece.lstrip())
                out.append(Sentence(piece.strip(), start + pos + lead2, idx + 1, idx, False, furniture, topic))
            pos = m.end()
        piece = body[pos:]
        if piece.strip():
            lead2 = len(piece) - len(piece.lstrip())
            out.append(Sentence(piece.strip(), start + pos + lead2, idx + 1, idx, False, furniture, topic))
    # a paragraph without rare-earth words, after one without them, is off topic
    prev_topic = True
    for sent in out:
        pass
    topics = {}
    for sent in out:
        topics.setdefault(sent.para, False)
        topics[sent.para] = topics[sent.para] or bool(RE_TOPIC.search(sent.text))
    paras = sorted(topics)
    para_text = {p: " ".join(x.text for x in out if x.para == p) for p in paras}
    carried = False
    for i, p in enumerate(paras):
        here = topics[p]
        before = topics[paras[i - 1]] if i else False
        # a paragraph that goes on about exports, shipments or volumes continues the rare-earth story
        refers_back = False
        if i:
            m0 = re.match(r"\s*(?:The|This|That|These|Those|Such)\s+([a-z]{3,})\b", para_text[p])
            refers_back = bool(m0 and re.search(rf"\b{m0.group(1)}\b", para_text[paras[i - 1]], re.IGNORECASE))
        carried = here or before or (carried and (bool(MEASURE_WORDS.search(para_text[p])) or refers_back))
        for sent in out:
            if sent.para == p:
                sent.topic = carried
    return out


# --------------------------------------------------------------------------- numbers

def _frac(digits: str, dec: str | None) -> Fraction:
    return Fraction(f"{digits.replace(',', '')}.{dec}" if dec else digits.replace(",", ""))


def _unit_of(unit_text: str) -> str:
    u = (unit_text or "").strip().lower().lstrip("-").strip()
    if not u:
        return ""
    if u.startswith("percentage point"):
        return "pp"
    if u in ("%",) or "cent" in u or u.startswith("percent"):
        return "%"
    if u in ("kg",):
        return "kg"
    if u in ("kt",):
        return "kt"
    if u.startswith(("ton", "tonne", "metric", "mt")) or u == "t":
        return "t"
    for w, unit in (("day", "days"), ("week", "weeks"), ("month", "months"), ("year", "years")):
        if u.startswith(w):
            return unit
    return ""


def _overlaps(spans, a, b) -> bool:
    return any(a < e and s < b for s, e in spans)


def find_mentions(text: str, sentences: list[Sentence]) -> list[Mention]:
    """Every number-like token in every sentence, in text order (no classification yet)."""
    found: list[Mention] = []
    for sent in sentences:
        t = sent.text
        base = sent.start
        taken: list[tuple[int, int]] = []

        def add(m0, m1, **kw):
            if _overlaps(taken, m0, m1):
                return None
            taken.append((m0, m1))
            mention = Mention(start=base + m0, end=base + m1, stated_text=t[m0:m1], sentence=sent, **kw)
            found.append(mention)
            return mention

        for m in MONEY.finditer(t):
            add(m.start(), m.end(), stated=None, unit="money", token="money", skip="a money value: the curated data "
                "hold tonnages, not values, and the ledger has no currency unit")
        for pat in (DATE_MD, DATE_DM):
            for m in pat.finditer(t):
                mon = MONTHS[m.group("mon").lower().rstrip(".")]
                day = int(m.group("day"))
                if not 1 <= day <= 31:
                    continue
                year = int(m.group("year")) if m.group("year") else None
                add(m.start(), m.end(), stated=None, unit="date", token="date",
                    extra={"year": year, "month": mon, "day": day})
        for m in LESS_THAN_A.finditer(t):
            a = m.start() + len("less than ")
            add(a, m.end(), stated=1, unit=m.group("u").lower() + "s", token="word", qualifier="less_than")
        for m in N_MONTH_HIGH.finditer(t):
            w = m.group("w").lower()
            n = 0.5 if w == "half" else (int(w) if w.isdigit() else text2num(w, "en"))
            add(m.start(), m.end(), stated=n, unit=m.group("u").lower() + "s", token="ranking")
        for m in NUMBER.finditer(t):
            digits, dec, scale = m.group("digits"), m.group("dec"), (m.group("scale") or "").lower()
            unit = _unit_of(m.group("unit") or "")
            end = m.end() if m.group("unit") or scale else m.end("dec") if dec else m.end("digits")
            value = _frac(digits, dec)
            mult = {"thousand": 1000, "million": 10 ** 6, "billion": 10 ** 9, "mn": 10 ** 6, "bn": 10 ** 9}.get(scale, 1)
            value *= mult
            sign = m.group("sign")
            start = m.start("digits")
            if sign == "+" and m.start() == m.start("sign"):
                start = m.start("sign")
            if not unit and not dec and not scale and "," not in digits and len(digits) == 4 and \
                    1900 <= int(digits) <= 2099:
                add(start, end, stated=int(digits), unit="year", token="year")
                continue
            # "fifth" etc. handled as ordinals; "1st" here
            if re.match(r"(?:st|nd|rd|th)\b", t[m.end("digits"):m.end("digits") + 3]):
                continue
            add(start, end, stated=value, unit=unit or "count", token="number",
                extra={"scale": scale, "unit_text": (m.group("unit") or "").strip()})
        for m in FRACTION_RE.finditer(t):
            add(m.start(), m.end(), stated=FRACTIONS[m.group("w").lower()], unit="fraction", token="fraction")
        for m in SPECIAL.finditer(t):
            w = m.group("w").lower().replace("-", "")
            add(m.start(), m.end(), stated=SPECIAL_WORDS.get(w, 2), unit="count", token="word")
        for m in WORDNUM.finditer(t):
            w = m.group("w").lower()
            try:
                n = text2num(w.replace(" ", "-"), "en")
            except ValueError:
                try:
                    n = text2num(w, "en")
                except ValueError:
                    continue
            fold = bool(m.group("fold"))
            if re.match(r"-(?:year|month|week|day)\b", t[m.end():m.end() + 7]) and not N_MONTH_HIGH.match(t, m.start()):
                add(m.start(), m.end() + len(re.match(r"-\w+", t[m.end():]).group(0)), stated=n, unit="count",
                    token="word", skip="an adjective ('five-year plan'), not a quantity the article states")
                continue
            after = t[m.end():m.end() + 24]
            um = re.match(r"\s*(?:more\s+)?(days?|weeks?|months?|years?)\b", after, re.IGNORECASE)
            end = m.end() + (um.end() if um else 0)
            unit = _unit_of(um.group(1)) if um else "count"
            add(m.start(), end, stated=n, unit=unit, token="word", extra={"fold": fold})
        for m in ORDINAL.finditer(t):
            w = m.group("w").lower()
            n = ORDINALS.get(w) or int(re.match(r"\d+", w).group(0))
            add(m.start(), m.end("w"), stated=n, unit="count", token="ordinal", extra={"after": m.group("after") or ""})
        for m in RELMONTH.finditer(t):
            add(m.start(), m.end(), stated=None, unit="month", token="relative_month", extra={"rel": m.group("rel").lower()})
        for m in MONTH.finditer(t):
            a = m.start("part") if m.group("part") else m.start("mon")
            add(a, m.end(), stated=None, unit="month", token="month",
                extra={"month": MONTHS[m.group("mon").lower()], "part": (m.group("part") or "").lower(),
                       "year": int(m.group("year")) if m.group("year") else None})
        for m in WEEKDAY.finditer(t):
            add(m.start(), m.end(), stated=WEEKDAYS[m.group("day").lower()], unit="weekday", token="weekday")
    found.sort(key=lambda x: x.start)
    return found


# --------------------------------------------------------------------------- classification

def _before(sent: Sentence, mention: Mention, chars: int = 40) -> str:
    a = mention.start - sent.start
    return sent.text[max(0, a - chars):a]


def _after(sent: Sentence, mention: Mention, chars: int = 60) -> str:
    b = mention.end - sent.start
    return sent.text[b:b + chars]


def _clause(sent: Sentence, mention: Mention) -> str:
    """The clause around a mention: split at commas, semicolons, dashes and linking words."""
    t = sent.text
    a, b = mention.start - sent.start, mention.end - sent.start
    cuts = [0] + [m.end() for m in re.finditer(r"[,;:\u2013\u2014]\s|\s(?:after|before|when|which|while|but|and then|"
                                                r"as|following|amid)\s", t)] + [len(t) + 1]
    left = max(c for c in cuts if c <= a)
    right_cuts = [m.start() for m in re.finditer(r"[,;:\u2013\u2014]\s|\s(?:after|before|when|which|while|but|"
                                                 r"and then|as|following|amid)\s", t) if m.start() >= b]
    right = min(right_cuts) if right_cuts else len(t)
    return t[left:right]


def qualifier_of(before: str, after: str, unit: str) -> str:
    b = before.lower()
    if re.search(r"(?:at least|no less than|not less than)\s*$", b):
        return "at_least"
    if re.search(r"(?:more than|over|above|in excess of|upwards of)\s*$", b):
        return "more_than"
    if re.search(r"(?:less than|fewer than|under|below)\s*$", b):
        return "less_than"
    if re.search(r"(?:up to|at most|no more than|not more than)\s*$", b):
        return "at_most"
    if re.search(r"(?:nearly|almost)\s*$", b):
        return "nearly" if "nearly" in b[-12:] else "almost"
    if re.search(r"close to\s*$", b):
        return "close_to"
    if re.search(r"(?:about|around|approximately|roughly|some|an estimated|≈|~)\s*$", b):
        m = re.search(r"(about|around|approximately)\s*$", b)
        return m.group(1) if m else "about"
    return "exact"


def direction_of(before: str, after: str) -> str:
    before = re.sub(r"(?:more|less|fewer)\s+than\s*$", "", before, flags=re.IGNORECASE)   # a qualifier, not a move
    if re.search(r"(?:growth|increase|rise|gain)\w*\s+(?:\w+\s+){0,2}to\s*$", before, re.IGNORECASE):
        return "up"
    a = after.lower()[:30]
    if re.match(r"\s*(?:below|lower than|less than|under)\b", a):
        return "below"
    if re.match(r"\s*(?:above|higher than|more than|over)\b", a):
        return "above"
    after_up = UP_RE.search(a[:22])
    after_down = DOWN_RE.search(a[:22])
    if after_up or after_down:
        if after_up and (not after_down or after_up.start() < after_down.start()):
            return "up"
        return "down"
    ups = [m.end() for m in UP_RE.finditer(before)]
    downs = [m.end() for m in DOWN_RE.finditer(before)]
    if ups or downs:
        return "up" if (max(ups) if ups else -1) > (max(downs) if downs else -1) else "down"
    return ""


FUTURE = re.compile(r"\b(?:will|would|is due|are due|is expected|are expected|is scheduled|are scheduled|plans? to|"
                    r"set to|is to|are to)\b", re.IGNORECASE)


def classify(mentions: list[Mention], published_year: int, published=None) -> None:
    """Set unit, qualifier, direction, kind and skip reasons in place.

    `published` (a date) lets a date after publication in a sentence about the future
    ('will release the figures on December 20') be skipped as a forecast.
    """
    body_values = set()
    for m in mentions:
        if not m.sentence.heading and m.token == "number":
            body_values.add((m.stated, m.unit))
    for m in mentions:
        sent = m.sentence
        before, after = _before(sent, m), _after(sent, m)
        clause = _clause(sent, m)
        low_after = after.lower()
        if m.skip:
            continue
        if sent.furniture:
            m.skip = sent.furniture
            continue
        if sent.heading:
            if not RE_TOPIC.search(sent.text):
                m.skip = "a heading, navigation or label line that is not about rare earths (another story's headline)"
                continue
        if not sent.topic and m.token not in ("date", "month", "weekday"):
            m.skip = "not about rare earths (its paragraph and the one before do not mention them)"
            continue
        m.qualifier = qualifier_of(before, after, m.unit)
        clause_before = clause[:max(0, clause.find(m.stated_text))] if m.stated_text in clause else before
        # the words from this number to the next one in its sentence (a comparison's own words)
        nxt = [o.start for o in mentions if o.sentence is sent and o.start > m.start and o.token in ("number", "word")]
        segment = sent.text[m.end - sent.start:(min(nxt) - sent.start) if nxt else len(sent.text)]
        segment = re.split(r"[,;]\s|\s(?:and|but|while|though|although)\s", segment, maxsplit=1)[0]
        # ... and the words from the previous number (or the sentence start) to this one
        prv = [o.end for o in mentions if o.sentence is sent and o.end <= m.start and o.token in ("number", "word")]
        pre_segment = sent.text[(max(prv) - sent.start) if prv else 0:m.start - sent.start]
        tok = m.token
        if tok == "number":
            unit = m.unit
            if unit == "pp":
                m.unit = "%"
                m.kind = "change_pp"
            elif unit in ("kg", "kt"):
                m.unsure = f"a mass in {unit}; the ledger states tonnes as printed"
                m.unit = "t"
            elif unit in ("weeks",):
                m.unsure = "a span in weeks; the ledger has no week unit"
            if m.unit == "count":
                nxt = after.lstrip().lower()
                if SOURCES_WORDS.match(nxt):
                    m.skip = "a count of sources or speakers"
                    continue
                if re.search(r"\b(?:first|last|past|next|previous)\s*$", before.lower()) and \
                        re.match(r"\s*(?:months?|years?|quarters?|weeks?)\b", low_after):
                    m.skip = "a period label ('first 11 months') that dates another number"
                    continue
            if m.unit in ("months", "years") and re.search(r"\b(?:the )?first\s*$", before.lower()) and \
                    re.match(r"\s*(?:of\b|,)", low_after):
                m.skip = "a period label ('the first 11 months of the year') that dates another number"
                continue
            if m.unit == "%":
                m.direction = direction_of(clause_before, after)
                if m.kind != "change_pp":
                    if SHARE.search(clause) and not (UP_RE.search(clause) or DOWN_RE.search(clause)) or \
                            re.match(r"\s*(?:of|dependent)\b", low_after):
                        m.kind = "share"
                    elif MOM.search(segment) and not YOY.search(segment[:MOM.search(segment).start()]):
                        m.kind = "change_mom"
                    elif YOY.search(segment):
                        m.kind = "change_yoy"
                    elif MOM.search(pre_segment) and not YOY.search(pre_segment):
                        m.kind = "change_mom"       # 'Versus the previous month, exports rose 5%'
                    elif YOY.search(pre_segment) and not MOM.search(pre_segment):
                        m.kind = "change_yoy"       # 'Versus the same month a year earlier, exports rose 17.5%' 
                    elif re.search(r"\b(?:from|than|compared|over)\b", segment):
                        m.kind = "change" if m.direction else "share"
                    elif MOM.search(clause) or MOM.search(after):
                        m.kind = "change_mom"
                    elif YOY.search(clause) or YOY.search(after):
                        m.kind = "change_yoy"
                    else:
                        m.kind = "change" if m.direction else "share"
            elif m.unit == "t":
                m.kind = "level"
            elif m.unit == "count":
                m.kind = "count"
            elif m.unit in ("days", "months", "years"):
                m.kind = "span"
        elif tok == "year":
            y = m.stated
            b = before.lower()
            if y > published_year:
                m.skip = "a future year (a target or forecast)"
            elif re.search(r"(?:introduced|began|begun|started|established|founded|launched|adopted|created|since)"
                           r"(?:\s+\w+){0,2}\s+(?:in\s+)?$", b):
                m.kind = "date"
                if re.search(r"since", b) and re.search(r"highest|lowest|largest|biggest|smallest|record|most|least",
                                                       sent.text.lower()):
                    m.kind = "record"
            elif re.search(r"(?:first|second|third|fourth|fifth|\d(?:st|nd|rd|th))[- ](?:highest|lowest|largest|"
                           r"biggest)\w*\s+(?:level\s+|total\s+|month\s+)?(?:in|of)\s*$", b):
                m.skip = "a year that labels a ranking (the ordinal is the claim)"
            elif re.search(r"highest|lowest|record", b[-30:]) and re.search(r"\b(?:in|since)\s*(?:at least\s*)?$", b):
                m.kind = "record"
            else:
                m.skip = "a year that dates another number (the recipe carries it)"
        elif tok == "fraction":
            m.unit = "%"
            m.stated = m.stated * 100
            m.kind = "share"
        elif tok in ("word",):
            if m.extra.get("fold"):
                m.unsure = "a multiple ('-fold'); the ledger's units cannot state it"
            nxt = after.lstrip().lower()
            if m.stated_text.lower() == "one" and m.unit == "count":
                m.skip = "'one' used as a pronoun or article, not a quantity"
                continue
            if SOURCES_WORDS.match(nxt):
                m.skip = "a count of sources or speakers"
                continue
            if m.stated_text.lower() == "once" and re.match(r"(?:more|again|and for all)\b", nxt):
                m.skip = "an idiom ('once more'), not a quantity"
                continue
            if m.unit == "count" and re.match(r"(?:biggest|largest|top|leading|main|major|greatest)\s+(?:economies|"
                                              r"powers|nations|countries|superpowers)\b", nxt):
                m.skip = "a description ('the world's two biggest economies'), not a figure about rare earths"
                continue
            if re.search(r"\b(?:first|last|past|next|previous|the)\s*$", before.lower()) and \
                    re.match(r"\s*(?:months?|years?|quarters?|weeks?)\b", nxt) and m.unit == "count":
                m.skip = "a period label that dates another number"
                continue
            if m.unit == "count" and re.match(r"(?:times?)\b", nxt):
                m.unsure = "a multiple ('N times'); the ledger's units cannot state it"
            m.kind = "count" if m.unit == "count" else "span"
        elif tok == "ordinal":
            aft = (m.extra.get("after") or "").lower().strip("- ")
            rest = low_after.lstrip("- ")
            if re.match(r"(?:highest|lowest|largest|biggest|consecutive|straight|month|year|week|time|place)\b", rest) \
                    and m.stated > 1:
                m.kind = "ranking"
                m.unit = "count"
                m.unsure = "a ranking or a run of months; the recipe language has no ranking"
            else:
                m.skip = "an ordinal that names a batch, half, quarter or period (a label, not a quantity)"
        elif tok == "ranking":
            m.kind = "ranking"
            m.unsure = "a ranking ('nine-month high'); the recipe language has no ranking"
        elif tok in ("date", "month", "relative_month", "weekday"):
            _classify_date(m, sent, clause, before, after)
            if published is not None and tok == "date" and not m.skip and FUTURE.search(sent.text):
                mon, day = m.extra["month"], m.extra["day"]
                year = m.extra.get("year") or (published.year if mon <= published.month else published.year - 1)
                try:
                    future = (year, mon, day) > (published.year, published.month, published.day)
                except AttributeError:
                    future = False
                if future:
                    m.skip = "a date after publication in a sentence about what will happen (a forecast)"
    # headline numbers repeated in the body
    for m in mentions:
        if m.skip or not m.sentence.heading:
            continue
        if m.token == "number" and any(o is not m and not o.sentence.heading and o.stated == m.stated and
                                       o.unit == m.unit and o.qualifier == m.qualifier and not o.skip
                                       for o in mentions):
            m.skip = "a headline or caption repeating a number the article states in its text"
        elif m.token != "number":
            m.skip = "a date or word in a headline or caption (labels, not claims)"
    # a date stated again later in the article
    dates_seen = set()
    for m in mentions:
        if m.skip or m.token not in ("date", "month") or m.kind == "record" or m.extra.get("part"):
            continue
        key = (m.token, m.extra.get("year"), m.extra.get("month"), m.extra.get("day"))
        if key in dates_seen:
            m.skip = f"a {m.token} the article has already stated (a repeat)"
        dates_seen.add(key)
    # a short lead paragraph whose every number the body states again (a summary, as 'Japan's imports fell 8%')
    body = [m for m in mentions if not m.sentence.heading and not m.skip]
    if body:
        first_para = body[0].sentence.para
        lead = [m for m in body if m.sentence.para == first_para]
        lead_sents = {id(m.sentence) for m in lead}
        numbers = [m for m in lead if m.token == "number"]
        rest = [m for m in body if m.sentence.para != first_para and m.token == "number"]
        short = len(lead[0].sentence.text.split()) <= 25
        if numbers and short and len(lead_sents) == 1 and all(any(o.stated == x.stated and o.unit == x.unit for o in rest)
                                                    for x in numbers):
            for x in lead:
                x.skip = "a summary lead repeating numbers the article states again below"
    # the same sentence repeated (captions, pull quotes)
    seen = {}
    for m in mentions:
        key = (m.sentence.text, m.start - m.sentence.start)
        if key in seen and not m.skip and not seen[key].skip:
            m.skip = "a repeat of an earlier line (caption or pull quote)"
        seen.setdefault(key, m)


TREND = re.compile(r"\b(?:rebound\w*|recover\w*|rose|fell|surged?|jumped|dropped|plunged|plummeted|slumped|declined|"
                   r"climbed|slowed|picked up|grew|increased|decreased)\b", re.IGNORECASE)


def _classify_date(m: Mention, sent: Sentence, clause: str, before: str, after: str) -> None:
    own_clause = clause
    if len(clause.split()) <= 4:
        rest = sent.text[sent.text.find(clause) + len(clause):]
        nxt = re.split(r"[,;]\s|\s(?:after|before|when|which|while|but)\s", rest.lstrip(" ,"), maxsplit=1)[0]
        clause = clause + " " + nxt
    has_quantity = bool(re.search(r"\d[\d,.]*\s*(?:%|per ?cent|percent|tons|tonnes|metric|t\b)", clause)) or \
        bool(re.search(r"\b(?:exports?|shipments?|imports?)\b", clause, re.IGNORECASE) and
             not EVENT_WORDS.search(clause))
    event = bool(EVENT_WORDS.search(clause))
    speech = bool(SPEECH.search(clause))
    part = m.extra.get("part") if m.token == "month" else ""
    if m.token == "weekday":
        m.kind = "date"
        if speech or not event:
            m.skip = "the weekday someone spoke or data were released, not a claim about rare earths"
        elif not sent.topic:
            m.skip = "not about rare earths"
        return
    if m.token == "date":
        m.kind = "date"
        if speech and not re.search(r"\b(?:impos|introduc|announc|issu|ban|restrict|control)", clause, re.IGNORECASE):
            m.skip = "the date someone spoke, not a claim about rare earths"
        elif has_quantity and not event:
            m.skip = "a date that dates another number (the recipe carries it)"
        return
    m.kind = "date"
    if part:
        return
    b = before.lower()
    if re.search(r"\b(?:highest|lowest|record|largest|biggest|strongest|weakest|most|least)\b[^,.;]{0,25}\bsince\s+$", b):
        m.kind = "record"
        m.unsure = "a record claim ('the highest since January'); the recipe language has no ranking"
        return
    if re.search(r"\b(?:up|down|rose|fell|higher|lower|more|less|revers\w*|rebound\w*|recover\w*|increas\w*|"
                 r"declin\w*|drop\w*|jump\w*|ris(?:e|es|ing)|fall\w*|chang\w*|gain\w*)\s+(?:\w+\s+){0,2}?"
                 r"(?:from|than|compared (?:with|to)|versus|over)\s+(?:the\s+)?(?:level\s+(?:of|in)\s+)?$", b):
        m.skip = "a month that is the base of a comparison (the recipe carries it)"
        return
    own = own_clause
    if re.search(rf"\b(?:likely|expected|set|poised|forecast|projected|due|going)\s+to\b[^,.;]*$|\b(?:will|could|would|"
                 rf"may|might)\b[^,.;]*$", own[:max(0, own.find(m.stated_text))] if m.stated_text in own else b):
        m.skip = "a month in a forecast ('likely to drop in January'), not a claim"
        return
    if TREND.search(own) and MEASURE_WORDS.search(own) and not EVENT_WORDS.search(own):
        m.skip = "a month that labels a trend (no number is stated for it)"
        return
    if not event and m.token == "month" and EVENT_WORDS.search(sent.text[:max(0, m.start - sent.start)]) and \
            not has_quantity and not TREND.search(sent.text[:max(0, m.start - sent.start)]):
        return      # the event is named earlier in the sentence ('restricted exports of the magnets ... in April')
    if has_quantity or not event:
        m.skip = "a month that dates another number (the recipe carries it)"
    elif speech and not re.search(r"\b(?:impos|introduc|announc|issu|ban|restrict|control|proposal|agree)",
                                  clause, re.IGNORECASE):
        m.skip = "the month someone spoke, not a claim about rare earths"


def phrase_span(text: str, m: Mention, before_words: int = 3, after_words: int = 4) -> tuple[int, int]:
    """Offsets of a few words around the mention, inside its sentence."""
    sent = m.sentence
    s0, s1 = sent.start, sent.start + len(sent.text)
    a, b = m.start, m.end
    left = text[s0:a]
    words = list(re.finditer(r"\S+", left))
    if len(words) > before_words:
        a = s0 + words[-before_words].start()
    else:
        a = s0
    right = text[b:s1]
    words = list(re.finditer(r"\S+", right))
    if len(words) > after_words:
        b = b + words[after_words - 1].end()
    else:
        b = s1
    phrase = text[a:b].rstrip(" ,;:.")
    return a, a + len(phrase)
