"""The report runner behind `make report`: plan, execute in parallel workers, assemble the site.

1. Read and validate the manifest; check every parameter set against its notebook's `parameters`
   cell. Any problem stops the build before anything executes.
2. Fingerprint each run's inputs: its notebook, its parameters, every file in data/, the package the
   notebooks import (named by the extension, hashed as a whole), the builder's own execution code
   (nbreport.execution) and environment.yml; the page template (nbreport.render) causes a re-render,
   not a re-execution. A run whose fingerprint matches its last successful execution is reused; a
   failed run is always tried again.
3. Execute what changed with papermill in two long-lived worker processes
   (nbreport.execution.worker), IPC kernels, a per-notebook deadline, one retry when a kernel fails
   to start. Each kernel works in build/work/<run>/ with build-owned caches and a write guard; data/
   and notebooks/ are watched for writes the guard cannot see. A run that stops early, writes
   outside build/ or prints invalid Unicode fails; one whose page shows stderr or cut output is
   published with warnings. Results are recorded in build/state.json as each run finishes.
4. Assemble the whole site in a temporary folder next to site/ and swap it in with one rename
   (nbreport.site). An interrupted build leaves the previous site as it was.

Nothing here imports pandas, seaborn, papermill or nbconvert: with nothing changed a rebuild only
hashes files and compares stamps (well under a second).
"""
from __future__ import annotations

import json
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from nbreport import extension as extension_mod
from nbreport import manifest as manifest_mod
from nbreport import sweep as sweep_mod
from nbreport.execution import shared_server
from nbreport.config import (DEFAULT_START_TIMEOUT, DEFAULT_TIMEOUT, Config, preimport_modules, switch,  # noqa: F401
                             worker_env)
from nbreport import findings as findings_mod
from nbreport.fingerprint import NBREPORT_DIR, Inputs, digest, hash_file, hash_tree
from nbreport.pool import LocalExecutor, Progress, _dispatch_order, expected_seconds
from nbreport.safety import (_diff, _lock, check_writable, protected_snapshot,  # noqa: F401
                             sweep_kernel_leftovers)
from nbreport.state import checked_data, load_state, save_state
from nbreport.status import (BuildError, Interrupted, Outcome, StorageError, describe_error,  # noqa: F401
                             run_status, storage_error, strip_ansi)

_describe_error = describe_error  # the name the CLI and older callers use


@dataclass
class BuildResult:
    """The result of `build`: every run's outcome and whether the site was rewritten.

    Parameters
    ----------
    outcomes : list of Outcome
        One per run the build lists.
    site_written, nothing_changed : bool
        A new site was swapped in; no input changed and the site's stamp matched (nothing ran).
    seconds : float
        Wall time of the build.
    claims : dict
        The state of the collection's results job (fingerprint, status, computed_at ...).
    warnings : list of str
        Problems that did not stop the build (unlisted notebooks, data changed while it ran).
    site : pathlib.Path
        The site folder.
    sweep_points : list of Outcome, optional
        One per sweep point planned (a failed point is also in `outcomes`); the CLI counts them.
    """
    outcomes: list[Outcome]
    site_written: bool
    nothing_changed: bool
    seconds: float
    claims: dict
    warnings: list[str]
    site: Path
    sweep_points: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        """The outcomes whose page is failed now (they make `make report` exit non-zero)."""
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def executed(self) -> list[Outcome]:
        """The outcomes of the runs this build executed (not rendered, reused or skipped)."""
        return [o for o in self.outcomes if o.action == "executed"]


# --------------------------------------------------------------------------- planning

@dataclass
class Planned:
    """What the build will do with one run, decided from its fingerprint before anything runs.

    Parameters
    ----------
    entry : nbreport.manifest.Entry
        The manifest entry (notebook) the run belongs to.
    run : nbreport.manifest.Run
        The run: id, parameters, site or sweep.
    inputs : dict
        The hashes that make the fingerprint, kept so the next build can say which one changed.
    fingerprint : str
        Hex sha256 of `inputs`.
    action : str
        execute, render (only the page template changed), reuse or skip (not selected by --only).
    reason : str, default ""
        Why: "never built", "data changed", "forced", "refused" ...
    """
    entry: manifest_mod.Entry
    run: manifest_mod.Run
    inputs: dict
    fingerprint: str
    action: str           # execute | render | reuse | skip
    reason: str = ""


