"""Chart layout: crowded ticks on a scale are thinned; category labels (bars) are all kept, wrapped or turned.

The category tests failed before the fix (the 6-bar chart showed 2020, 2022, 2024 and lost 2025).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from helpers.plots import theme


def test_crowded_year_ticks_are_thinned_on_a_narrow_panel():
    fig, axes = theme.figure(1, 2)
    for ax in axes:
        years = list(range(2009, 2027))
        ax.plot(years, [y % 7 for y in years])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    theme.source_line(fig, "test")
    before = [o for o in theme.overlaps(fig) if o.startswith("'20")]
    assert before, "the fixture no longer crowds its year labels: nothing is checked"
    theme.desktop_layout(fig)
    assert theme.overlaps(fig) == []
    plt.close(fig)



def _shown_labels(ax) -> list[str]:
    fig = ax.figure
    fig.draw_without_rendering()
    lo, hi = sorted(ax.get_xlim())
    return [" ".join(t.get_text().split()) for tick, t in zip(ax.get_xticks(), ax.get_xticklabels())
            if lo <= tick <= hi and t.get_visible() and t.get_text().strip()]


def _year_bars(figsize):
    fig, ax = theme.figure(figsize=figsize)
    years = ["2020", "2021", "2022", "2023", "2024", "2025 (first half, derived)"]
    ax.bar(years, [1, 2, 3, 4, 5, 6])
    theme.source_line(fig, "test")
    return fig, ax, years


def test_bar_chart_keeps_every_category_label_when_one_label_is_long():
    """A reviewer's find: thinning dropped every other bar's label, and with it the 2025 bar's."""
    fig, ax, years = _year_bars((6, 4))
    assert [o for o in theme.overlaps(fig) if "2025" in o], "the fixture no longer crowds its labels"
    phone = theme.phone_layout(fig)
    theme.desktop_layout(fig)
    for f in (fig, phone):
        assert _shown_labels(f.axes[0]) == years
        assert theme.overlaps(f) == []
        plt.close(f)


def test_twelve_year_bars_keep_every_label_on_the_phone():
    fig, ax = theme.figure()
    years = [str(y) for y in range(2014, 2026)]
    ax.bar(years, range(12))
    phone = theme.phone_layout(fig)
    assert _shown_labels(phone.axes[0]) == years
    assert theme.overlaps(phone) == []
    plt.close(fig)
    plt.close(phone)


def test_bars_labelled_by_hand_keep_every_label():
    """Bars at positions named by ax.set_xticks(ticks, labels), as split_chart draws them."""
    fig, ax = theme.figure(figsize=(4, 3))
    names = [f"Segment number {i}" for i in range(6)]
    ax.bar(range(6), range(6))
    ax.set_xticks(range(6), names)
    theme.desktop_layout(fig)
    assert _shown_labels(ax) == names
    assert theme.overlaps(fig) == []
    plt.close(fig)


def test_a_year_scale_keeps_whole_years_on_the_phone():
    """The quota chart's year axis read 2007.5, 2012.5, ... on the phone: matplotlib picked a 2.5 step for 4 in."""
    from helpers import models

    history = models.quota_history("mining", 2010, None)
    fig = models.plot_quota_fits(history, models.quota_series(history), "mining", 0.9, "fixed")
    assert all(float(t).is_integer() for t in fig.axes[0].get_xticks())  # whole years on the desktop
    phone = theme.phone_layout(fig)
    shown = _shown_labels(phone.axes[0])
    assert len(shown) >= 3 and all(label.isdigit() for label in shown), shown
    plt.close(fig)
    plt.close(phone)


