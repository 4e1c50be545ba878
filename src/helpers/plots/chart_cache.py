"""A content-addressed cache of laid-out charts: the desktop and phone PNGs `show` would draw.

Why: laying a chart out twice (desktop, phone) and rasterising two PNGs costs about half a CPU
second a chart, and the same charts are drawn again and again: a notebook re-run after a text
edit, `make test` re-executing the notebooks `make report` just ran, nbval on altered copies.

The key is a SHA-256 of everything that decides the two images (`key`): the figure's full state
(a pickle made deterministic for hashing only, never unpickled), all rcParams, the fonts
matplotlib can pick, the versions of Python, matplotlib, FreeType, Pillow, zlib and numpy, the
source of helpers/plots/*.py (read once, when this module is imported: the code that runs) and
the layout's and output's constants as they are at the call. A figure the key cannot pickle is
not cached. An entry holds the two PNGs behind a checksum; one that does not check out is a miss
and is replaced. Entries are written whole (temporary file, then rename), so two processes
storing one key both leave a valid entry, and an interrupted write leaves none.

Where: ``$REPORT_CACHE_DIR/charts`` (nbreport.config.CACHE_ENV, which the report builder sets for
its kernels to build/cache/collection, a folder its write guard allows), else the repository's
build/cache/collection/charts (JupyterLab, nbval under `make test`). ``REPORT_CHART_CACHE=0``
turns the cache off. Size: at most MAX_ENTRIES entries (50 to 270 KB each, about 190 KB on
average, so at most about 40 MB); each store removes the least recently used beyond that (a hit
refreshes an entry's time).
"""
from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import struct
import sys
import tempfile
import time
import types
from pathlib import Path

import matplotlib
from matplotlib.cbook import CallbackRegistry
from matplotlib.dates import rrulewrapper
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import TransformNode

from helpers.plots import CHART_CACHE_SWITCH
from nbreport.config import CACHE_ENV, OFF_WORDS

MAX_ENTRIES = 200  # about 190 KB an entry (two PNGs): about 40 MB; a site build draws 34 charts
SWITCH_ENV = CHART_CACHE_SWITCH  # "0" (or false/no/off): draw every chart afresh, store nothing
SUFFIX = ".chart"
MAGIC = b"rek-chart-cache 1\n"  # format of an entry: MAGIC, sha256(body), body
_HEADER = struct.Struct(">II")  # body: lengths of the desktop and the phone PNG, then the two PNGs
STALE_TEMP_SECONDS = 3600  # a temporary file this old is a writer that died: removed when pruning


def _source_digest() -> str:
    """SHA-256 of the helpers/plots/*.py files, read once per process, at import (the code that runs)."""
    h = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


SOURCE_DIGEST = _source_digest()


def _versions() -> str:
    """Python, matplotlib, FreeType, Pillow, zlib (Python's and Pillow's) and numpy versions."""
    import zlib

    import numpy
    import PIL
    from matplotlib import ft2font
    from PIL import features

    return repr((sys.version, sys.platform, matplotlib.__version__, ft2font.__freetype_version__, PIL.__version__,
                 features.version("zlib"), zlib.ZLIB_RUNTIME_VERSION, numpy.__version__))


_VERSIONS: str | None = None
_font_stats: dict[str, tuple] = {}


def _fonts() -> str:
    """The fonts matplotlib can pick: for each name, style, variant, weight, stretch and size, the file it picks.

    matplotlib picks the first font in its list among those that match a request equally well, so
    of fonts alike in all of these (matplotlib's own DejaVu and the system's, say) only the first
    listed is ever drawn; the others are left out, and the rest sorted, so the key does not change
    with the list's order where the order decides nothing. Each file's size and time count too.
    AFM fonts (PostScript and PDF only) are never drawn by Agg and are left out.
    """
    from matplotlib import font_manager

    picked = {}
    for f in font_manager.fontManager.ttflist:
        picked.setdefault((f.name, f.style, f.variant, str(f.weight), str(f.stretch), str(f.size)), f.fname)
    rows = []
    for props, fname in picked.items():
        stat = _font_stats.get(fname)
        if stat is None:
            try:
                st = os.stat(fname)
                stat = (st.st_size, st.st_mtime_ns)
            except OSError:
                stat = ()
            _font_stats[fname] = stat
        rows.append((*props, fname, stat))
    return repr(sorted(rows))


def _constants() -> str:
    """The upper-case settings of the layout and output modules (DPI, SCALE, MIN_FONT_PX, PNG_LEVEL ...), now."""
    from helpers.plots import layout, output

    return repr([(m.__name__, k, repr(v)) for m in (layout, output) for k, v in sorted(vars(m).items())
                 if k.isupper() and isinstance(v, (int, float, str, tuple, bool))])


