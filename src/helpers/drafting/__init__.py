"""Draft a claims ledger from an article's plain text: `make check-article FILE=...`.

Public functions: :func:`draft_article` (an article file or text -> :class:`Draft`),
:func:`write_csv`, :func:`report`, :func:`read_article`; bad input raises
:class:`ArticleError` with one message naming the file, line and column or the option.
"""
from helpers.drafting.reader import Article, ArticleError, read_article
from helpers.drafting.draft import Draft, draft_article, report, write_csv, COLUMNS

__all__ = ["Article", "ArticleError", "read_article", "Draft", "draft_article", "report", "write_csv", "COLUMNS"]
