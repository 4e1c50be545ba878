"""The report builder's worker processes: execute notebooks, render pages, run extension jobs.

Each worker (started by nbreport.pool) imports papermill and nbconvert once, then takes jobs
one at a time over a pipe:

- ``execute``: run one manifest entry with papermill through its API, on a warm kernel (forked
  from a server that imported the collection's heavy modules, nbreport.execution.forking) whose
  connection uses IPC sockets (no TCP port races, no ipykernel "running over TCP without
  encryption" warning), with a per-notebook deadline and one retry when the kernel fails to
  start; then render the HTML fragment of its page (nbreport.render).
- ``render``: re-render a page from an executed notebook already in build/ (when only the page
  template changed).
- ``call``: call ``job["target"]`` (``"module:function"``) with the job and send back what it
  returns; the collection extension's results job (nbreport.extension) and the benchmark's bare
  kernels (tools/bench_floor.py) run this way.

Heavy modules are imported here, never in the parent process: the no-change path of
``make report`` must not pay for them.
"""
from __future__ import annotations

import importlib
import os
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path

from nbreport.config import SWEEP_ENV, TEMPLATE_CACHE_ENV
from nbreport.execution import fork_server, forking, kernels
from nbreport.execution.kernels import kernel_manager_class, kill_kernels
from nbreport.execution.outcome import fix_text, mark_failure
from nbreport.render import atomic_write, exporter, render



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
    the page of any failure shows the cells run so far. A kernel that never becomes ready is
    tried once more, cold (the warm fork server may be what failed).

    Parameters
    ----------
    job : dict
        Built by nbreport.runner: ``id``, ``notebook``, ``parameters``, ``out_notebook``,
        ``pages_dir``, ``thumbs_dir``, ``timeout`` (seconds for the whole notebook),
        ``start_timeout`` (seconds for the kernel to start), optional ``kernel``,
        ``preimport`` (modules of the warm kernel), ``work_dir``, ``tmp_dir``,
        ``allow_writes`` (paths the write guard lets the kernel write), ``root`` and ``sweep``
        (the sweep's id when the run is a sweep point, else None: the kernel then gets
        ``REPORT_SWEEP_POINT=<id>`` (SWEEP_ENV), so a collection can skip work whose output only
        a page shows, such as images; a sweep point has no page of its own).

    Returns
    -------
    dict
        ``op`` "execute", ``id``, ``status`` ("ok" or "failed"), ``error`` (None or the dict of
        nbreport.execution.outcome.mark_failure), ``executed_at`` (Unix time), ``duration``
        (seconds), ``attempts``, and the page's ``figures``, ``missing_alt``, ``thumb``,
        ``files`` and ``warnings``.
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
    kernels.kernel_env.clear()
    if job.get("sweep"):
        kernels.kernel_env[SWEEP_ENV] = str(job["sweep"])
    if job.get("tmp_dir"):
        tmp = Path(job["tmp_dir"])
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True, exist_ok=True)
        write_log = tmp.with_name(tmp.name + ".writes")
        write_log.unlink(missing_ok=True)
        kernels.kernel_env.update({"TMPDIR": str(tmp), "REPORT_WRITE_LOG": str(write_log),
                            "REPORT_WRITE_ALLOW": os.pathsep.join(job.get("allow_writes") or [])})
    # warm kernels: forked from this worker's fork server, which imported these (forking.py);
    # a job without the key (an older runner) starts cold kernels
    forking.preimport = tuple(job.get("preimport") or ())
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
                    forking.preimport = ()  # one retry, on a cold kernel (whatever failed may be the warm one)
                    continue
                error = {"kind": "kernel", "message": f"the kernel failed to start twice ({error.get('message')})"}
        break
    forking.preimport = ()  # other jobs in this worker (the benchmark's bare kernels) start cold kernels
    if nb is None:
        nb = nbformat.read(src, as_version=4)
    duration = time.time() - started_at
    refused = _refused_writes(write_log, job.get("root"))
    if refused and (error is None or error.get("kind") == "error"):
        error = {"kind": "write", "message": f"tried to write outside its work folder under build/: "
                 f"{', '.join(refused[:3])}{' and more' if len(refused) > 3 else ''} (refused); "
                 "write files under build/ or not at all"}
    page = _render(nb, run_id, job, error)
    fix_text(nb)  # a lone surrogate cannot be written as UTF-8
    atomic_write(out_nb, nbformat.writes(nb).encode("utf-8"))
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


