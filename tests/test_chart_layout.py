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