def _changed(prev: dict | None, inputs: dict) -> str:
    if not prev:
        return "never built"
    if prev.get("status") != "ok":
        return "failed last time"
    old = prev.get("inputs") or {}
    if not old:
        return "its last build recorded no inputs"
    names = {"notebook": "notebook changed", "parameters": "parameters changed", "data": "data changed",
             "helpers": "helpers changed", "env": "environment.yml changed", "kernel": "kernel changed",
             "execution": "the builder's execution code changed",
             "warm": "the warm kernels' pre-imported modules changed (REPORT_WARM_KERNELS or the collection's PREIMPORT)"}
    diffs = [names.get(k, f"{k} changed") for k in inputs if k in old and old[k] != inputs[k]]
    new = [repr(k) for k in inputs if k not in old]  # an input an older builder did not record: none of it changed
    if new:
        diffs.append(f"the last build was made by a builder that did not record {', '.join(new)}")
    return ", ".join(diffs)


def plan(cfg: Config, man: manifest_mod.Manifest, inputs: Inputs, state: dict) -> list[Planned]:
    """Decide for every run whether to execute, re-render, reuse or skip it.

    Executed when its fingerprint differs from its last success, when it failed last time, when
    its outputs left build/, or with --force; re-rendered when only the page template changed.

    Parameters
    ----------
    cfg : Config
        The build's configuration (``only``, ``force``, ``kernel``, output folders).
    man : nbreport.manifest.Manifest
        The validated manifest.
    inputs : Inputs
        The build's input hashes now.
    state : dict
        build/state.json (``runs`` by id).

    Returns
    -------
    list of Planned
        One per site run and sweep point, in manifest order.
    """
    selected = None
    if cfg.only:
        selected = {r.id for key in cfg.only for _, r in man.find(key)}
    out = []
    for entry, run in man.runs(site_only=selected is None) + man.sweep_points():
        nb_file = man.notebook_file(entry)
        run_inputs = {"notebook": hash_file(nb_file), "parameters": digest(run.parameters), "data": inputs.data,
                      "helpers": inputs.helpers, "env": inputs.env, "kernel": cfg.kernel,
                      "execution": inputs.execution, "warm": inputs.warm}
        fp = digest(run_inputs)
        prev = state["runs"].get(run.id)
        if selected is not None and run.id not in selected:
            out.append(Planned(entry, run, run_inputs, fp, "skip"))
            continue
        if run.sweep and not cfg.force and sweep_mod.reused_refusal(prev, fp):
            out.append(Planned(entry, run, run_inputs, fp, "reuse", "refused"))
            continue
        reason = "forced" if cfg.force else _changed(prev, run_inputs)
        if not reason and not ((cfg.notebooks_out / f"{run.id}.ipynb").is_file()
                               and (cfg.pages / f"{run.id}.html").is_file()):
            reason = "output missing from build/"
        if reason:
            out.append(Planned(entry, run, run_inputs, fp, "execute", reason))
        elif prev.get("render") != inputs.render:
            out.append(Planned(entry, run, run_inputs, fp, "render", "page template changed"))
        else:
            out.append(Planned(entry, run, run_inputs, fp, "reuse"))
    return out


