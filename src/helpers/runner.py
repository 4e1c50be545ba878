"""The report runner behind `make report`: plan, execute in parallel workers, assemble the site.

1. Read and validate the manifest; check every parameter set against its notebook's
   `parameters` cell. Any problem stops the build before anything executes.
2. Fingerprint each run's inputs: its notebook, its parameters, every file in data/,
   the helpers the notebooks import (src/helpers/**, less the report builder's own
   modules, which only change how pages look and so cause a re-render, not a
   re-execution) and environment.yml. A run whose fingerprint matches its last
   successful execution is reused; a failed run is always tried again.
3. Execute what changed with papermill in two long-lived worker processes
   (helpers.worker), IPC kernels, a per-notebook deadline, one retry when a kernel
   fails to start. Each kernel works in build/work/<run>/ with build-owned caches and a
   write guard; data/ and notebooks/ are watched for writes the guard cannot see. A run
   that stops early, writes outside build/ or prints invalid Unicode fails; one whose page
   shows stderr or cut output is published with warnings. Results are recorded in
   build/state.json as each run finishes.
4. Assemble the whole site in a temporary folder next to site/ and swap it in with
   one rename (helpers.site). An interrupted build leaves the previous site as it was.

Nothing here imports pandas, seaborn, papermill or nbconvert: with nothing changed a
rebuild only hashes files and compares stamps (well under a second).
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from helpers import manifest as manifest_mod

HELPERS_DIR = Path(__file__).resolve().parent
# The report builder's own files: they decide how pages look, not what notebooks compute.
RENDER_FILES = ("worker.py", "templates")
SITE_FILES = ("site.py", "runner.py", "report.py", "manifest.py", "sitecheck.py", "static")
BUILDER_FILES = set(RENDER_FILES) | set(SITE_FILES)
STATE_VERSION = 2
DEFAULT_TIMEOUT = 600.0
DEFAULT_START_TIMEOUT = 60.0
# One BLAS/OpenMP thread per kernel (unless the caller's environment says otherwise): two kernels
# side by side, each with a thread per core, oversubscribe the cores and OpenBLAS's spinning makes
# the model notebooks' many small fits several times slower (quota_analysis: 13 s instead of 2 s).
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def worker_env(root: Path, build: Path | None = None) -> dict:
    """The environment the workers (and so their kernels) get on top of the build's own.

    With `build`, the caches a kernel writes go to build-owned folders: matplotlib's config and
    font cache (MPLCONFIGDIR), IPython's profile (IPYTHONDIR, which holds the write guard) and
    Jupyter's connection files (JUPYTER_RUNTIME_DIR). A read-only or missing HOME then puts no
    cache warning on a page and no temporary matplotlib folder in the temp dir.
    """
    env = {"RARE_EARTH_ROOT": str(root), **{k: os.environ.get(k, "1") for k in THREAD_VARS}}
    if build is not None:
        cache = build / "cache"
        env.update({"MPLCONFIGDIR": str(cache / "matplotlib"), "IPYTHONDIR": str(cache / "ipython"),
                    "JUPYTER_RUNTIME_DIR": str(cache / "runtime")})
    return env


_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def strip_ansi(text) -> str:
    """Text without terminal escape sequences (colours, cursor moves, OSC titles)."""
    return _ANSI.sub("", "" if text is None else str(text))


class BuildError(RuntimeError):
    """The build cannot start (bad manifest, bad parameters, locked, read-only folder); nothing was executed."""


class StorageError(BuildError):
    """A file of the build could not be written (full disk, read-only folder); the site was left as it was."""


class Interrupted(BaseException):
    """SIGTERM or Ctrl-C during a build."""


def _truthy_env(name: str) -> bool:
    value = os.environ.get(name, "")
    return bool(value) and value.strip().lower() not in ("0", "false", "no", "off")


@dataclass
class Config:
    root: Path
    manifest: Path
    build: Path
    site: Path
    workers: int = 2
    timeout: float = DEFAULT_TIMEOUT
    start_timeout: float = DEFAULT_START_TIMEOUT
    kernel: str = "python3"
    quiet: bool = False
    force: bool = False
    only: list[str] = field(default_factory=list)

    @classmethod
    def resolve(cls, root=None, manifest=None, build=None, site=None, **kw) -> "Config":
        """Defaults: the repository (RARE_EARTH_ROOT or helpers.paths.ROOT), its build/ and site/.

        REPORT_BUILD_DIR and REPORT_SITE_DIR move build/ and site/ (the benchmark and the
        tests use them so they never touch a developer's site).
        """
        if root is None:
            from helpers import paths
            root = paths.ROOT
        root = Path(root).resolve()
        build = Path(build or os.environ.get("REPORT_BUILD_DIR") or root / "build").resolve()
        site = Path(site or os.environ.get("REPORT_SITE_DIR") or root / "site").resolve()
        manifest = Path(manifest).resolve() if manifest else root / "notebooks" / "manifest.yml"
        kw.setdefault("quiet", _truthy_env("CI"))
        if "REPORT_TIMEOUT" in os.environ and "timeout" not in kw:
            kw["timeout"] = float(os.environ["REPORT_TIMEOUT"])
        if "REPORT_WORKERS" in os.environ and "workers" not in kw:
            kw["workers"] = int(os.environ["REPORT_WORKERS"])
        return cls(root=root, manifest=manifest, build=build, site=site, **kw)

    # build/ layout
    @property
    def state_file(self) -> Path:
        return self.build / "state.json"

    @property
    def notebooks_out(self) -> Path:
        return self.build / "notebooks"

    @property
    def pages(self) -> Path:
        return self.build / "pages"

    @property
    def thumbs(self) -> Path:
        return self.build / "thumbs"

    @property
    def claims_csv(self) -> Path:
        return self.build / "claims.csv"


@dataclass
class Outcome:
    id: str
    notebook: str
    action: str            # executed | rendered | reused | not-run
    status: str            # ok | failed | stale | missing
    reason: str = ""
    error: dict | None = None
    duration: float = 0.0
    warnings: list[str] = field(default_factory=list)


@dataclass
class BuildResult:
    outcomes: list[Outcome]
    site_written: bool
    nothing_changed: bool
    seconds: float
    claims: dict
    warnings: list[str]
    site: Path

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def executed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.action == "executed"]


# --------------------------------------------------------------------------- hashing

def _hash_file(h, path: Path) -> None:
    with open(path, "rb") as f:
        h.update(hashlib.sha256(f.read()).digest())


def hash_tree(folder: Path, skip: set[str] | None = None, only: tuple[str, ...] | None = None) -> str:
    """sha256 over the relative names and contents of every file under folder (sorted)."""
    h = hashlib.sha256()
    if not folder.is_dir():
        return "absent"
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if not path.is_file() or "__pycache__" in rel.parts or any(p.startswith(".") for p in rel.parts):
            continue
        if path.suffix in (".pyc", ".pyo"):
            continue
        if skip and rel.parts[0] in skip:
            continue
        if only is not None and rel.parts[0] not in only:
            continue
        h.update(rel.as_posix().encode() + b"\0")
        _hash_file(h, path)
    return h.hexdigest()


def hash_file(path: Path) -> str:
    if not path.is_file():
        return "absent"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Inputs:
    data: str
    helpers: str
    env: str
    render: str
    site: str
    manifest: str

    @classmethod
    def collect(cls, cfg: Config) -> "Inputs":
        return cls(
            data=hash_tree(cfg.root / "data"),
            helpers=hash_tree(HELPERS_DIR, skip=BUILDER_FILES),
            env=hash_file(cfg.root / "environment.yml"),
            render=hash_tree(HELPERS_DIR, only=RENDER_FILES),
            site=hash_tree(HELPERS_DIR, only=SITE_FILES),
            manifest=hash_file(cfg.manifest),
        )


# --------------------------------------------------------------------------- state

def _valid_state(state) -> bool:
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        return False
    runs, claims = state.get("runs"), state.get("claims", {})
    if not isinstance(runs, dict) or not isinstance(claims, dict):
        return False
    for entry in runs.values():
        if not isinstance(entry, dict) or not isinstance(entry.get("inputs", {}), dict):
            return False
        if not isinstance(entry.get("error") or {}, dict) or not isinstance(entry.get("warnings") or [], list):
            return False
    return True


def load_state(cfg: Config, notes: list[str] | None = None) -> dict:
    """build/state.json, or an empty state when it is missing, unreadable or not in this format
    (a hand-edited or truncated file means "no state": every run is executed again)."""
    empty = {"version": STATE_VERSION, "runs": {}, "claims": {}}
    try:
        text = cfg.state_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return empty
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
    else:
        try:
            state = json.loads(text)
        except ValueError as exc:
            why = f"not valid JSON ({exc})"
        else:
            if _valid_state(state):
                return state
            why = "not in the format this builder writes"
    if notes is not None:
        notes.append(f"{cfg.state_file} was unreadable ({why}); treated as no state, so every report is executed again")
    return empty


def save_state(cfg: Config, state: dict) -> None:
    """Write build/state.json atomically; on failure the temporary file is removed and StorageError raised."""
    tmp = cfg.state_file.with_name(f".state.{os.getpid()}.tmp")
    try:
        cfg.build.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, cfg.state_file)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise storage_error(exc, cfg.state_file) from None


def storage_error(exc: OSError, path: Path | str | None = None) -> StorageError:
    """A StorageError that names the file and says what went wrong in words."""
    where = exc.filename or path or "a build file"
    words = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
             errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
             errno.EPERM: "operation not permitted"}.get(exc.errno, exc.strerror or str(exc))
    return StorageError(f"cannot write {where}: {words}")


def run_status(s: dict | None, fingerprint: str) -> str:
    """What a run's page is, from its state entry: ok | warnings | failed | stale | missing.

    A run recorded on other inputs than today's is stale, whether it passed or failed then:
    an old failure is not a current failure once the data are fixed.
    """
    if not s:
        return "missing"
    if s.get("fingerprint") != fingerprint:
        return "stale"
    status = s.get("status", "failed")
    if status == "ok" and s.get("warnings"):
        return "warnings"
    return status


# --------------------------------------------------------------------------- planning

@dataclass
class Planned:
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
    old = prev.get("inputs", {})
    names = {"notebook": "notebook changed", "parameters": "parameters changed", "data": "data changed",
             "helpers": "helpers changed", "env": "environment.yml changed", "kernel": "kernel changed"}
    diffs = [names.get(k, f"{k} changed") for k in inputs if old.get(k) != inputs[k]]
    return ", ".join(diffs)


def plan(cfg: Config, man: manifest_mod.Manifest, inputs: Inputs, state: dict) -> list[Planned]:
    selected = None
    if cfg.only:
        selected = {r.id for key in cfg.only for _, r in man.find(key)}
    out = []
    for entry, run in man.runs(site_only=selected is None):
        nb_file = man.notebook_file(entry)
        run_inputs = {"notebook": hash_file(nb_file), "parameters": digest(run.parameters), "data": inputs.data,
                      "helpers": inputs.helpers, "env": inputs.env, "kernel": cfg.kernel}
        fp = digest(run_inputs)
        prev = state["runs"].get(run.id)
        if selected is not None and run.id not in selected:
            out.append(Planned(entry, run, run_inputs, fp, "skip"))
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
    runs = []
    for p in planned:
        if not p.run.site:
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


# --------------------------------------------------------------------------- workers

class Pool:
    """Long-lived worker processes (helpers.worker.main) fed one job at a time over pipes."""

    def __init__(self, size: int, env: dict):
        import multiprocessing as mp

        self.ctx = mp.get_context("fork")
        self.env = env
        self.workers: list[dict] = []
        for _ in range(max(1, size)):
            self.workers.append(self._spawn())

    def _spawn(self) -> dict:
        from helpers import worker

        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=worker.main, args=(child, self.env), daemon=True, name="report-worker")
        proc.start()
        child.close()
        return {"proc": proc, "conn": parent, "job": None, "since": 0.0}

    def idle(self) -> list[dict]:
        return [w for w in self.workers if w["job"] is None]

    def busy(self) -> list[dict]:
        return [w for w in self.workers if w["job"] is not None]

    def send(self, w: dict, job: dict) -> None:
        w["job"], w["since"] = job, time.monotonic()
        w["conn"].send(job)

    def wait(self, timeout: float) -> list[tuple[dict, dict | None]]:
        """(worker, message) pairs; message None means the worker died."""
        from multiprocessing.connection import wait

        conns = {id(w["conn"]): w for w in self.workers}
        ready = wait([w["conn"] for w in self.workers], timeout=timeout)
        out = []
        for conn in ready:
            w = conns[id(conn)]
            try:
                out.append((w, conn.recv()))
            except (EOFError, OSError):
                out.append((w, None))
        return out

    def replace(self, w: dict) -> None:
        """Kill a worker (and, through its SIGTERM handler, its kernel) and start a fresh one."""
        self._stop(w)
        self.workers[self.workers.index(w)] = self._spawn()

    def _stop(self, w: dict, grace: float = 2.0) -> None:
        proc = w["proc"]
        if proc.is_alive():
            proc.terminate()
            proc.join(grace)
            if proc.is_alive():
                proc.kill()
                proc.join(1)
        try:
            w["conn"].close()
        except OSError:
            pass

    def close(self, graceful: bool = True) -> None:
        for w in self.workers:
            if graceful and w["job"] is None and w["proc"].is_alive():
                try:
                    w["conn"].send(None)
                except OSError:
                    pass
        deadline = time.monotonic() + (3.0 if graceful else 0)
        for w in self.workers:
            if graceful:
                w["proc"].join(max(0.0, deadline - time.monotonic()))
            self._stop(w)


def run_floor(n: int, workers: int = 2, kernel: str = "python3", env: dict | None = None,
              start_timeout: float = DEFAULT_START_TIMEOUT) -> dict:
    """The benchmark's floor: n bare kernels (helpers.worker's `floor` job), `workers` at a time,
    on this module's Pool. Returns {"startup": s until every worker was ready, "seconds": wall s of
    the n kernels after that, "kernels": each kernel's s}."""
    t0 = time.monotonic()
    pool = Pool(min(workers, n), env or {})
    try:
        ready, deadline = 0, t0 + start_timeout
        while ready < len(pool.workers):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the workers were not ready within {start_timeout:g} s")
            for _, msg in pool.wait(timeout=1.0):
                if msg is None:
                    raise RuntimeError("a worker died while starting")
                ready += msg.get("op") == "ready"
        t1 = time.monotonic()
        left, kernels = n, []
        while left or pool.busy():
            for w in pool.idle()[:left]:
                pool.send(w, {"op": "floor", "id": f"floor-{left}", "kernel": kernel})
                left -= 1
            for w, msg in pool.wait(timeout=0.5):
                if msg is None or msg.get("status") == "failed":
                    raise RuntimeError(f"a floor kernel failed: {_describe_error((msg or {}).get('error'))}")
                w["job"] = None
                kernels.append(msg["duration"])
        return {"startup": t1 - t0, "seconds": time.monotonic() - t1, "kernels": kernels}
    finally:
        pool.close()


