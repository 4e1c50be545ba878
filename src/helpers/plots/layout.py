"""Page layout for the collection's charts: the desktop and the phone layout, and the overlap check.

`helpers.plots.output.show` writes each figure twice, laid out for a desktop page
(`desktop_layout`) and for a phone (`phone_layout`); `overlaps` lists the texts that still
collide, which the PNG's metadata records for the site's tests. The house style itself (palette,
titles, source lines) is in `helpers.plots.theme`, which re-exports everything public here under
its historical names.
"""
from __future__ import annotations

import weakref

from helpers.plots.placement import data_points, free_place_beside, shift

DPI = 100  # figure px per inch at 1x: a 9 in figure is 900 CSS px wide on a desktop page
SCALE = 2  # PNGs are written at 2x (DPI * SCALE px per inch) and shown at DPI, sharp on high-density screens
MIN_FONT_PX = 11  # smallest text a reader sees, in CSS px, at 400 px and at 1280 px
DESKTOP_MIN_PT = 8.5  # 8.5 pt at 100 px per inch = 11.8 px when the figure is shown at its natural size
PHONE_WIDTH_IN = 4.0  # the phone layout: 4 in at 100 px per inch fits a 400 px screen's column
PHONE_MIN_PT = 10.5  # 10.5 pt on a 4 in figure shown 340 px wide is 12.4 px
PHONE_MAX_PT = 12.5
# gids the layout finds texts by (helpers.plots.theme.titles, source_line and the charts set them)
SUBTITLE_GID = "rek-subtitle"
DETAIL_GID = "rek-detail"  # a per-point label the phone layout may leave out when it has no free place
DETAIL_NOTE = "Some point labels are left out at this width; a wider screen shows them."
SOURCE_GID = "rek-source-line"


# Figures whose last layout draw (`_draw`) is current: the layout steps below read tick labels,
# titles and axis labels where the last draw put them, and several steps in a row often change
# nothing in between. A step that changes what a draw lays out (fonts, ticks, tick labels, axes,
# titles, figure size) calls `_changed`. Moving or re-wording a free text (annotations, value
# labels, the source line) or moving a legend needs no draw: matplotlib measures those boxes from
# their own settings each time, and nothing a draw places depends on them. The public entry points
# (desktop_layout, phone_layout, overlaps, png_bytes) trust no draw made before they were called.
_fresh: "weakref.WeakSet" = weakref.WeakSet()


def _draw(fig):
    """Lay the figure out (draw it without rendering) unless no step changed it since the last time.

    Why: one draw costs 20 to 70 ms and the steps of a layout asked for up to 30 per chart,
    most of them after nothing had changed. Returns the renderer the draw used.
    """
    if fig not in _fresh:
        fig.draw_without_rendering()
        _fresh.add(fig)
    return fig.canvas.get_renderer()


def _changed(fig) -> None:
    """Say that a layout step changed the figure: the next `_draw` draws again."""
    _fresh.discard(fig)


def _fit_title(ax) -> None:
    """Lift the title above its subtitle, however many lines the subtitle has (pad in points)."""
    sub = next((t for t in ax.texts if t.get_gid() == SUBTITLE_GID), None)
    if sub is not None:
        lines = sub.get_text().count("\n") + 1
        ax._set_title_offset_trans(5 + sub.get_fontsize() * 1.25 * lines + 4)
        _changed(ax.figure)


def _texts(fig):
    """Every text drawn in the figure (titles, labels, tick labels in view, legends, annotations)."""
    from matplotlib.text import Text

    hidden_ticks = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            drawn = {id(t) for tick in axis._update_ticks() for t in (tick.label1, tick.label2)}
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                for t in (tick.label1, tick.label2):
                    if id(t) not in drawn or not t.get_visible():
                        hidden_ticks.add(id(t))
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in hidden_ticks
            and t.figure is not None and (t.axes is None or t.axes.get_visible())]