def site_stamp(cfg: Config, man: manifest_mod.Manifest, inputs: Inputs, state: dict, planned: list[Planned]) -> str:
    """The hash of everything the site shows: equal to site/build.json's, the site is left as it is.

    Builder, manifest, data/, each published run's fingerprint and result, the results job and
    CITATION.cff, so the no-change path can skip the site without reading a page.

    Parameters
    ----------
    cfg : Config
        The build's configuration (the root, for CITATION.cff).
    man : nbreport.manifest.Manifest
        The manifest (unused: the runs come from `planned`).
    inputs : Inputs
        The build's input hashes now.
    state : dict
        build/state.json (each run's recorded fingerprint, status and time; the claims).
    planned : list of Planned
        The build's plan; only site runs and sweep points count.

    Returns
    -------
    str
        Hex sha256.
    """
    runs = []
    for p in planned:
        if not (p.run.site or p.run.sweep):
            continue
        s = state["runs"].get(p.run.id, {})
        runs.append([p.run.id, p.fingerprint, s.get("fingerprint"), s.get("render"), s.get("status"),
                     s.get("executed_at")])
    c = state.get("claims", {})
    return digest({"site": inputs.site, "manifest": inputs.manifest, "data": inputs.data, "runs": runs,
                   "claims": [c.get("fingerprint"), c.get("status"), c.get("computed_at")],
                   "citation": hash_file(cfg.root / "CITATION.cff")})


def _read_site_stamp(cfg: Config) -> str | None:
    try:
        return json.loads((cfg.site / "build.json").read_text(encoding="utf-8")).get("stamp")
    except (OSError, ValueError):
        return None


def preflight(cfg: Config, data: bool = True) -> tuple[manifest_mod.Manifest, list[str]]:
    """Validate the manifest and every parameter set; raise BuildError listing every problem.

    Parameters
    ----------
    cfg : Config
        The build's configuration (manifest path, root, ``only``).
    data : bool, default True
        False leaves out the joint constraints that count what data/ holds (see check_data).

    Returns
    -------
    man : nbreport.manifest.Manifest
        The manifest, with its loaded extension as ``man.ext``.
    warnings : list of str
        Notebooks under notebooks/ that the manifest does not list (so they are not run).

    Raises
    ------
    BuildError
        Bad manifest, extension, data or parameter set, or ``--only`` naming nothing.
    """
    try:
        man = manifest_mod.load(cfg.manifest, root=cfg.root)
        for key in cfg.only:  # --only names something the manifest lists, or nothing runs
            try:
                man.find(key)
            except manifest_mod.ManifestError as exc:
                raise manifest_mod.ManifestError(f"--only {exc}") from None
        ext = extension_mod.load(man.extension)
    except (manifest_mod.ManifestError, extension_mod.ExtensionError) as exc:
        raise BuildError(str(exc)) from None
    man.ext = ext
    for name in (ext.switches if ext is not None else ()):  # the collection's on/off settings: refused if neither
        switch(name)
    preimport_modules(ext)  # REPORT_WARM_KERNELS or PREIMPORT malformed: refused by --check as by the build
    # the collection's own data checks, without pandas: bad data never reaches a kernel
    data_problems = checked_data(cfg, ext)  # kept when clean on the same data, code and pins
    if data_problems:  # checked first: the joint constraints below count what data/ holds
        hint = ext._get("DATA_CHECK_HINT", "")
        raise BuildError(f"the data cannot be used; nothing was executed{f' ({hint})' if hint else ''}:\n  "
                         + "\n  ".join(ext.call("check_parameters", man, data=False, default=[]) + data_problems))
    problems = (ext.call("check_parameters", man, data=data, default=[]) + ext.call("check_manifest", man, default=[])
                + sweep_mod.problems(man, data=False))
    if problems:
        raise BuildError("the manifest cannot be run; nothing was executed:\n  " + "\n  ".join(problems))
    shown = manifest_mod.display(man.file, man.root)
    warnings = [f"notebooks/{p} is not listed in {shown}, so it is not run; add an entry for it"
                for p in manifest_mod.unlisted_notebooks(man)]
    return man, warnings


