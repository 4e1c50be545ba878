"""The build's long-lived worker processes (nbreport.execution.worker) and its progress display.

The runner talks to an *executor* at the level of job dicts (submit a job, get its result dict
back): `LocalExecutor` here, on the build's own `Pool`, is the default; nbreport.dask_executor
sends the same jobs to a Dask cluster. Both report a worker that died with a result of None, and
the runner retries that job once. The order of the build's queue (`expected_seconds`,
`_dispatch_order`) is decided here too.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field


def _unprepared(exc: BaseException):
    """The BuildError for workers that cannot be prepared (papermill or nbconvert will not import, say),
    naming the exception and the file and line it was raised at: each worker would die of it, and the
    build would report every run as a dead worker after a traceback per worker."""
    import traceback

    from nbreport.status import BuildError

    frames = traceback.extract_tb(exc.__traceback__)
    at = f" ({frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
    return BuildError(f"the report workers cannot be prepared; nothing was executed: "
                      f"{type(exc).__name__}: {exc}{at}")


class Pool:
    """Long-lived worker processes (nbreport.execution.worker.main) fed one job at a time over pipes.

    Long-lived because a worker pays its imports (nbformat, papermill, the exporter) once, not per
    job; one job at a time so a job's environment and kernel belong to it alone, and killing the
    worker (the watchdog, `replace`) stops exactly that job. Workers are forked daemons: they die
    with the build.

    Parameters
    ----------
    size : int
        How many worker processes to start (at least one).
    env : dict of str to str
        Environment variables each worker sets on top of the build's own (the kernels inherit them).
    """

    def __init__(self, size: int, env: dict):
        import multiprocessing as mp

        self.ctx = mp.get_context("fork")
        self.env = env
        from nbreport.execution import kept_worker

        self.kept = kept_worker.wanted(env)  # try the kept server's pre-loaded workers first
        self.preloaded = False  # whether this process did the workers' imports for them (worker.preload_for_workers)
        self.workers: list[dict] = []
        size = max(1, size)
        for i in range(size):
            self.workers.append(self._spawn(size - i))

    def _spawn(self, left: int = 1) -> dict:
        from nbreport.execution import kept_worker, worker

        if self.kept:  # a pre-loaded worker from the kept kernel server of this build folder
            got = kept_worker.fork_worker(self.env)
            if got is not None:
                proc, conn = got
                return {"proc": proc, "conn": conn, "job": None, "since": 0.0, "kept": True}
            self.kept = False  # none to be had: fork our own for the rest of this build
        if left >= 2 and not self.preloaded:  # two or more to fork: their imports once, here
            self.preloaded = True
            try:
                worker.preload_for_workers(self.env)
            except Exception as exc:  # noqa: BLE001 - every worker would fail the same way: one message, nothing run
                raise _unprepared(exc) from None
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=worker.main, args=(child, self.env), daemon=True, name="report-worker")
        proc.start()
        child.close()
        return {"proc": proc, "conn": parent, "job": None, "since": 0.0}

    def idle(self) -> list[dict]:
        """List the workers with no job, which `send` may use.

        Returns
        -------
        list of dict
            Worker records: ``proc`` (the process), ``conn`` (its pipe), ``job`` (None here) and
            ``since`` (`time.monotonic` s when its last job was sent).
        """
        return [w for w in self.workers if w["job"] is None]

    def busy(self) -> list[dict]:
        """List the workers running a job, for the watchdog and `LocalExecutor.running`.

        Returns
        -------
        list of dict
            Worker records as in `idle`, with ``job`` the job dict they run since ``since``.
        """
        return [w for w in self.workers if w["job"] is not None]

    def send(self, w: dict, job: dict) -> None:
        """Give `job` to worker `w` and start its clock (the watchdog measures from here).

        Parameters
        ----------
        w : dict
            An idle worker record (from `idle`).
        job : dict
            The job dict; it must pickle, as it goes over the worker's pipe.
        """
        w["job"], w["since"] = job, time.monotonic()
        try:
            w["conn"].send(job)
        except OSError:  # it died before its job reached it (its preparation failed): `wait` reports
            pass  # it as dead, with this job, which is tried once more; not an error of the build's files

    def wait(self, timeout: float) -> list[tuple[dict, dict | None]]:
        """Wait for messages from the workers, so one call serves every worker's pipe at once.

        Parameters
        ----------
        timeout : float
            Seconds to wait for the first message.

        Returns
        -------
        list of (dict, dict or None)
            ``(worker, message)`` for each worker with something to say; ``[]`` when none spoke in
            time. A message is a job's result dict or a worker's ``{"op": "ready"}`` greeting;
            None means the worker died (its pipe closed), and its record still holds its job.
        """
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
        """Kill a worker (and, through its SIGTERM handler, its kernel) and start a fresh one.

        Used for a dead worker and for a job the watchdog stops: the pool keeps its size.

        Parameters
        ----------
        w : dict
            The worker record to replace (one of this pool's).
        """
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
        if w.get("kept"):
            proc.close()  # its pidfd

    def close(self, graceful: bool = True) -> None:
        """Stop every worker, so no worker or kernel outlives the build.

        Parameters
        ----------
        graceful : bool
            True: idle workers are asked to exit (None on their pipe) and given 3 s together
            before they are terminated; False (an interrupted build): all are terminated at once.
            A busy worker is always terminated (SIGTERM, then SIGKILL after 2 s), which also kills
            its kernel.
        """
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


class LocalExecutor:
    """The default executor: the build's own worker processes (`Pool`), no Dask needed.

    Why an executor: the runner's loop only needs "how many more jobs now", "submit", "wait",
    "what is running since when", "stop this one" and "close"; keeping those at the job-dict
    level lets another engine (nbreport.dask_executor) run the very same jobs.

    Parameters
    ----------
    workers : int
        The most worker processes to start (never more than there are jobs).
    """

    name = "the build's own worker pool"

    def __init__(self, workers: int):
        self.workers = workers
        self.pool: Pool | None = None

    def start(self, env: dict, n_jobs: int) -> None:
        """Start min(workers, n_jobs) worker processes with `env` on top of the build's environment.

        Parameters
        ----------
        env : dict of str to str
            Environment variables for the workers and their kernels (the build's worker_env).
        n_jobs : int
            How many jobs the build has; no more workers than that are started (at least one).
        """
        self.pool = Pool(min(self.workers, max(1, n_jobs)), env)

    def free(self) -> int:
        """Count how many more jobs can be submitted now.

        Returns
        -------
        int
            The number of idle workers.
        """
        return len(self.pool.idle())

    def submit(self, job: dict) -> None:
        """Send `job` to an idle worker (call only when `free()` is positive).

        Parameters
        ----------
        job : dict
            The job dict; `wait` and `running` return this very object.
        """
        self.pool.send(self.pool.idle()[0], job)

    def running(self) -> list[tuple[dict, float]]:
        """List the jobs submitted and not yet finished, for the watchdog and the progress line.

        Returns
        -------
        list of (dict, float)
            Each running job with the `time.monotonic` second it was sent to its worker.
        """
        return [(w["job"], w["since"]) for w in self.pool.busy()]

    def wait(self, timeout: float) -> list[tuple[dict, dict | None]]:
        """Collect the jobs finished within `timeout`, so the runner can record them and submit more.

        Parameters
        ----------
        timeout : float
            Seconds to wait for the first message from a worker.

        Returns
        -------
        list of (dict, dict or None)
            ``(job, result)`` for every finished job; ``[]`` when none finished (a worker's
            ``ready`` greeting is not a result). The result is None when its worker died; that
            worker has already been replaced by a fresh one, and the runner retries the job once.
        """
        out = []
        for w, msg in self.pool.wait(timeout):
            if msg is not None and msg.get("op") == "ready":
                continue
            job = w["job"]
            if job is None:
                continue
            if msg is None:
                self.pool.replace(w)
            else:
                w["job"] = None
            out.append((job, msg))
        return out

    def stop(self, job: dict) -> None:
        """Kill the worker running `job` (and its kernel) and start a fresh one (the watchdog).

        Parameters
        ----------
        job : dict
            The very job dict given to `submit` (matched by identity); a job not running is ignored.
        """
        for w in self.pool.busy():
            if w["job"] is job:
                self.pool.replace(w)
                return

    def close(self, graceful: bool = True) -> None:
        """Stop every worker; `graceful` lets idle ones finish cleanly first.

        Parameters
        ----------
        graceful : bool
            False for an interrupted build: every worker is terminated at once (see `Pool.close`).
        """
        if self.pool is not None:
            self.pool.close(graceful=graceful)


@dataclass
class Progress:
    """Show the build's progress: a bar on a terminal, plain lines in a log, nothing when quiet.

    A tqdm bar when stderr is a terminal; one plain line per finished job when stderr is a file or
    a pipe (`make report > log 2>&1`: a log gets no carriage-return frames); nothing when quiet (CI).

    Parameters
    ----------
    total : int
        How many jobs the build runs; 0 shows nothing.
    quiet : bool
        True: show nothing (the --quiet option).
    bar : object
        The tqdm bar, or None; set by the class itself, not by callers.
    lines : bool
        Whether plain lines are written (stderr is not a terminal); set by the class itself.
    n : int
        Jobs finished so far.
    t0 : float
        `time.monotonic` second the build started; plain lines show the seconds since.
    """
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
        """Show which jobs run now after the bar (a terminal only; a log gets finished jobs alone).

        Parameters
        ----------
        names : list of str
            The ids of the running jobs; empty clears the text.
        """
        if self.bar is not None:
            self.bar.set_postfix_str(("running " + ", ".join(names)) if names else "", refresh=False)

    def done(self, job_id: str, message: str | None = None) -> None:
        """Count one finished job and show its message.

        Parameters
        ----------
        job_id : str
            The job's id, shown as ``<id> done`` in a log when there is no message.
        message : str or None
            What the runner recorded for the job (a failure, say), written above the bar or as
            the log line.
        """
        self.n += 1
        if self.bar is not None:
            if message:
                self.bar.write(message, file=sys.stderr)
            self.bar.update(1)
        elif self.lines:
            what = message.strip() if message else f"{job_id} done"
            print(f"report: [{self.n}/{self.total}] {what} ({time.monotonic() - self.t0:.1f} s)",
                  file=sys.stderr, flush=True)

    def note(self, message: str) -> None:
        """Write a line that is not a finished job (a retry), without counting it.

        Parameters
        ----------
        message : str
            The line; in a log it gets the seconds since the start.
        """
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        elif self.lines:
            print(f"report: {message.strip()} ({time.monotonic() - self.t0:.1f} s)", file=sys.stderr, flush=True)

    def close(self) -> bool:
        """Close the bar, so the terminal's next line starts clean.

        Returns
        -------
        bool
            True if a bar was closed: it ended the terminal's line (nbreport.status.Interrupted.line_ended).
        """
        bar, self.bar = self.bar, None
        if bar is not None:
            bar.close()
        return bar is not None


UNTIMED_SECONDS = 3.0  # a run's expected seconds before any build has timed it, unless its kind says (KINDS)


def expected_seconds(previous: dict, kind: dict | None) -> float:
    """How long a run is expected to take, in s, for ordering the build's queue (never a limit).

    Why: ordered longest first, the build ends on short runs. Before any build has timed a run (a
    cold build: every run), its kind's ``untimed_seconds`` (the extension's KINDS) stands in; with
    every run alike, manifest order decided, and on two workers the last long run ran alone.

    Parameters
    ----------
    previous : dict
        The run's record in the build state ({} if it never ran); its ``duration`` (s) when timed.
    kind : dict or None
        Its kind's entry in the extension's KINDS: ``untimed_seconds`` when that is a number above
        0, else UNTIMED_SECONDS.

    Returns
    -------
    float
        Seconds.
    """
    guess = kind.get("untimed_seconds") if isinstance(kind, dict) else None
    if isinstance(guess, bool) or not isinstance(guess, (int, float)) or not guess > 0:
        guess = UNTIMED_SECONDS  # none given, or not a number of seconds: the order only
    return float(previous.get("duration") or guess)


def _dispatch_order(job: dict) -> tuple[int, float]:
    """Sort key of the build's queue: jobs that need no kernel first, then the longest first.

    Why first: the shared kernel server takes about 2.5 s to import the kernels' modules before the
    first kernel starts, and a worker with a kernel-free job (the claims job, a page re-rendered)
    does it on the other core meanwhile, instead of waiting idle for a kernel and doing it at the end.
    Longest first: with two workers the build then ends on short runs, not with one worker alone.
    """
    return (job.get("op") == "execute", -float(job.get("expected", 0)))