# --------------------------------------------------------------------------- build

@dataclass
class _Progress:
    """A progress bar on a terminal; one plain line per finished job when stderr is a file or a
    pipe (`make report > log 2>&1`: no carriage-return frames); nothing when quiet (CI)."""
    total: int
    quiet: bool
    bar: object = None
    lines: bool = False
    n: int = 0
    t0: float = field(default_factory=time.monotonic)

    def __post_init__(self):
        if self.quiet or not self.total:
            return
        if not sys.stderr.isatty():
            self.lines = True
            return
        from tqdm import tqdm
        self.bar = tqdm(total=self.total, desc="report", unit="job", file=sys.stderr, dynamic_ncols=True,
                        bar_format="{desc} {n_fmt}/{total_fmt} |{bar:20}| {elapsed}{postfix}")

    def running(self, names: list[str]) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(("running " + ", ".join(names)) if names else "", refresh=False)

    def done(self, job_id: str, message: str | None = None) -> None:
        self.n += 1
        if self.bar is not None:
            if message:
                self.bar.write(message, file=sys.stderr)
            self.bar.update(1)
        elif self.lines:
            what = message.strip() if message else f"{job_id} done"
            print(f"report: [{self.n}/{self.total}] {what} ({time.monotonic() - self.t0:.1f} s)",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def check_writable(folder: Path, what: str) -> None:
    """Refuse (BuildError) a folder, or a folder inside it, whose owner has taken write permission
    away (honoured even when running as root, who could write anyway), or that this process cannot
    write; and a missing folder whose parent cannot be written."""
    target = folder
    while not target.exists() and target.parent != target:
        target = target.parent
    dirs = [target]
    if target == folder:
        for base, subdirs, _ in os.walk(folder):
            dirs += [Path(base) / d for d in subdirs if not (Path(base) / d).is_symlink()]
    for d in dirs:
        try:
            mode = d.stat().st_mode
        except OSError:
            continue
        if not mode & stat.S_IWUSR or not os.access(d, os.W_OK | os.X_OK):
            raise BuildError(f"{d} is read-only (mode {stat.filemode(mode)}), so {what} cannot be written; "
                             f"make it writable (chmod -R u+w {d}) or choose another folder; nothing was "
                             "executed and the site was left as it was")
    if folder.exists() and folder.parent != folder:
        parent = folder.parent  # the site is swapped in by renaming beside it
        mode = parent.stat().st_mode
        if not mode & stat.S_IWUSR or not os.access(parent, os.W_OK | os.X_OK):
            raise BuildError(f"{parent} is read-only (mode {stat.filemode(mode)}), so {what} cannot be replaced; "
                             "nothing was executed and the site was left as it was")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def sweep_kernel_leftovers(tmp: str | None = None, old: float = 600.0) -> list[str]:
    """Remove the kernel socket folders (rek-<worker pid>-*) a killed build left in the temp dir.

    A folder is removed only when none of its sockets is bound by a live process (/proc/net/unix
    lists every bound socket path) and the worker that made it is gone (or, for a folder without
    a pid in its name, it is older than `old` seconds): a concurrent build keeps its own, even in
    the moment between making the folder and binding the first socket.
    """
    tmp = tmp or ("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir())
    try:
        with open("/proc/net/unix", encoding="utf-8", errors="replace") as f:
            bound = f.read()
    except OSError:
        return []
    removed = []
    for d in Path(tmp).glob("rek-*"):
        try:
            if not d.is_dir() or d.is_symlink() or d.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        if str(d) + "/" in bound:
            continue
        m = re.match(r"rek-(\d+)-", d.name)
        try:
            if m and _pid_alive(int(m.group(1))) or not m and time.time() - d.stat().st_mtime < old:
                continue
        except OSError:
            continue
        shutil.rmtree(d, ignore_errors=True)
        removed.append(str(d))
    return removed


PROTECTED = ("data", "notebooks")


def protected_snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of every file under the folders a notebook must not write (data/, notebooks/)."""
    out = {}
    for top in PROTECTED:
        for base, dirs, files in os.walk(root / top):
            dirs[:] = [d for d in dirs if d not in (".ipynb_checkpoints", "__pycache__")]
            for name in files:
                path = Path(base) / name
                try:
                    st = path.stat()
                except OSError:
                    continue
                out[path.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


def _diff(before: dict, after: dict) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _lock(cfg: Config):
    cfg.build.mkdir(parents=True, exist_ok=True)
    fh = open(cfg.build / ".report.lock", "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise BuildError(f"another report build is running on {cfg.build} (lock file {cfg.build / '.report.lock'})")
    return fh


def _sources(cfg: Config) -> dict[str, dict]:
    import csv
    path = cfg.root / "data" / "sources.csv"
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {row.get("source_id", ""): row for row in csv.DictReader(f)}


def preflight(cfg: Config, data: bool = True) -> tuple[manifest_mod.Manifest, list[str]]:
    """Validate the manifest and every parameter set; raise BuildError listing every problem.

    data=False leaves out the joint constraints that count what data/ holds (see check_data)."""
    try:
        man = manifest_mod.load(cfg.manifest, root=cfg.root)
        for key in cfg.only:  # --only names something the manifest lists, or nothing runs
            man.find(key)
    except manifest_mod.ManifestError as exc:
        raise BuildError(str(exc)) from None
    from helpers import data as data_mod  # the loaders' own checks, without pandas: bad data never reaches a kernel

    try:
        data_problems = [str(p) for p in data_mod.validate_all(cfg.root / "data")]
    except data_mod.DataError as exc:
        data_problems = [str(exc)]
    if data_problems:  # checked first: the joint constraints below count what data/ holds
        raise BuildError("the data cannot be used; nothing was executed (`make check-data` lists every "
                         "problem):\n  " + "\n  ".join(manifest_mod.check_parameters(man, data=False) + data_problems))
    problems = manifest_mod.check_parameters(man, data=data)
    sources = _sources(cfg)
    shown = manifest_mod._display(man.file, man.root)
    for entry in man.entries:
        if entry.kind == "article" and sources and entry.source_id not in sources:
            problems.append(f"{shown}: {entry.label()}: source_id {entry.source_id!r} is not in data/sources.csv")
    if problems:
        raise BuildError("the manifest cannot be run; nothing was executed:\n  " + "\n  ".join(problems))
    warnings = [f"notebooks/{p} is not listed in {shown}, so it is not run; add an entry for it"
                for p in manifest_mod.unlisted_notebooks(man)]
    return man, warnings


def check_data(man: manifest_mod.Manifest, planned: list) -> None:
    """The parameter sets about to execute against the data-counting `# requires:` lines of their
    notebooks (enough observed years, months...); raise BuildError before anything runs. Only for the
    runs that execute, so a rebuild with nothing changed stays free of pandas."""
    ids = {p.run.id for p in planned if p.action == "execute"}
    problems = manifest_mod.check_parameters(man, data=True, runs=ids) if ids else []
    if problems:
        raise BuildError("the manifest cannot be run; nothing was executed:\n  " + "\n  ".join(problems))


def _clear_outputs(cfg: Config, run_id: str) -> None:
    """Forget a run's previous page before re-executing it: a failed re-run must never show the old one."""
    for path in (cfg.pages / f"{run_id}.html", cfg.thumbs / f"{run_id}.png"):
        path.unlink(missing_ok=True)
    shutil.rmtree(cfg.pages / f"{run_id}_files", ignore_errors=True)


def _describe_error(err: dict | None) -> str:
    """One line for a run's error, without terminal escape codes (shared by the log and the site)."""
    if not isinstance(err, dict) or not err:
        return "failed"
    where = f"cell [{err['cell_number']}]" if err.get("cell_number") else "the notebook"
    kind = err.get("kind")
    if kind == "error":
        text = f"{where} raised {err.get('ename')}: {err.get('evalue')}".rstrip(": ")
    elif kind in ("timeout", "stopped", "encoding"):
        text = f"{where} {err.get('message', 'timed out')}"
    else:
        text = err.get("message") or kind or "failed"
    return " ".join(strip_ansi(text).split())


def build(cfg: Config, writer_hook=None) -> BuildResult:
    """Run the whole build; see the module docstring. writer_hook(path) is called by the site
    writer after each file (tests use it to simulate a crash mid-write).

    Raises BuildError before anything runs (bad manifest, read-only build/ or site/), StorageError
    when a file cannot be written (full disk), Interrupted on SIGTERM, SIGHUP or Ctrl-C; in each
    case the previous site is left as it was and no temporary file of this build is left behind.
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
        from helpers import site as site_mod

        site_mod.clean_leftovers(cfg.site)
        sweep_kernel_leftovers()
        shutil.rmtree(cfg.build / "tmp", ignore_errors=True)
        man, warnings = preflight(cfg, data=False)
        inputs = Inputs.collect(cfg)
        state = load_state(cfg, warnings)
        planned = plan(cfg, man, inputs, state)
        check_data(man, planned)
        claims_fp = digest({"data": inputs.data, "helpers": inputs.helpers, "env": inputs.env,
                            "articles": sorted({e.source_id for e in man.entries if e.kind == "article"})})
        prev_claims = state.get("claims") or {}
        need_claims = (prev_claims.get("fingerprint") != claims_fp or cfg.force or prev_claims.get("status") == "failed"
                       or (prev_claims.get("status") in ("ok", "partial") and not cfg.claims_csv.is_file()))
        jobs = [p for p in planned if p.action in ("execute", "render")]

        if not jobs and not need_claims:
            stamp = site_stamp(cfg, man, inputs, state, planned)
            if stamp == _read_site_stamp(cfg):
                outcomes = [_outcome(p, state) for p in planned if p.run.site or cfg.only]
                return BuildResult(outcomes, False, True, time.monotonic() - t0, state.get("claims", {}),
                                   warnings, cfg.site)

        check_writable(cfg.site, "the site")
        withheld = _execute(cfg, man, inputs, state, planned, jobs, need_claims, claims_fp)
        _check_outputs_survived(cfg, state, planned)
        stamp = site_stamp(cfg, man, inputs, state, planned)
        site_mod.write_site(cfg, man, state, planned, stamp, inputs, hook=writer_hook, withheld=withheld)
        outcomes = [_outcome(p, state) for p in planned if p.run.site or cfg.only]
        if withheld:
            warnings.append("changed during the build and not published: " + ", ".join(sorted(withheld))
                            + "; restore them (git checkout) and run make report again")
        return BuildResult(outcomes, True, False, time.monotonic() - t0, state.get("claims", {}), warnings, cfg.site)
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
             need_claims: bool, claims_fp: str) -> set[str]:
    """Run the jobs; return the data files that changed while they ran (never to be published)."""
    from helpers import worker as worker_mod

    for d in (cfg.notebooks_out, cfg.pages, cfg.thumbs):
        d.mkdir(parents=True, exist_ok=True)
    env = worker_env(cfg.root, cfg.build)
    startup = Path(env["IPYTHONDIR"]) / "profile_default" / "startup" / "00-report-write-guard.py"
    startup.parent.mkdir(parents=True, exist_ok=True)
    if not startup.is_file() or startup.read_text(encoding="utf-8") != worker_mod.WRITE_GUARD:
        startup.write_text(worker_mod.WRITE_GUARD, encoding="utf-8")
    queue: list[dict] = []
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
                          "work_dir": str(cfg.build / "work" / p.run.id), "tmp_dir": str(cfg.build / "tmp" / p.run.id),
                          "allow_writes": [str(cfg.build / "work" / p.run.id), str(cfg.build / "tmp" / p.run.id),
                                           str(cfg.build / "cache"), "/dev"],
                          "expected": prev.get("duration") or 3.0})
        else:
            queue.append({**common, "op": "render", "previous_error": prev.get("error"), "expected": 0.1})
    if need_claims:
        queue.append({"op": "claims", "id": "claims", "out_csv": str(cfg.claims_csv),
                      "data_dir": str(cfg.root / "data"),
                      "articles": sorted({e.source_id for e in man.entries if e.kind == "article"}),
                      "expected": 2.5})
    # longest first: with two workers this keeps the last one from finishing alone
    queue.sort(key=lambda j: -float(j.get("expected", 0)))
    progress = _Progress(len(queue), cfg.quiet)
    pool = Pool(min(cfg.workers, len(queue)), env)
    watchdog = cfg.timeout + 2 * cfg.start_timeout + 30
    graceful = False
    protected = protected_snapshot(cfg.root)
    start_data = {k: v for k, v in protected.items() if k.startswith("data/")}
    suspects: dict[str, list[str]] = {}  # run id -> protected files that changed while it ran

    def check_protected(finished: dict) -> None:
        """Files under data/ or notebooks/ that changed since the last look are laid at the door of
        every run executing in that interval (the write guard in the kernel names the writer
        itself; this catches writes it cannot see, such as a shell command's)."""
        nonlocal protected
        now = protected_snapshot(cfg.root)
        changed = _diff(protected, now)
        protected = now
        if changed:
            group = [j["id"] for j in [finished] + [w["job"] for w in pool.busy()] if j and j.get("op") == "execute"]
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
        while queue or pool.busy():
            for w in pool.idle():
                if not queue:
                    break
                pool.send(w, queue.pop(0))
            progress.running([w["job"]["id"] for w in pool.busy()])
            for w, msg in pool.wait(timeout=0.5):
                if msg is not None and msg.get("op") == "ready":
                    continue
                job = w["job"]
                if job is None:
                    continue
                if msg is None:
                    msg = {"op": job["op"], "id": job["id"], "status": "failed",
                           "error": {"kind": "crash", "message": "the worker process died while running it"}}
                    pool.replace(w)
                else:
                    w["job"] = None
                check_protected(job)
                progress.done(job["id"], _record(cfg, state, by_id, job, blame(job, msg), inputs, claims_fp))
            now = time.monotonic()
            for w in pool.busy():
                if w["job"]["op"] == "execute" and now - w["since"] > watchdog:
                    job = w["job"]
                    pool.replace(w)
                    msg = {"op": "execute", "id": job["id"], "status": "failed",
                           "error": {"kind": "timeout", "message": f"was stopped after {watchdog:g} s "
                                     f"(notebook limit {cfg.timeout:g} s)"}}
                    check_protected(job)
                    progress.done(job["id"], _record(cfg, state, by_id, job, blame(job, msg), inputs, claims_fp))
        graceful = True
    except KeyboardInterrupt:
        raise Interrupted() from None
    finally:
        progress.close()
        pool.close(graceful=graceful)
        shutil.rmtree(cfg.build / "tmp", ignore_errors=True)
    now_data = {k: v for k, v in protected_snapshot(cfg.root).items() if k.startswith("data/")}
    return {k for k in _diff(start_data, now_data)}


def _record(cfg: Config, state: dict, by_id: dict, job: dict, msg: dict, inputs: Inputs, claims_fp: str) -> str | None:
    """Store one finished job in build/state.json; return a line for the progress log on failure."""
    if job["op"] == "claims":
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
                 "figures": msg.get("figures", 0), "missing_alt": msg.get("missing_alt", 0),
                 "warnings": msg.get("warnings") or [],
                 "thumb": msg.get("thumb"), "has_page": (cfg.pages / f"{job['id']}.html").is_file()}
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