def check_data(man: manifest_mod.Manifest, planned: list) -> None:
    """The parameter sets about to execute against the checks of the extension that read the data
    (e.g. enough observed years); raise BuildError before anything runs. Only for the runs that
    execute, so a rebuild with nothing changed stays free of pandas.

    Parameters
    ----------
    man : nbreport.manifest.Manifest
        The manifest from `preflight` (its ``ext`` is reused).
    planned : list of Planned
        The build's plan; only runs with action "execute" are checked.

    Raises
    ------
    BuildError
        A parameter set the data cannot support; every problem is listed.
    """
    ids = {p.run.id for p in planned if p.action == "execute"}
    ext = getattr(man, "ext", None) or extension_mod.load(man.extension)
    problems = ext.call("check_parameters", man, data=True, runs=ids, default=[]) if ids else []
    if problems:
        raise BuildError("the manifest cannot be run; nothing was executed:\n  " + "\n  ".join(problems))


def _clear_outputs(cfg: Config, run_id: str) -> None:
    """Forget a run's previous page before re-executing it: a failed re-run must never show the old one."""
    for path in (cfg.pages / f"{run_id}.html", cfg.thumbs / f"{run_id}.png"):
        path.unlink(missing_ok=True)
    shutil.rmtree(cfg.pages / f"{run_id}_files", ignore_errors=True)


def build(cfg: Config, writer_hook=None, executor=None) -> BuildResult:
    """Run the whole build (see the module docstring); one at a time, by a lock in build/.

    Parameters
    ----------
    cfg : Config
        Where the build reads and writes; its limits (timeouts in seconds, workers).
    writer_hook : callable, optional
        ``writer_hook(path)`` after each file the site writer writes (tests simulate a crash).
    executor : nbreport.dask_executor.DaskSpec, optional
        None for the build's own worker pool; a Dask cluster is reached (and its workers checked)
        only when something is to run, before anything does.

    Returns
    -------
    BuildResult
        Every listed run's outcome, whether the site was rewritten, and the warnings.

    Raises
    ------
    BuildError
        Before anything runs: bad manifest, data or parameters, read-only build/ or site/.
    StorageError
        A file cannot be written (full disk).
    Interrupted
        SIGTERM, SIGHUP or Ctrl-C. After any of the three the previous site is as it was and no
        temporary file of this build is left behind.
    """
    t0 = time.monotonic()
    check_writable(cfg.build, "the build folder")
    try:
        lock = _lock(cfg)
    except OSError as exc:
        raise storage_error(exc, cfg.build / ".report.lock") from None
    handlers = {}

    def on_term(signum, frame):
        raise Interrupted()

    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            handlers[sig] = signal.signal(sig, on_term)
        except ValueError:  # not the main thread
            pass
    try:
        from nbreport import site as site_mod

        site_mod.clean_leftovers(cfg.site)
        sweep_kernel_leftovers()
        shutil.rmtree(cfg.build / "tmp", ignore_errors=True)
        man, warnings = preflight(cfg, data=False)
        inputs = Inputs.collect(cfg, man.ext)
        warnings += shared_server.warnings(inputs.preimport)
        state = load_state(cfg, warnings)
        planned = plan(cfg, man, inputs, state)
        check_data(man, planned)
        sweep_mod.refuse(cfg, man, planned, state)  # points the joint constraints refuse are listed, never run
        results_job = man.ext.call("results_job", man)
        claims_fp = digest({"data": inputs.data, "helpers": inputs.helpers, "env": inputs.env,
                            "execution": inputs.execution, "job": results_job})
        prev_claims = state.get("claims") or {}
        need_claims = results_job is not None and (prev_claims.get("fingerprint") != claims_fp or cfg.force or prev_claims.get("status") == "failed"
                       or (prev_claims.get("status") in ("ok", "partial") and not cfg.claims_csv.is_file()))
        jobs = [p for p in planned if p.action in ("execute", "render")]

        if not jobs and not need_claims:
            stamp = site_stamp(cfg, man, inputs, state, planned)
            if stamp == _read_site_stamp(cfg):
                outcomes = [_outcome(p, state) for p in planned if sweep_mod.listed(p, state, cfg.only)]
                return BuildResult(outcomes, False, True, time.monotonic() - t0, state.get("claims", {}),
                                   warnings, cfg.site, [_outcome(p, state) for p in planned if p.run.sweep])

        check_writable(cfg.site, "the site")
        engine = None  # the Dask cluster is reached only when something is to run
        if executor is not None and (jobs or need_claims):
            # the workers' code is compared with this checkout's (Inputs.execution)
            engine = executor.connect(cfg.root, hash_tree(NBREPORT_DIR / "execution"))
        withheld = _execute(cfg, man, inputs, state, planned, jobs, results_job if need_claims else None,
                            claims_fp, engine)
        _check_outputs_survived(cfg, state, planned)
        stamp = site_stamp(cfg, man, inputs, state, planned)
        site_mod.write_site(cfg, man, state, planned, stamp, inputs, hook=writer_hook, withheld=withheld)
        outcomes = [_outcome(p, state) for p in planned if sweep_mod.listed(p, state, cfg.only)]
        if withheld:
            warnings.append("changed during the build and not published: " + ", ".join(sorted(withheld))
                            + "; restore them (git checkout) and run make report again")
        return BuildResult(outcomes, True, False, time.monotonic() - t0, state.get("claims", {}), warnings, cfg.site,
                           [_outcome(p, state) for p in planned if p.run.sweep])
    except OSError as exc:
        raise storage_error(exc) from None
    finally:
        for sig, old in handlers.items():
            signal.signal(sig, old)
        lock.close()


