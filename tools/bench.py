"""`make bench`: build-speed figures for `make report`, from one run.

    .venv/bin/python tools/bench.py [--touch notebooks/PATH.ipynb] [--pairs N] [--cold-kernels] [--keep]

Everything runs on a temporary copy of the repository's inputs (data/, notebooks/,
environment.yml) with its own build/ and site/, so the developer's build/, site/ and
notebooks are never touched; the copy is removed at the end (unless --keep).

Figures (targets in brackets; issue 14):
  N            reports the site build executes (the manifest's site runs)
  floor        N bare cold kernels that only import pandas, seaborn and statsmodels, two at
               a time, on the runner's own worker pool (tools/bench_floor.py)
  cold build   `python -m nbreport` into empty build and site dirs, the manifest's sweeps set
               aside, so that the build, the floor and the peer run the same N reports [<= 1.0 x floor]
  sweeps       the sweeps put back and built on top: only their points execute (seconds, points,
               notebook time per point)
  peer         the common alternative on the same runs: papermill CLI, then nbconvert CLI
               to HTML, two runs at a time; `--pairs N` alternates N cold builds and N peer
               runs (A/B pairs) and compares the medians            [cold build <= 0.3 x peer]
  peak memory  the cold build's whole process tree (workers, fork servers, kernels) sampled
               every 0.2 s: summed PSS (shared pages split among sharers; what the machine
               holds) and summed RSS (shared pages counted once per process)   [PSS < 2 GiB]
  no change    the same command again, wall time as a user sees it           [< 2 s]
  touch one    one notebook changed in the copy, rebuilt                  [<= 2 s, only it]
  200 runs     no-change rebuild of a synthetic manifest of 200 site runs (the real runs
               repeated under new ids, their build outputs copied)           [< 0.5 s]
  page size    largest .html in the site, and largest page + its images    [< 500 KB]

--cold-kernels sets REPORT_WARM_KERNELS=0 for every build: the figures without warm kernels.
A benchmark, not a test: exit status 0 even when a target is missed (shown as MISSED);
1 only when the benchmark itself could not run.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # helpers is installed editable; this only helps a bare checkout

from nbreport import manifest as manifest_mod  # noqa: E402
from nbreport import runner  # noqa: E402
from bench_floor import run_floor  # noqa: E402  (tools/, beside this script)

RATIO_TARGET = 1.0
PEER_TARGET = 0.3
TOUCH_TARGET = 2.0
NOCHANGE_TARGET = 2.0
MANY_RUNS, MANY_TARGET = 200, 0.5
MEMORY_TARGET_GIB = 2.0
PAGE_TARGET_KB = 500.0
COPY = ("data", "notebooks", "environment.yml")


def say(line: str = "") -> None:
    print(line, flush=True)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def copy_inputs(dest: Path) -> None:
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", ".*")
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, dest / name)


EXTRA_ENV: dict[str, str] = {}  # --cold-kernels: REPORT_WARM_KERNELS=0


class TreeMemory(threading.Thread):
    """Peak summed PSS and RSS of a process and all its descendants, sampled every `every` s."""

    def __init__(self, pid: int, every: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.pss = self.rss = 0
        self.done = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            top = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.done.is_set():
            pss = rss = 0
            try:
                procs = [top, *top.children(recursive=True)]
            except psutil.Error:
                break
            for p in procs:
                try:
                    info = p.memory_full_info()
                    pss, rss = pss + getattr(info, "pss", info.rss), rss + info.rss
                except psutil.Error:
                    continue
            self.pss, self.rss = max(self.pss, pss), max(self.rss, rss)
            self.done.wait(self.every)


def report(root: Path, build: Path, site: Path, memory: bool = False) -> tuple[float, subprocess.CompletedProcess]:
    """One `python -m nbreport` as a user runs it (CI=1: no progress bar); wall seconds. With memory,
    the returned process has .pss and .rss: the peak summed memory of its process tree (bytes)."""
    env = {**os.environ, "CI": "1", "NBREPORT_ROOT": str(root),
           "REPORT_BUILD_DIR": str(build), "REPORT_SITE_DIR": str(site), **EXTRA_ENV}
    cmd = [sys.executable, "-m", "nbreport", "--root", str(root), "--build-dir", str(build),
           "--site-dir", str(site)]
    t0 = time.perf_counter()
    popen = subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeMemory(popen.pid) if memory else None
    if sampler:
        sampler.start()
    out, err = popen.communicate()
    seconds = time.perf_counter() - t0
    proc = subprocess.CompletedProcess(cmd, popen.returncode, out, err)
    if sampler:
        sampler.done.set()
        sampler.join()
        proc.pss, proc.rss = sampler.pss, sampler.rss
    if proc.returncode not in (0, 1):  # 1: some report failed, the site is still written
        raise RuntimeError(f"{' '.join(cmd[1:4])} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return seconds, proc


def peer(root: Path, out: Path, runs: list, workers: int = 2) -> float:
    """The common pipeline on the same runs: `papermill` CLI then `jupyter nbconvert --to html` CLI for
    each run, `workers` runs at a time, each kernel in a fresh working folder; wall seconds."""
    bindir = Path(sys.executable).parent
    from nbreport.config import single_thread_env

    env = {**os.environ, "NBREPORT_ROOT": str(root), **single_thread_env()}
    # the common pipeline draws every chart: the collection's chart cache (helpers.plots.chart_cache,
    # under the copy's build/ outside a build) would hand later pairs the first pair's images
    from helpers.plots.chart_cache import SWITCH_ENV

    env[SWITCH_ENV] = "0"

    def one(item) -> None:
        nb_file, run = item
        work = out / "work" / run.id
        work.mkdir(parents=True, exist_ok=True)
        executed = out / f"{run.id}.ipynb"
        cmds = [[str(bindir / "papermill"), str(nb_file), str(executed), "-y", json.dumps(run.parameters),
                 "--cwd", str(work), "--no-progress-bar", "-k", "python3"],
                [str(bindir / "jupyter"), "nbconvert", "--to", "html", str(executed), "--output-dir", str(out)]]
        for cmd in cmds:
            proc = subprocess.run(cmd, env=env, cwd=work, capture_output=True, text=True)
            if proc.returncode:
                raise RuntimeError(f"peer pipeline: {' '.join(Path(c).name for c in cmd[:2])} {run.id} exited "
                                   f"{proc.returncode}:\n{proc.stderr[-2000:]}")

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, runs))
    return time.perf_counter() - t0


def summary(proc: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("report:")]
    return lines[-1] if lines else "(no summary line)"


def problems(proc: subprocess.CompletedProcess) -> list[str]:
    return [ln for ln in proc.stderr.splitlines() if ln.strip()] if proc.returncode else []


def state_runs(build: Path) -> dict:
    try:
        return json.loads((build / "state.json").read_text(encoding="utf-8")).get("runs", {})
    except (OSError, ValueError):
        return {}


def cell_seconds(folder: Path, run_ids: list[str]) -> float:
    """Seconds the executed notebooks' cells took, summed (papermill's per-cell durations)."""
    total = 0.0
    for rid in run_ids:
        try:
            nb = json.loads((folder / f"{rid}.ipynb").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        total += sum((c.get("metadata", {}).get("papermill", {}) or {}).get("duration") or 0.0 for c in nb["cells"])
    return total


def read_log(path: Path, start: int = 0) -> str:
    """The text of `path` from byte `start` ('' when absent)."""
    try:
        with open(path, "rb") as f:
            f.seek(start)
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def wait_for_log(path: Path, text: str, seconds: float) -> bool:
    """Wait up to `seconds` for `text` in the log at `path`; whether it came."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if text in read_log(path):
            return True
        time.sleep(0.1)
    return text in read_log(path)


