"""The chart image cache (helpers.plots.chart_cache): one key for one chart, a new key for any change
that decides the image, a hit that shows what a fresh render shows, and no entry shown that does
not check out.

Every test here points the cache at its own folder (REPORT_CACHE_DIR), never the repository's.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from conftest import REPO, count_figure_draws, make_project, run_report
from helpers.plots import chart_cache, output, theme


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    """A private cache folder, the cache switched on, and display() captured."""
    monkeypatch.setenv(chart_cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(chart_cache.SWITCH_ENV, raising=False)
    monkeypatch.delenv(output.SWEEP_ENV, raising=False)
    return tmp_path / "cache" / "charts"


@pytest.fixture
def shown(monkeypatch):
    calls = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: calls.append((obj, kw)))
    return calls


def chart(values=(3, 5, 4), color="#1f77b4", title="Quotas by year"):
    """A small chart in the house style: bars by year, a title, an annotation and a source line."""
    fig, ax = theme.figure()
    years = [str(y) for y in range(2020, 2020 + len(values))]
    ax.bar(years, values, color=color)
    ax.set_title(title)
    ax.annotate("peak", (1, max(values)))
    theme.source_line(fig, "Source: test")
    return fig


# --------------------------------------------------------------------------- the key

KEYS_SCRIPT = textwrap.dedent("""
    import json
    import pandas as pd
    from helpers import articles, charts, figures
    from helpers.plots import chart_cache
    charts.set_theme()
    figs = [figures.quota_chart(["mining", "smelting"], 2010, 2019, "Quotas", label_growth=True,
                                annotate={(2019, articles.stated("caixin_2019_quota_rise__mining_quota_2019")):
                                          "Caixin"}),
            figures.notice_timing_chart("second_batch", range(2018, 2025), "Notices", highlight=2019)[0],
            figures.monthly_chart("rare_earths", "World", "2018-05", "2020-05", "Exports")]
    print(json.dumps([chart_cache.key(f) for f in figs]))
