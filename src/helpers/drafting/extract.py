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

import re
from fractions import Fraction

from text_to_num import text2num

from helpers.drafting.patterns import (  # noqa: F401 - also kept at helpers.drafting.extract
    ABBREV, CARDINALS, DATE_DM, DATE_MD, DOWN, DOWN_RE, EVENT_WORDS, FRACTIONS, FRACTION_RE, LESS_THAN_A,
    MEASURE_WORDS, MOM, MONEY, MONTH, MONTHS, Mention, NUMBER, N_MONTH_HIGH, ORDINAL, ORDINALS, RELMONTH,
    RE_TOPIC, SHARE, SOURCES_WORDS, SPECIAL, SPECIAL_WORDS, SPEECH, Sentence, TAIL_MARKERS, UP, UP_RE,
    WEEKDAY, WEEKDAYS, WORDNUM, YOY, _MONTH_RE, _NUM, _UNIT)
from helpers.drafting.classify import (  # noqa: F401 - public names kept at helpers.drafting.extract
    FUTURE, TREND, _after, _before, _classify_date, _clause, classify, direction_of, qualifier_of)


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
    """Split an article's text into sentences, each marked heading, furniture or on topic.

    Parameters
    ----------
    text : str
        The article body (the header lines already taken off).

    Returns
    -------
    list of Sentence
        In text order, with offsets and line numbers into ``text``; a line of page furniture
        (navigation, share counts, teasers after a "Related" marker) carries the reason.
    """
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
    """Every number-like token in every sentence, in text order (not yet classified).

    Parameters
    ----------
    text : str
        The article body.
    sentences : list of Sentence
        From :func:`split_sentences`.

    Returns
    -------
    list of Mention
        Digits with separators and scales, percentages, number words, ordinals, fractions,
        dates, months, weekdays and relative months, each with its printed text and value.
    """
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


def phrase_span(text: str, m: Mention, before_words: int = 3, after_words: int = 4) -> tuple[int, int]:
    """Offsets of the few words around a number, inside its sentence: the ledger's phrase.

    Parameters
    ----------
    text : str
        The article body.
    m : Mention
        The number.
    before_words, after_words : int, optional
        How many words to keep on each side.

    Returns
    -------
    tuple of int
        (start, end) offsets into ``text``; trailing punctuation is left out.
    """
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
