"""Classify each number an article states: qualifier, direction, kind, and what to skip.

Part of ``helpers.drafting`` (re-exported by :mod:`helpers.drafting.extract`): after
:func:`helpers.drafting.extract.find_mentions` has found the numbers, :func:`classify`
reads the words around each one and sets its qualifier (about, at least, ...), its
direction (up, down, below, above), its kind (level, change_mom, change_yoy, change,
share, total, count, date) and, for page furniture or a label, ``skip`` with the reason
(the README's "What the ledger leaves out").
"""
from __future__ import annotations

import re

from helpers.drafting.patterns import (
    DOWN_RE, EVENT_WORDS, MEASURE_WORDS, MOM, Mention, RE_TOPIC, SHARE, SOURCES_WORDS, SPEECH,
    Sentence, UP_RE, YOY)

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
    """The ledger qualifier the words just before or after a number give it.

    Parameters
    ----------
    before, after : str
        The text just before and just after the number in its sentence.
    unit : str
        The number's unit (a date reads "early April" differently from a tonnage).

    Returns
    -------
    str
        One of the ledger's qualifiers (``exact``, ``about``, ``at_least``, ``more_than``, ...).
    """
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
    """Which way a number moves or compares, from the words around it.

    Parameters
    ----------
    before, after : str
        The text just before and just after the number in its sentence.

    Returns
    -------
    str
        ``up``, ``down``, ``below``, ``above`` or ``""`` when the words say none: the recipe's
        ``pct_change`` or ``pct_below`` follows from it.
    """
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
    """Set unit, qualifier, direction, kind and skip reasons of every mention, in place.

    Parameters
    ----------
    mentions : list of Mention
        What :func:`helpers.drafting.extract.find_mentions` found, in text order.
    published_year : int
        The publication year (a bare month or "last year" is read against it).
    published : datetime.date, optional
        The publication date: a date after it in a sentence about the future ('will release the
        figures on December 20') is skipped as a forecast.

    Returns
    -------
    None
        Each mention's ``kind``, ``qualifier``, ``direction``, ``skip`` and ``unsure`` are set.
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
