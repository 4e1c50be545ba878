"""What the report builder's long-lived worker processes do.

Each worker (see helpers.runner) imports papermill and nbconvert once, then takes
jobs one at a time over a pipe:

- ``execute``: run one manifest entry with papermill through its API, on a kernel
  whose connection uses IPC sockets (no TCP port races, no ipykernel "running over
  TCP without encryption" warning), with a per-notebook deadline and one retry when
  the kernel fails to start; then render the HTML fragment of its page.
- ``render``: re-render a page from an executed notebook already in build/ (when
  only the page template changed).
- ``claims``: the claims results table and one summary line per article, from
  helpers.claims when that module exists.
- ``floor``: a bare kernel that only imports pandas, seaborn and statsmodels (the
  benchmark's floor).

Heavy modules are imported here, never in the parent process: the no-change path
of ``make report`` must not pay for them.
"""
from __future__ import annotations

import base64
import ctypes
import io
import itertools
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
FLOOR_CODE = "import pandas, seaborn, statsmodels.api"
THUMB_BOX = (560, 420)
REMOVE_CELL_TAGS = {"injected-parameters", "papermill-error-cell-tag", "remove-cell", "remove_cell"}
REMOVE_INPUT_TAGS = {"remove-input", "remove_input"}
REMOVE_OUTPUT_TAGS = {"remove-output", "remove_output"}

# What a page shows of one cell's text output at most; the rest stays in the executed notebook.
PAGE_MAX_LINES = 1000
PAGE_MAX_CHARS = 100_000

_ipc_dir: str | None = None
_counter = itertools.count()
_kernel_pids: set[int] = set()
_kernel_env: dict[str, str] = {}  # set per job: the kernel's TMPDIR and its write guard's settings
_km_class = None
_exporter = None

# IPython runs this in every kernel the build starts (IPYTHONDIR/profile_default/startup, written
# by helpers.runner). An audit hook refuses, with a PermissionError that names the file, any write
# outside the folders listed in REPORT_WRITE_ALLOW (the run's work and temp folders under build/),
# and records the attempt in REPORT_WRITE_LOG, so a notebook that catches the error still fails.
# Byte-code caches (__pycache__) are let through. Writes it cannot see (a shell command, a C
# library) are caught afterwards by the runner's snapshot of data/ and notebooks/.
WRITE_GUARD = r"""# Installed by the report builder (helpers.worker.WRITE_GUARD); do not edit.
def _report_write_guard():
    import os, sys
    allow = [os.path.realpath(p) for p in os.environ.get("REPORT_WRITE_ALLOW", "").split(os.pathsep) if p]
    log = os.environ.get("REPORT_WRITE_LOG")
    if not allow or not log:
        return
    wflags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    busy = []
    path_events = {"os.remove": (0,), "os.rename": (0, 1), "os.rmdir": (0,), "os.mkdir": (0,),
                   "os.truncate": (0,), "os.symlink": (1,), "os.link": (1,), "os.chmod": (0,),
                   "os.chown": (0,), "os.utime": (0,), "shutil.rmtree": (0,), "shutil.copyfile": (1,),
                   "shutil.copytree": (1,), "shutil.move": (0, 1)}

    def outside(path):
        if path is None or isinstance(path, int):
            return None
        try:
            full = os.path.realpath(os.fsdecode(path))
        except Exception:
            return None
        if "__pycache__" in full.split(os.sep):
            return None
        if any(full == a or full.startswith(a + os.sep) for a in allow):
            return None
        return full

    def refuse(full, what):
        if not busy:
            busy.append(1)
            try:
                with open(log, "a", encoding="utf-8", errors="replace") as f:
                    f.write(what + "\t" + full + "\n")
            except OSError:
                pass
            finally:
                busy.clear()
        raise PermissionError(13, "the report build lets a notebook write only in its work folder under build/, "
                              "not " + full + " (" + what + ")", full)

    def hook(event, args):
        if busy:
            return
        if event == "open":
            path, mode, flags = (list(args) + [None, None, 0])[:3]
            writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool((flags or 0) & wflags)
            if writes:
                full = outside(path)
                if full:
                    refuse(full, "open for writing")
        elif event in path_events:
            for i in path_events[event]:
                full = outside(args[i]) if i < len(args) else None
                if full:
                    refuse(full, event)

    sys.addaudithook(hook)


_report_write_guard()
del _report_write_guard
"""


