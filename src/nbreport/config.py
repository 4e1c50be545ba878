"""Where a build reads and writes, and the environment its workers and kernels get."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TIMEOUT = 600.0
DEFAULT_START_TIMEOUT = 60.0
# One BLAS/OpenMP thread per kernel (unless the caller's environment says otherwise): two kernels
# side by side, each with a thread per core, oversubscribe the cores and OpenBLAS's spinning makes
# the model notebooks' many small fits several times slower (quota_analysis: 13 s instead of 2 s).
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# the words that turn a REPORT_* switch off (REPORT_WARM_KERNELS, REPORT_FORK_IDLE, CI, a collection's own)
OFF_WORDS = ("0", "false", "no", "off")
ON_WORDS = ("1", "true", "yes", "on")  # and the words that turn one on


def single_thread_env(environ=None) -> dict:
    """One BLAS/OpenMP thread per kernel unless `environ` says otherwise (see THREAD_VARS).

    Parameters
    ----------
    environ : mapping, optional
        The environment to read; default this process's.

    Returns
    -------
    dict of str to str
        THREAD_VARS, each with `environ`'s value or "1".
    """
    environ = os.environ if environ is None else environ
    return {k: environ.get(k, "1") for k in THREAD_VARS}
# set in the kernel of a sweep point, to the sweep's id (nbreport.execution.worker): its outputs feed
# the sensitivity page's findings only, never a page of their own, so a collection may skip work
# only a page shows (helpers.plots.output reads it and draws no images)
SWEEP_ENV = "REPORT_SWEEP_POINT"
# set in every kernel of a build, to a build-owned folder (build/cache/collection) the collection may
# keep caches in (helpers.plots.chart_cache keeps laid-out chart images there); the runner's write
# guard lets kernels write under build/cache, so a cold build (empty build dir) starts with it empty
CACHE_ENV = "REPORT_CACHE_DIR"
# set for a build's workers, to the folder of the page template nbconvert compiles (`template_cache`):
# a worker's preparation (nbreport.execution.worker.preload_modules) renders a first page into it
TEMPLATE_CACHE_ENV = "REPORT_TEMPLATE_CACHE"


def template_cache(build: Path) -> Path:
    """The folder of a build's compiled nbconvert page templates (nbreport.render.exporter).

    Parameters
    ----------
    build : pathlib.Path
        The build folder.

    Returns
    -------
    pathlib.Path
        build/cache/jinja/nbconvert, beside the site's build/cache/jinja/site.
    """
    return build / "cache" / "jinja" / "nbconvert"


def preimport_modules(ext=None) -> tuple[str, ...]:
    """The modules each kernel finds already imported (warm kernels, nbreport.execution.forking).

    The collection names them (``PREIMPORT`` of its extension, nbreport.extension: its heavy
    libraries and its own package), since the builder imports nothing of it. REPORT_WARM_KERNELS=0
    turns warm kernels off (each kernel then imports everything itself, as before); a comma-separated
    list of modules there replaces the collection's (the tests' tiny projects import nothing heavy).
    The list is an execution input: it is part of every run's fingerprint (nbreport.fingerprint).

    Parameters
    ----------
    ext : nbreport.extension.Extension, optional
        The collection's extension; without it (and without a list in REPORT_WARM_KERNELS) no
        module is pre-imported.

    Returns
    -------
    tuple of str
        Dotted module names, in the order given; empty when kernels start cold.

    Raises
    ------
    BuildError
        PREIMPORT is not a list of dotted module names.
    """
    setting = os.environ.get("REPORT_WARM_KERNELS", "").strip()
    if setting.lower() in OFF_WORDS:
        return ()
    if setting and setting.lower() not in ON_WORDS:
        names, where = [n.strip() for n in setting.split(",") if n.strip()], "REPORT_WARM_KERNELS"
    elif ext is None:
        return ()
    else:
        names = ext._get("PREIMPORT", ()) if hasattr(ext, "_get") else getattr(ext, "PREIMPORT", ())
        where = f"extension {getattr(ext, 'name', '') or ext}: PREIMPORT"
    if isinstance(names, str) or not all(isinstance(n, str) and _MODULE.fullmatch(n) for n in names):
        from nbreport.status import BuildError

        raise BuildError(f"{where} must be a list of module names such as ['pandas', 'matplotlib.pyplot'], "
                         f"not {names!r}")
    if where == "REPORT_WARM_KERNELS":  # a word meant as on or off ('nein') is read as a module name: say so now
        import importlib.util

        from importlib.machinery import PathFinder

        extra = [d for d in os.environ.get("PYTHONPATH", "").split(os.pathsep) if d]  # the kernels' path too

        def found(top: str) -> bool:  # the top-level name only: nothing is imported
            return importlib.util.find_spec(top) is not None or PathFinder.find_spec(top, extra) is not None

        missing = [n for n in names if not found(n.split(".")[0])]
        if missing:
            from nbreport.status import BuildError

            raise BuildError(f"REPORT_WARM_KERNELS={setting!r}: no module named {', '.join(map(repr, missing))}; "
                             f"expected {', '.join(OFF_WORDS)} (cold kernels), {', '.join(ON_WORDS)} (the collection's "
                             "list) or module names separated by commas")
    return tuple(names)


_MODULE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def worker_env(root: Path, build: Path | None = None, preimport: tuple[str, ...] = (), sources: str = "") -> dict:
    """The environment the workers (and so their kernels) get on top of the build's own.

    ``NBREPORT_ROOT`` tells the collection's code where the repository is; one BLAS/OpenMP thread
    per kernel unless the caller's environment says otherwise (see ``THREAD_VARS``). With `build`,
    the caches a kernel writes go to build-owned folders: matplotlib's config and font cache
    (MPLCONFIGDIR), IPython's profile (IPYTHONDIR, which holds the write guard) and Jupyter's
    connection files (JUPYTER_RUNTIME_DIR). A read-only or missing HOME then puts no cache warning
    on a page and no temporary matplotlib folder in the temp dir. The collection's own caches go to
    CACHE_ENV (build/cache/collection), inside the folder the kernels' write guard allows.

    Parameters
    ----------
    root : Path
        The repository.
    build : Path, optional
        The build folder.
    preimport : tuple of str
        Modules warm kernels import before they are needed (`preimport_modules`); set as
        REPORT_PREIMPORT, so each worker starts its kernel fork server while it loads papermill.
    sources : str, default ""
        A digest of the contents of the code the kernels and kept workers import (the collection's
        package, nbreport.execution and nbreport.render, nbreport.fingerprint.Inputs; the kept
        workers of nbreport.execution.kept_worker render pages): set as REPORT_FORK_SOURCES, part of the
        shared fork server's key, so a server that imported other contents is never used, even
        when a copy kept every file's size and time (``cp -p``, ``rsync -a``), which its own check
        (nbreport.execution.fork_server.changed_file) compares.

    Returns
    -------
    dict of str to str
        Environment variables to set.
    """
    env = {"NBREPORT_ROOT": str(root), **single_thread_env()}
    if preimport:
        env["REPORT_PREIMPORT"] = ",".join(preimport)
    if build is not None:
        cache = build / "cache"
        env.update({"MPLCONFIGDIR": str(cache / "matplotlib"), "IPYTHONDIR": str(cache / "ipython"),
                    "JUPYTER_RUNTIME_DIR": str(cache / "runtime"), CACHE_ENV: str(cache / "collection"),
                    TEMPLATE_CACHE_ENV: str(template_cache(build))})
        if preimport:
            # the kernel fork server is shared by the workers and kept for the next build of this
            # build folder (nbreport.execution.shared_server), unless REPORT_FORK_IDLE=0
            from nbreport.execution import shared_server

            try:
                shared = shared_server.wanted(preimport)
            except ValueError as exc:
                from nbreport.status import BuildError

                raise BuildError(str(exc)) from None
            if shared and shared_server.unusable() is None:  # else each worker keeps its own (runner warns)
                env[shared_server.HOME_ENV] = str(cache)
                env[shared_server.SOURCES_ENV] = sources
    return env


def positive_number(text: str, kind):
    """`text` as a finite number above 0 of type `kind` (int or float), else None.

    One reading for the settings (REPORT_WORKERS, REPORT_TIMEOUT) and the options (--workers,
    --timeout, --connect-timeout): ASCII digits only (int() and float() also read other scripts'
    digits, '٣' as 3), and no 0, negative, nan or inf, which no build can keep to.

    Parameters
    ----------
    text : str
        As typed.
    kind : type
        ``int`` or ``float``.

    Returns
    -------
    int or float or None
    """
    try:
        value = kind(text.strip()) if text.isascii() else None
    except ValueError:
        return None
    return value if value is not None and 0 < value < float("inf") else None


def _env_number(name: str, kind, expected: str):
    """The number in environment variable `name`; a BuildError naming it and what was expected."""
    raw = os.environ[name]
    value = positive_number(raw, kind)
    if value is None:
        from nbreport.status import BuildError

        raise BuildError(f"{name}={raw!r} is not {'a number of ' if kind is float else ''}{expected}")
    return value


def switch(name: str, environ=None) -> bool:
    """Whether the on/off setting in environment variable `name` is on (unset or empty: on).

    A word that is neither on nor off (``REPORT_KEPT_WORKERS=abc``) is refused rather than taken
    as on: a typo in ``=of`` would otherwise leave on what the user meant to turn off.

    Parameters
    ----------
    name : str
        The variable (``REPORT_KEPT_WORKERS``, or a collection's own, e.g. ``REPORT_CHART_CACHE``).
    environ : mapping, optional
        Where to read it; default ``os.environ``.

    Returns
    -------
    bool

    Raises
    ------
    nbreport.status.BuildError
        The value is not one of OFF_WORDS or ON_WORDS (named, with the words expected).
    """
    raw = (os.environ if environ is None else environ).get(name, "")
    word = raw.strip().lower()
    if word in OFF_WORDS:
        return False
    if not word or word in ON_WORDS:
        return True
    from nbreport.status import BuildError

    raise BuildError(f"{name}={raw!r} is not an on/off setting; expected one of "
                     f"{', '.join(ON_WORDS)} (on) or {', '.join(OFF_WORDS)} (off)")


#: The builder's own on/off settings, checked by Config.resolve before anything runs (a collection
#: names its own in its extension's SWITCHES, checked by runner.preflight).
KEPT_WORKERS_ENV = "REPORT_KEPT_WORKERS"  # 0/false/no/off: every build forks its own workers (execution.kept_worker)
SWITCHES = (KEPT_WORKERS_ENV,)


def _truthy_env(name: str) -> bool:
    value = os.environ.get(name, "")
    return bool(value) and value.strip().lower() not in OFF_WORDS


@dataclass
class Config:
    """Where a build reads and writes, and how it runs (see `resolve` for the defaults).

    Parameters
    ----------
    root : Path
        The repository.
    manifest : Path
        notebooks/manifest.yml.
    build : Path
        Executed notebooks, pages, state (build/).
    site : Path
        The published site (site/).
    workers : int, default 2
        Notebooks executed side by side (two is the useful maximum on two cores).
    timeout : float, default 600
        Seconds one cell may run.
    start_timeout : float, default 60
        Seconds a kernel may take to start.
    kernel : str, default "python3"
        The Jupyter kernel name.
    quiet : bool, default False
        No progress bar (set under CI).
    force : bool, default False
        Execute every run, whatever the fingerprints say.
    only : list of str, optional
        Run ids or notebook paths to run; the others are kept as they are.
    """
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
        """A Config with the defaults: the repository (NBREPORT_ROOT, else the current folder), its build/ and site/.

        REPORT_BUILD_DIR and REPORT_SITE_DIR move build/ and site/ (the benchmark and the
        tests use them so they never touch a developer's site); REPORT_TIMEOUT and
        REPORT_WORKERS set those options; CI makes the build quiet.

        Parameters
        ----------
        root, manifest, build, site : path, optional
            Override the defaults.
        **kw
            Further fields of Config.

        Returns
        -------
        Config
            The resolved configuration (absolute paths).
        """
        root = Path(root or os.environ.get("NBREPORT_ROOT") or Path.cwd()).resolve()
        if not root.is_dir():
            from nbreport.status import BuildError

            what = "is a file, not a folder" if root.exists() else "does not exist"
            raise BuildError(f"{root}: the repository folder {what} (given by --root or NBREPORT_ROOT); "
                             "expected the folder holding notebooks/ and data/")
        try:
            build = Path(build or os.environ.get("REPORT_BUILD_DIR") or root / "build").resolve()
            site = Path(site or os.environ.get("REPORT_SITE_DIR") or root / "site").resolve()
            manifest = Path(manifest).resolve() if manifest else root / "notebooks" / "manifest.yml"
        except (RuntimeError, OSError) as exc:  # a symbolic link loop
            from nbreport.status import BuildError

            raise BuildError(f"{exc}; expected a folder (--build-dir, --site-dir) or a file (--manifest)") from None
        kw.setdefault("quiet", _truthy_env("CI"))
        if "REPORT_TIMEOUT" in os.environ and "timeout" not in kw:
            kw["timeout"] = _env_number("REPORT_TIMEOUT", float, "seconds a cell may run, e.g. 600")
        if "REPORT_WORKERS" in os.environ and "workers" not in kw:
            kw["workers"] = _env_number("REPORT_WORKERS", int, "a whole number of workers, 1 or more")
        for name in SWITCHES:
            switch(name)
        from nbreport.execution.shared_server import idle_seconds

        try:  # read again when the workers start; checked here so that --check refuses it too
            idle_seconds()
        except ValueError as exc:
            from nbreport.status import BuildError

            raise BuildError(str(exc)) from None
        return cls(root=root, manifest=manifest, build=build, site=site, **kw)

    # build/ layout
    @property
    def state_file(self) -> Path:
        """Path: build/state.json, what each run last did."""
        return self.build / "state.json"

    @property
    def notebooks_out(self) -> Path:
        """Path: build/notebooks, the executed notebooks."""
        return self.build / "notebooks"

    @property
    def pages(self) -> Path:
        """Path: build/pages, the rendered report pages."""
        return self.build / "pages"

    @property
    def thumbs(self) -> Path:
        """Path: build/thumbs, the index cards' figures."""
        return self.build / "thumbs"

    @property
    def claims_csv(self) -> Path:
        """Path: build/claims.csv, the collection job's results table."""
        return self.build / "claims.csv"


