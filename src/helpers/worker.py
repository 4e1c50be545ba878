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

_ipc_dir: str | None = None
_counter = itertools.count()
_kernel_pids: set[int] = set()
_km_class = None
_exporter = None


# --------------------------------------------------------------------------- kernels

def _ipc_path() -> str:
    """A fresh socket path prefix per kernel, in this worker's private folder (short: AF_UNIX limit)."""
    global _ipc_dir
    if _ipc_dir is None:
        _ipc_dir = tempfile.mkdtemp(prefix="rek-", dir="/tmp" if os.path.isdir("/tmp") else None)
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
    return _exporter


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _mark_failure(nb, error: dict | None) -> dict | None:
    """Flag the cell that failed (metadata.report.failed) and describe it; None when all ran."""
    failed_index = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errs = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"
                and not (o.get("ename") == "SystemExit" and o.get("evalue") in ("", "0"))]
        if errs:
            failed_index = i
            if error is None or error.get("kind") in ("error", None):
                error = {**(error or {}), "kind": "error", "ename": errs[0].get("ename", ""),
                         "evalue": errs[0].get("evalue", "")}
            break
        if cell.get("metadata", {}).get("papermill", {}).get("exception"):
            failed_index = i
            break
    if error is None:
        return None
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


def render(nb, run_id: str, pages_dir: Path, thumbs_dir: Path, error: dict | None) -> dict:
    """Write build/pages/<id>.html (the cells), build/pages/<id>_files/* (figures) and a thumbnail."""
    import copy

    nb = copy.deepcopy(nb)
    error = _mark_failure(nb, error)
    _prepare(nb)

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
    body, resources = exporter().from_notebook_node(
        nb, resources={"unique_key": run_id, "output_files_dir": files_dir_name})
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
            "files": sorted(resources.get("outputs") or {})}


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


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
                start_timeout=job["start_timeout"], cwd=str(src.parent),
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
    page = render(nb, run_id, Path(job["pages_dir"]), Path(job["thumbs_dir"]), error)
    _atomic_write(out_nb, nbformat.writes(nb).encode("utf-8"))
    return {"op": "execute", "id": run_id, "status": "failed" if page["error"] else "ok",
            "error": page["error"], "executed_at": started_at, "duration": round(duration, 2),
            "attempts": attempts, "figures": page["figures"], "missing_alt": page["missing_alt"],
            "thumb": page["thumb"], "files": page["files"]}


def rerender(job: dict) -> dict:
    """Re-render the page of an executed notebook (the page template changed, the notebook did not)."""
    import nbformat

    nb = nbformat.read(job["out_notebook"], as_version=4)
    prev = job.get("previous_error")
    page = render(nb, job["id"], Path(job["pages_dir"]), Path(job["thumbs_dir"]),
                  dict(prev) if prev else None)
    return {"op": "render", "id": job["id"], "error": page["error"], "figures": page["figures"],
            "missing_alt": page["missing_alt"], "thumb": page["thumb"], "files": page["files"]}


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