# --------------------------------------------------------------------------- kernels

def _ipc_path() -> str:
    """A fresh socket path prefix per kernel, in this worker's private folder (short: AF_UNIX limit)."""
    global _ipc_dir
    if _ipc_dir is None:
        # the worker's pid in the name lets the next build sweep the folder if this one is killed
        _ipc_dir = tempfile.mkdtemp(prefix=f"rek-{os.getpid()}-", dir="/tmp" if os.path.isdir("/tmp") else None)
    return os.path.join(_ipc_dir, f"k{next(_counter)}")


def kernel_manager_class():
    """AsyncKernelManager on IPC transport, each kernel with its own socket files.

    Passed to papermill (and from there to nbclient) as ``kernel_manager_class``.
    Without a unique ``ip`` two kernels started at once both take ``kernel-ipc-1..5``
    in the working directory and talk to each other's sockets.
    """
    global _km_class
    if _km_class is None:
        from jupyter_client.manager import AsyncKernelManager
        from traitlets import default

        class IPCKernelManager(AsyncKernelManager):
            @default("transport")
            def _default_transport(self):
                return "ipc"

            @default("ip")
            def _default_ip(self):
                return _ipc_path()

            async def start_kernel(self, **kw):  # type: ignore[override]
                if _kernel_env:
                    kw["env"] = {**(kw.get("env") or os.environ), **_kernel_env}
                await super().start_kernel(**kw)
                pid = getattr(getattr(self.provisioner, "process", None), "pid", None)
                if pid:
                    self._report_pid = pid
                    _kernel_pids.add(pid)

            async def shutdown_kernel(self, now: bool = False, restart: bool = False):  # type: ignore[override]
                try:
                    await super().shutdown_kernel(now=now, restart=restart)
                finally:
                    _kernel_pids.discard(getattr(self, "_report_pid", None))

        _km_class = IPCKernelManager
    return _km_class


def kill_kernels() -> None:
    """Kill every kernel this worker started (its whole process group)."""
    for pid in list(_kernel_pids):
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
                break
            except (ProcessLookupError, PermissionError, OSError):
                continue
        _kernel_pids.discard(pid)
    if _ipc_dir:
        shutil.rmtree(_ipc_dir, ignore_errors=True)


# --------------------------------------------------------------------------- HTML

_ALLOWED_TAGS = {
    "a", "abbr", "acronym", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u",
    "ul", "var",
}
_GLOBAL_ATTRS = {"class", "id", "title", "lang", "dir"}
_TAG_ATTRS = {
    "a": {"href", "name"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "scope", "align"}, "col": {"span"}, "colgroup": {"span"},
    "ol": {"start", "type", "reversed"}, "details": {"open"}, "time": {"datetime"}, "abbr": {"title"},
}
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")


def _relative_url(value: str) -> bool:
    return not _SCHEME.match(value) and not value.strip().startswith("//")


def _allow_attr(tag: str, name: str, value: str) -> bool:
    if name in _GLOBAL_ATTRS:
        return True
    if name not in _TAG_ATTRS.get(tag, ()):
        return False
    if tag == "a" and name == "href":
        return value.startswith(("http://", "https://", "mailto:", "#")) or _relative_url(value)
    if tag == "img" and name == "src":  # never load anything from the network
        return value.startswith(("data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,")) \
            or _relative_url(value)
    return True


_STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style\s*>", re.S | re.I)
_IMG_NO_SRC = re.compile(r"<img\b(?![^>]*\bsrc=)[^>]*?(?:\balt=\"([^\"]*)\")?[^>]*>", re.I)


