"""Run the build's jobs on Dask (`python -m nbreport --scheduler tcp://host:8786` or `--local-cluster N`).

The runner (nbreport.runner) hands every job, as the same dict the local pool gets, to an
executor; this one submits it to a `distributed` cluster, where `run_job` runs it with the
very code the local workers run (nbreport.execution.worker.JOBS), and hands the result dict
back. So the fingerprints, the executed notebooks and the claims results are the same whichever
executor ran them; tests/test_dask.py builds one project both ways and compares.

What the workers need: this project installed (`pip install -e '.[dask]'` from the same
checkout, or `make env`) and the repository and its build folder at the same paths as the
machine that runs the build (one machine, or a shared filesystem): a job reads the notebook and
data/ and writes its executed notebook and page into build/ by path. `connect` checks all of
that on every worker before anything runs and refuses, in one message, a scheduler it cannot
reach, a cluster with no workers and a worker that sees another repository or runs other
execution code.

A worker that dies while running a job (killed, out of memory) comes back as "died"; the runner
retries that job once and then records it as failed. `--local-cluster` sets the scheduler's
`allowed-failures` to 0 so that the runner's single retry is the only one; a scheduler of your
own applies its own setting first (Dask's default retries a job three times).

Dask is imported here only, and this module only when one of the two options is given: the
default build never imports it.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from nbreport.status import BuildError

INSTALL_HINT = "pip install -e '.[dask]' (or make env) in this checkout"
_LOCK = threading.Lock()


@dataclass
class DaskSpec:
    """Which Dask cluster to run on: an existing scheduler's address, or a LocalCluster of N workers.

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler, e.g. ``tcp://host:8786``.
    local_workers : int
        Start a `distributed.LocalCluster` with this many worker processes instead (one thread each).
    memory_limit : str
        Memory limit of each LocalCluster worker process (Dask's format, e.g. ``"1GiB"``); a kernel
        is a process of its own and is not counted in it.
    connect_timeout : float
        Seconds to wait for the scheduler to answer, and then for its first worker.
    """

    scheduler: str | None = None
    local_workers: int = 0
    memory_limit: str = "1GiB"
    connect_timeout: float = 5.0

    def describe(self) -> str:
        """Name the cluster for messages, so every error says which cluster it is about.

        Returns
        -------
        str
            ``"the Dask scheduler at <address>"`` or ``"a Dask LocalCluster of N workers"``.
        """
        return (f"the Dask scheduler at {self.scheduler}" if self.scheduler
                else f"a Dask LocalCluster of {self.local_workers} workers")

    def connect(self, root: Path, execution: str) -> "DaskExecutor":
        """Reach the cluster and check its workers; raise BuildError (nothing has run) when it cannot be used.

        Parameters
        ----------
        root : Path
            The repository the build reads; every worker must see it at this path.
        execution : str
            The hash of this builder's execution code (nbreport.fingerprint.Inputs.execution); every
            worker must run the same code, or its results would not match the fingerprints.

        Returns
        -------
        DaskExecutor
            Connected to a cluster with at least one worker, every worker checked (`probe`).

        Raises
        ------
        BuildError
            When dask or distributed is not installed, no scheduler answers within
            `connect_timeout` s, the LocalCluster does not start, the cluster has no worker, or a
            worker does not see `root` or runs other execution code. Whatever was started here is
            shut down first, and the message says that nothing was executed.
        """
        try:
            import dask
            import distributed
        except ImportError as exc:
            raise BuildError(f"{'--scheduler' if self.scheduler else '--local-cluster'} needs dask and distributed, "
                             f"which are not installed here ({exc}); {INSTALL_HINT}; nothing was executed") from None
        cluster = client = None
        try:
            if self.scheduler:
                try:
                    client = distributed.Client(self.scheduler, timeout=f"{self.connect_timeout}s",
                                                set_as_default=False)
                except (OSError, TimeoutError, ValueError) as exc:
                    why = " ".join(str(exc).split()) or type(exc).__name__
                    raise BuildError(f"--scheduler {self.scheduler}: no Dask scheduler answered there within "
                                     f"{self.connect_timeout:g} s ({why[:200]}); start one (`dask scheduler`) and "
                                     "its workers (`dask worker <address>`), or check the address; nothing was "
                                     "executed") from None
            else:
                import logging

                try:
                    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                        cluster = distributed.LocalCluster(
                            n_workers=self.local_workers, threads_per_worker=1, processes=True,
                            memory_limit=self.memory_limit, dashboard_address=None, silence_logs=logging.CRITICAL,
                            # no dashboard; the scheduler's HTTP server on a free port, not 8787 (taken
                            # by the first cluster on the machine, and then a warning)
                            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
                except (RuntimeError, OSError, ValueError, TimeoutError) as exc:
                    why = " ".join(str(exc).split()) or type(exc).__name__
                    raise BuildError(f"--local-cluster {self.local_workers}: the Dask LocalCluster did not start "
                                     f"({why[:200]}; --worker-memory {self.memory_limit}); nothing was "
                                     "executed") from None
                client = distributed.Client(cluster, set_as_default=False)
            where = self.describe()
            try:
                client.wait_for_workers(1, timeout=max(self.connect_timeout, 30 if cluster else 0))
            except (TimeoutError, OSError):
                raise BuildError(f"{where} has no workers; start some (`dask worker {self.scheduler}`, with this "
                                 f"project installed: {INSTALL_HINT}); nothing was executed") from None
            _check_workers(client, where, root, execution)
        except BaseException:
            _shutdown(client, cluster)
            raise
        return DaskExecutor(client, cluster, where)


def _check_workers(client, where: str, root: Path, execution: str) -> None:
    """Every worker sees `root` and runs this execution code; raise BuildError naming each that does not."""
    try:
        answers = client.run(probe, str(root))
    except Exception as exc:  # noqa: BLE001 - a worker without nbreport cannot even unpickle probe
        raise BuildError(f"the workers of {where} cannot run the builder's code ({type(exc).__name__}: "
                         f"{' '.join(str(exc).split())[:200]}); install this project on them: {INSTALL_HINT}; "
                         "nothing was executed") from None
    problems = []
    for addr, info in sorted(answers.items()):
        if not info["root"]:
            problems.append(f"worker {addr} does not see the repository at {root} (workers need it at the same "
                            "path: the same machine or a shared filesystem)")
        elif info["execution"] != execution:
            problems.append(f"worker {addr} runs other execution code than this checkout "
                            f"(nbreport at {info['nbreport']}); install this checkout there: {INSTALL_HINT}")
    if problems:
        raise BuildError(f"{where} cannot run this build; nothing was executed:\n  " + "\n  ".join(problems))


def probe(root: str) -> dict:
    """On a worker: does it see the repository, and which execution code does it run (its hash).

    Run on every worker by `DaskSpec.connect` before any job, so that a worker that would read
    another checkout, or compute with other code than the fingerprints assume, is refused up front
    instead of producing results that look current but are not.

    Parameters
    ----------
    root : str
        The repository's path on the machine that runs the build.

    Returns
    -------
    dict
        ``root`` (bool: ``root/notebooks`` and ``root/data`` are folders here), ``execution``
        (str: hash of this worker's nbreport/execution code, as nbreport.fingerprint computes it),
        ``nbreport`` (str: where this worker's nbreport package lives) and ``pid`` (int).
    """
    from nbreport.fingerprint import NBREPORT_DIR, hash_tree

    base = Path(root)
    return {"root": (base / "notebooks").is_dir() and (base / "data").is_dir(),
            "execution": hash_tree(NBREPORT_DIR / "execution"), "nbreport": str(NBREPORT_DIR),
            "pid": os.getpid()}


def run_job(job: dict, env: dict) -> dict:
    """On a worker: run one job dict exactly as a local worker does and return its result dict.

    One job at a time per worker process (a lock), as in the local pool: the job's environment
    (`env`, the build's worker_env) goes into this process's os.environ, which its kernel
    inherits, and the execution code keeps the kernel's extra variables in a module global.
    Running the local workers' own code (nbreport.execution.worker.JOBS) is what makes a Dask
    build's outputs and fingerprints equal to a local build's (tests/test_dask.py).

    Parameters
    ----------
    job : dict
        The job as the runner built it; ``job["op"]`` names the function in
        nbreport.execution.worker.JOBS, ``job["id"]`` identifies it in the result.
    env : dict of str to str
        Environment variables set in this worker process before the job runs.

    Returns
    -------
    dict
        The job's result dict as the local worker returns it, plus ``worker`` (this process's pid).
        An exception in the job does not escape: it becomes ``status: "failed"`` with an
        ``error`` of kind ``crash`` (message and the last 4000 characters of the traceback), so a
        failed job is recorded like on the local pool rather than as a lost worker.
    """
    import traceback

    with _LOCK:
        os.environ.update(env)
        # as nbreport.execution.worker.main: skip a slow import nbformat never needs
        sys.modules.setdefault("rfc3987_syntax", None)
        from nbreport.execution import worker

        try:
            result = worker.JOBS[job["op"]](job)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a failed result, as in worker.main
            result = {"op": job.get("op"), "id": job.get("id"), "status": "failed",
                      "error": {"kind": "crash", "message": f"{type(exc).__name__}: {exc}",
                                "traceback": traceback.format_exc()[-4000:]}}
        result["worker"] = os.getpid()
        return result


def stop_kernels() -> None:
    """On a worker: kill the kernels its current job started (interrupted build, watchdog); the worker lives on."""
    from nbreport.execution import kernels

    pids = set(getattr(kernels, "_kernel_pids", set()))
    for pid in pids:
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, 9)
                break
            except OSError:
                continue


def _shutdown(client, cluster) -> None:
    for thing in (client, cluster):
        if thing is not None:
            try:
                thing.close()
            except Exception:  # noqa: BLE001 - closing after a failure must not hide it
                pass


class DaskExecutor:
    """The runner's executor interface (see nbreport.pool.LocalExecutor) on a `distributed.Client`.

    As many jobs run at once as the cluster has workers; the rest wait in the runner's queue, so
    the longest-first order and the watchdog's clock mean the same as on the local pool.
    Made by `DaskSpec.connect`, which has checked the workers; not meant to be built directly.

    Parameters
    ----------
    client : distributed.Client
        The build's own client (not set as Dask's default, so it cannot capture other code's work).
    cluster : distributed.LocalCluster or None
        The LocalCluster this build started, stopped by `close`; None for an existing scheduler,
        which `close` leaves running.
    where : str
        The cluster's name for messages (`DaskSpec.describe`), kept as `name`.
    """

    def __init__(self, client, cluster, where: str):
        self.client, self.cluster, self.name = client, cluster, where
        self.env: dict = {}
        self.futures: dict = {}  # future -> (job, since)
        self.count = 0

    def start(self, env: dict, n_jobs: int) -> None:
        """Remember the environment each job gets (the workers are already running).

        Parameters
        ----------
        env : dict of str to str
            Environment variables each job's worker process gets (`run_job`).
        n_jobs : int
            How many jobs the build has; unused here (the cluster's size is fixed), kept so the
            runner calls every executor the same way.
        """
        self.env = dict(env)

    def free(self) -> int:
        """Count the workers not busy with one of this build's jobs, so the runner submits no more than that.

        Returns
        -------
        int
            Workers the scheduler knows now, counted as at least one (a cluster whose workers are
            restarting still gets a job, which waits in Dask's queue under the watchdog's eye),
            minus the jobs submitted and not yet collected by `wait`. May be 0 or negative.
        """
        workers = len(self.client.scheduler_info().get("workers", {}))
        return max(1, workers) - len(self.futures)

    def submit(self, job: dict) -> None:
        """Send `job` to the cluster to run in `run_job`; call only when `free` is positive.

        Dask's own retries are off (``retries=0``) and the key is unique (``pure=False``), so a job
        runs at most once per submission and the runner's single retry is the only retry.

        Parameters
        ----------
        job : dict
            The job dict (the same one the local pool would get); `wait` and `running` return
            this very object.
        """
        self.count += 1
        key = f"nbreport-{job.get('op')}-{job.get('id')}-{self.count}-{os.getpid()}-{time.time_ns()}"
        future = self.client.submit(run_job, job, self.env, key=key, pure=False, retries=0)
        self.futures[future] = (job, time.monotonic())

    def running(self) -> list[tuple[dict, float]]:
        """List the jobs submitted and not yet collected, for the watchdog and the progress line.

        Returns
        -------
        list of (dict, float)
            Each job with the `time.monotonic` second it was submitted (it may still wait in
            Dask's queue: the watchdog's clock runs from submission).
        """
        return list(self.futures.values())

    def wait(self, timeout: float) -> list[tuple[dict, dict | None]]:
        """Collect the jobs finished within `timeout`, so the runner can record them and submit more.

        Parameters
        ----------
        timeout : float
            Seconds to wait for the first finished job (polled every 0.05 s: `distributed.wait`
            needs a default client, and this one is the build's own).

        Returns
        -------
        list of (dict, dict or None)
            ``(job, result)`` for every finished job; ``[]`` when none finished in time. The result
            is None when the worker running it died (Dask's KilledWorker) or the job was
            cancelled: the runner retries it once, as on the local pool. Any other exception
            becomes a ``failed`` result of kind ``crash`` naming the cluster.
        """
        from distributed.scheduler import KilledWorker

        # polled: distributed.wait needs a default client, and this one is the build's own
        deadline = time.monotonic() + timeout
        while not any(f.done() for f in self.futures) and time.monotonic() < deadline:
            time.sleep(0.05)
        out = []
        for future in [f for f in self.futures if f.done()]:
            job, _ = self.futures.pop(future)
            msg: dict | None
            if future.status == "finished":
                msg = future.result()
            elif future.status == "cancelled":
                msg = None
            else:
                exc = future.exception()
                if isinstance(exc, KilledWorker):
                    msg = None
                else:
                    msg = {"op": job["op"], "id": job["id"], "status": "failed",
                           "error": {"kind": "crash", "message": f"{self.name} could not run it "
                                     f"({type(exc).__name__}: {' '.join(str(exc).split())[:300]})"}}
            out.append((job, msg))
        return out

    def stop(self, job: dict) -> None:
        """Cancel `job` (the watchdog) and kill the kernel running it on its worker, which frees that worker.

        Parameters
        ----------
        job : dict
            The very job dict given to `submit` (matched by identity); a job not running is ignored.
        """
        for future, (j, _) in list(self.futures.items()):
            if j is job:
                self.futures.pop(future)
                self._stop_kernels([future])
                try:
                    future.cancel()
                except Exception:  # noqa: BLE001 - the job is recorded as timed out either way
                    pass
                return

    def _stop_kernels(self, futures: list) -> None:
        """Kill the kernels of the workers running these futures (one job per worker process, so only ours)."""
        try:
            keys = {f.key for f in futures}
            holders = [w for w, ks in self.client.processing().items() if keys & set(ks)]
            if holders:
                self.client.run(stop_kernels, workers=holders)
        except Exception:  # noqa: BLE001 - best effort: a kernel left behind exits with its parent
            pass

    def close(self, graceful: bool = True) -> None:
        """Cancel what is left (killing its kernels), disconnect, and stop a LocalCluster this build started.

        Parameters
        ----------
        graceful : bool
            Unused: a job still running is cancelled either way; kept so the runner calls every
            executor the same way.
        """
        if self.futures:
            self._stop_kernels(list(self.futures))
        for future in list(self.futures):
            try:
                future.cancel()
            except Exception:  # noqa: BLE001
                pass
        self.futures.clear()
        _shutdown(self.client, self.cluster)