""")


def test_the_same_charts_in_two_processes_with_different_hash_seeds_have_the_same_keys():
    """The collection's own charts (quotas with annotations, a date dot chart, monthly exports), built
    in two fresh interpreters: TransformNode pickles id()s, which differ per process."""
    keys = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-c", KEYS_SCRIPT], capture_output=True, text=True, env=env,
                              cwd=str(REPO), timeout=120)
        assert proc.returncode == 0, proc.stderr
        keys.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert all(keys[0]) and len(set(keys[0])) == 3, keys
    assert keys[0] == keys[1]


def test_a_key_leaves_the_figure_as_it_was():
    """CallbackRegistry.__getstate__ takes a callback id: without putting it back, each key differed."""
    fig = chart()
    before = fig.canvas.callbacks.__getstate__()["_cid_gen"]  # this read takes one id too
    first, second = chart_cache.key(fig), chart_cache.key(fig)
    assert first == second
    assert fig.canvas.callbacks.__getstate__()["_cid_gen"] == before + 1
    plt.close(fig)


def date_chart(interval=3):
    import datetime as dt

    import matplotlib.dates as mdates

    fig, ax = theme.figure()
    ax.plot([dt.date(2019, 1, 1), dt.date(2020, 6, 1)], [1, 2])
    ax.xaxis.set_major_locator(mdates.MonthLocator(interval=interval))
    return fig


def test_a_date_chart_made_a_second_later_has_the_same_key():
    """A date locator's rule made without a start starts at the second it was made (dateutil): two
    builds of the export-rebound charts had different keys. Its arguments still count."""
    import time

    first = chart_cache.key(date_chart())
    time.sleep(1.05)
    assert chart_cache.key(date_chart()) == first
    assert chart_cache.key(date_chart(interval=2)) != first
    plt.close("all")


@pytest.mark.parametrize("change", ["data", "colour", "title", "rcParam", "source", "constant", "font", "version"])
def test_what_decides_the_image_decides_the_key(change, monkeypatch):
    base = chart_cache.key(chart())
    assert base
    if change == "data":
        fig = chart(values=(3, 5, 5))
    elif change == "colour":
        fig = chart(color="#d62728")
    elif change == "title":
        fig = chart(title="Quotas by the year")
    else:
        fig = chart()
        if change == "rcParam":  # read at draw time, not stored in the figure
            monkeypatch.setitem(matplotlib.rcParams, "axes.unicode_minus", not matplotlib.rcParams["axes.unicode_minus"])
        elif change == "source":
            monkeypatch.setattr(chart_cache, "SOURCE_DIGEST", "0" * 64)
        elif change == "constant":
            monkeypatch.setattr(output, "PNG_LEVEL", output.PNG_LEVEL + 1)
        elif change == "font":
            from matplotlib import font_manager

            fm = font_manager.fontManager
            monkeypatch.setattr(fm, "ttflist", fm.ttflist[1:])
        elif change == "version":
            monkeypatch.setattr(chart_cache, "_VERSIONS", "matplotlib 0.0")
    assert chart_cache.key(fig) not in (None, base)
    plt.close("all")


def _props(f):
    return (f.name, f.style, f.variant, str(f.weight), str(f.stretch), str(f.size))


def test_the_font_order_counts_only_where_it_picks_the_font(monkeypatch):
    """matplotlib lists the fonts it finds in a set's order (a new order with each fresh font cache):
    the key follows the font matplotlib picks, not the list's order. Of two alike fonts it picks the
    first listed; the other is never drawn."""
    import dataclasses

    from matplotlib import font_manager

    fm = font_manager.fontManager
    fonts = list(fm.ttflist)
    twin = dataclasses.replace(fonts[0], fname="/elsewhere/" + Path(fonts[0].fname).name)
    fig = chart()
    base = chart_cache.key(fig)
    monkeypatch.setattr(fm, "ttflist", fonts + [twin])  # the twin is never picked
    assert chart_cache.key(fig) == base
    monkeypatch.setattr(fm, "ttflist", [fonts[0], twin] + fonts[1:][::-1])  # another order, the same picks
    assert chart_cache.key(fig) == base
    monkeypatch.setattr(fm, "ttflist", [twin] + fonts)  # the twin is picked
    assert chart_cache.key(fig) != base
    plt.close(fig)


def test_fonts_are_listed_in_a_fixed_order_with_matplotlibs_own_first(monkeypatch):
    """Which of two alike fonts (matplotlib's DejaVu Sans, the system's) a chart is drawn with must
    not depend on the process that wrote the font cache: any order of the list becomes one order,
    matplotlib's own fonts first."""
    import dataclasses

    from matplotlib import font_manager

    fm = font_manager.fontManager
    some = fm.ttflist[0]
    name = Path(some.fname).name
    mine = dataclasses.replace(some, fname=str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name))
    system = dataclasses.replace(some, fname="/usr/share/fonts/truetype/" + name)
    fonts = [system, *fm.ttflist, mine]
    monkeypatch.setattr(fm, "ttflist", list(fonts))
    output._fonts_in_a_fixed_order()
    fixed = list(fm.ttflist)
    assert fixed.index(mine) < fixed.index(system)
    monkeypatch.setattr(fm, "ttflist", fonts[::-1])
    output._fonts_in_a_fixed_order()
    assert fm.ttflist == fixed