def _clamp_fonts(fig, lo: float, hi: float | None = None) -> None:
    """Every text at least `lo` pt (and at most `hi`), tick labels included."""
    def fit(size: float) -> float:
        return min(max(size, lo), hi) if hi else max(size, lo)

    for ax in fig.axes:  # tick labels are re-created at draw time from the axis' tick parameters
        for axis, labels in (("x", ax.get_xticklabels()), ("y", ax.get_yticklabels())):
            ax.tick_params(axis=axis, which="both", labelsize=fit(labels[0].get_fontsize() if labels else lo))
    for t in _texts(fig):
        t.set_fontsize(fit(t.get_fontsize()))
    _changed(fig)


def _source(fig):
    return next((t for t in _texts(fig) if t.get_gid() == SOURCE_GID), None)


def _decorations_bottom(fig, renderer, skip) -> tuple[float, float]:
    """Left edge and bottom of the axes with their tick labels, axis labels and titles, in display px."""
    from matplotlib.transforms import Bbox

    hidden = [a for a in skip if a is not None and a.get_visible()]
    for a in hidden:
        a.set_visible(False)
    try:
        boxes = [ax.get_tightbbox(renderer) for ax in fig.axes if ax.get_visible()]
    finally:
        for a in hidden:
            a.set_visible(True)
    box = Bbox.union([b for b in boxes if b is not None])
    return box.x0, box.y0


def _wrap_to(t, renderer, max_px: float) -> None:
    """Re-wrap a text so its widest line fits max_px (display px); `_changed` unless the text is free."""
    import textwrap

    width = _box(t, renderer).width
    if width <= max_px:
        return
    text = " ".join(t.get_text().split())
    longest = max(len(line) for line in t.get_text().splitlines())
    chars = max(12, int(longest * max_px / width) - 1)
    t.set_text("\n".join(textwrap.wrap(text, width=chars)))
    if not _free(t):
        _changed(t.figure)


def _free(t) -> bool:
    """Whether a text is free: an annotation or label in an axes, or the source line (no draw places it)."""
    return t in (t.axes.texts if t.axes is not None else ()) or t.get_gid() == SOURCE_GID


def _stack_below(fig, legends_below: bool) -> None:
    """Put the legend (phone) and the source line under the axes' labels, left-aligned, never over them.

    No draw first: measuring each axes' tight box places its tick labels, axis labels and titles
    the way a draw does (matplotlib's own steps: `_update_ticks`, `_update_label_position`,
    `_update_title_position`), so the figure counts as drawn afterwards (`_fresh`).
    """
    renderer = fig.canvas.get_renderer()
    source = _source(fig)
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] if legends_below else []
    left, y = _decorations_bottom(fig, renderer, [source, *legends])
    _fresh.add(fig)
    gap = 8 * fig.dpi / 72
    width_px = fig.bbox.width - max(left, 0) - 4
    for leg in legends:
        # in figure fractions: the PNG is drawn again at twice the dpi
        leg.set_bbox_to_anchor((left / fig.bbox.width, (y - gap) / fig.bbox.height), transform=fig.transFigure)
        leg._loc = 2  # upper left at the anchor (a legend is measured where it now is: no draw)
        y = leg.get_window_extent(renderer).y0
    if source is not None:
        # a figure-level text: its place no longer depends on the axes' offsets
        text = source.get_text()
        source.remove()
        src = fig.text(left / fig.bbox.width, (y - gap) / fig.bbox.height, " ".join(text.split()),
                       fontsize=source.get_fontsize(), color=source.get_color(), ha="left", va="top", gid=SOURCE_GID)
        _wrap_to(src, renderer, width_px)


def _legends_to_column(fig, fontsize: float) -> None:
    """Re-create each legend as one column, labels wrapped to the phone's width (placed by _stack_below)."""
    import textwrap

    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is None:
            continue
        labels = [t.get_text() for t in leg.get_texts()]
        own, own_labels = ax.get_legend_handles_labels()
        handles = own if own_labels == labels else leg.legend_handles
        title = leg.get_title().get_text()
        leg.remove()
        ax.legend(handles, ["\n".join(textwrap.wrap(lab, 38)) or lab for lab in labels], title=title or None,
                  loc="upper left", ncol=1, fontsize=fontsize, title_fontsize=fontsize, frameon=False,
                  borderaxespad=0, borderpad=0, handlelength=1.6)
        _changed(fig)