def touch_notebook(path: Path) -> None:
    """A harmless change: a metadata key, so the file's hash (and only that notebook's) changes."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb.setdefault("metadata", {})["bench_touch"] = time.time()
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            src = dict(attrs).get("src") or ""
            if src and not src.startswith("data:") and not re.match(r"^[a-z][a-z0-9+.-]*:|^//", src, re.I):
                self.srcs.append(src)


def page_sizes(site: Path) -> tuple[tuple[int, Path], tuple[int, Path, int]]:
    """(largest .html bytes, path), (largest html + the images it loads, path, image count)."""
    biggest, heaviest = (0, site), (0, site, 0)
    for page in site.rglob("*.html"):
        size = page.stat().st_size
        biggest = max(biggest, (size, page), key=lambda t: t[0])
        parser = _Images()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        files = {(page.parent / src.split("#")[0].split("?")[0]).resolve() for src in parser.srcs}
        total = size + sum(f.stat().st_size for f in files if f.is_file())
        heaviest = max(heaviest, (total, page, len(files)), key=lambda t: t[0])
    return biggest, heaviest


def edit_manifest(root: Path, change) -> str:
    """Rewrite the copy's notebooks/manifest.yml as `change(doc)` leaves it; return the text it had.

    The copy's manifest, read and written in one place (comments are lost: the copy is the bench's own).
    """
    import yaml

    file = root / "notebooks" / "manifest.yml"
    text = file.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    change(doc)
    file.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return text


def many_runs(root: Path, build: Path, site: Path, man, total: int) -> int:
    """Turn the copy into a manifest of `total` site runs: the real site runs repeated under new ids
    (same notebook, same parameters, so the same fingerprint), with their build outputs and state
    copied, as if all had been built. Returns how many runs were added."""
    state_file = build / "state.json"
    state = json.loads(state_file.read_text(encoding="utf-8"))
    site_runs = [(e, r) for e, r in man.runs(site_only=True)]
    specs: dict[str, list[dict]] = {}
    added = 0
    while len(site_runs) + added < total:
        entry, run = site_runs[added % len(site_runs)]
        new_id = f"{run.id}-copy{added // len(site_runs) + 1}"
        spec = {"id": new_id}
        if run.parameters:
            spec["parameters"] = dict(run.parameters)
        specs.setdefault(entry.path, []).append(spec)
        prev = dict(state["runs"][run.id])
        for folder, suffix in (("notebooks", ".ipynb"), ("thumbs", ".png")):
            src = build / folder / f"{run.id}{suffix}"
            if src.is_file():
                shutil.copy2(src, build / folder / f"{new_id}{suffix}")
        page = build / "pages" / f"{run.id}.html"
        if page.is_file():
            text = page.read_text(encoding="utf-8").replace(f"{run.id}_files/", f"{new_id}_files/")
            (build / "pages" / f"{new_id}.html").write_text(text, encoding="utf-8")
        if (build / "pages" / f"{run.id}_files").is_dir():
            shutil.copytree(build / "pages" / f"{run.id}_files", build / "pages" / f"{new_id}_files")
        if isinstance(prev.get("thumb"), dict):
            prev["thumb"] = {**prev["thumb"], "file": f"{new_id}.png"}
        state["runs"][new_id] = prev
        added += 1

    def add_runs(doc):
        for e in doc["notebooks"]:
            e["runs"].extend(specs.get(e["path"], []))

    edit_manifest(root, add_runs)
    state_file.write_text(json.dumps(state), encoding="utf-8")
    return added


def set_sweeps_aside(root: Path) -> str | None:
    """Write the copy's manifest without its `sweep` keys; return the original text (None: it had none).

    The floor and the peer pipeline run the N site reports; the cold build must run the same N, or
    the ratio compares N kernels with N + the sweep points.
    """
    had = []

    def drop_sweeps(doc):
        for e in doc["notebooks"]:
            had.append(e.pop("sweep", None) is not None)

    text = edit_manifest(root, drop_sweeps)
    return text if any(had) else None


def bench(tmp: Path, touch: str | None, pairs: int = 1) -> list[tuple[str, str, str, str]]:
    root, build, site = tmp / "repo", tmp / "build", tmp / "site"
    root.mkdir()
    copy_inputs(root)
    rows: list[tuple[str, str, str, str]] = []

    man = manifest_mod.load(root / "notebooks" / "manifest.yml", root=root)
    site_runs = man.runs(site_only=True)
    n = len(site_runs)
    say(f"N           {n} reports in the site build ({len(man.entries)} notebooks)"
        f"{'; COLD KERNELS (REPORT_WARM_KERNELS=0)' if EXTRA_ENV else ''}")
    rows.append(("N (site reports)", f"{n}", "cold kernels" if EXTRA_ENV else "warm kernels", ""))

    # the floor: the runner's own pool, two workers, N bare kernels
    fl = run_floor(n, workers=2, env=runner.worker_env(root))
    floor_s = fl["seconds"]
    ks = sorted(fl["kernels"])
    say(f"floor       {floor_s:.1f} s  ({n} bare kernels, 2 at a time; one kernel "
        f"{ks[0]:.1f}-{ks[-1]:.1f} s; worker start-up before it {fl['startup']:.1f} s, not counted)")
    rows.append(("floor", f"{floor_s:.1f} s", "", ""))

    # cold build and the peer pipeline, alternated (A/B pairs); the last cold build stays for the rest
    manifest_text = set_sweeps_aside(root)
    colds, peers, proc = [], [], None
    items = [(man.notebook_file(e), r) for e, r in site_runs]
    for i in range(pairs):
        for folder in (build, site):
            shutil.rmtree(folder, ignore_errors=True)
        cold_s, proc = report(root, build, site, memory=i == pairs - 1)
        colds.append(cold_s)
        peer_dir = tmp / f"peer{i}"
        peers.append(peer(root, peer_dir, items))
        shutil.rmtree(peer_dir, ignore_errors=True)
        say(f"pair {i + 1}      cold build {cold_s:.1f} s, papermill + nbconvert CLI {peers[-1]:.1f} s")
    cold_s, peer_s = statistics.median(colds), statistics.median(peers)
    ratio = cold_s / floor_s if floor_s else float("inf")
    runs = state_runs(build)
    busy = sum(r.get("duration", 0.0) for r in runs.values())
    say(f"cold build  {cold_s:.1f} s  = {ratio:.2f} x floor  (target <= {RATIO_TARGET}: {verdict(ratio <= RATIO_TARGET)})")
    say(f"            {summary(proc)}")
    say(f"            notebook time summed over runs {busy:.1f} s (/2 workers = {busy / 2:.1f} s)")
    # the floor counts imports only; the notebooks' own cells are work no kernel can skip
    cells = cell_seconds(build / "notebooks", [run.id for _, run in site_runs])
    work_floor = floor_s + cells / 2
    say(f"            their cells alone {cells:.1f} s (/2 workers = {cells / 2:.1f} s); floor + cells/2 = "
        f"{work_floor:.1f} s: cold build = {cold_s / work_floor:.2f} x that (for information, no target)")
    # what each target leaves for the whole build on the machine's cores, against the cells' own CPU:
    # a target below the cells cannot be met by the builder, only by less analysis
    cores = os.cpu_count() or 1
    budget = RATIO_TARGET * floor_s * cores
    say(f"            the <= {RATIO_TARGET} x floor target leaves the whole build {budget:.1f} CPU-s on {cores} cores; "
        f"the cells alone took {cells:.1f} CPU-s ({'within it' if cells < budget else 'more: beyond any builder'})")
    for line in problems(proc):
        say(f"            ! {line}")
    rows.append(("cold build", f"{cold_s:.1f} s", f"{ratio:.2f} x floor", f"<= {RATIO_TARGET} x: {verdict(ratio <= RATIO_TARGET)}"))
    rows.append(("  vs floor + cells/2", f"{work_floor:.1f} s", f"{cold_s / work_floor:.2f} x", "information"))
    pr = cold_s / peer_s if peer_s else float("inf")
    say(f"peer        {peer_s:.1f} s  papermill CLI + nbconvert CLI, 2 at a time; cold build = {pr:.2f} x peer "
        f"({pairs} pair{'s' if pairs != 1 else ''}, medians; target <= {PEER_TARGET}: {verdict(pr <= PEER_TARGET)})")
    peer_budget = PEER_TARGET * peer_s
    say(f"            the <= {PEER_TARGET} x peer target leaves {peer_budget:.1f} s; the cells alone take "
        f"{cells / cores:.1f} s on {cores} cores, leaving {peer_budget - cells / cores:.1f} s for kernels, pages and site")
    rows.append(("cold build vs peer pipeline", f"{peer_s:.1f} s peer", f"{pr:.2f} x peer",
                 f"<= {PEER_TARGET} x: {verdict(pr <= PEER_TARGET)}"))
    gib = 1024 ** 3
    ok = proc.pss / gib < MEMORY_TARGET_GIB
    say(f"peak memory {proc.pss / gib:.2f} GiB PSS summed over the build's processes "
        f"({proc.rss / gib:.2f} GiB RSS, shared pages counted per process) (target < {MEMORY_TARGET_GIB:g} GiB: {verdict(ok)})")
    rows.append(("peak memory, cold build", f"{proc.pss / gib:.2f} GiB", f"PSS ({proc.rss / gib:.2f} GiB RSS)",
                 f"< {MEMORY_TARGET_GIB:g} GiB: {verdict(ok)}"))

    # the sweeps, built on top of the cold build: only their points execute
    if manifest_text is not None:
        (root / "notebooks" / "manifest.yml").write_text(manifest_text, encoding="utf-8")
        before = set(state_runs(build))
        sw_s, proc = report(root, build, site)
        after = state_runs(build)
        points = {k: v for k, v in after.items() if k not in before}
        again = [k for k in before if after.get(k, {}).get("executed_at") != runs.get(k, {}).get("executed_at")]
        per = sum(v.get("duration", 0.0) for v in points.values()) / max(1, len(points))
        say(f"sweeps      {sw_s:.1f} s  {len(points)} sweep points executed on top of the cold build "
            f"(notebook time {per:.1f} s a point){'; ALSO re-executed: ' + ', '.join(again) if again else ''}")
        say(f"            {summary(proc)}")
        for line in problems(proc):
            say(f"            ! {line}")
        rows.append(("sweeps on top", f"{sw_s:.1f} s", f"{len(points)} points, {per:.1f} s each",
                     "site runs kept: ok" if not again else "site runs re-executed"))

    # no change
    nc_s, proc = report(root, build, site)
    nothing = "nothing changed" in proc.stdout
    ok = nc_s < NOCHANGE_TARGET
    say(f"no change   {nc_s:.2f} s  (target < {NOCHANGE_TARGET:g} s: {verdict(ok)})")
    say(f"            {summary(proc)}")
    if not nothing:  # the helpers come from the live src/: an edit there during the bench shows here
        say("            NOTE: not a no-op; the site was re-written (did src/helpers change during the bench?)")
    rows.append(("no-change rebuild", f"{nc_s:.2f} s", "no-op" if nothing else "NOT a no-op",
                 f"< {NOCHANGE_TARGET:g} s: {verdict(ok)}"))

    # touch one notebook (in the copy)
    if touch:
        key = touch.removeprefix("./").removeprefix("notebooks/")
        entry = next((e for e in man.entries if e.path == key), None)
        if entry is None:
            raise RuntimeError(f"--touch {touch}: not a notebook listed in the manifest")
    else:
        entry = next(e for e, _ in site_runs)
    expected = {r.id for r in entry.runs if r.site}
    before = {k: v.get("executed_at") for k, v in state_runs(build).items()}
    # a researcher edits for longer than the second the kept server waits before it forks its
    # report-worker template (nbreport.execution.kept_worker): give it that time, as an edit would
    log_file = build / "cache" / "fork-server.log"
    ready = wait_for_log(log_file, "worker template ready", 15)
    touch_notebook(man.notebook_file(entry))
    mark = log_file.stat().st_size if log_file.is_file() else 0
    t1_s, proc = report(root, build, site)
    kept = "report worker " in read_log(log_file, mark)
    after = state_runs(build)
    executed = {k for k, v in after.items() if v.get("executed_at") != before.get(k)}
    m = re.search(r"(\d+) executed", proc.stdout)
    said = int(m.group(1)) if m else None
    ok = executed == expected and said == len(expected)
    ok_t = t1_s <= TOUCH_TARGET
    say(f"touch one   {t1_s:.1f} s  notebooks/{entry.path}: re-executed {len(executed)} run(s) "
        f"{sorted(executed)}, expected {sorted(expected)} (target <= {TOUCH_TARGET:g} s: {verdict(ok_t)}; "
        f"only that notebook: {verdict(ok)})")
    say(f"            worker: {'pre-loaded, from the kept server' if kept else 'forked by the build'}"
        f"{'' if ready else ' (no worker template was ready)'}")
    say(f"            {summary(proc)}")
    for line in problems(proc):
        say(f"            ! {line}")
    rows.append(("touch one notebook", f"{t1_s:.1f} s", f"{len(executed)} of {n} re-executed",
                 f"<= {TOUCH_TARGET:g} s: {verdict(ok_t)}; only that notebook: {verdict(ok)}"))

    # page sizes (before the 200-run copy adds its pages)
    (big, big_page), (heavy, heavy_page, images) = page_sizes(site)
    ok = big / 1024 < PAGE_TARGET_KB
    ok2 = heavy / 1024 < PAGE_TARGET_KB
    say(f"page size   largest .html {big / 1024:.0f} KB ({big_page.relative_to(site)}); "
        f"largest with its images {heavy / 1024:.0f} KB ({heavy_page.relative_to(site)}, {images} images) "
        f"(target < {PAGE_TARGET_KB:g} KB: {verdict(ok)}; with images: {verdict(ok2)})")
    rows.append(("largest page (.html)", f"{big / 1024:.0f} KB", str(big_page.relative_to(site)),
                 f"< {PAGE_TARGET_KB:g} KB: {verdict(ok)}"))
    rows.append(("largest page + images", f"{heavy / 1024:.0f} KB", str(heavy_page.relative_to(site)),
                 f"< {PAGE_TARGET_KB:g} KB: {verdict(ok2)}"))

    # no change with a 200-run manifest: copy the built runs under new ids, write the site once, time the next
    added = many_runs(root, build, site, man, MANY_RUNS)
    w_s, proc = report(root, build, site)
    if "0 executed" not in proc.stdout and "nothing changed" not in proc.stdout:
        say(f"            NOTE: the {MANY_RUNS}-run copy executed something: {summary(proc)}")
    m_s, proc = report(root, build, site)
    nothing = "nothing changed" in proc.stdout
    own = re.search(r"\[([\d.]+) s\]\s*$", summary(proc))
    own_s = float(own.group(1)) if own else m_s
    ok = own_s < MANY_TARGET and nothing
    say(f"{MANY_RUNS} runs    {own_s:.2f} s  no-change rebuild of a {n + added}-run manifest, as the builder times it "
        f"({m_s:.2f} s wall with Python's start; site write before it {w_s:.1f} s) "
        f"(target < {MANY_TARGET:g} s: {verdict(ok)})")
    say(f"            {summary(proc)}")
    rows.append((f"no-change rebuild, {n + added} runs", f"{own_s:.2f} s", f"{m_s:.2f} s wall; "
                 + ("no-op" if nothing else "NOT a no-op"), f"< {MANY_TARGET:g} s: {verdict(ok)}"))
    return rows


def table(rows: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    say()
    for r in rows:
        say("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/bench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--touch", metavar="NOTEBOOK",
                        help="notebook to change for the one-notebook rebuild (default: the manifest's first)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print where it is")
    parser.add_argument("--pairs", type=int, default=1, metavar="N",
                        help="cold builds and peer-pipeline runs, alternated; medians are compared (default 1)")
    parser.add_argument("--cold-kernels", action="store_true",
                        help="REPORT_WARM_KERNELS=0 for every build: the figures without warm kernels")
    args = parser.parse_args(argv)
    if args.cold_kernels:
        EXTRA_ENV["REPORT_WARM_KERNELS"] = "0"

    tmp = Path(tempfile.mkdtemp(prefix="report-bench-"))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    say(f"bench: {os.cpu_count()} cores, load average {load} (other work skews the figures); "
        "inputs copied to a temporary folder; CI=1")
    try:
        rows = bench(tmp, args.touch, max(1, args.pairs))
    except (RuntimeError, manifest_mod.ManifestError, OSError) as exc:
        print(f"bench: could not run: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            say(f"bench: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    table(rows)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    say(f"\nbench: load average at the end {load}")
    missed = [r[0] for r in rows if "MISSED" in r[3]]  # "<= 2 s: MISSED; only that notebook: ok" too
    say(f"\nbench: {'MISSED: ' + ', '.join(missed) if missed else 'every target met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
