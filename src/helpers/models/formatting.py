"""Numbers and text as the model notebooks print them: percentages, tonnes, intervals,
findings boxes and tables. Part of ``helpers.models``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.models.record import emit as emit_record


# --------------------------------------------------------------------------- formatting

def fmt_pct(x: float, digits: int = 1, sign: bool = True) -> str:
    """Write a share as a percent string, as the model notebooks print it: 0.1234 -> '+12.3%'.

    Parameters
    ----------
    x : float
        A share 0-1 (0.1234 = 12.34%); None or NaN print ``'n/a'``.
    digits : int, default 1
        Decimals shown.
    sign : bool, default True
        Show ``+`` on a rise (growth rates are signed).

    Returns
    -------
    str
    """
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x * 100:+.{digits}f}%" if sign else f"{x * 100:.{digits}f}%"


def fmt_t(x: float, digits: int = -2) -> str:
    """Write tonnes rounded (to hundreds by default) with thousands separators: model output is no finer.

    Parameters
    ----------
    x : float
        Tonnes (t REO for quotas); None or NaN print ``'n/a'``.
    digits : int, default -2
        ``round`` digits (-2: hundreds).

    Returns
    -------
    str
    """
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{round(x, digits):,.0f}"


def fmt_interval(lo: float, hi: float, fmt=fmt_t) -> str:
    """``"lo to hi"``, each bound printed with `fmt`.

    Parameters
    ----------
    lo, hi : float
    fmt : callable, default fmt_t
        Formats one number (tonnes by default).

    Returns
    -------
    str
    """
    return f"{fmt(lo)} to {fmt(hi)}"


def show_findings(title: str, bullets: list[str]) -> None:
    """Display a findings box as Markdown (text/plain carries the same text, so nbval can compare it).

    The numbers behind the text go out with it as a findings record (record.emit).

    Parameters
    ----------
    title : str
        The box's heading.
    bullets : list of str
        The findings, a `Bullets` list when they carry numbers.
    """
    from IPython.display import display

    md = f"> **{title}**\n>\n" + "\n".join(f"> - {b}" for b in bullets)
    display({"text/markdown": md, "text/plain": md}, raw=True)
    emit_record(bullets)  # the numbers behind the text, as data (helpers.models.record)


def show_text(md: str) -> None:
    """Display generated Markdown with the same text as text/plain, so stored outputs compare stably (nbval).

    Parameters
    ----------
    md : str
        The Markdown.
    """
    from IPython.display import display

    display({"text/markdown": md, "text/plain": md}, raw=True)
def _months_text(v: float) -> str:
    if v is None or np.isnan(v):
        return "n/a"
    if not np.isfinite(v):
        return "not by the end of the data"
    return f"{int(v)} month{'s' if int(v) != 1 else ''}"


def show_table(df: pd.DataFrame) -> None:
    """Display a text table without the index: HTML for the report, the same rows as plain text for nbval.

    Parameters
    ----------
    df : pandas.DataFrame
        Already formatted as text (the ``*_table`` functions).
    """
    from IPython.display import display

    display({"text/html": df.to_html(index=False, border=0, classes="model-table", na_rep="n/a"),
             "text/plain": df.to_string(index=False)}, raw=True)


def _ranges(items) -> str:
    """'2015, 2016, 2018' -> '2015-2016, 2018'; months the same way ('2024-01 to 2024-03')."""
    items = list(items)
    if not items:
        return "none"
    out, run = [], [items[0]]
    for a in items[1:]:
        if a == run[-1] + 1:
            run.append(a)
        else:
            out.append(run)
            run = [a]
    out.append(run)
    sep = " to " if isinstance(items[0], pd.Period) else "-"
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}{sep}{r[-1]}" for r in out)


