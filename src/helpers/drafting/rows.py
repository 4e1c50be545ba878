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
    """The curated tables, plus the draft article's publication date (for recipes that use ``ago``).

    Parameters
    ----------
    data_dir : pathlib.Path, optional
        A data folder laid out like data/ (default: the repository's).
    article : Article, optional
        The article being drafted.
    draft_id : str, optional
        The source_id its rows carry (default ``draft_article``).
    """

    def __init__(self, data_dir=None, article: Article | None = None, draft_id: str = DRAFT_ID):
        super().__init__(data_dir)
        self._article = article
        self._draft_id = draft_id

    def published(self, source_id: str):
        """A source's publication date; the draft article's own when asked for ``draft_id``.

        Parameters
        ----------
        source_id : str
            A source_id.

        Returns
        -------
        str or None
            YYYY-MM-DD or YYYY-MM, or None when unknown.
        """
        if self._article is not None and source_id == self._draft_id:
            return self._article.published_text
        return super().published(source_id)


@dataclass
class Row:
    """One drafted ledger row: the number and what the drafter made of it.

    Parameters
    ----------
    mention : Mention
        The number.
    phrase : str
        The few words around it, verbatim.
    series, partner, period : str
        What it was resolved to be about.
    recipe : str
        The proposed recipe, or ``""`` when unsure.
    alternatives : list of str
        Other recipes weighed.
    confidence, reason, status, recomputed : str
        The drafter's confidence, why (when unsure), and the checker's verdict and value.
    claim_id : str
        ``<source_id>__<slug of the phrase>``.
    """
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
        """The stated value as the ledger writes it (decimals as printed).

        Returns
        -------
        str
        """
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
    """The drafted rows of one article and how long drafting took.

    Parameters
    ----------
    article : Article
        The article read.
    rows : list of Row
        Every number, claims and skipped furniture, in text order.
    seconds : float
        Drafting time after the imports.
    source_id : str
        Its id in data/sources.csv, or ``draft_article``.
    words : int
        Words in the body.
    """
    article: Article
    rows: list
    seconds: float
    source_id: str
    words: int

    def frame(self) -> pd.DataFrame:
        """The rows as a table with the CSV's columns.

        Returns
        -------
        pandas.DataFrame
        """
        return pd.DataFrame([row_dict(self, r) for r in self.rows], columns=COLUMNS)

    @property
    def claims(self) -> list:
        """The rows kept as claims (not skipped).

        Returns
        -------
        list of Row
        """
        return [r for r in self.rows if not r.mention.skip]

    @property
    def skipped(self) -> list:
        """The rows skipped as furniture or labels, each with its reason.

        Returns
        -------
        list of Row
        """
        return [r for r in self.rows if r.mention.skip]


def row_dict(d: Draft, r: Row) -> dict:
    """One draft row as the CSV writes it (the columns of :data:`COLUMNS`).

    Parameters
    ----------
    d : Draft
        The drafted article (its source_id and line offset).
    r : Row
        The row.

    Returns
    -------
    dict
        Column name to value; a skipped row has no status and carries its skip_reason.
    """
    m = r.mention
    return {"claim_id": r.claim_id, "source_id": d.source_id, "line": m.line + d.article.offset_line,
            "phrase": r.phrase, "stated": r.stated_str(), "stated_text": m.stated_text, "unit": m.unit,
            "qualifier": m.qualifier, "direction": m.direction, "kind": m.kind, "series": r.series,
            "partner": r.partner, "period": r.period, "recipe": r.recipe, "alternatives": " | ".join(r.alternatives),
            "recomputed": r.recomputed, "status": r.status if not m.skip else "", "confidence": r.confidence,
            "reason": r.reason if not m.skip else "", "skip_reason": m.skip}