def test_scales_without_bars_are_still_thinned():
    """A line over years, and month names set by hand on a day-of-year scale, are thinned as before."""
    fig, axes = theme.figure(1, 2)
    years = list(range(2009, 2027))
    axes[0].plot(years, [y % 7 for y in years])
    axes[0].set_xticks(years)
    axes[1].scatter([10, 200], [1, 2])
    months = [f"{m} month" for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")]
    axes[1].set_xticks(range(0, 360, 30), months)
    theme.desktop_layout(fig)
    assert len(_shown_labels(axes[0])) < len(years)
    assert 1 < len(_shown_labels(axes[1])) < len(months)
    plt.close(fig)


# --------------------------------------------------------------------------- speed (issue 14)
# The layout draws a figure only when a step changed what a draw places (helpers.plots.layout._draw),
# png_bytes draws the image once and crops it itself, and a sweep point's kernel draws no image.
# The tests below hold each shortcut to what the long way gives.

import io  # noqa: E402

import pytest  # noqa: E402
from matplotlib.legend import Legend  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402
from PIL import Image  # noqa: E402

from conftest import count_figure_draws  # noqa: E402

from helpers.plots import figures, layout, output  # noqa: E402


def _crowded_legend_chart():
    """Two panels (stacked on the phone), a legend over an annotation, value labels that collide."""
    fig, axes = theme.figure(1, 2)
    years = list(range(2009, 2027))
    for i, ax in enumerate(axes):
        ax.plot(years, [(y % 7) + i for y in years], label="A long series name that needs room")
        ax.plot(years, [(y % 5) + 1 for y in years], label="Another series")
        ax.legend(loc="upper left")
        ax.annotate("A note under the legend", (2010, 6), fontsize=9)
        for y in (2012, 2013):
            theme.annotate_value(ax, y, (y % 7) + i, f"value {y}")
        ax.set_xticks(years)
    theme.titles(axes[0], "Two panels", "Count", subtitle="A subtitle long enough to be wrapped on a phone screen")
    theme.source_line(fig, "Source: a test fixture with a source line long enough to wrap on the phone layout")
    return fig


def _category_bars():
    """Long category names under bars, with an axis label: wrapping and turning them moves the label down."""
    fig, ax = theme.figure(figsize=(7, 4))
    names = [f"Category with a long name {i}" for i in range(7)]
    ax.bar(names, range(1, 8))
    theme.titles(ax, "Categories", "Count", xlabel="Category")
    theme.source_line(fig, "Source: a test fixture")
    return fig


CHARTS = {
    "categories": _category_bars,
    "quota": lambda: figures.quota_chart(["mining", "smelting"], 2010, 2019, "Quotas", label_growth=True),
    "monthly": lambda: figures.monthly_chart("magnets", "World", "2024-01", "2025-12", "Magnet exports"),
    "notices": lambda: figures.notice_timing_chart("second_batch", range(2018, 2025), "Notices", highlight=2019)[0],
    "bars": lambda: _year_bars((6, 4))[0],
    "legend": _crowded_legend_chart,
}


def _state(fig):
    """What the layout decided, measured as png_bytes measures it: each text (but a legend's own, which
    the legend's draw places) with its box, size and angle; legend boxes, x ticks, axes, overlaps."""
    renderer = layout._draw(fig)
    own = {id(t) for leg in fig.findobj(Legend) for t in [*leg.get_texts(), leg.get_title()]}
    texts = sorted((" ".join(t.get_text().split()), tuple(round(v, 1) for v in layout._box(t, renderer).extents),
                    t.get_fontsize(), t.get_rotation()) for t in layout._texts(fig) if id(t) not in own)
    legends = [tuple(round(v, 1) for v in leg.get_window_extent(renderer).extents) for leg in fig.findobj(Legend)]
    return {"texts": texts, "legends": legends, "size": tuple(fig.get_size_inches()),
            "ticks": [list(ax.get_xticks()) for ax in fig.axes],
            "axes": [tuple(round(v, 4) for v in ax.get_position().extents) for ax in fig.axes],
            "overlaps": layout._overlaps(fig)}


def _laid_out(make):
    fig = make()
    phone = theme.phone_layout(fig)
    theme.desktop_layout(fig)
    states = {"phone": _state(phone), "desktop": _state(fig)}
    plt.close(phone)
    plt.close(fig)
    return states


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_skipping_redundant_draws_changes_no_layout_decision(name, monkeypatch):
    """Laid out with a draw before every measurement (the old way), each chart ends the same.

    Every step's draw, and a draw before measuring any text box after a step changed what a draw
    places (tick labels when thinning or turning them, titles when wrapping them), and before the
    source line and legends are stacked below the axes: the layout measures those without a draw."""
    fast = _laid_out(CHARTS[name])

    def always(fig):
        fig.draw_without_rendering()
        return fig.canvas.get_renderer()

    real_box = layout._box

    def drawn_box(t, renderer):
        if t.figure not in layout._fresh:  # `always` leaves it out: a step's draw is followed by one more
            t.figure.draw_without_rendering()
            layout._fresh.add(t.figure)
        return real_box(t, t.figure.canvas.get_renderer())

    real_bottom = layout._decorations_bottom

    def drawn_bottom(fig, renderer, skip):  # the source line and legends went below a fresh draw
        fig.draw_without_rendering()
        return real_bottom(fig, fig.canvas.get_renderer(), skip)

    monkeypatch.setattr(layout, "_draw", always)
    monkeypatch.setattr(layout, "_box", drawn_box)
    monkeypatch.setattr(layout, "_decorations_bottom", drawn_bottom)
    slow = _laid_out(CHARTS[name])
    assert fast["phone"]["texts"], "nothing measured"
    for which in ("phone", "desktop"):
        for key in slow[which]:
            assert fast[which][key] == slow[which][key], f"{name}, {which} layout: {key} differs"


def test_the_png_is_drawn_once_after_the_layout_and_cropped_like_matplotlibs_tight_box(monkeypatch):
    fig = CHARTS["legend"]()
    theme.desktop_layout(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=layout.DPI * layout.SCALE, bbox_inches="tight", pad_inches=output.PAD_INCHES)
    with Image.open(buf) as im:
        tight = im.size
    theme.desktop_layout(fig)  # the state show() leaves for the PNG
    draws = count_figure_draws(monkeypatch)
    png = output._png(fig)
    assert len(draws) == 1, f"{len(draws)} draws for one image after its layout (matplotlib's tight box: 2 more)"
    with Image.open(io.BytesIO(png)) as im:
        size = im.size
        meta = dict(im.text)
        pixels = im.convert("RGB")
    # the crop follows the ink, matplotlib's follows text boxes: a few pixels either way, never clipped
    assert all(abs(a - b) <= 16 for a, b in zip(size, tight)), (size, tight)
    pad = round(output.PAD_INCHES * layout.DPI * layout.SCALE) - 1
    w, h = size
    for box in ((0, 0, w, pad), (0, h - pad, w, h), (0, 0, pad, h), (w - pad, 0, w, h)):
        assert pixels.crop(box).getextrema() == ((255, 255),) * 3, f"ink in the margin {box}: the image is clipped"
    assert meta[output.META_OVERLAPS] == "" and float(meta[output.META_MIN_FONT]) >= 2 * layout.MIN_FONT_PX
    plt.close(fig)


@pytest.mark.parametrize("fault", ["margin", "canvas size"])
def test_the_png_falls_back_to_matplotlibs_crop_rather_than_clip(fault, monkeypatch):
    """A measured box too small for the 2x text, or a canvas sized unlike Agg's, still gives the whole chart."""
    fig = CHARTS["legend"]()
    theme.desktop_layout(fig)
    with Image.open(io.BytesIO(output.png_bytes(fig))) as im:
        good = im.size
    if fault == "margin":
        monkeypatch.setattr(output, "MARGIN_INCHES", -0.5)  # the box cuts through the chart
    else:
        monkeypatch.setattr(output, "_canvas_size", lambda box, dpi: (7, 7))
    with Image.open(io.BytesIO(output.png_bytes(fig))) as im:
        if fault == "margin":  # matplotlib's own crop: text boxes, not ink
            assert all(abs(a - b) <= 16 for a, b in zip(im.size, good)), (im.size, good)
        else:  # the same pixels, read back from a PNG
            assert im.size == good
    plt.close(fig)


def test_a_sweep_points_chart_is_drawn_but_not_rasterised(monkeypatch):
    """No page shows a sweep point's figures: text only, with the alt text; chart errors still fail the point."""
    from nbreport.execution import worker

    assert output.SWEEP_ENV == worker.SWEEP_ENV, "the builder sets one variable, the charts read another"
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append((obj, kw)))
    monkeypatch.setenv(output.SWEEP_ENV, "quota-sweep")
    fig = CHARTS["quota"]()
    draws = count_figure_draws(monkeypatch)
    theme.show(fig, alt="Quotas by year")
    assert len(draws) == 1 and not plt.fignum_exists(fig.number)
    (obj, kw), = shown
    assert obj == {"text/plain": "<Figure: Quotas by year>"}
    assert kw["metadata"]["text/plain"] == {"alt": "Quotas by year", "sweep": "quota-sweep", "note": output.SWEEP_NOTE}

    def broken(value, pos):
        raise ZeroDivisionError("a formatter that fails")

    fig, ax = theme.figure()
    ax.plot([1, 2], [3, 4])
    ax.xaxis.set_major_formatter(FuncFormatter(broken))
    with pytest.raises(ZeroDivisionError):
        theme.show(fig, alt="A broken chart")
    assert not plt.fignum_exists(fig.number)
    with pytest.raises(ValueError, match="alt text"):
        theme.show(CHARTS["bars"](), alt=" ")

    monkeypatch.delenv(output.SWEEP_ENV)  # a site run: both images
    theme.show(CHARTS["bars"](), alt="Bars")
    obj, kw = shown[-1]
    assert "image/png" in obj and kw["metadata"]["image/png"]["phone"]["png"]