def test_the_source_digest_covers_every_plots_module():
    names = {p.name for p in (REPO / "src" / "helpers" / "plots").glob("*.py")}
    assert {"layout.py", "output.py", "chart_cache.py", "theme.py"} <= names
    import hashlib

    h = hashlib.sha256()
    for path in sorted((REPO / "src" / "helpers" / "plots").glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    assert chart_cache.SOURCE_DIGEST == h.hexdigest()


def test_the_constants_in_the_key_include_the_layouts_and_the_outputs():
    text = chart_cache._constants()
    for module, name in (("layout", "DPI"), ("layout", "SCALE"), ("layout", "MIN_FONT_PX"),
                         ("output", "PNG_LEVEL"), ("output", "PAD_INCHES"), ("layout", "PHONE_MIN_PT")):
        assert f"'helpers.plots.{module}', '{name}'" in text, name


# --------------------------------------------------------------------------- hits and misses

def payloads(shown) -> list:
    return [(obj, kw) for obj, kw in shown]


def test_a_hit_shows_exactly_what_a_fresh_render_shows_without_drawing(shown, cache_dir, monkeypatch):
    monkeypatch.setenv(chart_cache.SWITCH_ENV, "0")
    theme.show(chart(), alt="Bars by year")  # the cache off: a fresh render, nothing stored
    assert not cache_dir.exists()
    monkeypatch.delenv(chart_cache.SWITCH_ENV)
    theme.show(chart(), alt="Bars by year")  # a miss: drawn and stored
    assert len(list(cache_dir.glob("*.chart"))) == 1
    draws = count_figure_draws(monkeypatch)
    fig = chart()
    theme.show(fig, alt="Bars by year")  # a hit
    assert draws == [] and not plt.fignum_exists(fig.number)
    fresh, missed, hit = payloads(shown)
    assert fresh == missed == hit
    meta = hit[1]["metadata"]["image/png"]
    assert meta["alt"] == "Bars by year" and meta["phone"]["max_viewport"] > 0 and meta["phone"]["png"]


def test_the_alt_text_is_not_cached(shown):
    theme.show(chart(), alt="First words")
    theme.show(chart(), alt="Other words")
    assert [obj["text/plain"] for obj, _ in shown] == ["<Figure: First words>", "<Figure: Other words>"]
    assert [kw["metadata"]["image/png"]["alt"] for _, kw in shown] == ["First words", "Other words"]
    assert shown[0][0]["image/png"] == shown[1][0]["image/png"]


@pytest.mark.parametrize("damage", ["truncated", "flipped byte", "empty", "not an entry", "lengths"])
def test_a_damaged_entry_is_a_miss_and_is_replaced(damage, shown, cache_dir, monkeypatch):
    theme.show(chart(), alt="Bars")
    entry, = cache_dir.glob("*.chart")
    good = entry.read_bytes()
    raw = bytearray(good)
    if damage == "truncated":
        raw = raw[:len(raw) - 100]
    elif damage == "flipped byte":
        raw[-200] ^= 0xFF  # inside the phone PNG's pixels
    elif damage == "empty":
        raw = b""
    elif damage == "not an entry":
        raw = b"\x89PNG\r\n\x1a\n" + bytes(raw[100:])
    elif damage == "lengths":  # a checksum that matches a body whose lengths do not add up
        import hashlib
        import struct

        body = struct.pack(">II", 10, 10) + bytes(raw[len(chart_cache.MAGIC) + 32 + 8:])
        raw = chart_cache.MAGIC + hashlib.sha256(body).digest() + body
    entry.write_bytes(bytes(raw))
    key = entry.name.removesuffix(chart_cache.SUFFIX)
    assert chart_cache.load(key) is None
    draws = count_figure_draws(monkeypatch)
    theme.show(chart(), alt="Bars")
    assert draws, "a damaged entry was shown instead of a fresh render"
    assert shown[0] == shown[1]
    assert entry.read_bytes() == good and chart_cache.load(key) is not None


def test_a_figure_that_cannot_be_pickled_is_not_cached_and_fails_as_before(shown, cache_dir):
    fig = chart()
    fig.axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, pos: f"{v:g} t"))
    assert chart_cache.key(fig) is None
    with pytest.raises(TypeError, match="cannot be copied for the phone layout"):
        theme.show(fig, alt="Bars")
    assert not cache_dir.exists()
    plt.close("all")


def test_a_figure_the_key_cannot_pickle_is_drawn_uncached(shown, cache_dir, monkeypatch):
    """Whatever the key's pickler trips on, the chart is shown, drawn afresh, and nothing is stored."""
    def trips(self, obj):
        raise RuntimeError("the key's pickler cannot take this")

    theme.show(chart(), alt="Bars")  # the reference: what a render shows
    for entry in cache_dir.glob("*.chart"):
        entry.unlink()
    monkeypatch.setattr(chart_cache._KeyPickler, "reducer_override", trips)
    fig = chart()
    assert chart_cache.key(fig) is None
    theme.show(fig, alt="Bars")
    assert shown[0] == shown[1]
    assert list(cache_dir.glob("*.chart")) == []


def test_a_text_drawn_by_tex_is_not_cached():
    """TeX is an outside program (its version and fonts are not in the key): such a figure is drawn afresh."""
    fig = chart()
    assert chart_cache.key(fig)
    fig.axes[0].set_xlabel("year", usetex=True)
    assert chart_cache.key(fig) is None
    plt.close(fig)


