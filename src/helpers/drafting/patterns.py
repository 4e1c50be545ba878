"""The word lists, regular expressions and records the drafter reads numbers with.

Part of ``helpers.drafting``: :mod:`helpers.drafting.extract` finds the numbers with
these patterns and :mod:`helpers.drafting.classify` says what each one is;
:class:`Sentence` and :class:`Mention` are what they hand on to
:mod:`helpers.drafting.resolve` and :mod:`helpers.drafting.draft`.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from fractions import Fraction

from helpers.drafting.reader import MONTHS, _MONTH_RE  # noqa: F401 - re-exported for the other modules

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
    """One sentence (or heading line) of an article.

    Parameters
    ----------
    text : str
        The sentence as printed.
    start, line, para : int
        Offset in the article text, 1-based line, and index of its paragraph.
    heading : bool
        A line that is not a sentence (title, subhead, navigation, caption).
    furniture : str
        Why the whole line is page furniture, or ``""``.
    topic : bool
        About rare earths (its paragraph or the one before mentions them).
    """
    text: str
    start: int          # offset in the article text
    line: int           # 1-based line in the article text
    para: int           # index of the paragraph (line) it belongs to
    heading: bool       # a line that is not a sentence (title, subhead, navigation, caption)
    furniture: str = ""  # reason when the whole line is page furniture
    topic: bool = True  # about rare earths (its paragraph or the one before mentions them)


@dataclass
class Mention:
    """One number the article states, as found and then classified.

    Parameters
    ----------
    start, end : int
        Offsets in the article text.
    stated_text : str
        The number as printed ('5,238 metric tons', 'fifth', 'April 4').
    stated : Fraction, int or None
        Its value in the ledger's convention (YYYYMMDD for a date, YYYYMM for a month, 1-7 for a weekday).
    unit, qualifier, direction, kind : str
        As the ledger records them (kind: level, change_mom, change_yoy, change, share, total, count, date).
    token : str
        How it was printed: number, word, fraction, ordinal, date, month, weekday, year, relative_month.
    sentence : Sentence or None
        The sentence it stands in.
    skip, unsure : str
        Why it is left out of the ledger (page furniture, a label), or why the drafter is unsure.
    extra : dict
        What the finder read on the way (month, day, year, part of month).
    """
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
        """The 1-based line of the article body the number stands on (0 when unknown).

        Returns
        -------
        int
            The line.
        """
        return self.sentence.line if self.sentence else 0
