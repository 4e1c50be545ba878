"""Propose a recipe for each drafted number, in the ledger's recipe language.

Part of ``helpers.drafting`` (re-exported by :mod:`helpers.drafting.draft`):
:class:`Proposer` walks an article's numbers in order, keeping what the text has
said so far (series, partner, period), and writes each row's recipe, the
alternatives it weighed and a confidence; when unsure it gives no recipe and
says why.
"""
from __future__ import annotations

import datetime as dt
import re

from helpers import claims
from helpers.drafting import extract as ex
from helpers.drafting import resolve as rs
from helpers.drafting.reader import Article
from helpers.drafting.rows import Row

# --------------------------------------------------------------------------- proposing recipes

def _lookup(series: str, period: rs.Period, partner: str, stage: str, part: str, segment: str) -> str | None:
    if series == "quota":
        if not stage:
            return None
        args = f'"{stage}", {period.y2}'
        if part != "annual":
            args += f', part="{part}"'
        if segment != "total":
            args += f', segment="{segment}"'
        return f"quota({args})"
    if series in ("magnets", "rare_earths", "rare_earth_products"):
        if period.year_only:
            period = rs.Period(period.y1, 1, period.y2, 12)
        args = f'"{series}", {period.args()}'
        if partner and partner != rs.WORLD:
            args += f', partner="{partner}"'
        return f"exports({args})"
    if series == "production":
        return f'production("China", {period.y2})'
    return None


def _after_base_word(between: str) -> bool:
    """True when the words between a number and a period make that period the comparison's base."""
    return bool(re.search(r"\b(?:from|than|compared|versus|vs\.?|against|over the figure|over)\b", between, re.IGNORECASE))


def _base_period(kind: str, cur: rs.Period, explicit: rs.Period | None) -> rs.Period | None:
    if explicit is not None:
        if cur.year_only and explicit.year_only:
            return explicit
        if not cur.year_only and explicit.year_only:
            return rs.Period(explicit.y1, cur.m1, explicit.y2, cur.m2) if cur.y1 == cur.y2 else None
        return explicit
    if kind == "change_yoy" or cur.year_only:
        return cur.shift(-12)
    if kind == "change_mom" and cur.single:
        return cur.shift(-1)
    if kind == "change":
        return cur.shift(-12) if not cur.single else cur.shift(-1)
    return None


def _propose_events(r: Row, cands, fn: str | None = None) -> bool:
    """Propose the best-matching event as the recipe, the next two as alternatives.

    `cands` are ``match_events`` results, best first; `fn` wraps each event (``year``, ``weekday``).
    Returns False, leaving `r` unchanged, when there is no candidate.
    """
    if not cands:
        return False
    recipes = [f'{fn}(event("{c[1]}"))' if fn else f'event("{c[1]}")' for c in cands[:3]]
    r.recipe = recipes[0]
    r.alternatives += recipes[1:]
    r.confidence = "medium"
    return True


