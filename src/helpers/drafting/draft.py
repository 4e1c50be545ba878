"""Draft an article's claims ledger: find, classify, resolve, propose a recipe, check it.

The checking goes through helpers.claims' public functions only (``Tables``,
``check_claim``, ``article_number_forms``, ``ClaimError``), so a drafted row is
judged exactly as a ledger row is: same interval arithmetic, statuses and
circularity rules (an article's own numbers and its own rows never confirm it).
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from fractions import Fraction
from pathlib import Path

import pandas as pd

from helpers import claims
from helpers.drafting import extract as ex
from helpers.drafting.reader import Article, ArticleError, read_article
from helpers.drafting.rows import COLUMNS, DRAFT_ID, Draft, DraftTables, Row, row_dict  # noqa: F401 - kept here
from helpers.drafting.propose import (  # noqa: F401 - public names kept at helpers.drafting.draft
    Proposer, _after_base_word, _base_period, _lookup, _propose_events)


# --------------------------------------------------------------------------- the whole article

def _match_source(article: Article, tables: claims.Tables) -> str:
    """The article's id in data/sources.csv, when it is already there (by seed file name or title)."""
    src = tables.frame("sources")
    if article.source_id:
        if article.source_id not in set(src["source_id"].astype(str)):
            raise ArticleError(f"SOURCE={article.source_id!r} is not a source_id in data/sources.csv")
        return article.source_id
    if article.path is not None:
        hit = src[src["seed_file"].astype(str) == article.path.name]
        if not hit.empty:
            return str(hit.iloc[0]["source_id"])
    title = re.sub(r"\W+", " ", article.title.lower()).strip()
    if len(title) > 20:
        for sid, t in zip(src["source_id"], src["title"]):
            if isinstance(t, str) and re.sub(r"\W+", " ", t.lower()).strip() == title:
                return str(sid)
    return ""


def _fmt_recomputed(res: dict, unit: str) -> str:
    v = res.get("value")
    if v is None:
        return ""
    if v.kind == "date":
        return dt.date.fromordinal(int(v.point)).isoformat()
    if unit == "weekday":
        import calendar
        p = int(v.point)
        return calendar.day_name[p - 1] if 1 <= p <= 7 else str(p)
    x = float(v.point)
    if unit == "year":
        return str(int(x))
    return f"{x:,.2f}".rstrip("0").rstrip(".") if x != int(x) else f"{int(x):,}"


def evaluate_rows(d: Draft, tables: claims.Tables) -> None:
    """Check every proposed recipe with the ledger's checker, in place.

    Same statuses, interval arithmetic and circularity rules as data/claims.csv: the article's
    own numbers, its own rows and its copies never confirm it.

    Parameters
    ----------
    d : Draft
        The drafted article.
    tables : helpers.claims.Tables
        The curated tables (a :class:`DraftTables` knows the draft's publication date).

    Returns
    -------
    None
        Each row's ``recomputed`` and ``status`` are set; a recipe that cannot run is dropped
        and the row's ``reason`` says why (never a silently wrong recipe).
    """
    forms = claims.article_number_forms(
        (r.mention.stated, r.mention.unit) for r in d.claims
        if r.mention.unit in claims.MEASURED_UNITS and isinstance(r.mention.stated, (int, Fraction)))
    sid = d.source_id
    for r in d.claims:
        if not r.recipe:
            r.status = "not_checkable"
            continue
        claim = {"claim_id": r.claim_id, "source_id": sid, "stated": r.stated_str(),
                 "stated_text": r.mention.stated_text, "unit": r.mention.unit, "qualifier": r.mention.qualifier,
                 "recipe": r.recipe}
        res = _check(claim, tables, forms)
        if isinstance(res, dict) and res.get("reason") and "does not allow derived" in res["reason"]:
            alt = re.sub(r"\)(?=\s*(?:,|\)|$))", ", derived=True)", r.recipe, count=0)
            alt = re.sub(r'((?:exports|quota)\([^()]*)\)', r"\1, derived=True)", r.recipe)
            res2 = _check({**claim, "recipe": alt}, tables, forms)
            if isinstance(res2, dict) and res2.get("value") is not None:
                r.alternatives.insert(0, r.recipe)
                r.recipe, res = alt, res2
                r.reason = "uses a derived data row (computed, not read); check its formula"
                if r.confidence == "high":
                    r.confidence = "medium"
        if res is None:
            continue
        if isinstance(res, str):
            r.alternatives.insert(0, r.recipe)
            r.reason = f"not checkable: {res} (proposed: {r.recipe})"
            r.recipe = ""
            r.status = "not_checkable"
            continue
        r.status = res["status"]
        r.recomputed = _fmt_recomputed(res, r.mention.unit)
        if res["status"] == "not_checkable":
            r.reason = res.get("reason") or r.reason
        elif res["status"] == "differs" and res.get("gap") is not None:
            r.reason = (r.reason + "; " if r.reason else "") + f"differs by {claims.fmt_gap(res['gap'], r.mention.unit)}"


