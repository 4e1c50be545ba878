"""The records of a draft: one :class:`Row` per number, the :class:`Draft` of an article, its CSV columns.

Part of ``helpers.drafting`` (re-exported by :mod:`helpers.drafting.draft`), kept apart
so that :mod:`helpers.drafting.propose` and :mod:`helpers.drafting.draft` share them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

import pandas as pd

from helpers import claims
from helpers.drafting import extract as ex
from helpers.drafting.reader import Article

DRAFT_ID = "draft_article"
COLUMNS = ["claim_id", "source_id", "line", "phrase", "stated", "stated_text", "unit", "qualifier", "direction",
           "kind", "series", "partner", "period", "recipe", "alternatives", "recomputed", "status", "confidence",
           "reason", "skip_reason"]


class DraftTables(claims.Tables):
    """The curated tables, plus the draft article's publication date and copies (for published())."""

    def __init__(self, data_dir=None, article: Article | None = None, draft_id: str = DRAFT_ID):
        super().__init__(data_dir)
        self._article = article
        self._draft_id = draft_id

    def published(self, source_id: str):
        if self._article is not None and source_id == self._draft_id:
            return self._article.published_text
        return super().published(source_id)


@dataclass
class Row:
    mention: ex.Mention
    phrase: str = ""
    series: str = ""
    partner: str = ""
    period: str = ""
    recipe: str = ""
    alternatives: list = field(default_factory=list)
    confidence: str = ""
    reason: str = ""
    status: str = ""
    recomputed: str = ""
    claim_id: str = ""

    def stated_str(self) -> str:
        v = self.mention.stated
        if v is None:
            return ""
        if isinstance(v, Fraction):
            if v.denominator == 1:
                return str(v.numerator)
            text = self.mention.stated_text
            m = re.search(r"\d[\d,]*\.(\d+)", text)
            d = len(m.group(1)) if m else 6
            return f"{float(v):.{d}f}"
        return str(v)


@dataclass
class Draft:
    """The drafted rows of one article and how long drafting took."""
    article: Article
    rows: list
    seconds: float
    source_id: str
    words: int

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([row_dict(self, r) for r in self.rows], columns=COLUMNS)

    @property
    def claims(self) -> list:
        return [r for r in self.rows if not r.mention.skip]

    @property
    def skipped(self) -> list:
        return [r for r in self.rows if r.mention.skip]


def row_dict(d: Draft, r: Row) -> dict:
    m = r.mention
    return {"claim_id": r.claim_id, "source_id": d.source_id, "line": m.line + d.article.offset_line,
            "phrase": r.phrase, "stated": r.stated_str(), "stated_text": m.stated_text, "unit": m.unit,
            "qualifier": m.qualifier, "direction": m.direction, "kind": m.kind, "series": r.series,
            "partner": r.partner, "period": r.period, "recipe": r.recipe, "alternatives": " | ".join(r.alternatives),
            "recomputed": r.recomputed, "status": r.status if not m.skip else "", "confidence": r.confidence,
            "reason": r.reason if not m.skip else "", "skip_reason": m.skip}