def test_no_cache_folder_at_all_shows_the_chart_all_the_same(shown, monkeypatch):
    """Outside a build the folder comes from helpers.paths, which raises when it finds no repository."""
    def nowhere():
        raise RuntimeError("cannot find the repository root")

    monkeypatch.setattr(chart_cache, "folder", nowhere)
    theme.show(chart(), alt="Bars")
    theme.show(chart(), alt="Bars")
    assert len(shown) == 2 and shown[0] == shown[1]


def test_a_cache_folder_that_cannot_be_written_shows_the_chart_all_the_same(shown, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(chart_cache.CACHE_ENV, str(blocker))
    theme.show(chart(), alt="Bars")
    assert shown and "image/png" in shown[0][0]


def test_sweep_points_draw_no_images_and_store_nothing(shown, cache_dir, monkeypatch):
    monkeypatch.setenv(output.SWEEP_ENV, "a-sweep")
    theme.show(chart(), alt="Bars")
    assert shown[0][0] == {"text/plain": "<Figure: Bars>"}
    assert not cache_dir.exists()


# --------------------------------------------------------------------------- writing, racing, pruning

RACE_SCRIPT = textwrap.dedent("""
    import sys
    from helpers.plots import chart_cache
    key, tag, n = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
    png = b"\\x89PNG\\r\\n\\x1a\\n"
    for i in range(n):
        assert chart_cache.store(key, png + tag * 200_000, png + tag * 100_000)
""")


def test_two_processes_storing_one_key_leave_a_whole_entry_at_every_moment(cache_dir):
    """Two writers race on one key while this process reads: once an entry exists, every read is a
    whole entry from one writer or the other (a write in place shows a part-written file as a miss)."""
    key = "ab" * 32
    png = b"\x89PNG\r\n\x1a\n"
    whole = {(png + tag * 200_000, png + tag * 100_000) for tag in (b"A", b"B")}
    chart_cache.store(key, *sorted(whole)[0])
    env = {**os.environ}
    procs = [subprocess.Popen([sys.executable, "-c", RACE_SCRIPT, key, tag, "60"], env=env, cwd=str(REPO),
                              stderr=subprocess.PIPE, text=True) for tag in ("A", "B")]
    reads, misses = 0, 0
    while any(p.poll() is None for p in procs):
        got = chart_cache.load(key)
        reads += 1
        if got is None:
            misses += 1
        else:
            assert got in whole
    for p in procs:
        assert p.wait() == 0, p.stderr.read()
    assert reads > 20, "the writers finished before the reader could look: nothing was raced"
    assert misses == 0, f"{misses} of {reads} reads found a part-written entry"
    assert chart_cache.load(key) in whole
    assert not list(cache_dir.glob("*.tmp")), "a writer left its temporary file"


def test_the_cache_keeps_the_most_recently_used_entries(cache_dir, monkeypatch):
    monkeypatch.setattr(chart_cache, "MAX_ENTRIES", 3)
    png = b"\x89PNG\r\n\x1a\n"
    keys = [f"{i:064x}" for i in range(5)]
    for i, k in enumerate(keys):
        chart_cache.store(k, png + b"d", png + b"p")
        os.utime(cache_dir / f"{k}.chart", (1000 + i, 1000 + i))  # stored one after the other
    # five stored, three kept: the last three
    assert sorted(p.stem for p in cache_dir.glob("*.chart")) == keys[2:]
    assert chart_cache.load(keys[2]) is not None  # a hit: now the most recently used
    chart_cache.store("f" * 64, png + b"d", png + b"p")
    assert sorted(p.stem for p in cache_dir.glob("*.chart")) == sorted([keys[2], keys[4], "f" * 64])


def test_a_dead_writers_temporary_file_is_removed(cache_dir):
    cache_dir.mkdir(parents=True)
    old, new = cache_dir / ".dead-1.tmp", cache_dir / ".live-2.tmp"
    for f in (old, new):
        f.write_bytes(b"part of an entry")
    os.utime(old, (1000, 1000))
    chart_cache.prune(cache_dir)
    assert not old.exists() and new.exists()


def test_outside_a_build_the_cache_is_under_the_repositorys_build_folder(monkeypatch):
    from helpers.paths import BUILD

    monkeypatch.delenv(chart_cache.CACHE_ENV)
    assert chart_cache.folder() == BUILD / "cache" / "collection" / "charts"


def test_the_builder_gives_kernels_a_cache_folder_inside_the_build(tmp_path):
    from nbreport.config import CACHE_ENV, worker_env

    env = worker_env(tmp_path / "root", tmp_path / "build")
    assert env[CACHE_ENV] == str(tmp_path / "build" / "cache" / "collection")
    assert CACHE_ENV == chart_cache.CACHE_ENV


@pytest.mark.notebook
def test_a_builds_kernels_write_the_cache_inside_the_build(tmp_path):
    """A build's kernel shows a chart twice: the write guard lets it store the entry in the build's own
    cache folder (a cold build, with an empty build folder, starts with an empty cache)."""
    cells = ["from helpers.plots import chart_cache, theme\n"
             "import os\n"
             "def bars():\n"
             "    fig, ax = theme.figure()\n"
             "    ax.bar(['2020', '2021'], [1, 2])\n"
             "    return fig\n"
             "theme.show(bars(), alt='Two bars')\n"
             "theme.show(bars(), alt='Two bars')\n"
             "print(sorted(os.listdir(chart_cache.folder())))"]
    root = make_project(tmp_path / "proj", {"models/bars.ipynb": cells},
                        "notebooks:\n  - {path: models/bars.ipynb, kind: model, title: Bars, runs: [{id: bars}]}\n")
    build = tmp_path / "elsewhere" / "build"
    proc = run_report(root, "--build-dir", str(build), env={chart_cache.CACHE_ENV: ""})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    state = json.loads((build / "state.json").read_text())
    assert state["runs"]["bars"]["status"] == "ok", state["runs"]["bars"]
    entries = list((build / "cache" / "collection" / "charts").glob("*.chart"))
    assert len(entries) == 1
    nb = json.loads((build / "notebooks" / "bars.ipynb").read_text())
    printed = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []) if o.get("name") == "stdout")
    assert entries[0].name in printed
    images = [o for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 2 and images[0]["data"] == images[1]["data"]
    assert not (root / "build" / "cache" / "collection").exists()


def test_threads_storing_one_key_never_fail(cache_dir):
    """Within one process (a kernel's threads) too: each store has its own temporary file."""
    png = b"\x89PNG\r\n\x1a\n"
    results = []

    def store(tag):
        for _ in range(30):
            results.append(chart_cache.store("cd" * 32, png + tag * 5000, png + tag))

    threads = [threading.Thread(target=store, args=(t,)) for t in (b"A", b"B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results) and chart_cache.load("cd" * 32) is not None


def _formatted(fmt) -> Figure:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(["a", "b"], [1200, 3400])
    ax.yaxis.set_major_formatter(FuncFormatter(fmt))
    return fig


def test_a_function_the_chart_names_puts_its_code_in_the_key(tmp_path, monkeypatch):
    """pickle keeps a function's name, not its code: an edited formatter gave the old key and the old
    image (found by a newcomer: 'AAA' stayed on the page after the code said 'BBB')."""
    import importlib

    (tmp_path / "fmtprobe.py").write_text("def fmt(x, pos):\n    return f'{x:,.0f} AAA'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    probe = importlib.import_module("fmtprobe")
    fig = _formatted(probe.fmt)
    before = chart_cache.key(fig)
    plt.close(fig)
    (tmp_path / "fmtprobe.py").write_text("def fmt(x, pos):\n    return f'{x:,.0f} BBB'\n")
    importlib.reload(probe)  # the next build's kernel: the same chart, a formatter of the same name
    fig = _formatted(probe.fmt)
    try:
        after = chart_cache.key(fig)
        assert before and after and before != after, "the module's new source changes the key"
    finally:
        plt.close(fig)
        sys.modules.pop("fmtprobe", None)


def test_a_function_defined_in_the_notebook_leaves_its_chart_uncached(monkeypatch):
    main = sys.modules["__main__"]
    ns = {"__name__": "__main__"}
    exec("def notebook_fmt(x, pos):\n    return f'{x:,.0f} t'\n", ns)
    monkeypatch.setattr(main, "notebook_fmt", ns["notebook_fmt"], raising=False)  # as a kernel has it
    fig = _formatted(ns["notebook_fmt"])
    try:
        assert chart_cache.key(fig) is None, "a cell's function has no file whose source the key could take"
    finally:
        plt.close(fig)