def _check(claim: dict, tables, forms):
    try:
        return claims.check_claim(claim, tables, forms)
    except claims.ClaimError as exc:
        msg = str(exc)
        msg = msg.split(": ", 1)[1] if ": " in msg else msg
        return f"the data have {msg}" if msg.startswith("no ") else msg
    except (ValueError, TypeError) as exc:
        return f"the stated text cannot be read ({exc})"


def _slug(text: str, n: int = 5) -> str:
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in ("the", "a", "an", "of", "to", "in")]
    return "_".join(words[:n]) or "number"


def draft_article(path=None, published: str | None = None, outlet: str | None = None, source_id: str | None = None,
                  data_dir=None, text: str | None = None, today: dt.date | None = None,
                  tables: claims.Tables | None = None, article: Article | None = None) -> Draft:
    """Draft the claims ledger of one article.

    Parameters
    ----------
    path : pathlib.Path or str, optional
        Plain-text file of the article (header lines Title / Published: / Outlet: optional).
    published, outlet : str, optional
        Override the file's header lines (published 'YYYY-MM-DD' or 'YYYY-MM').
    source_id : str, optional
        The article's id in data/sources.csv if it is there (found by seed file or title
        otherwise); rows from that source, or copies of it, never confirm it.
    data_dir : pathlib.Path, optional
        The curated data folder (default data/).
    text : str, optional
        The article text instead of reading `path`.
    today : datetime.date, optional
        The date a publication date may not be after (default: today).
    tables : helpers.claims.Tables, optional
        Tables already loaded (the benchmark reuses them across articles).
    article : Article, optional
        An article already read.

    Returns
    -------
    Draft
        Rows (claims and skipped page furniture, each with its reason) and timings.

    Raises
    ------
    ArticleError
        Bad input: empty, not UTF-8, HTML, no or future publication date, no numbers.
    """
    import time
    if article is None:
        article = read_article(path, published=published, outlet=outlet, source_id=source_id, today=today, text=text)
    t0 = time.perf_counter()
    tables = tables or DraftTables(data_dir)
    if isinstance(tables, DraftTables):
        tables._article = article
    sid = _match_source(article, tables) or DRAFT_ID
    if isinstance(tables, DraftTables):
        tables._draft_id = sid
    sentences = ex.split_sentences(article.text)
    mentions = ex.find_mentions(article.text, sentences)
    ex.classify(mentions, article.published.year, article.published if article.precision == "day" else None)
    if not mentions:
        where = article.path if article.path else "<text>"
        raise ArticleError(f"{where}: found no numbers in the article (no digits, number words, dates or months); "
                           "expected an article that states at least one number")
    rows = [Row(m) for m in mentions]
    prop = Proposer(article, tables, article.text)
    prop._sentences = sentences
    prop.start(sentences)
    by_sentence: dict[int, list[Row]] = {}
    for r in rows:
        by_sentence.setdefault(id(r.mention.sentence), []).append(r)
    done = set()
    used_ids: set[str] = set()
    for r in rows:
        sent = r.mention.sentence
        a, b = ex.phrase_span(article.text, r.mention)
        r.phrase = re.sub(r"\s+", " ", article.text[a:b]).strip()
        prop.propose(r, by_sentence[id(sent)])
        last_in_sentence = by_sentence[id(sent)][-1] is r
        if last_in_sentence and id(sent) not in done:
            prop.advance(sent, by_sentence[id(sent)])
            done.add(id(sent))
        if not r.mention.skip:
            base = f"{sid}__{_slug(r.phrase)}"
            cid, k = base, 2
            while cid in used_ids:
                cid, k = f"{base}_{k}", k + 1
            used_ids.add(cid)
            r.claim_id = cid
    d = Draft(article=article, rows=rows, seconds=0.0, source_id=sid, words=len(article.text.split()))
    if not d.claims:
        where = article.path if article.path else "<text>"
        reasons = sorted({r.mention.skip for r in rows})
        raise ArticleError(f"{where}: found no numbers about rare earths in the article's text: the {len(rows)} numbers "
                           f"found are all page furniture ({'; '.join(reasons)[:300]})")
    evaluate_rows(d, tables)
    d.seconds = time.perf_counter() - t0
    return d