def _check_outputs_survived(cfg: Config, state: dict, planned: list[Planned]) -> None:
    """A run recorded as done whose executed notebook or page has gone from build/ (make clean
    while the build ran) is failed, never published as a Current page with no output."""
    changed = False
    for p in planned:
        s = state["runs"].get(p.run.id)
        if not s or s.get("fingerprint") != p.fingerprint or s.get("status") != "ok":
            continue
        gone = [f for f, want in ((cfg.notebooks_out / f"{p.run.id}.ipynb", True),
                                  (cfg.pages / f"{p.run.id}.html", s.get("has_page", True))) if want and not f.is_file()]
        if gone:
            state["runs"][p.run.id] = {**s, "status": "failed", "has_page": False, "error": {
                "kind": "vanished", "message": "its output was removed from build/ while the build ran "
                f"({', '.join(f.name for f in gone)}; was `make clean` run?); run make report again"}}
            changed = True
    if changed:
        save_state(cfg, state)


def _outcome(p: Planned, state: dict) -> Outcome:
    s = state["runs"].get(p.run.id, {})
    action = {"execute": "executed", "render": "rendered", "reuse": "reused", "skip": "not-run"}[p.action]
    return Outcome(p.run.id, p.entry.path, action, run_status(s, p.fingerprint), p.reason, s.get("error"),
                   s.get("duration", 0.0), list(s.get("warnings") or []))