def _thin_ticks(fig, renderer) -> None:
    """Make neighbouring x tick labels stop touching: thin a scale's ticks, fit category names.

    On a numeric or date scale every other tick is dropped (repeatedly): the scale still reads.
    Where each label names a category (bars, string categories: `_names_categories`) dropping a
    tick drops a category - a bar chart of years lost its 2025 label - so those labels are
    wrapped and then turned instead (`_fit_categories`).
    """
    for ax in fig.axes:
        if _names_categories(ax):
            _fit_categories(ax, renderer)
            continue
        for _ in range(4):
            if not _ticks_touch(ax, renderer):
                break
            ax.set_xticks(ax.get_xticks()[::2])
            _changed(fig)


def _ticks_touch(ax, renderer) -> bool:
    """Whether two neighbouring x tick labels of the axes touch (less than 4 px apart).

    Measured without a draw: `get_xticklabels` places and words the tick labels afresh (the axis'
    `_update_ticks`, the step of a draw that places them), and a text's box follows from its own
    place, words and font. A draw here cost 20 to 70 ms, one per thinning or turning step.
    """
    boxes = [_box(t, renderer) for t in ax.get_xticklabels() if t.get_visible() and t.get_text().strip()]
    return any(a.x1 + 4 > b.x0 for a, b in zip(boxes, boxes[1:]))


def _names_categories(ax) -> bool:
    """Whether the x tick labels name categories (each one needed) rather than read off a scale.

    Categories: string x values, or vertical bars (each bar's label names it, whether the x values
    are strings, years or positions labelled by hand). Hand-set labels on a scale without bars
    (month names on a day-of-year axis) still read when thinned, so they are.
    """
    from matplotlib.category import StrCategoryFormatter
    from matplotlib.container import BarContainer

    bars = any(isinstance(c, BarContainer) and getattr(c, "orientation", "vertical") == "vertical"
               for c in ax.containers)
    return bars or isinstance(ax.xaxis.get_major_formatter(), StrCategoryFormatter)


def _fit_categories(ax, renderer) -> None:
    """Keep every category's label: wrap long ones to the space between ticks, else turn them 45 or 90 degrees."""
    import textwrap

    import numpy as np

    if not _ticks_touch(ax, renderer):
        return
    lo, hi = sorted(ax.get_xlim())
    ticks = [x for x in ax.get_xticks() if lo <= x <= hi]
    labels = ax.xaxis.get_major_formatter().format_ticks(ticks)
    px = np.sort(ax.transData.transform([(x, 0) for x in ticks])[:, 0])
    room = (np.diff(px).min() if len(px) > 1 else ax.bbox.width) - 6
    ax.set_xticks(ticks, labels)  # the names become fixed: wrapping or turning them moves no tick
    _changed(ax.figure)
    wrapped = []
    for text, t in zip(labels, ax.get_xticklabels()):  # get_xticklabels places and words them (no draw needed)
        width = _box(t, renderer).width
        chars = max(4, int(len(text) * room / width)) if width > room else len(text)
        wrapped.append("\n".join(textwrap.wrap(text, chars, break_long_words=False)) or text)
    ax.set_xticks(ticks, wrapped)
    _changed(ax.figure)
    if not _ticks_touch(ax, renderer):
        return
    ax.set_xticks(ticks, labels)  # turned, one line each is narrowest
    _changed(ax.figure)
    for angle, ha, va in ((45, "right", "top"), (90, "right", "center")):
        if not _ticks_touch(ax, renderer):
            return
        for t in ax.get_xticklabels():
            t.set(rotation=angle, ha=ha, va=va, rotation_mode="anchor")
        _changed(ax.figure)