def _render(nb, run_id: str, job: dict, error: dict | None) -> dict:
    """The run's outcome (which cell failed, and why) on a copy of nb, then its page (nbreport.render)."""
    import copy

    marked = copy.deepcopy(nb)
    error = mark_failure(marked, error)
    return render(marked, run_id, Path(job["pages_dir"]), Path(job["thumbs_dir"]), error)


def rerender(job: dict) -> dict:
    """Re-render the page of an executed notebook (the page template changed, the notebook did not).

    Re-rendering needs no kernel, so a template change never re-executes a notebook.

    Parameters
    ----------
    job : dict
        ``id``, ``out_notebook`` (the executed notebook in build/), ``pages_dir``,
        ``thumbs_dir`` and ``previous_error`` (the run's recorded error, or None): a failed
        run's page keeps its failure.

    Returns
    -------
    dict
        ``op`` "render", ``id``, ``error`` and the page's ``figures``, ``missing_alt``,
        ``thumb``, ``files`` and ``warnings``.
    """
    import nbformat

    nb = nbformat.read(job["out_notebook"], as_version=4)
    prev = job.get("previous_error")
    page = _render(nb, job["id"], job, dict(prev) if prev else None)
    return {"op": "render", "id": job["id"], "error": page["error"], "figures": page["figures"],
            "missing_alt": page["missing_alt"], "thumb": page["thumb"], "files": page["files"],
            "warnings": page["warnings"]}




def call(job: dict) -> dict:
    """Import ``job["target"]`` ("package.module:function") and return function(job).

    How work that is not a notebook (the collection's results job, the benchmark's bare
    kernels) runs in a worker that has papermill and the warm kernels at hand, without the
    builder importing anything of the collection.

    Parameters
    ----------
    job : dict
        ``target`` names the function; the whole job is its one argument.

    Returns
    -------
    dict
        ``op`` "call", ``id``, and whatever dict the function returned (nothing more for None).
    """
    module, _, name = str(job["target"]).partition(":")
    result = getattr(importlib.import_module(module), name)(job)
    return {"op": "call", "id": job.get("id"), **(result or {})}


JOBS = {"execute": execute, "render": rerender, "call": call}


# --------------------------------------------------------------------------- process

def preload_modules(template_cache: str | None = None) -> None:
    """Import papermill and nbformat, build the HTML exporter and kernel manager class, render once.

    What a worker does before its first job; the worker template of nbreport.execution.kept_worker
    does it once for the workers it forks.

    Parameters
    ----------
    template_cache : str, optional
        The build's folder of compiled page templates; default the environment's TEMPLATE_CACHE_ENV
        (nbreport.config.worker_env sets it), so the first render keeps them for the next worker.
    """
    # jsonschema (via nbformat) imports rfc3987_syntax when it is installed, and that module
    # builds a parser at import: 0.7 s per worker for an IRI format check nbformat never uses.
    sys.modules.setdefault("rfc3987_syntax", None)
    import nbformat
    import papermill  # noqa: F401

    cache = template_cache or os.environ.get(TEMPLATE_CACHE_ENV)
    exporter(Path(cache) if cache else None)
    kernel_manager_class()
    # a page's first render costs about 0.3 s more than the next (nbconvert's Markdown, highlighting
    # and HTML passes compile their patterns on first use): paid here, once for every worker forked
    # from this process (the build's, the kept worker template's), not on each worker's first job
    warm = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Warm-up\n\nA *page* with a [link](https://example.org) and a table:\n\n"
                                      "| a | b |\n|---|---|\n| 1 | 2 |"),
        nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")])],
        metadata={"language_info": {"name": "python"}})
    try:
        exporter().from_notebook_node(warm, resources={"unique_key": "warm-up", "output_files_dir": "warm-up_files"})
    except Exception:  # noqa: BLE001 - a warm-up that fails leaves the first page to pay, nothing more
        pass