def sanitize(html: str) -> str:
    """Keep document markup; turn anything else (script, iframe, handlers, remote images) into text.

    A `<script>` from a data title or a parameter shows as the characters `<script>`
    and never runs. pandas' scoped <style> blocks are dropped (the site's stylesheet
    styles tables). An image whose source would leave the machine is replaced by its alt text.
    """
    import bleach

    html = _STYLE_BLOCK.sub("", str(html))
    clean = bleach.clean(html, tags=_ALLOWED_TAGS, attributes=_allow_attr,
                         protocols={"http", "https", "mailto", "data"}, strip=False, strip_comments=True)
    return _IMG_NO_SRC.sub(lambda m: f"<span class=\"note\">[image: {m.group(1) or 'not shown'}]</span>", clean)


_NON_SGR = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-ln-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_]|(?=[^\[]|$))")


def clean_ansi(text) -> str:
    """Keep the colour codes (SGR, which nbconvert's ansi2html turns into spans); drop every other
    terminal escape (window titles, cursor moves) that ansi2html would pass through raw."""
    return _NON_SGR.sub("", "" if text is None else str(text))


def exporter():
    """One nbconvert HTMLExporter per worker, reused (its first use costs about 0.3 s, later ones 0.02 s)."""
    global _exporter
    if _exporter is None:
        from nbconvert import HTMLExporter
        from traitlets.config import Config

        c = Config()
        c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES)]
        c.HTMLExporter.template_name = "report_page"
        c.HTMLExporter.exclude_input_prompt = True
        c.HTMLExporter.exclude_output_prompt = True
        c.ExtractOutputPreprocessor.enabled = True
        c.ExtractOutputPreprocessor.extract_output_types = {"image/png", "image/jpeg", "image/svg+xml"}
        _exporter = HTMLExporter(config=c)
        _exporter.register_filter("sanitize", sanitize)
        _exporter.register_filter("clean_ansi", clean_ansi)
    return _exporter


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


_SURROGATE = re.compile("[\ud800-\udfff]")


def _plain(text) -> str:
    from helpers.runner import strip_ansi

    return strip_ansi(_SURROGATE.sub("\ufffd", "" if text is None else str(text)))


def _output_texts(out) -> list[str]:
    if out.get("output_type") == "stream":
        return [_source({"source": out.get("text", "")})]
    if out.get("output_type") == "error":
        return [str(out.get("evalue", ""))] + [str(t) for t in out.get("traceback", [])]
    return [_source({"source": v}) for k, v in (out.get("data") or {}).items()
            if k.startswith("text/") or k.endswith(("+json", "/json"))]


def _fix_text(nb) -> int | None:
    """Replace lone surrogates in outputs with U+FFFD (they cannot be written as UTF-8) and return
    the index of the first code cell whose output holds text that is not valid Unicode (a lone
    surrogate, or the U+FFFD the kernel put in its place); None when every output is clean."""
    first = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and isinstance(out.get("text"), str):
                out["text"] = _SURROGATE.sub("\ufffd", out["text"])
            for key, val in list((out.get("data") or {}).items()):
                if isinstance(val, str):
                    out["data"][key] = _SURROGATE.sub("\ufffd", val)
            if out.get("output_type") == "error":
                out["evalue"] = _SURROGATE.sub("\ufffd", str(out.get("evalue", "")))
                out["traceback"] = [_SURROGATE.sub("\ufffd", str(t)) for t in out.get("traceback", [])]
            if first is None and any("\ufffd" in t for t in _output_texts(out)):
                first = i
    return first


