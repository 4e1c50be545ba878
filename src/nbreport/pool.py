"""The build's long-lived worker processes (nbreport.execution.worker) and its progress display."""
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

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