def _separate(fig, drop_details: bool = False) -> int:
    """Move labels inside the axes (annotations, event and value labels) until no two texts overlap.

    Fixed: titles, axis and tick labels, legends, the source line. Each movable label is first
    pulled inside its axes, then tried at growing distances above and below its place; the first
    free place wins (a label that finds none stays, and `overlaps` reports it). With `drop_details`,
    a per-point label (gid DETAIL_GID) with no free place near its point is hidden; returns how many.
    """
    from matplotlib.legend import Legend

    renderer = _draw(fig)
    movable = [t for ax in fig.axes for t in ax.texts if t.get_visible() and t.get_text().strip()
               and t.get_gid() not in (SOURCE_GID, SUBTITLE_GID)]
    ids = {id(t) for t in movable}
    legend_texts = {id(t) for leg in fig.findobj(Legend) for t in [*leg.get_texts(), leg.get_title()]}
    placed = [leg.get_window_extent(renderer) for leg in fig.findobj(Legend)]
    placed += [_box(t, renderer) for t in _texts(fig) if id(t) not in ids and id(t) not in legend_texts]

    def hits(box) -> bool:
        return any(min(box.x1, b.x1) - max(box.x0, b.x0) > -2 and min(box.y1, b.y1) - max(box.y0, b.y0) > -2
                   for b in placed)

    marks = data_points(fig)

    def on_data(box) -> bool:
        if not len(marks):
            return False
        r = 3 * fig.dpi / 72
        inside = ((marks[:, 0] > box.x0 - r) & (marks[:, 0] < box.x1 + r)
                  & (marks[:, 1] > box.y0 - r) & (marks[:, 1] < box.y1 + r))
        return bool(inside.any())

    def blocked(box) -> bool:  # labels keep off other texts, and off the plotted lines and markers
        return hits(box) or on_data(box)

    dropped, stuck = 0, []
    for t in sorted(movable, key=lambda t: t.get_gid() == DETAIL_GID):  # article values first, details last
        area = t.axes.get_window_extent(renderer)
        box = _box(t, renderer)
        dx = min(0.0, area.x1 - box.x1) or max(0.0, area.x0 - box.x0)
        if dx:
            shift(t, dx, 0)  # free texts move without a new draw (see _fresh)
            box = _box(t, renderer)
        detail = t.get_gid() == DETAIL_GID
        if blocked(box) or box.y1 > area.y1 + 1:
            step = box.height * 0.5
            for k in range(1, 3 if detail else 13):  # a detail label moved far no longer reads as its point's
                dy = step * ((k + 1) // 2) * (1 if k % 2 else -1)
                moved = box.translated(0, dy)
                if not blocked(moved) and moved.y1 <= area.y1 and moved.y0 >= area.y0:
                    shift(t, 0, dy)
                    box = moved
                    break
            else:
                if not detail:
                    stuck.append((t, box, area, step))
                elif drop_details:
                    t.set_visible(False)
                    dropped += 1
                    continue
        placed.append(box)
    for t, box, area, step in stuck:  # once every other label has its place: beside, if anywhere
        placed.remove(box)
        move = free_place_beside(box, area, step, blocked)
        if move is not None:
            shift(t, *move)
            box = box.translated(*move)
        placed.append(box)
    return dropped


def phone_layout(fig):
    """A copy of the figure laid out for a phone: 4 in wide, text at least 10.5 pt, legend and source below.

    Why these figures: a 4 in figure at 100 px per inch fits a 400 px screen's column, and
    10.5 pt on it shown 340 px wide is 12.4 px, above the 11 CSS px floor (MIN_FONT_PX) that
    tests/test_site_browser.py checks at 400 px. Side-by-side panels are stacked, legends become
    one column below the axes, and per-point detail labels with no free place are left out (the
    source line then says so).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The desktop figure; not changed.

    Returns
    -------
    matplotlib.figure.Figure
        The phone copy.

    Raises
    ------
    TypeError
        When the figure cannot be copied (a lambda formatter, say: use module-level functions).
    """
    import pickle

    try:
        f = pickle.loads(pickle.dumps(fig))
    except Exception as exc:  # noqa: BLE001 - say what to change, not pickle's message alone
        raise TypeError(f"charts.phone_layout: the figure cannot be copied for the phone layout ({exc}); "
                        "use module-level functions for tick formatters") from exc
    _changed(f)
    width, height = f.get_size_inches()
    _keep_whole_ticks(f)
    f.set_size_inches(PHONE_WIDTH_IN, max(3.6, min(4.2, height * 0.85)))
    _panels_to_column(f)
    _legends_to_column(f, PHONE_MIN_PT)
    _clamp_fonts(f, PHONE_MIN_PT, PHONE_MAX_PT)
    f.subplots_adjust(left=0.2, right=0.96, top=0.84, bottom=0.16, wspace=0.15)
    _changed(f)
    renderer = f.canvas.get_renderer()
    _thin_ticks(f, renderer)
    source = _source(f)
    ticks = _tick_labels(f)  # wrapping the other texts moves no tick
    # wrapping needs widths only, and a text's width follows from its words and font (no draw)
    for t in _texts(f):  # titles, subtitles and annotations that no longer fit the narrow figure
        if t is not source and id(t) not in ticks:
            _wrap_to(t, renderer, f.bbox.width * (0.98 if t.axes is None else 0.7))
    for ax in f.axes:
        _fit_title(ax)
    _clear_suptitle(f)
    _stack_below(f, legends_below=True)
    if _separate(f, drop_details=True):
        src = _source(f)
        if src is not None:
            src.set_text(" ".join(src.get_text().split()) + " " + DETAIL_NOTE)
            _wrap_to(src, renderer, f.bbox.width - 8)
    return f


def _keep_whole_ticks(fig) -> None:
    """Scales whose ticks are whole numbers (years, counts) keep whole-number ticks when the figure narrows.

    matplotlib's automatic ticks pick a step for the width: on the 4 in phone figure a year axis
    went 2007.5, 2012.5, ... . Only axes on matplotlib's automatic locator are changed, to the same
    locator with integer steps.
    """
    import numpy as np
    from matplotlib.ticker import AutoLocator, MaxNLocator

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if type(axis.get_major_locator()) is not AutoLocator:
                continue
            lo, hi = sorted(axis.get_view_interval())
            ticks = [t for t in axis.get_majorticklocs() if lo <= t <= hi]
            if len(ticks) >= 2 and np.allclose(ticks, np.round(ticks)):
                axis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True))