def _mark_failure(nb, error: dict | None) -> dict | None:
    """Flag the cell that failed (metadata.report.failed) and describe it; None when all ran.

    A run fails when a cell raised (SystemExit included: a notebook that stops early is not a
    complete report, though papermill counts `sys.exit(0)` as success), when a code cell never
    ran, and when a cell printed text that is not valid Unicode.
    """
    failed_index = None
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for i in code:
        cell = nb.cells[i]
        errs = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errs:
            failed_index = i
            ename, evalue = _plain(errs[0].get("ename", "")), _plain(errs[0].get("evalue", ""))
            if ename == "SystemExit" and (error is None or error.get("kind") in ("error", None)):
                later = sum(1 for j in code if j > i and _source(nb.cells[j]).strip())
                error = {"kind": "stopped", "message": f"stopped the notebook early ({ename}: {evalue or 'None'}); "
                         f"{later} later code cell{'s' if later != 1 else ''} did not run"}
            elif error is None or error.get("kind") in ("error", None):
                error = {**(error or {}), "kind": "error", "ename": ename, "evalue": evalue}
            break
        if cell.get("metadata", {}).get("papermill", {}).get("exception"):
            failed_index = i
            break
    if error is None:
        not_run = [i for i in code if _source(nb.cells[i]).strip() and nb.cells[i].get("execution_count") is None]
        if not_run:
            ran = [i for i in code if nb.cells[i].get("execution_count") is not None]
            failed_index = ran[-1] if ran else not_run[0]
            error = {"kind": "stopped", "message": f"was the last cell to run: the notebook stopped early and "
                     f"{len(not_run)} later code cell{'s' if len(not_run) != 1 else ''} did not run"}
    if error is None:
        bad = _fix_text(nb)
        if bad is not None:
            failed_index = bad
            error = {"kind": "encoding", "message": "printed text that is not valid Unicode (a lone surrogate, "
                     "shown as \ufffd); print text that can be encoded as UTF-8"}
    else:
        _fix_text(nb)
    if error is None:
        return None
    error = {k: (_plain(v) if isinstance(v, str) else v) for k, v in error.items()}
    if failed_index is None:  # timeout or dead kernel: the last cell that started
        started = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                   and c.get("metadata", {}).get("papermill", {}).get("start_time")]
        failed_index = started[-1] if started else None
    if failed_index is not None:
        cell = nb.cells[failed_index]
        cell.metadata.setdefault("report", {})["failed"] = True
        error["execution_count"] = cell.get("execution_count")
        # the number the page shows beside the cell ("Code [5]"): its execution count
        error["cell_number"] = cell.get("execution_count") or sum(
            1 for c in nb.cells[:failed_index + 1] if c.cell_type == "code")
        first = next((ln for ln in _source(cell).splitlines() if ln.strip()), "")
        error["first_line"] = first[:160]
    return error


def _prepare(nb) -> None:
    """Drop papermill's injected-parameters and error-banner cells and cells tagged remove-*."""
    keep = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & REMOVE_CELL_TAGS:
            continue
        if cell.cell_type == "code":
            if tags & REMOVE_OUTPUT_TAGS and not cell.get("metadata", {}).get("report", {}).get("failed"):
                cell.outputs = []
            if tags & REMOVE_INPUT_TAGS and not cell.get("metadata", {}).get("report", {}).get("failed"):
                cell.metadata.setdefault("transient", {})["remove_source"] = True
        keep.append(cell)
    nb.cells = keep