class _KeyPickler(pickle.Pickler):
    """A pickler whose output is the same for the same chart in any process (for hashing only).

    matplotlib's TransformNode.__getstate__ keeps ``_parents`` keyed by ``id()`` of the transforms
    that depend on it: those differ per process, so they are left out (what depends on a transform
    draws nothing unless an artist holds it, and the artist is pickled in its own right). A
    Figure's pyplot number (``_number``) is left out too: it names a window, and draws nothing.
    A CallbackRegistry's ``__getstate__`` takes the next callback id from its counter (pickling
    changes the figure: a second key would differ from the first); the counter is put back as it
    was and its value left out of the key (ids name callbacks, and draw nothing). A date locator's
    rule (matplotlib.dates.rrulewrapper) made without a start holds a dateutil rrule that starts
    at the second it was made (two builds of one chart differed there); every use of the rule at
    draw time first sets its start to the axis' range and rebuilds it from ``_construct``, so the
    built rule is left out and ``_construct`` (the rule's arguments) stays in the key.
    """

    def __init__(self, file, protocol: int):
        super().__init__(file, protocol=protocol)
        self._protocol = protocol
        self.code: set[str] = set()  # source digests of the modules whose functions and classes it named

    def reducer_override(self, obj):
        if isinstance(obj, types.BuiltinFunctionType) and not isinstance(getattr(obj, "__self__", None),
                                                                        (types.ModuleType, type(None))):
            return NotImplemented  # a bound C method (list.remove of a list): its object is pickled itself
        if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, type)):
            # pickle names a function or class and keeps none of its code: a formatter whose body was
            # edited would give the old key. The key takes the source of the module that defines it;
            # one defined in the notebook has no file to read, so its figure is not cached
            self.code.add(_module_code(obj))
            return NotImplemented
        if isinstance(obj, Text) and obj.get_usetex():
            raise _Uncacheable("text drawn by TeX, an outside program the key cannot see")
        if isinstance(obj, TransformNode):
            return _without(obj, self._protocol, "_parents", {})[0]
        if isinstance(obj, Figure):
            return _without(obj, self._protocol, "_number", None)[0]
        if isinstance(obj, rrulewrapper) and "dtstart" not in getattr(obj, "_construct", {"dtstart": 0}):
            return _without(obj, self._protocol, "_rrule", None)[0]
        if isinstance(obj, CallbackRegistry):
            rv, taken = _without(obj, self._protocol, "_cid_gen", 0)
            if isinstance(taken, int):
                obj._cid_gen = itertools.count(taken)  # as it was before __getstate__ took `taken`
            return rv
        return NotImplemented


def _without(obj, protocol: int, name: str, value):
    """`obj`'s reduction with `name` in its state replaced by `value`, and the value replaced (None if none)."""
    rv = obj.__reduce_ex__(protocol)
    if not isinstance(rv, tuple) or len(rv) < 3 or not isinstance(rv[2], dict) or name not in rv[2]:
        return rv, None
    return (*rv[:2], {**rv[2], name: value}, *rv[3:]), rv[2][name]


_MODULE_CODE: dict[str, tuple[tuple[int, int], str]] = {}  # module file -> ((mtime_ns, size), sha256 of its bytes)


def _module_code(obj) -> str:
    """``module:sha256`` of the source file of the module that defines function or class `obj`.

    Raises
    ------
    _Uncacheable
        `obj` comes from the notebook (``__main__``) or a module whose source cannot be read.
    """
    name = getattr(obj, "__module__", None)
    if name is None and isinstance(obj, types.BuiltinFunctionType):
        return "built-in"  # a C function of no module: the Python version is in the key
    module = sys.modules.get(name) if name else None
    if module is None or name == "__main__":
        raise _Uncacheable(f"{getattr(obj, '__qualname__', obj)!s} is defined in the notebook: pickle keeps its "
                           "name, not its code")
    file = getattr(module, "__file__", None)
    if not file:
        return f"{name}:built-in"  # a module compiled into Python: the Python version is in the key
    try:
        st = os.stat(file)
        stamp = (st.st_mtime_ns, st.st_size)
        known = _MODULE_CODE.get(file)
        if known is None or known[0] != stamp:
            with open(file, "rb") as f:
                known = _MODULE_CODE[file] = (stamp, hashlib.sha256(f.read()).hexdigest())
    except OSError as exc:
        raise _Uncacheable(f"the source of {name} cannot be read ({exc})") from None
    return f"{name}:{known[1]}"


class _Uncacheable(Exception):
    """A figure whose images depend on something the key cannot cover."""


class _Hashing:
    """A file-like object that feeds what the pickler writes to a hash (the pickle is never held whole)."""

    def __init__(self, h):
        self.write = h.update