def test_a_label_with_no_free_place_above_or_below_goes_beside_off_the_line():
    """A label on a dense line whose column is full from bottom to top is moved sideways, onto a free
    place, with its connector kept (the phone rebound chart's trough label stayed on the line)."""
    import numpy as np

    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ys = np.tile([0.0, 10.0], 20)
    ax.plot(np.linspace(4.6, 5.4, len(ys)), ys, color="k")  # a column of zigzags, top to bottom
    ax.plot([0, 10], [-1, -1], color="k")  # the axes span x 0-10
    ax.set_xlim(0, 10)
    ax.set_ylim(-1, 11)
    theme.annotate_value(ax, 5.0, 5.0, "trough: 77% below\nthe counterfactual", offset=(0, 0))
    (label,) = [t for t in ax.texts if t.get_text().startswith("trough")]
    layout._separate(fig)
    renderer = layout._draw(fig)
    box = layout._box(label, renderer)
    from helpers.plots.placement import data_points

    marks = data_points(fig)
    inside = ((marks[:, 0] > box.x0) & (marks[:, 0] < box.x1) & (marks[:, 1] > box.y0) & (marks[:, 1] < box.y1))
    assert not inside.any(), "the label was left on the plotted line"
    area = ax.get_window_extent(renderer)
    assert area.x0 <= box.x0 and box.x1 <= area.x1 and area.y0 <= box.y0 and box.y1 <= area.y1
    plt.close(fig)