def _execute(cfg: Config, man, inputs: Inputs, state: dict, planned: list[Planned], jobs: list[Planned],
             results_job: dict | None, claims_fp: str, executor=None) -> set[str]:
    """Run the jobs on `executor` (default: the local pool, nbreport.pool.LocalExecutor); return the
    data files that changed while they ran (never to be published). A job whose worker dies is
    tried once more, then recorded as failed; the other jobs go on."""
    from nbreport.execution import kernels

    for d in (cfg.notebooks_out, cfg.pages, cfg.thumbs):
        d.mkdir(parents=True, exist_ok=True)
    # the kept server's contents: the kernels' code and the workers' (a kept worker renders pages)
    env = worker_env(cfg.root, cfg.build, inputs.preimport,
                     sources=digest([inputs.helpers, inputs.execution, inputs.render]))
    startup = Path(env["IPYTHONDIR"]) / "profile_default" / "startup" / "00-report-write-guard.py"
    startup.parent.mkdir(parents=True, exist_ok=True)
    if not startup.is_file() or startup.read_text(encoding="utf-8") != kernels.WRITE_GUARD:
        startup.write_text(kernels.WRITE_GUARD, encoding="utf-8")
    queue: list[dict] = []
    kinds = man.ext.kinds
    by_id = {p.run.id: p for p in jobs}
    for p in jobs:
        prev = state["runs"].get(p.run.id, {})
        common = {"id": p.run.id, "out_notebook": str(cfg.notebooks_out / f"{p.run.id}.ipynb"),
                  "pages_dir": str(cfg.pages), "thumbs_dir": str(cfg.thumbs), "root": str(cfg.root)}
        if p.action == "execute":
            _clear_outputs(cfg, p.run.id)
            queue.append({**common, "op": "execute", "notebook": str(man.notebook_file(p.entry)),
                          "parameters": p.run.parameters, "timeout": cfg.timeout,
                          "start_timeout": cfg.start_timeout, "kernel": cfg.kernel,
                          "preimport": list(inputs.preimport), "sweep": p.run.sweep,
                          "work_dir": str(cfg.build / "work" / p.run.id), "tmp_dir": str(cfg.build / "tmp" / p.run.id),
                          "allow_writes": [str(cfg.build / "work" / p.run.id), str(cfg.build / "tmp" / p.run.id),
                                           str(cfg.build / "cache"), "/dev"],
                          "expected": expected_seconds(prev, kinds.get(p.entry.kind))})
        else:
            queue.append({**common, "op": "render", "previous_error": prev.get("error"), "expected": 0.1})
    if results_job is not None:  # the extension's collection-wide job (claims results)
        queue.append({"expected": 2.5, **results_job, "op": "call", "id": "claims", "out_csv": str(cfg.claims_csv),
                      "data_dir": str(cfg.root / "data")})
    queue.sort(key=_dispatch_order)
    progress = Progress(len(queue), cfg.quiet)
    executor = executor or LocalExecutor(cfg.workers)
    watchdog = cfg.timeout + 2 * cfg.start_timeout + 30
    graceful = False
    protected = protected_snapshot(cfg.root)
    start_data = {k: v for k, v in protected.items() if k.startswith("data/")}
    suspects: dict[str, list[str]] = {}  # run id -> protected files that changed while it ran
    died: set[str] = set()  # jobs whose worker died once: retried once, then failed

    def check_protected(finished: dict) -> None:
        """Files under data/ or notebooks/ that changed since the last look are laid at the door of
        every run executing in that interval (the write guard in the kernel names the writer
        itself; this catches writes it cannot see, such as a shell command's)."""
        nonlocal protected
        now = protected_snapshot(cfg.root)
        changed = _diff(protected, now)
        protected = now
        if changed:
            group = [j["id"] for j in [finished] + [j for j, _ in executor.running()] if j and j.get("op") == "execute"]
            for rid in group:
                suspects.setdefault(rid, []).extend(changed)
                running_with.setdefault(rid, set()).update(group)

    def blame(job: dict, msg: dict) -> dict:
        files = sorted(set(suspects.pop(job["id"], [])))
        if job["op"] != "execute" or not files or (msg.get("error") or {}).get("kind") == "write":
            return msg
        others = sorted(set(running_with.get(job["id"], set())) - {job["id"]})
        along = f" (alongside {', '.join(others)}; either may have written them)" if others else ""
        return {**msg, "status": "failed", "error": {"kind": "write", "message":
                f"{', '.join(files[:5])}{' and more' if len(files) > 5 else ''} changed while it ran{along}; "
                "a notebook must write only under build/; restore them (git checkout) and run make report again"}}

    running_with: dict[str, set[str]] = {}  # run id -> the runs executing when its suspect files changed
    try:
        executor.start(env, len(queue))
        while queue or executor.running():
            while queue and executor.free() > 0:
                executor.submit(queue.pop(0))
            progress.running([j["id"] for j, _ in executor.running()])
            for job, msg in executor.wait(timeout=0.5):
                check_protected(job)
                if msg is None and job["id"] not in died:  # the worker died: once is bad luck, try again
                    died.add(job["id"])
                    progress.note(f"  RETRY {job['id']}: its worker process died while running it "
                                  f"({executor.name}); trying it once more")
                    queue.insert(0, job)
                    continue
                if msg is None:
                    msg = {"op": job["op"], "id": job["id"], "status": "failed",
                           "error": {"kind": "crash", "message": "its worker process died while running it, "
                                     f"and again when it was tried once more ({executor.name})"}}
                elif job["id"] in died:
                    msg = {**msg, "retried": 1}
                progress.done(job["id"], _record(cfg, state, by_id, job, blame(job, msg), inputs, claims_fp))
            now = time.monotonic()
            for job, since in executor.running():
                if job["op"] == "execute" and now - since > watchdog:
                    executor.stop(job)
                    msg = {"op": "execute", "id": job["id"], "status": "failed",
                           "error": {"kind": "timeout", "message": f"was stopped after {watchdog:g} s "
                                     f"(notebook limit {cfg.timeout:g} s)"}}
                    check_protected(job)
                    progress.done(job["id"], _record(cfg, state, by_id, job, blame(job, msg), inputs, claims_fp))
        graceful = True
    except (KeyboardInterrupt, Interrupted):
        stop = Interrupted()
        stop.line_ended = progress.close()  # a bar on a terminal ends its line as it closes
        raise stop from None
    finally:
        progress.close()
        executor.close(graceful=graceful)
        shutil.rmtree(cfg.build / "tmp", ignore_errors=True)
    now_data = {k: v for k, v in protected_snapshot(cfg.root).items() if k.startswith("data/")}
    return {k for k in _diff(start_data, now_data)}


