"""`make bench`: build-speed figures for `make report`, from one run.

    .venv/bin/python tools/bench.py [--touch notebooks/PATH.ipynb] [--keep]

Everything runs on a temporary copy of the repository's inputs (data/, notebooks/,
environment.yml) with its own build/ and site/, so the developer's build/, site/ and
notebooks are never touched; the copy is removed at the end (unless --keep).

Figures (targets in brackets):
  N            reports the site build executes (the manifest's site runs)
  floor        N bare kernels that only import pandas, seaborn and statsmodels, two at
               a time, on the runner's own worker pool (tools/bench_floor.py)
  cold build   `python -m nbreport` into empty build and site dirs  [<= 1.3 x floor]
  no change    the same command again, wall time as a user sees it        [< 2 s]
  touch one    one notebook changed in the copy, rebuilt                  [re-executes only it]
  page size    largest .html in the site, and largest page + its images   [< 500 KB]

A benchmark, not a test: exit status 0 even when a target is missed (shown as MISSED);
1 only when the benchmark itself could not run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # helpers is installed editable; this only helps a bare checkout

from nbreport import manifest as manifest_mod  # noqa: E402
from nbreport import runner  # noqa: E402
from bench_floor import run_floor  # noqa: E402  (tools/, beside this script)

RATIO_TARGET = 1.3
NOCHANGE_TARGET = 2.0
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


def report(root: Path, build: Path, site: Path) -> tuple[float, subprocess.CompletedProcess]:
    """One `python -m nbreport` as a user runs it (CI=1: no progress bar); wall seconds."""
    env = {**os.environ, "CI": "1", "NBREPORT_ROOT": str(root),
           "REPORT_BUILD_DIR": str(build), "REPORT_SITE_DIR": str(site)}
    cmd = [sys.executable, "-m", "nbreport", "--root", str(root), "--build-dir", str(build),
           "--site-dir", str(site)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1: some report failed, the site is still written
        raise RuntimeError(f"{' '.join(cmd[1:4])} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return seconds, proc


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


def bench(tmp: Path, touch: str | None) -> list[tuple[str, str, str, str]]:
    root, build, site = tmp / "repo", tmp / "build", tmp / "site"
    root.mkdir()
    copy_inputs(root)
    rows: list[tuple[str, str, str, str]] = []

    man = manifest_mod.load(root / "notebooks" / "manifest.yml", root=root)
    site_runs = man.runs(site_only=True)
    n = len(site_runs)
    say(f"N           {n} reports in the site build ({len(man.entries)} notebooks)")
    rows.append(("N (site reports)", f"{n}", "", ""))

    # the floor: the runner's own pool, two workers, N bare kernels
    fl = run_floor(n, workers=2, env=runner.worker_env(root))
    floor_s = fl["seconds"]
    ks = sorted(fl["kernels"])
    say(f"floor       {floor_s:.1f} s  ({n} bare kernels, 2 at a time; one kernel "
        f"{ks[0]:.1f}-{ks[-1]:.1f} s; worker start-up before it {fl['startup']:.1f} s, not counted)")
    rows.append(("floor", f"{floor_s:.1f} s", "", ""))

    # cold build
    cold_s, proc = report(root, build, site)
    ratio = cold_s / floor_s if floor_s else float("inf")
    runs = state_runs(build)
    busy = sum(r.get("duration", 0.0) for r in runs.values())
    say(f"cold build  {cold_s:.1f} s  = {ratio:.2f} x floor  (target <= {RATIO_TARGET}: {verdict(ratio <= RATIO_TARGET)})")
    say(f"            {summary(proc)}")
    say(f"            notebook time summed over runs {busy:.1f} s (/2 workers = {busy / 2:.1f} s)")
    for line in problems(proc):
        say(f"            ! {line}")
    rows.append(("cold build", f"{cold_s:.1f} s", f"{ratio:.2f} x floor", f"<= {RATIO_TARGET} x: {verdict(ratio <= RATIO_TARGET)}"))

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
    touch_notebook(man.notebook_file(entry))
    t1_s, proc = report(root, build, site)
    after = state_runs(build)
    executed = {k for k, v in after.items() if v.get("executed_at") != before.get(k)}
    m = re.search(r"(\d+) executed", proc.stdout)
    said = int(m.group(1)) if m else None
    ok = executed == expected and said == len(expected)
    say(f"touch one   {t1_s:.1f} s  notebooks/{entry.path}: re-executed {len(executed)} run(s) "
        f"{sorted(executed)}, expected {sorted(expected)} (target: only that notebook: {verdict(ok)})")
    say(f"            {summary(proc)}")
    for line in problems(proc):
        say(f"            ! {line}")
    rows.append(("touch one notebook", f"{t1_s:.1f} s", f"{len(executed)} of {n} re-executed",
                 f"only that notebook: {verdict(ok)}"))

    # page sizes
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
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="report-bench-"))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    say(f"bench: {os.cpu_count()} cores, load average {load} (other work skews the figures); "
        "inputs copied to a temporary folder; CI=1")
    try:
        rows = bench(tmp, args.touch)
    except (RuntimeError, manifest_mod.ManifestError, OSError) as exc:
        print(f"bench: could not run: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            say(f"bench: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    table(rows)
    missed = [r[0] for r in rows if r[3].endswith("MISSED")]
    say(f"\nbench: {'MISSED: ' + ', '.join(missed) if missed else 'every target met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
