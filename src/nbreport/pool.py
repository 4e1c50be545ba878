"""The build's long-lived worker processes (nbreport.execution.worker) and its progress display.

The runner talks to an *executor* at the level of job dicts (submit a job, get its result dict
back): `LocalExecutor` here, on the build's own `Pool`, is the default; nbreport.dask_executor
sends the same jobs to a Dask cluster. Both report a worker that died with a result of None, and
the runner retries that job once.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field


class Pool:
    """Long-lived worker processes (nbreport.execution.worker.main) fed one job at a time over pipes."""

    def __init__(self, size: int, env: dict):
        import multiprocessing as mp

        self.ctx = mp.get_context("fork")
        self.env = env
        self.workers: list[dict] = []
        for _ in range(max(1, size)):
            self.workers.append(self._spawn())

    def _spawn(self) -> dict:
        from nbreport.execution import worker

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


class LocalExecutor:
    """The default executor: the build's own worker processes (`Pool`), no Dask needed.

    Parameters
    ----------
    workers : int
        The most worker processes to start (never more than there are jobs).

    Why: the runner's loop only needs "how many more jobs now", "submit", "wait", "what is
    running since when", "stop this one" and "close"; keeping those five at the job-dict level
    lets another engine (nbreport.dask_executor) run the very same jobs.
    """

    name = "the build's own worker pool"

    def __init__(self, workers: int):
        self.workers = workers
        self.pool: Pool | None = None

    def start(self, env: dict, n_jobs: int) -> None:
        """Start min(workers, n_jobs) worker processes with `env` on top of the build's environment."""
        self.pool = Pool(min(self.workers, max(1, n_jobs)), env)

    def free(self) -> int:
        """How many more jobs can be submitted now."""
        return len(self.pool.idle())

    def submit(self, job: dict) -> None:
        """Send `job` to an idle worker (call only when `free()` is positive)."""
        self.pool.send(self.pool.idle()[0], job)

    def running(self) -> list[tuple[dict, float]]:
        """(job, monotonic start time) of every job submitted and not yet finished."""
        return [(w["job"], w["since"]) for w in self.pool.busy()]

    def wait(self, timeout: float) -> list[tuple[dict, dict | None]]:
        """(job, result) for the jobs finished within `timeout` s; result None: its worker died
        (it has been replaced by a fresh one)."""
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
        """Kill the worker running `job` (and its kernel) and start a fresh one (the watchdog)."""
        for w in self.pool.busy():
            if w["job"] is job:
                self.pool.replace(w)
                return

    def close(self, graceful: bool = True) -> None:
        """Stop every worker; `graceful` lets idle ones finish cleanly first."""
        if self.pool is not None:
            self.pool.close(graceful=graceful)


@dataclass
class Progress:
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

    def note(self, message: str) -> None:
        """A line for the log that is not a finished job (a retry)."""
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        elif self.lines:
            print(f"report: {message.strip()} ({time.monotonic() - self.t0:.1f} s)", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

