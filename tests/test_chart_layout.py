"""Desktop chart layout: crowded year ticks are thinned to the panel's width."""
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

