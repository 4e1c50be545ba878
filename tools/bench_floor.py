"""The benchmark's floor: bare kernels that only import pandas, seaborn and statsmodels.

Runs on the report builder's own worker pool (nbreport.pool.Pool) through the workers' generic
``call`` job, so the floor pays what a build pays for workers and kernels and nothing else.
Used by tools/bench.py only; the builder itself has no benchmark code.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # workers import this module by name

from nbreport.config import DEFAULT_START_TIMEOUT  # noqa: E402
from nbreport.pool import Pool  # noqa: E402
from nbreport.status import describe_error  # noqa: E402

FLOOR_CODE = "import pandas, seaborn, statsmodels.api"


def floor(job: dict) -> dict:
    """A bare kernel: start, import pandas, seaborn and statsmodels, shut down (runs in a worker)."""
    import asyncio

    from nbreport.execution.kernels import kernel_manager_class

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
    return {"duration": time.time() - t0}


def run_floor(n: int, workers: int = 2, kernel: str = "python3", env: dict | None = None,
              start_timeout: float = DEFAULT_START_TIMEOUT) -> dict:
    """n bare kernels (`floor`), `workers` at a time, on the builder's Pool. Returns {"startup": s until
    every worker was ready, "seconds": wall s of the n kernels after that, "kernels": each kernel's s}."""
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
                pool.send(w, {"op": "call", "target": "bench_floor:floor", "id": f"floor-{left}", "kernel": kernel})
                left -= 1
            for w, msg in pool.wait(timeout=0.5):
                if msg is None or msg.get("status") == "failed":
                    raise RuntimeError(f"a floor kernel failed: {describe_error((msg or {}).get('error'))}")
                w["job"] = None
                kernels.append(msg["duration"])
        return {"startup": t1 - t0, "seconds": time.monotonic() - t1, "kernels": kernels}
    finally:
        pool.close()