class Proposer:
    """Walks an article's numbers in order, keeping the context, and proposes recipes.

    Parameters
    ----------
    article : Article
        The article (its publication date resolves relative periods).
    tables : helpers.claims.Tables
        The curated tables (events, quota parts, partners the data hold).
    text : str
        The article body the mentions point into.
    """

    def __init__(self, article: Article, tables: claims.Tables, text: str):
        self.article = article
        self.tables = tables
        self.text = text
        self.pub = article.published
        self.ctx = rs.Context()
        self.events = tables.frame("events")
        self._sent_cache: dict[int, tuple] = {}
        self.lead_series = ""

    def start(self, sentences) -> None:
        """Start the context from the headline's period and the lead's series ('exports to 2025 ...').

        Parameters
        ----------
        sentences : list of Sentence
            The article's sentences.

        Returns
        -------
        None
        """
        for sent in sentences:
            if sent.furniture or not sent.topic:
                continue
            if self.ctx.period is None and sent.heading and ex.RE_TOPIC.search(sent.text):
                main = [p for s, e, p, role in rs.find_periods(sent.text, self.pub, None) if not role]
                if main:
                    self.ctx.period = main[0]
            if not sent.heading and re.search(r"\d[\d,.]*\s*(?:%|-?per ?cent|-?percent|(?:metric )?(?:tons|tonnes))",
                                              sent.text):
                series = rs.series_of(sent.text)
                if series not in ("", "imports"):
                    self.lead_series = series
                    break

    def sentence_info(self, sent: ex.Sentence):
        """The series, partner and periods one sentence names (cached).

        Parameters
        ----------
        sent : Sentence
            The sentence.

        Returns
        -------
        tuple
            (series, partner, periods) as :mod:`helpers.drafting.resolve` reads them.
        """
        key = id(sent)
        if key in self._sent_cache:
            return self._sent_cache[key]
        series = rs.series_of(sent.text)
        if series == "rare_earths" and not re.search(r"rare[- ]earth", sent.text, re.IGNORECASE) and \
                self.ctx.series in ("rare_earth_products", "rare_earths"):
            series = self.ctx.series     # 'shipments of the minerals' after 'rare earth products'
        partner = rs.partner_of(sent.text)
        if not partner and re.search(r"\bto its \w+ neighbou?r\b|\bthe (?:same )?country\b", sent.text) and \
                self.ctx.partner:
            partner = self.ctx.partner
        if not partner and not series and self.ctx.partner and not sent.heading:
            partner = self.ctx.partner
        periods = rs.find_periods(sent.text, self.pub, self.ctx.period)
        info = (series, partner, periods)
        self._sent_cache[key] = info
        return info

    def _para_start(self, sent: ex.Sentence) -> bool:
        """True for the first sentence of a paragraph that names no series, when no sentence of it did before."""
        para = [x for x in self._sentences if x.para == sent.para]
        before = [x for x in para if x.start < sent.start]
        return not any(rs.series_of(x.text) for x in before)

    def advance(self, sent: ex.Sentence, rows_in_sentence: list[Row]) -> None:
        """Update the context (series, stage, partner, period) after a sentence.

        Parameters
        ----------
        sent : Sentence
            The sentence just read.
        rows_in_sentence : list of Row
            Its drafted rows.

        Returns
        -------
        None
        """
        series, partner, periods = self.sentence_info(sent)
        if sent.heading or sent.furniture:
            return
        if series:
            self.ctx.series = series
        events = [(x.mention.start - sent.start) for x in rows_in_sentence
                  if not x.mention.skip and x.mention.token in ("month", "date", "year") and x.mention.kind in
                  ("date", "record")]
        main = [p for s, e, p, role in periods if not role.startswith("base") and s not in events]
        if main:
            self.ctx.period = main[0]
        # the partner in play after this sentence: the one its last tonnage or percentage was about
        measured = [x for x in rows_in_sentence if not x.mention.skip and x.mention.unit in ("t", "t REO", "%")]
        if measured and measured[-1].partner:
            self.ctx.partner = measured[-1].partner
        else:
            self.ctx.partner = partner
        stages = [("smelting" if w.lower() in ("smelting", "separation") else "mining")
                  for w in re.findall(r"smelting|mining", sent.text, re.IGNORECASE)]
        if stages:
            self.ctx.stages_order = tuple(dict.fromkeys(stages))

    def period_for(self, m: ex.Mention, periods, sentence_rows=(), no_base: bool = False
                   ) -> tuple[rs.Period | None, str]:
        """The period a number refers to.

        A possessive month just before it ('May's 1,238 tons'), the nearest expression after
        it before the next number, or the nearest before, or the sentence's, or the context's.

        Parameters
        ----------
        m : Mention
            The number.
        periods : list of tuple
            The sentence's period expressions (:func:`helpers.drafting.resolve.find_periods`).
        sentence_rows : sequence of Row, optional
            The sentence's rows (numbers between bound an expression to the nearer one).
        no_base : bool, optional
            Pass over expressions after 'from', 'than', 'compared with' (a change's own period, not its base).

        Returns
        -------
        tuple
            (Period or None, how it was found).
        """
        sent = m.sentence
        a, b = m.start - sent.start, m.end - sent.start
        nxt = min([x.mention.start - sent.start for x in sentence_rows if x.mention.start > m.start
                   and x.mention.token in ("number", "word", "fraction")] + [len(sent.text)])
        clause_end = rs.clause_bounds(sent.text, a, b)[1]
        if not no_base:
            for s, e, p, role in periods:
                if 0 <= a - e <= 3 and re.search(r"(?:'s|\u2019s)$", sent.text[s:e]):
                    return p, "possessive"
        after = [(s - b, p, role) for s, e, p, role in periods if b <= s < nxt and s - b <= 45
                 and not (no_base and (role.startswith("base") or _after_base_word(sent.text[b:s])))
                 and s < clause_end and not re.search(r"(?:'s|\u2019s)$", sent.text[s:e])]
        if after:
            return min(after, key=lambda x: x[0])[1], "after"
        before = [(a - e, p, role) for s, e, p, role in periods if e <= a and not (no_base and role.startswith("base"))]
        if before:
            nearest = min(before, key=lambda x: x[0])
            if not nearest[2].startswith("base") or nearest[0] <= 8:
                return nearest[1], "before"
        main = [p for s, e, p, role in periods if not role.startswith("base") and s < a]
        if main:
            return main[0], "sentence"
        if self.ctx.period is not None:
            return self.ctx.period, "context"
        return None, ""

    def propose(self, r: Row, sentence_rows: list[Row]) -> None:
        """Propose a recipe for one row, in place: recipe, alternatives, confidence, or no recipe and why.

        Parameters
        ----------
        r : Row
            The row (its mention classified).
        sentence_rows : list of Row
            The other rows of its sentence.

        Returns
        -------
        None
        """
        m = r.mention
        if m.skip:
            return
        if m.unsure:
            if m.token == "month" and m.stated is None:
                mo = m.extra["month"]
                y = m.extra.get("year") or rs._year_for_month(mo, self.pub)
                m.stated, m.unit = y * 100 + mo, "month"
            r.reason = f"unsure: {m.unsure}"
            r.confidence = "none"
            return
        sent = m.sentence
        series, partner, periods = self.sentence_info(sent)
        if not series and not sent.heading and self.lead_series and self._para_start(sent):
            self.ctx.series = self.lead_series
        series = series or (self.ctx.series if not sent.heading else "")
        r.series = series
        if m.unit in ("t", "%"):
            self._measure(r, series, partner, periods, sentence_rows)
        elif m.token in ("date", "month", "relative_month", "weekday", "year"):
            self._date(r)
        elif m.kind in ("count", "span"):
            self._count(r, series)
        elif m.kind == "ranking":
            r.reason = "unsure: a ranking; the recipe language has no ranking"
        else:
            r.reason = "unsure: the drafter has no rule for this kind of number"
        if not r.recipe and not r.reason:
            r.reason = "unsure: no series, period or event in the data matched"

    # -- tonnages and percentages
    def _measure(self, r: Row, series: str, partner: str, periods, sentence_rows) -> None:
        m = r.mention
        sent = m.sentence
        own = rs.partner_at(sent.text, m.start - sent.start, m.end - sent.start)
        if own is not None:
            partner = own
        elif rs.partner_of(sent.text):
            partner = rs.WORLD      # the sentence names a partner for another number, not for this one
        r.partner = partner or rs.WORLD
        if series in ("", "imports"):
            r.reason = ("unsure: the data hold no rare-earth imports" if series == "imports" else
                        "unsure: the sentence names no series the data hold (magnet exports, the customs 'rare "
                        "earths', Bloomberg's 'rare earth products', quotas, USGS production)")
            return
        if m.kind == "share" and (r.partner == rs.WORLD or series not in ("magnets", "rare_earths",
                                                                           "rare_earth_products")):
            r.reason = "unsure: a share of something the curated data do not hold (world supply, a market)"
            return
        to_level = m.unit == "t" and re.search(r"(?<!compared )(?<!relative )(?<!close )(?<!up )\bto\s+"
                                                 r"(?:about |around |nearly |some |just )?$", sent.text[:m.start - sent.start])
        cur, how = self.period_for(m, periods, sentence_rows, no_base=(m.unit == "%" or bool(to_level)))
        if (cur is not None and cur.year_only and m.unit == "t" and series in ("magnets", "rare_earths",
                                                                               "rare_earth_products")
                and re.search(r"\b(?:than|from|compared with|against)\s+(?:the\s+)?$", sent.text[:m.start - sent.start])):
            # "the December volume was 32% higher than the 3,326 tonnes in 2024": the base of a monthly
            # comparison is the same month of the year named, not the whole year
            months = [p for _, _, p, _ in periods if not p.year_only and p.single]
            if months:
                cur = rs.Period(cur.y1, months[0].m1, cur.y1, months[0].m1)
        if cur is None and series == "quota":
            cur, how = rs.Period(self.pub.year, 1, self.pub.year, 12, True), "publication year"
        if cur is None:
            r.reason = "unsure: no period found for this number"
            return
        stage = part = segment = ""
        if series == "quota":
            pos = m.start - sent.start
            stage = rs.stage_near(sent.text, pos)
            if "respectively" in sent.text and self.ctx.stages_order:
                idx = [x for x in sentence_rows if x.mention.unit == m.unit].index(r)
                if idx < len(self.ctx.stages_order):
                    stage = self.ctx.stages_order[idx]
            stage = stage or self.ctx.stage or "mining"
            self.ctx.stage = stage
            part = rs.part_of(sent.text)
            segment = rs.segment_of(sent.text)
            if not cur.year_only:
                cur = rs.Period(cur.y2, 1, cur.y2, 12, True)
            if m.unit == "t":
                m.unit = "t REO"
        elif series == "production" and m.unit == "t":
            m.unit = "t REO"
        r.period = f"{cur.y1}-{cur.m1:02d}" + ("" if cur.single else f"..{cur.y2}-{cur.m2:02d}")
        if cur.year_only:
            r.period = str(cur.y2)
        conf = "high" if how in ("possessive", "after", "before", "sentence") else "medium"
        if m.unit in ("t", "t REO"):
            lk = _lookup(series, cur, partner, stage, part, segment)
            if lk is None:
                r.reason = "unsure: no lookup for this series"
                return
            r.recipe, r.confidence = lk, conf
            return
        # percentages
        if m.kind == "share":
            part_lk = _lookup(series, cur, r.partner, stage, part, segment)
            whole = _lookup(series, cur, rs.WORLD, stage, part, segment)
            r.recipe, r.confidence = f"share({part_lk}, {whole})", conf
            return
        if m.kind == "change_pp":
            r.reason = "unsure: a change in percentage points; the drafter proposes no recipe for it"
            return
        # the % sits after its period when the text reads '21.4% in 2023'
        own_after = [(s, p) for s, e, p, role in periods if 0 <= s - (m.end - sent.start) <= 4
                     and not role.startswith("base")]
        if own_after:
            cur = own_after[0][1]
            if series == "quota" and not cur.year_only:
                cur = rs.Period(cur.y2, 1, cur.y2, 12, True)
        explicit_base = None
        b_end = m.end - sent.start
        relative = ""
        for s, e, p, role in periods:
            if s >= b_end - 1 and s - b_end <= 60 and (role.startswith("base") or m.direction in ("below", "above")
                                                       or _after_base_word(sent.text[b_end:s])
                                                       or re.search(r"(?:'s|\u2019s)$", sent.text[s:e])):
                if role in ("base_mom", "base_yoy") or role.startswith("base_year:"):
                    relative = role       # 'the previous month', 'the same month in 2024': counted from this period
                    break
                if p != cur:
                    explicit_base = p
                    break
        if not relative and explicit_base is None:
            # a relative base before the number with no other number between ('Versus the same month a year
            # earlier, exports rose 17.5%')
            a0 = m.start - sent.start
            prev_num = max([x.mention.end - sent.start for x in sentence_rows if x.mention.end <= m.start
                            and x.mention.token in ("number", "word")] + [0])
            for s0, e0, p0, role in periods:
                if prev_num <= s0 and e0 <= a0 and (role in ("base_mom", "base_yoy") or role.startswith("base_year:")):
                    relative = role
        if relative == "base_mom":
            explicit_base = cur.shift(-1) if cur.single else None
        elif relative == "base_yoy":
            explicit_base = cur.shift(-12)
        elif relative.startswith("base_year:"):
            explicit_base = cur.shift((int(relative.split(":")[1]) - cur.y2) * 12)
        low_after = sent.text[b_end:b_end + 45].lower()
        if explicit_base is None and re.search(r"previous year|on the year|from last year|than last year|"
                                               r"a year (?:earlier|ago|before)", low_after):
            explicit_base = cur.shift(-12)
        if m.kind == "change_yoy" and not relative:
            explicit_base = cur.shift(-12) if explicit_base is None or not explicit_base.year_only else explicit_base
        if m.kind == "change_mom" and not relative and (explicit_base is None or explicit_base.year_only):
            explicit_base = cur.shift(-1) if cur.single else None
        base = _base_period(m.kind, cur, explicit_base)
        if base is None:
            r.reason = "unsure: no base period for this change"
            return
        if series == "quota":
            base = rs.Period(base.y2, 1, base.y2, 12, True)
        new = _lookup(series, cur, r.partner, stage, part, segment)
        old = _lookup(series, base, r.partner, stage, part, segment)
        if new is None or old is None:
            r.reason = "unsure: no lookup for this series"
            return
        r.period = (r.period + f" vs {base.y2}" if series == "quota" else
                    r.period + f" vs {base.y1}-{base.m1:02d}" + ("" if base.single else f"..{base.y2}-{base.m2:02d}"))
        if m.direction in ("down", "below"):
            r.recipe = f"pct_below({new}, {old})"
            r.alternatives.append(f"pct_change({old}, {new})")
        else:
            r.recipe = f"pct_change({old}, {new})"
            r.alternatives.append(f"pct_below({new}, {old})")
        r.confidence = conf if m.direction else "low"

    # -- dates, months, weekdays, years
    def _date(self, r: Row) -> None:
        m = r.mention
        sent = m.sentence
        pub = self.pub
        if m.token == "weekday":
            lo = pub - dt.timedelta(days=7)
            hi = pub if self.article.precision == "day" else (pub.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            cands = rs.match_events(self.events, sent.text, window=(lo - dt.timedelta(days=1), hi))
            if not _propose_events(r, cands, "weekday"):
                r.reason = "unsure: no event in the data in the week before publication matches this sentence"
            return
        if m.token == "year":
            m.stated_text = m.stated_text
            if m.kind == "record":
                r.reason = "unsure: a record claim ('highest since ...'); the recipe language has no ranking"
                return
            _propose_events(r, rs.match_events(self.events, sent.text, year=m.stated), "year")
            return
        if m.token == "date":
            y = m.extra.get("year") or rs._year_for_month(m.extra["month"], pub)
            try:
                day = dt.date(y, m.extra["month"], m.extra["day"])
            except ValueError:
                r.reason = "unsure: not a calendar date"
                return
            m.stated = int(day.strftime("%Y%m%d"))
            m.unit = "date"
            self._month_events(r, y, day.month)
            return
        # months
        if m.token == "relative_month":
            rel = m.extra["rel"]
            y, mo = rs.month_add(pub.year, pub.month, -1 if rel == "last" else (1 if rel == "next" else 0))
        else:
            mo = m.extra["month"]
            y = m.extra.get("year") or rs._year_for_month(mo, pub)
        m.stated = y * 100 + mo
        m.unit = "month"
        if m.extra.get("part"):
            m.qualifier = m.extra["part"]
        self._month_events(r, y, mo)

    def _month_events(self, r: Row, year: int, month: int) -> None:
        """Propose the events near a stated month (or day) that share words with the sentence."""
        cands = rs.match_events(self.events, r.mention.sentence.text, year=year, month=month)
        if not _propose_events(r, cands):
            r.reason = (f"unsure: no event in the data within {rs.MONTHS_APART} months of this date shares enough words "
                        "with the sentence")

    # -- counts and spans
    def _count(self, r: Row, series: str) -> None:
        m = r.mention
        sent = m.sentence
        low = sent.text.lower()
        after = ex._after(sent, m, 30).lower()
        pub = self.pub
        if m.unit == "count" and re.match(r"\s*(?:elements|minerals|metals|components)\b", after) and m.stated == 17:
            r.reason = ("a definition (the 15 lanthanides plus scandium and yttrium), not a figure the curated "
                        "tables hold")
            r.confidence = "high"
            return
        quota_words = re.search(r"quota|allotment|allowance|permits", low) or series == "quota"
        if m.unit == "count" and quota_words and re.search(r"batch|round|twice|semiannual|biannual|times a year",
                                                           m.stated_text.lower() + " " + after):
            stage = "smelting" if re.search(r"smelting|separation", low) else "mining"
            periods = rs.find_periods(sent.text, pub, self.ctx.period)
            years = [p.y2 for s, e, p, role in periods if p.year_only and p.y2 < pub.year]
            habitual = re.search(r"twice|semi-?annual|biannual|a year|typically|usually", m.stated_text.lower() + after)
            year = years[0] if years and not habitual else pub.year - 1
            r.recipe = f'notices("{stage}", {year})'
            r.confidence = "medium" if years else "low"
            r.period = str(year)
            return
        if m.unit in ("count", "years") and re.match(r"\s*(?:years?)\b", after + (" years" if m.unit == "years" else
                "")) and re.search(r"previous|past|last", ex._before(sent, m, 20).lower()) and \
                re.search(r"first batch", low):
            m.unit = "count"
            n = int(m.stated)
            window = (1, 3) if re.search(r"first quarter", low) else (1, 6) if "first half" in low else None
            if window:
                r.recipe = (f'years_with_notice_in("first_batch", {pub.year - n}, {pub.year - 1}, '
                            f'{window[0]}, {window[1]})')
                r.confidence = "medium"
                return
        if m.unit in ("days", "months", "years"):
            self._span(r)
            return
        if (m.unit == "count" and re.search(r"control|restrict|licen", low)
                and re.match(r"\s*(?:[\w-]+\s+){0,5}?(?:rare[- ]earths?(?:\s+elements)?|elements)\b", after)):
            # "added ... seven heavy and medium rare earth elements to its export control list": how many
            # elements an announcement covers is in controlled_elements.csv
            ids = set(self.tables.frame("controlled_elements")["event_id"].astype(str))
            events = self.events[self.events["event_id"].astype(str).isin(ids)]
            periods = rs.find_periods(sent.text, pub, self.ctx.period)
            months = [p for _, _, p, _ in periods if not p.year_only and p.single]
            cands = (rs.match_events(events, sent.text, year=months[0].y1, month=months[0].m1) if months
                     else rs.match_events(events, sent.text))
            if cands:
                r.recipe = f'controlled_elements("{cands[0][1]}")'
                r.alternatives = [f'controlled_elements("{c[1]}")' for c in cands[1:3]]
                r.confidence = "medium" if months else "low"
                return
        r.reason = "unsure: the curated data hold no count of this"

    def _span(self, r: Row) -> None:
        m = r.mention
        sent = m.sentence
        after = ex._after(sent, m, 30).lower()
        n = m.stated
        unit_days = {"days": 1, "months": 30.436875, "years": 365.2425}[m.unit]
        if re.match(r"\s*ago\b", after):
            target = self.pub - dt.timedelta(days=float(n) * unit_days)
            lo, hi = target - dt.timedelta(days=unit_days * 0.75 + 7), target + dt.timedelta(days=unit_days * 0.75 + 7)
            cands = rs.match_events(self.events, sent.text, window=(lo, hi), min_score=1)
            if cands:
                fn = "months_between" if m.unit == "months" else "days_between"
                if m.unit == "years":
                    r.reason = "unsure: a span in years"
                    return
                r.recipe = f'{fn}(event("{cands[0][1]}"), published())'
                r.confidence = "medium"
                return
        if re.match(r"\s*(?:after|later than|before)\b", after):
            # the event of the sentence (dated) and the event the span counts from
            cands = rs.match_events(self.events, sent.text, min_score=1)
            best = None
            for s1, e1, d1, _ in cands:
                for s2, e2, d2, _ in cands:
                    if e1 == e2:
                        continue
                    gap = (d2 - d1).days
                    if gap > 0 and abs(gap / unit_days - float(n)) <= 0.5 + (1 if m.unit == "days" else 0):
                        score = s1 + s2
                        if best is None or score > best[0]:
                            best = (score, e1, e2)
            if best and m.unit in ("days", "months"):
                fn = "months_between" if m.unit == "months" else "days_between"
                r.recipe = f'{fn}(event("{best[1]}"), event("{best[2]}"))'
                r.confidence = "low"
                return
        r.reason = "unsure: a span the curated data do not date (terms, durations, survey answers)"