# --------------------------------------------------------------------------- output

def write_csv(d: Draft, out: Path) -> Path:
    """Write the draft rows to a CSV, claims first, then the skipped furniture with reasons.

    Parameters
    ----------
    d : Draft
        The drafted article.
    out : pathlib.Path
        The CSV to write (through a temporary file, so a failed write leaves no half file).

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = d.frame()
    frame = pd.concat([frame[frame["skip_reason"] == ""], frame[frame["skip_reason"] != ""]])
    tmp = out.with_suffix(out.suffix + ".tmp")
    frame.to_csv(tmp, index=False, quoting=csv.QUOTE_MINIMAL)
    tmp.replace(out)
    return out


def report(d: Draft, out: Path | None = None) -> str:
    """A readable report: each number, what it was read as, the recomputed value and the status.

    Parameters
    ----------
    d : Draft
        The drafted article.
    out : pathlib.Path, optional
        The CSV the rows were written to, named at the end of the report.

    Returns
    -------
    str
        The report, lines separated by newlines.
    """
    a = d.article
    lines = [f"{a.title[:100]}",
             f"published {a.published_text} (from {a.date_from})" + (f"; outlet {a.outlet}" if a.outlet else ""),
             (f"source in data/sources.csv: {d.source_id} (its own rows never confirm it)" if d.source_id != DRAFT_ID
              else "not in data/sources.csv"),
             ""]
    counts = {}
    for r in d.claims:
        counts[r.status] = counts.get(r.status, 0) + 1
    lines.append(f"{len(d.claims)} numbers drafted, {len(d.skipped)} skipped as page furniture or labels; "
                 + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in sorted(counts.items())))
    lines.append(f"drafted {d.words} words in {d.seconds:.2f} s")
    lines.append("")
    for r in d.claims:
        m = r.mention
        what = f"{m.unit}, {m.kind}" + (f", {m.qualifier}" if m.qualifier != "exact" else "") + \
            (f", {m.direction}" if m.direction else "")
        about = ", ".join(x for x in (r.series, r.partner if r.partner and r.partner != "World" else "", r.period) if x)
        lines.append(f"line {m.line + a.offset_line:>3}  {m.stated_text!r} in \"{r.phrase}\"")
        lines.append(f"          read as {what}" + (f"; about {about}" if about else ""))
        if r.recipe:
            res = f"recomputed {r.recomputed}" if r.recomputed else "no value"
            lines.append(f"          recipe {r.recipe}  [{r.confidence}]")
            lines.append(f"          {res}: {r.status.replace('_', ' ')}" + (f" ({r.reason})" if r.reason else ""))
        else:
            lines.append(f"          no recipe: {r.reason}")
    if d.skipped:
        lines.append("")
        lines.append("skipped:")
        for r in d.skipped:
            lines.append(f"line {r.mention.line + a.offset_line:>3}  {r.mention.stated_text!r}: {r.mention.skip}")
    if out:
        lines.append("")
        lines.append(f"draft rows written to {out}")
    return "\n".join(lines)