def _record(cfg: Config, state: dict, by_id: dict, job: dict, msg: dict, inputs: Inputs, claims_fp: str) -> str | None:
    """Store one finished job in build/state.json; return a line for the progress log on failure."""
    if job["id"] == "claims" and job["op"] == "call":
        if msg.get("status") == "failed" and not msg.get("message"):
            msg = {**msg, "message": "the claims checker crashed: " + _describe_error(msg.get("error"))}
        state["claims"] = {"fingerprint": claims_fp, "status": msg.get("status"), "message": msg.get("message", ""),
                           "summaries": msg.get("summaries", {}), "rows": msg.get("rows", 0),
                           "computed_at": time.time()}
        save_state(cfg, state)
        return f"  claims: {msg.get('message')}" if msg.get("status") not in ("ok", "missing") else None
    p = by_id[job["id"]]
    prev = state["runs"].get(job["id"], {})
    if job["op"] == "execute":
        entry = {"notebook": f"notebooks/{p.entry.path}", "inputs": p.inputs, "fingerprint": p.fingerprint,
                 "render": inputs.render, "status": "failed" if msg.get("status") != "ok" else "ok",
                 "error": msg.get("error"), "executed_at": msg.get("executed_at", time.time()),
                 "duration": msg.get("duration", 0.0), "attempts": msg.get("attempts", 1),
                 "worker_retries": msg.get("retried", 0),
                 "figures": msg.get("figures", 0), "missing_alt": msg.get("missing_alt", 0),
                 "warnings": msg.get("warnings") or [],
                 "thumb": msg.get("thumb"), "has_page": (cfg.pages / f"{job['id']}.html").is_file(),
                 "findings": findings_mod.read(job["out_notebook"]) if msg.get("status") == "ok" else None}
    else:  # render
        if msg.get("status") == "failed":  # could not re-render: force a re-execution next time
            entry = {**prev, "status": "failed", "error": msg.get("error"), "has_page": False}
        else:
            entry = {**prev, "render": inputs.render, "figures": msg.get("figures", 0),
                     "missing_alt": msg.get("missing_alt", 0), "thumb": msg.get("thumb"),
                     "warnings": msg.get("warnings", prev.get("warnings") or []),
                     "error": msg.get("error"), "has_page": True}
    state["runs"][job["id"]] = entry
    save_state(cfg, state)
    if entry["status"] != "ok":
        return f"  FAILED {job['id']} ({p.entry.path}): {_describe_error(entry.get('error'))}"
    if entry.get("warnings"):
        return f"  WARNING {job['id']} ({p.entry.path}): {entry['warnings'][0]}"
    return None