def _panels_to_column(fig) -> None:
    """Side-by-side panels (one row, several columns) stacked one above the other, each with its own y labels."""
    from matplotlib.gridspec import GridSpec

    axes = [ax for ax in fig.axes if ax.get_subplotspec() is not None]
    if len(axes) < 2 or axes[0].get_subplotspec().get_gridspec().get_geometry()[0] != 1:
        return
    width, height = fig.get_size_inches()
    fig.set_size_inches(width, 2.9 * len(axes) + 0.6)
    gs = GridSpec(len(axes), 1, figure=fig, hspace=0.55)
    for i, ax in enumerate(axes):
        ax.set_subplotspec(gs[i, 0])
        ax.yaxis.set_tick_params(labelleft=True)
    _changed(fig)


def _clear_suptitle(fig) -> None:
    """Lower the panels until their titles clear the figure's title."""
    sup = getattr(fig, "_suptitle", None)
    if sup is None or not sup.get_text().strip():
        return
    renderer = fig.canvas.get_renderer()
    for _ in range(3):
        _draw(fig)
        top = max(ax.get_tightbbox(renderer).y1 for ax in fig.axes)
        floor = sup.get_window_extent(renderer).y0 - 6
        if top <= floor:
            return
        fig.subplots_adjust(top=fig.subplotpars.top - (top - floor) / fig.bbox.height)
        _changed(fig)


def _box(t, renderer):
    """A text's own box (an annotation's arrow left out: it may cross lines on purpose)."""
    from matplotlib.text import Text

    return Text.get_window_extent(t, renderer)


def _tick_labels(fig) -> set[int]:
    """The ids of the figure's major tick labels (each get_*ticklabels call updates the ticks: ask once)."""
    return {id(t) for ax in fig.axes for t in (*ax.get_xticklabels(), *ax.get_yticklabels())}