def key(fig) -> str | None:
    """The cache key of a figure: SHA-256 of everything that decides its two images, or None.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure as the notebook built it (before any layout).

    Returns
    -------
    str or None
        64 hex digits; None when the figure cannot be pickled (a lambda formatter, say), when any
        text goes through TeX (``text.usetex``, for the figure or one text: an outside program the
        key cannot see) or when the cache is turned off (``REPORT_CHART_CACHE=0``). Never raises.
    """
    global _VERSIONS
    if os.environ.get(SWITCH_ENV, "").strip().lower() in OFF_WORDS:
        return None
    try:
        if matplotlib.rcParams.get("text.usetex"):
            return None
        if _VERSIONS is None:
            _VERSIONS = _versions()
        h = hashlib.sha256()
        for part in (MAGIC, SOURCE_DIGEST, _VERSIONS, _constants(), repr(sorted(matplotlib.rcParams.items())),
                     _fonts(), f"{type(fig.canvas).__module__}.{type(fig.canvas).__qualname__}"):
            part = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
            h.update(len(part).to_bytes(8, "big") + part)
        h.update(b"figure\0")
        pickler = _KeyPickler(_Hashing(h), protocol=5)
        pickler.dump(fig)
        h.update(b"code\0" + "\n".join(sorted(pickler.code)).encode("utf-8", "surrogatepass"))
        return h.hexdigest()
    except Exception:  # noqa: BLE001 - an uncacheable figure is drawn as before, never an error here
        return None


def folder() -> Path:
    """Where entries live: $REPORT_CACHE_DIR/charts in a build, else the repository's build/cache/collection/charts.

    Returns
    -------
    Path
        The folder (it may not exist yet).
    """
    base = os.environ.get(CACHE_ENV)
    if not base:
        from helpers.paths import BUILD

        base = BUILD / "cache" / "collection"
    return Path(base) / "charts"


def _entry(k: str) -> Path:
    return folder() / f"{k}{SUFFIX}"


def load(k: str | None) -> tuple[bytes, bytes] | None:
    """The desktop and phone PNGs stored under key `k`, or None (no entry, or one that does not check out).

    Parameters
    ----------
    k : str or None
        A key from `key`; None gives None.

    Returns
    -------
    tuple of bytes or None
        ``(desktop_png, phone_png)``, exactly as stored; None for a miss. An entry that is truncated,
        altered or not an entry at all is a miss (`store` then replaces it); a hit refreshes the
        entry's time, so pruning keeps it.
    """
    if not k:
        return None
    try:
        path = _entry(k)
        raw = path.read_bytes()
    except Exception:  # noqa: BLE001 - no folder (no repository found), unreadable: a miss
        return None
    head = len(MAGIC) + 32 + _HEADER.size
    if len(raw) < head or not raw.startswith(MAGIC):
        return None
    body = raw[len(MAGIC) + 32:]
    if hashlib.sha256(body).digest() != raw[len(MAGIC):len(MAGIC) + 32]:
        return None
    n_desk, n_phone = _HEADER.unpack_from(body)
    if _HEADER.size + n_desk + n_phone != len(body):
        return None
    desk = body[_HEADER.size:_HEADER.size + n_desk]
    phone = body[_HEADER.size + n_desk:]
    if not (desk.startswith(b"\x89PNG\r\n\x1a\n") and phone.startswith(b"\x89PNG\r\n\x1a\n")):
        return None
    try:
        os.utime(path)
    except OSError:
        pass
    return desk, phone


def store(k: str | None, desk: bytes, phone: bytes) -> bool:
    """Store the two PNGs under key `k`, whole or not at all, then prune to MAX_ENTRIES.

    The entry is written to a temporary file in the same folder and renamed over the old one:
    a reader sees the old entry or the new one, never part of one, and two processes storing the
    same key each rename a whole entry.

    Parameters
    ----------
    k : str or None
        A key from `key`; None stores nothing.
    desk, phone : bytes
        The desktop and the phone PNG.

    Returns
    -------
    bool
        Whether the entry was written. A folder that cannot be written (read-only checkout) is not
        an error: the chart is shown all the same.
    """
    if not k:
        return False
    body = _HEADER.pack(len(desk), len(phone)) + desk + phone
    data = MAGIC + hashlib.sha256(body).digest() + body
    tmp = None
    try:
        target = _entry(k)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{k[:16]}-", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
        tmp = None
    except Exception:  # noqa: BLE001 - a folder that cannot be written: the chart is shown all the same
        return False
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    prune(target.parent)
    return True


def prune(where: Path | None = None, keep: int | None = None) -> int:
    """Remove the least recently used entries beyond `keep`, and temporary files left by dead writers.

    Parameters
    ----------
    where : Path, optional
        The cache folder (default `folder()`).
    keep : int, optional
        Entries to keep (default MAX_ENTRIES).

    Returns
    -------
    int
        How many files were removed.
    """
    where = Path(where or folder())
    keep = MAX_ENTRIES if keep is None else keep
    entries, removed, now = [], 0, time.time()
    try:
        with os.scandir(where) as it:
            for e in it:
                try:
                    if e.name.endswith(SUFFIX):
                        entries.append((e.stat().st_mtime, e.path))
                    elif e.name.endswith(".tmp") and now - e.stat().st_mtime > STALE_TEMP_SECONDS:
                        os.unlink(e.path)
                        removed += 1
                except OSError:
                    continue
    except OSError:
        return removed
    if len(entries) <= keep:
        return removed
    entries.sort(reverse=True)
    for _, path in entries[keep:]:
        try:
            os.unlink(path)
            removed += 1
        except OSError:
            pass
    return removed