def _preimport(env) -> tuple[str, ...]:
    """The warm kernels' modules the build named in REPORT_PREIMPORT (nbreport.config.worker_env), or ()."""
    return tuple(m for m in env.get("REPORT_PREIMPORT", "").split(",") if m)


def preload_for_workers(env: dict) -> bool:
    """In the build, before it forks two or more workers: do their preparation once, here.

    Each worker would otherwise import papermill, nbformat and nbconvert and build its exporter
    (`preload_modules`, about 0.55 CPU-s) for itself; a worker forked after this finds them done.
    The shared kernel fork server is started first (not waited for), so its imports still run
    alongside these, as they did alongside the workers'. Only where that server is used, or no
    kernel is pre-imported: a worker's own fork server (REPORT_FORK_IDLE=0) cannot be started from
    here, and would start later.

    Parameters
    ----------
    env : dict
        The workers' environment on top of this process's (nbreport.config.worker_env).

    Returns
    -------
    bool
        Whether the preparation was done here; False leaves it to each worker, as before.
    """
    from nbreport.execution import shared_server

    full = {**os.environ, **env}
    modules = _preimport(full)
    if modules and not full.get(shared_server.HOME_ENV):
        return False
    options = forking.kernel_options() if modules else None
    if options is not None:
        try:
            shared_server.SharedForkServer(modules, options, full).close()  # started, or found running
        except Exception:  # noqa: BLE001 - the workers start or find it themselves, and report any problem
            pass
    preload_modules(full.get(TEMPLATE_CACHE_ENV))
    return True


def _leave_now() -> None:
    try:
        kill_kernels()
    finally:
        os._exit(1)


def main(conn, env: dict, preload: bool = True, watch: bool = False) -> None:
    """Worker loop: receive a job dict, send back a result dict; None stops the worker.

    A job that raises still gets an answer (status "failed", kind "crash", the last 4000
    characters of the traceback), so one bad job never stops the build. SIGTERM and SIGHUP kill
    this worker's kernels first (exit 143 = 128 + SIGTERM); Ctrl-C is left to the parent.

    Parameters
    ----------
    conn : multiprocessing.connection.Connection
        The pipe to the parent (nbreport.pool); jobs and results are pickled dicts.
    env : dict
        Environment variables set before anything is imported (nbreport.config.worker_env);
        ``REPORT_PREIMPORT`` (comma-separated modules) starts the fork server at once.
    preload : bool, default True
        Import papermill and nbformat and build the HTML exporter and kernel manager before
        answering "ready", so the first job does not pay for them (`preload_modules`).
    watch : bool, default False
        A kept worker (nbreport.execution.kept_worker), not the build's child: it leaves when the
        build's end of `conn` closes, instead of when its parent dies.
    """
    parent = os.getppid()
    if watch:  # a kept worker, not the build's child: it leaves when the build's end of conn closes
        fork_server.watch_hangup(conn.fileno(), _leave_now, "nbreport-build-watch")
    else:  # the build's child: SIGTERM when the build dies (kill -9), so kernels are not orphaned
        fork_server.die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle

    def on_term(signum, frame):
        kill_kernels()
        os._exit(143)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)  # a closed terminal hangs up the whole process group
    if not watch and os.getppid() != parent:
        on_term(None, None)
    os.environ.update(env)
    modules = _preimport(os.environ)
    if modules:  # the fork server imports while this worker loads papermill
        forking.start_early(modules)
    if preload:
        preload_modules()
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