def desktop_layout(fig):
    """The figure as drawn, text at least 8.5 pt, x tick labels fitted, the source line below the axis labels.

    8.5 pt at 100 px per inch is 11.8 px at the figure's natural size, above the 11 CSS px floor
    (MIN_FONT_PX) that tests/test_site_browser.py checks. Crowded ticks on a numeric or date axis
    are thinned; category names (bars) are all kept, wrapped or turned (`_thin_ticks`). Labels are
    moved apart so no two texts overlap, and a legend that covers a label is moved to the free
    corner or side of its axes (`_free_legends`).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, changed in place.

    Returns
    -------
    matplotlib.figure.Figure
        The same figure.
    """
    _changed(fig)  # the caller may have changed it since any earlier draw
    _clamp_fonts(fig, DESKTOP_MIN_PT)
    _thin_ticks(fig, fig.canvas.get_renderer())
    _stack_below(fig, legends_below=False)
    _separate(fig)
    if _free_legends(fig):
        _separate(fig)
    return fig


LEGEND_PLACES = ("upper left", "upper right", "lower right", "lower left", "center left", "center right",
                 "upper center", "lower center")


def _free_legends(fig) -> bool:
    """Move each in-axes legend that covers another text to the place that covers none and the least data.

    Returns whether a legend moved. Legends anchored outside their axes (bbox_to_anchor) stay.
    """
    from matplotlib.legend import Legend

    renderer = fig.canvas.get_renderer()
    moved = False
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is None or leg._bbox_to_anchor is not None:  # placed outside on purpose
            continue
        _draw(fig)
        own = {id(t) for l in fig.findobj(Legend) for t in [*l.get_texts(), l.get_title()]}
        others = [_box(t, renderer) for t in _texts(fig) if id(t) not in own]
        marks = data_points(fig)

        def cost(box) -> tuple[int, int]:
            texts = sum(min(box.x1, b.x1) - max(box.x0, b.x0) > -2 and min(box.y1, b.y1) - max(box.y0, b.y0) > -2
                        for b in others)
            data = int(((marks[:, 0] > box.x0) & (marks[:, 0] < box.x1)
                        & (marks[:, 1] > box.y0) & (marks[:, 1] < box.y1)).sum()) if len(marks) else 0
            return texts, data

        if cost(leg.get_window_extent(renderer))[0] == 0:
            continue
        start = leg._loc
        best = None
        for place in LEGEND_PLACES:
            # a legend at a fixed place measures where it will be drawn without a draw (its offset is
            # computed from its place and its axes' box), and moving it moves nothing else
            leg.set_loc(place)
            c = cost(leg.get_window_extent(renderer))
            if best is None or c < best[0]:
                best = (c, place)
        leg.set_loc(best[1])
        moved = moved or leg._loc != start
    return moved


def overlaps(fig) -> list[str]:
    """Pairs of texts whose boxes overlap, and texts outside the saved image; [] when the layout is clean.

    Tick labels, titles, legends, annotations and the source line are all compared; a legend counts as
    one box (its own texts sit inside it). `helpers.plots.output.png_bytes` records the result in
    each PNG, where the site's browser test reads it, so an unreadable chart fails a test instead
    of shipping.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, as it will be drawn.

    Returns
    -------
    list of str
        One ``'text a' overlaps 'text b'`` per overlapping pair (texts cut to 40 characters; a
        legend named ``'legend'``); boxes within 1 px count as overlapping.
    """
    _changed(fig)  # the caller may have changed it since any earlier draw
    return _overlaps(fig)


def _overlaps(fig) -> list[str]:
    """`overlaps`, measured on the last layout draw when no step changed the figure since (`_draw`)."""
    from matplotlib.legend import Legend

    renderer = _draw(fig)
    legend_texts = set()
    boxes = []
    for leg in fig.findobj(Legend):
        legend_texts.update(id(t) for t in leg.get_texts())
        legend_texts.add(id(leg.get_title()))
        boxes.append(("legend", leg.get_window_extent(renderer)))
    for t in _texts(fig):
        if id(t) in legend_texts:
            continue
        boxes.append((" ".join(t.get_text().split())[:40], _box(t, renderer)))
    out = []
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1:]:
            w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if w > -1 and h > -1:
                out.append(f"{a!r} overlaps {b!r}")
    return out
