"""The model notebooks' headline findings as data: named numbers in the executed notebook.

A findings box is text for readers. The same numbers also leave the notebook as one
``display_data`` output of the mimetype `MIMETYPE`, whose JSON lists named findings::

    {"version": 1, "headline": "estimate",
     "findings": [{"name": "estimate", "label": "2025 estimate", "value": 301000.0, "unit": "t REO",
                   "low": 270000.0, "high": 335000.0, "level": 0.9, "interval": "prediction interval",
                   "format": ",.0f", "round": -3}, ...]}

The report builder (nbreport.findings) reads it by mimetype from the executed notebook and the
tests read it the same way: nothing is scraped from HTML. It is the convention scrapbook's
``glue`` uses (a display_data output under a JSON mimetype, which papermill and nbformat keep as
it is), without scrapbook, last released as 0.5.0 in January 2021, which pulls in
pyarrow for data frames this record never holds.

How the findings travel: `quota_findings` / `rebound_findings` are wrapped by `records`, so the
bullet list they return carries the numbers of the same result (`Bullets.numbers`), and
``show_findings`` emits them (`emit`) beside the text box. Part of ``helpers.models``.
"""
from __future__ import annotations

import functools
import math

MIMETYPE = "application/vnd.nbreport.findings+json"
VERSION = 1
SIGNIFICANT = 6  # digits kept: stored outputs are compared by nbval, so the record must not carry float noise


class Bullets(list):
    """The findings text (a list of str) with the numbers behind it, `numbers` (a record dict or None).

    A plain list would lose the numbers on the way to the page; this one carries them to `emit`.

    Parameters
    ----------
    iterable : iterable of str, optional
        The bullets.
    """

    numbers: dict | None = None

    def __add__(self, other):
        """Bullets followed by more text keep the numbers (a notebook may append notes to its findings)."""
        out = Bullets(list.__add__(self, list(other)))
        out.numbers = self.numbers
        return out


def _num(x) -> float | None:
    """A finite float rounded to `SIGNIFICANT` digits, else None (JSON has no NaN)."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return float(f"{x:.{SIGNIFICANT}g}")


def finding(name: str, label: str, value, unit: str, low=None, high=None, level: float | None = None,
            interval: str = "", fmt: str = ",.2f", round_to: int | None = None) -> dict:
    """One named finding.

    Parameters
    ----------
    name : str
        Stable key, the same for every parameter set (a sweep compares findings by name).
    label : str
        What a reader calls it ("2025 estimate"); may carry numbers formatted from the result.
    value : float
        The estimate.
    unit : str
        Unit of value, low and high ("t REO", "share", "months").
    low, high : float, optional
        Its interval bounds (None when there is no interval).
    level : float, optional
        The interval's level (0.9).
    interval : str
        Its kind ("prediction interval", "confidence interval", "interval").
    fmt : str
        A format spec for displaying the numbers (``format(value, fmt)``).
    round_to : int, optional
        ``round(value, round_to)`` before formatting (-3: thousands), as the notebook prints it.

    Returns
    -------
    dict
    """
    out = {"name": name, "label": label, "value": _num(value), "unit": unit, "low": _num(low), "high": _num(high),
           "level": level, "interval": interval, "format": fmt}
    if round_to is not None:
        out["round"] = round_to
    return out


def quota_numbers(r) -> dict:
    """The findings of `quota_findings` as numbers: next-year estimate (headline), growth, latest segment.

    Parameters
    ----------
    r : helpers.models.results.QuotaResult

    Returns
    -------
    dict
        The record (see the module docstring); headline ``estimate``.
    """
    g, seg, nc = r.growth, r.segments.iloc[-1], r.nowcast
    t = r.targets[0]
    row = nc[(nc["model"] == r.best) & (nc["year"] == t)].iloc[0]
    found = [finding("estimate", f"{t} estimate", row["mean"], "t REO", row["lower"], row["upper"], r.level,
                     "prediction interval", ",.0f", -3),
             finding("growth", f"average growth {g['first']}-{g['last']}", g["rate"], "share a year", g["lower"],
                     g["upper"], r.level, "confidence interval", "+.1%"),
             finding("segment_growth", f"growth in the latest segment ({seg['segment']})", seg["rate"], "share a year",
                     seg["lower"], seg["upper"], r.level, "confidence interval", "+.1%")]
    return {"version": VERSION, "headline": "estimate", "findings": found,
            "context": {"best_model": r.best, "target_year": int(t)}}


def rebound_numbers(r) -> dict:
    """The findings of `rebound_findings` as numbers: trough depth (headline), cumulative shortfall.

    Parameters
    ----------
    r : helpers.models.results.ReboundResult

    Returns
    -------
    dict
        The record; headline ``trough_depth`` (a share below the counterfactual). Without a trough
        (no post-shock month with both values) the findings list is empty.
    """
    rb = r.rebound
    p = rb.point
    found = []
    if p["trough"] is not None:
        lo, hi = rb.depth_ci
        found.append(finding("trough_depth", "trough depth below the counterfactual", p["depth"], "share",
                             min(lo, hi), max(lo, hi), r.level, "interval", ".0%"))
        if "shortfall" in p:
            found.append(finding("shortfall", "cumulative shortfall", p["shortfall"], "t", *rb.shortfall_ci,
                                 level=r.level, interval="interval", fmt=",.0f", round_to=-2))
    return {"version": VERSION, "headline": "trough_depth", "findings": found,
            "context": {"counterfactual": r.cf.kind, "observed_pre_months": int(r.cf.n_obs)}}


def records(numbers):
    """Decorator: the wrapped findings function's bullets carry ``numbers(result)`` (see `Bullets`).

    Parameters
    ----------
    numbers : callable
        Result -> record dict (`quota_numbers`, `rebound_numbers`).

    Returns
    -------
    callable
    """
    def wrap(fn):
        @functools.wraps(fn)
        def inner(r, *args, **kw):
            out = Bullets(fn(r, *args, **kw))
            out.numbers = numbers(r)
            return out
        return inner
    return wrap


def emit(bullets) -> None:
    """Display the numbers a `Bullets` list carries as one `MIMETYPE` output; nothing for plain text.

    The builder reads that output as the run's findings record (sweeps compare it across runs).

    Parameters
    ----------
    bullets : list of str
        A `Bullets` list (or plain text, which emits nothing).
    """
    numbers = getattr(bullets, "numbers", None)
    if not numbers:
        return
    from IPython.display import display

    display({MIMETYPE: numbers}, raw=True)
