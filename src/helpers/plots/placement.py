"""Where a chart's labels may go: moving a text, the plotted data it must keep off, a free place beside.

Used by helpers.plots.layout's label separation (`_separate`), which decides the order.
"""
from __future__ import annotations

import math


def shift(t, dx: float, dy: float) -> None:
    """Move a text by (dx, dy) display px, whatever coordinates it was placed in.

    Parameters
    ----------
    t : matplotlib.text.Text
        The text (an annotation placed in offset points or pixels keeps its connector to its point).
    dx, dy : float
        Display px.
    """
    from matplotlib.text import Annotation

    if isinstance(t, Annotation) and t.anncoords in ("offset points", "offset pixels"):
        k = 72 / t.figure.dpi if t.anncoords == "offset points" else 1
        x, y = t.xyann
        t.xyann = (x + dx * k, y + dy * k)
        return
    tr = t.get_transform()
    x, y = t._get_xy_display()  # handles dates and other units
    t.set_position(tr.inverted().transform((x + dx, y + dy)))


def data_points(fig):
    """Display px of the plotted data: points along every data line (every 2 px) and every marker.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure drawn (or measured) at its final size.

    Returns
    -------
    numpy.ndarray
        Shape (n, 2): x and y in display px. Event and reference rules (lines with no extent in x
        or in y) are left out: labels may sit on them.
    """
    import numpy as np

    pts = [np.empty((0, 2))]
    for ax in fig.axes:
        for line in ax.lines:
            xy = np.asarray(line.get_xydata(), dtype=float)
            if len(xy) < 2 or np.ptp(xy[:, 0]) == 0 or np.ptp(xy[:, 1]) == 0:  # event and reference rules
                continue
            d = line.get_transform().transform(xy)
            d = d[np.isfinite(d).all(axis=1)]
            for a, b in zip(d, d[1:]):
                n = max(2, int(np.hypot(*(b - a)) / 2))
                pts.append(a + (b - a) * np.linspace(0, 1, n)[:, None])
        for coll in ax.collections:
            offs = coll.get_offsets()
            if len(offs):
                pts.append(coll.get_offset_transform().transform(np.asarray(offs, dtype=float)))
    return np.vstack(pts)


def free_place_beside(box, area, step: float, blocked) -> tuple[float, float] | None:
    """The nearest free place for a label to the left or right of where it stands, or None.

    Why: on a narrow (phone) chart a label beside a dense line may find no free place straight
    above or below it (the rebound chart's trough label stayed on the line). Tried last, once the
    other labels have their places, so a label moved here never takes another's.

    Parameters
    ----------
    box : matplotlib.transforms.Bbox
        The label's box, display px.
    area : matplotlib.transforms.Bbox
        Its axes' box: the place must lie inside.
    step : float
        The vertical step, px (half the label's height).
    blocked : callable
        ``blocked(box)`` is True where the box would touch another text or the data.

    Returns
    -------
    (float, float) or None
        The move (dx, dy) in display px, nearest first; None when no place is free.
    """
    moves = sorted(((i * box.width * 0.25, j * step) for i in range(-12, 13) if i for j in range(-12, 13)),
                   key=lambda d: (math.hypot(*d), d))
    for dx, dy in moves:
        moved = box.translated(dx, dy)
        if (area.x0 <= moved.x0 and moved.x1 <= area.x1 and area.y0 <= moved.y0 and moved.y1 <= area.y1
                and not blocked(moved)):
            return dx, dy
    return None