def _thumbnail(png: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        im = im.convert("RGB")
        im.thumbnail(THUMB_BOX)
        im = im.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        out = io.BytesIO()
        im.save(out, format="PNG", optimize=True)
        return out.getvalue()


def _count(cell, nb_cells) -> str:
    n = cell.get("execution_count") or sum(1 for c in nb_cells[:nb_cells.index(cell) + 1] if c.cell_type == "code")
    return f"cell [{n}]"


def _cap_outputs(nb, run_id: str) -> list[str]:
    """Cut each cell's text output on the page to PAGE_MAX_LINES lines / PAGE_MAX_CHARS characters,
    with a note linking the executed notebook, which keeps all of it. Returns a warning per cut cell."""
    import nbformat

    warnings = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines_left, chars_left, cut = PAGE_MAX_LINES, PAGE_MAX_CHARS, False
        kept, every = [], []
        for out in cell.get("outputs", []):
            texts = _output_texts(out) if out.get("output_type") != "error" else []
            size = sum(len(t) for t in texts)
            nlines = sum(t.count("\n") + (not t.endswith("\n")) for t in texts)
            every += texts
            if cut:
                continue
            if out.get("output_type") == "stream" and (nlines > lines_left or size > chars_left):
                text = _source({"source": out.get("text", "")})
                head = "\n".join(text.split("\n")[:max(lines_left, 0)])[:max(chars_left, 0)]
                kept.append(nbformat.from_dict({**out, "text": head + "\n"}))
                cut = True
            elif out.get("output_type") in ("execute_result", "display_data") and size > chars_left:
                kept.append(nbformat.v4.new_output("stream", name="stdout", text=(
                    "\n".join(texts[0].split("\n")[:max(lines_left, 0)])[:max(chars_left, 0)] + "\n") if texts else ""))
                cut = True
            else:
                kept.append(out)
                lines_left, chars_left = lines_left - nlines, chars_left - size
        if cut:
            joined = "".join(every)  # a stream arrives in chunks that may split a line
            total_lines, total_chars = joined.count("\n") + (not joined.endswith("\n")), len(joined)
            note = (f'<p class="note truncated">Output cut: this page shows the first part of this cell\'s output '
                    f'({total_lines:,} lines, {total_chars:,} characters in all). The whole output is in the '
                    f'<a href="{run_id}.ipynb">executed notebook</a>.</p>')
            kept.append(nbformat.v4.new_output("display_data", data={"text/html": note}))
            cell.outputs = kept
            warnings.append(f"{_count(cell, nb.cells)}: output cut on the page ({total_lines:,} lines, "
                            f"{total_chars:,} characters); the executed notebook has all of it")
    return warnings


def _stderr_warnings(nb) -> list[str]:
    """One warning per cell that shows stderr (warnings, library messages) on the page."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        text = "".join(_source({"source": o.get("text", "")}) for o in cell.get("outputs", [])
                       if o.get("output_type") == "stream" and o.get("name") == "stderr")
        first = next((ln.strip() for ln in _plain(text).splitlines() if ln.strip()), "")
        if first:
            out.append(f"{_count(cell, nb.cells)} wrote to stderr: {first[:200]}")
    return out


def _phone_images(nb, run_id: str, files_dir_name: str) -> dict[str, bytes]:
    """Move each figure's phone layout (helpers.charts.show: metadata image/png.phone) to a file of its own.

    The metadata keeps the file's name for the template's <picture> element; returns {path: PNG bytes}.
    """
    files = {}
    for ci, cell in enumerate(nb.cells):
        for oi, out in enumerate(cell.get("outputs", []) if cell.cell_type == "code" else []):
            meta = (out.get("metadata", {}) or {}).get("image/png") or {}
            phone = meta.get("phone") if isinstance(meta, dict) else None
            if not isinstance(phone, dict) or not phone.get("png"):
                continue
            name = f"{files_dir_name}/{run_id}_{ci}_{oi}_phone.png"
            files[name] = base64.b64decode(phone["png"])
            meta["phone"] = {k: v for k, v in phone.items() if k != "png"} | {"file": name}
    return files


def render(nb, run_id: str, pages_dir: Path, thumbs_dir: Path, error: dict | None) -> dict:
    """Write build/pages/<id>.html (the cells), build/pages/<id>_files/* (figures) and a thumbnail.

    Returns the error (None when the run is complete and clean) and the warnings a reader must
    see: stderr shown on the page, output cut to fit a page.
    """
    import copy

    nb = copy.deepcopy(nb)
    error = _mark_failure(nb, error)
    _prepare(nb)
    warnings = _stderr_warnings(nb) + _cap_outputs(nb, run_id)

    figures, missing_alt, first = 0, 0, None
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            for mime in ("image/png", "image/jpeg", "image/svg+xml"):
                if mime in data:
                    figures += 1
                    alt = (out.get("metadata", {}).get(mime, {}) or {}).get("alt") or cell.metadata.get("alt")
                    if not alt:
                        missing_alt += 1
                    if first is None and mime == "image/png":
                        first = (data[mime], alt or "")
                    break

    files_dir_name = f"{run_id}_files"
    phone_files = _phone_images(nb, run_id, files_dir_name)
    body, resources = exporter().from_notebook_node(
        nb, resources={"unique_key": run_id, "output_files_dir": files_dir_name})
    resources.setdefault("outputs", {}).update(phone_files)
    files_dir = pages_dir / files_dir_name
    shutil.rmtree(files_dir, ignore_errors=True)
    for name, data in (resources.get("outputs") or {}).items():
        target = pages_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    _atomic_write(pages_dir / f"{run_id}.html", body.encode("utf-8"))

    thumb = None
    thumb_file = thumbs_dir / f"{run_id}.png"
    if first is not None:
        try:
            _atomic_write(thumb_file, _thumbnail(base64.b64decode(first[0])))
            thumb = {"file": thumb_file.name, "alt": first[1] or "First figure of the report"}
        except Exception:  # a broken PNG is not worth failing the page over
            thumb = None
    if thumb is None and thumb_file.exists():
        thumb_file.unlink()
    return {"error": error, "figures": figures, "missing_alt": missing_alt, "thumb": thumb,
            "files": sorted(resources.get("outputs") or {}), "warnings": warnings}


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- jobs

def _error_from_exception(exc: BaseException, timeout: float) -> dict:
    name = type(exc).__name__
    text = str(exc).strip()
    if name == "CellTimeoutError" or isinstance(exc, TimeoutError) and "cell" in text.lower():
        return {"kind": "timeout", "message": f"did not finish within the notebook limit of {timeout:g} s"}
    if name == "DeadKernelError":
        return {"kind": "dead", "message": f"the kernel died ({text.splitlines()[0] if text else name})"}
    if name == "PapermillExecutionError":
        return {"kind": "error", "ename": getattr(exc, "ename", ""), "evalue": getattr(exc, "evalue", "")}
    return {"kind": "crash", "message": f"{name}: {text.splitlines()[0] if text else ''}".strip(": ")}


def execute(job: dict) -> dict:
    """Execute one run; always returns a result (status ok or failed) and writes its page fragment.

    papermill only saves a notebook when it completes or a cell raises; on a timeout or a dead
    kernel it saves nothing. nbclient's on_notebook_start hook hands over the live notebook, so
    the page of any failure shows the cells run so far.
    """
    import nbformat
    import papermill as pm

    run_id, src = job["id"], Path(job["notebook"])
    out_nb = Path(job["out_notebook"])
    out_nb.parent.mkdir(parents=True, exist_ok=True)
    # the kernel works in a fresh folder under build/ (relative writes land there), with its own
    # temp dir, and its write guard (WRITE_GUARD) lets it write nowhere else
    work = Path(job.get("work_dir") or src.parent)
    if job.get("work_dir"):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
    write_log = None
    _kernel_env.clear()
    if job.get("tmp_dir"):
        tmp = Path(job["tmp_dir"])
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True, exist_ok=True)
        write_log = tmp.with_name(tmp.name + ".writes")
        write_log.unlink(missing_ok=True)
        _kernel_env.update({"TMPDIR": str(tmp), "REPORT_WRITE_LOG": str(write_log),
                            "REPORT_WRITE_ALLOW": os.pathsep.join(job.get("allow_writes") or [])})
    timeout = float(job["timeout"])
    started_at = time.time()
    attempts, error, nb = 0, None, None
    while True:
        attempts += 1
        deadline = time.monotonic() + timeout
        live: list = []
        error = None
        try:
            nb = pm.execute_notebook(
                str(src), None, parameters=job["parameters"], kernel_name=job.get("kernel") or None,
                progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                start_timeout=job["start_timeout"], cwd=str(work),
                kernel_manager_class=kernel_manager_class(), shutdown_kernel="immediate",
                timeout_func=lambda cell: max(1, int(deadline - time.monotonic() + 0.999)),
                on_notebook_start=lambda notebook, **kw: live.append(notebook),
            )
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a failed page
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            error = _error_from_exception(exc, timeout)
            nb = live[-1] if live else None
            if nb is None and error["kind"] not in ("error", "timeout"):
                # the kernel never became ready
                if attempts == 1:
                    continue  # one retry
                error = {"kind": "kernel", "message": f"the kernel failed to start twice ({error.get('message')})"}
        break
    if nb is None:
        nb = nbformat.read(src, as_version=4)
    duration = time.time() - started_at
    refused = _refused_writes(write_log, job.get("root"))
    if refused and (error is None or error.get("kind") == "error"):
        error = {"kind": "write", "message": f"tried to write outside its work folder under build/: "
                 f"{', '.join(refused[:3])}{' and more' if len(refused) > 3 else ''} (refused); "
                 "write files under build/ or not at all"}
    page = render(nb, run_id, Path(job["pages_dir"]), Path(job["thumbs_dir"]), error)
    _fix_text(nb)  # a lone surrogate cannot be written as UTF-8
    _atomic_write(out_nb, nbformat.writes(nb).encode("utf-8"))
    return {"op": "execute", "id": run_id, "status": "failed" if page["error"] else "ok",
            "error": page["error"], "executed_at": started_at, "duration": round(duration, 2),
            "attempts": attempts, "figures": page["figures"], "missing_alt": page["missing_alt"],
            "thumb": page["thumb"], "files": page["files"], "warnings": page["warnings"]}


def _refused_writes(log: Path | None, root: str | None) -> list[str]:
    """The paths the kernel's write guard refused, relative to the repository where they are inside it."""
    if log is None or not log.is_file():
        return []
    seen = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        path = line.split("\t", 1)[-1]
        if root and (path == root or path.startswith(root.rstrip("/") + "/")):
            path = path[len(root.rstrip("/")) + 1:]
        if path not in seen:
            seen.append(path)
    return seen


def rerender(job: dict) -> dict:
    """Re-render the page of an executed notebook (the page template changed, the notebook did not)."""
    import nbformat

    nb = nbformat.read(job["out_notebook"], as_version=4)
    prev = job.get("previous_error")
    page = render(nb, job["id"], Path(job["pages_dir"]), Path(job["thumbs_dir"]),
                  dict(prev) if prev else None)
    return {"op": "render", "id": job["id"], "error": page["error"], "figures": page["figures"],
            "missing_alt": page["missing_alt"], "thumb": page["thumb"], "files": page["files"],
            "warnings": page["warnings"]}


CLAIMS_COLUMNS = ["article", "publisher", "published", "claim", "stated", "unit", "recomputed", "status"]


def claims(job: dict) -> dict:
    """The claims results (build/claims.csv) and helpers.claims.summary() per article.

    Uses helpers.claims.check_claims(data_dir=...) -> DataFrame (one row per claim, with at least
    the CLAIMS_COLUMNS) and helpers.claims.summary(source_id, checked=frame) -> str. While the
    module does not exist the site says so instead of failing.
    """
    import importlib

    try:
        mod = importlib.import_module("helpers.claims")
    except ModuleNotFoundError as exc:
        if exc.name == "helpers.claims":
            return {"op": "claims", "status": "missing", "summaries": {}, "rows": 0,
                    "message": "the claims checker (helpers.claims) is not available yet"}
        raise
    if not callable(getattr(mod, "check_claims", None)):
        return {"op": "claims", "status": "missing", "summaries": {}, "rows": 0,
                "message": "helpers.claims has no check_claims() yet"}
    data_dir = Path(job["data_dir"])
    try:
        frame = mod.check_claims(data_dir=data_dir)
    except Exception as exc:  # noqa: BLE001 - a broken ledger is reported, the reports still build
        return {"op": "claims", "status": "failed", "summaries": {}, "rows": 0,
                "message": f"the claims checker failed: {type(exc).__name__}: {exc}"}
    import pandas as pd

    frame = pd.DataFrame(frame).copy()
    missing = [c for c in CLAIMS_COLUMNS if c not in frame.columns]
    for col in missing:
        frame[col] = pd.Series(dtype="object")
    frame = frame[CLAIMS_COLUMNS + [c for c in frame.columns if c not in CLAIMS_COLUMNS]]
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    _atomic_write(Path(job["out_csv"]), buf.getvalue().encode("utf-8"))

    summaries: dict[str, str] = {}
    summary_fn = getattr(mod, "summary", None)
    for sid in job.get("articles", []):
        rows = frame[frame["article"].astype(str) == sid]
        if rows.empty:
            summaries[sid] = "No numbers in the claims ledger yet"
            continue
        try:
            line = summary_fn(sid, data_dir=data_dir, checked=frame) if callable(summary_fn) else None
        except Exception:  # noqa: BLE001
            line = None
        if not isinstance(line, str) or not line.strip():
            good = int(rows["status"].astype(str).isin(["reproduced"]).sum())
            line = f"{good} of {len(rows)} numbers reproduce"
        summaries[sid] = line.strip()
    message = f"columns missing from check_claims(): {', '.join(missing)}" if missing and len(frame) else ""
    return {"op": "claims", "status": "partial" if message else "ok", "message": message,
            "summaries": summaries, "rows": int(len(frame))}


def floor(job: dict) -> dict:
    """A bare kernel: start, import pandas, seaborn and statsmodels, shut down (the bench floor)."""
    import asyncio

    async def one():
        km = kernel_manager_class()(kernel_name=job.get("kernel") or "python3")
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            reply = await kc.execute_interactive(FLOOR_CODE, timeout=120, output_hook=lambda msg: None)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"floor kernel failed: {reply['content']}")
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    t0 = time.time()
    asyncio.run(one())
    return {"op": "floor", "duration": time.time() - t0}


JOBS = {"execute": execute, "render": rerender, "claims": claims, "floor": floor}


# --------------------------------------------------------------------------- process

def _die_with_parent() -> None:
    """Linux: get SIGTERM when the parent dies (kill -9 of the build), so kernels are not orphaned."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def main(conn, env: dict, preload: bool = True) -> None:
    """Worker loop: receive a job dict, send back a result dict; None stops the worker."""
    parent = os.getppid()
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle

    def on_term(signum, frame):
        kill_kernels()
        os._exit(143)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)  # a closed terminal hangs up the whole process group
    if os.getppid() != parent:
        on_term(None, None)
    os.environ.update(env)
    # jsonschema (via nbformat) imports rfc3987_syntax when it is installed, and that module
    # builds a parser at import: 0.7 s per worker for an IRI format check nbformat never uses.
    sys.modules.setdefault("rfc3987_syntax", None)
    if preload:
        import nbformat  # noqa: F401
        import papermill  # noqa: F401

        exporter()
        kernel_manager_class()
    conn.send({"op": "ready", "pid": os.getpid()})
    try:
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                break
            if job is None:
                break
            try:
                result = JOBS[job["op"]](job)
            except BaseException as exc:  # noqa: BLE001
                if isinstance(exc, KeyboardInterrupt):
                    break
                result = {"op": job.get("op"), "id": job.get("id"), "status": "failed",
                          "error": {"kind": "crash", "message": f"{type(exc).__name__}: {exc}",
                                    "traceback": traceback.format_exc()[-4000:]}}
            result["worker"] = os.getpid()
            try:
                conn.send(result)
            except (BrokenPipeError, OSError):
                break
    finally:
        kill_kernels()
        sys.stdout.flush()
