"""`make report`: execute every notebook in the manifest with every parameter set and build site/.

    python -m nbreport                  # incremental: only what changed is executed
    python -m nbreport --force          # execute everything again
    python -m nbreport --only quota-mining --only models/rebound.ipynb
    python -m nbreport --check          # validate the manifest and parameters, run nothing
    python -m nbreport --list           # the runs the manifest defines
    python -m nbreport --scheduler tcp://host:8786   # run the jobs on an existing Dask cluster
    python -m nbreport --local-cluster 2             # ... or on a Dask LocalCluster started for this build

Exit status: 0 every report ran to the end (a report whose page shows stderr or had its
output cut is marked "Warnings" on the site and listed here, not "Current"); 1 some report
failed (the site is still written, with the failures marked); 2 the build could not start or
could not write (bad data, manifest or parameter problem, another build running, read-only build/ or
site/, full disk), site/ left as it was; 130 interrupted (Ctrl-C, SIGTERM, SIGHUP), site/
untouched. Progress goes to stderr: a bar on a terminal, one line per finished run when
stderr is a file or a pipe, nothing when CI is set.

Modules: nbreport.manifest (format and checks), nbreport.runner (plan, workers, state),
nbreport.execution (papermill and kernels, in the workers), nbreport.render (a report's cells),
nbreport.site (the pages), nbreport.extension (what the collection adds).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _scheduler_address(text: str) -> str:
    """--scheduler: a Dask address, protocol://host:port (tcp, tls, ws, wss, ucx) or host:port (tcp)."""
    import re

    m = re.fullmatch(r"(?:(tcp|tls|ws|wss|ucx)://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+):(\d{1,5})", text.strip())
    if not m or not 0 < int(m.group(3)) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a scheduler address; expected tcp://host:port, "
                                         "e.g. tcp://10.0.0.5:8786")
    return text.strip() if m.group(1) else f"tcp://{text.strip()}"


def _positive_int(text: str) -> int:
    from nbreport.config import positive_number

    n = positive_number(text, int)
    if n is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers; expected a whole number, 1 or more")
    return n


def _positive_seconds(text: str) -> float:
    from nbreport.config import positive_number

    n = positive_number(text, float)
    if n is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds; expected a number above 0, e.g. 600")
    return n


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m nbreport`` (``make report``): check, execute what changed, write the site.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``); ``--help`` lists them.

    Returns
    -------
    int
        Exit status: 0 built (or checked) cleanly, 1 a notebook failed, 2 refused before anything
        ran (bad manifest, parameters or data), 130 interrupted.
    """
    parser = argparse.ArgumentParser(prog="python -m nbreport", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", help="repository root (default: NBREPORT_ROOT or the current folder)")
    parser.add_argument("--manifest", help="manifest file (default: <root>/notebooks/manifest.yml)")
    parser.add_argument("--build-dir", help="where executed notebooks and state go (default: <root>/build, "
                        "or REPORT_BUILD_DIR)")
    parser.add_argument("--site-dir", help="where the site goes (default: <root>/site, or REPORT_SITE_DIR)")
    parser.add_argument("--only", action="append", default=[], metavar="RUN_OR_PATH",
                        help="execute only this run id or notebook path (repeatable); must be in the manifest")
    parser.add_argument("--force", action="store_true", help="execute everything, changed or not")
    parser.add_argument("--timeout", type=_positive_seconds, help="seconds allowed per notebook (default 600)")
    parser.add_argument("--workers", type=_positive_int, help="parallel workers (default 2)")
    dask = parser.add_mutually_exclusive_group()
    dask.add_argument("--scheduler", metavar="ADDRESS", type=_scheduler_address,
                      help="run the jobs on the Dask scheduler at ADDRESS (tcp://host:8786); its workers need "
                      "this project installed and the repository at the same path (README: Scale out on Dask)")
    dask.add_argument("--local-cluster", metavar="N", type=_positive_int,
                      help="run the jobs on a Dask LocalCluster of N worker processes started for this build")
    parser.add_argument("--worker-memory", metavar="SIZE", default="1GiB",
                        help="memory limit of each --local-cluster worker process (default 1GiB; kernels are "
                        "processes of their own and not counted)")
    parser.add_argument("--connect-timeout", metavar="SECONDS", type=_positive_seconds, default=5.0,
                        help="seconds to wait for the --scheduler to answer (default 5)")
    parser.add_argument("--check", action="store_true", help="validate manifest and parameters only")
    parser.add_argument("--list", action="store_true", help="list the manifest's runs and exit")
    args = parser.parse_args(argv)

    from nbreport import runner

    kw = {}
    if args.timeout:
        kw["timeout"] = args.timeout
    if args.workers:
        kw["workers"] = args.workers
    try:
        cfg = runner.Config.resolve(root=args.root, manifest=args.manifest, build=args.build_dir,
                                    site=args.site_dir, force=args.force, only=args.only, **kw)
    except runner.BuildError as exc:  # a malformed REPORT_WORKERS or REPORT_TIMEOUT
        print(f"report: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout
    if args.check or args.list:
        try:
            man, warnings = runner.preflight(cfg)
        except runner.BuildError as exc:
            print(f"report: {exc}", file=sys.stderr)
            return 2
        for w in warnings:
            print(f"report: warning: {w}", file=sys.stderr)
        if args.list:
            def run_line(entry, run, flag=""):
                return f"{run.id:28} notebooks/{entry.path}  {run.parameters or '{}'}{flag}"

            if cfg.only:  # --list --only: what those names select
                chosen = {r.id for key in cfg.only for _, r in man.find(key)}
                for entry, run in man.runs() + man.sweep_points():
                    if run.id in chosen:
                        print(run_line(entry, run), file=out)
                return 0
            for entry, run in man.runs():
                print(run_line(entry, run, "" if run.site else "  (tests only)"), file=out)
            for entry in (e for e in man.entries if e.sweep):
                sw = entry.sweep
                grid = " x ".join(f"{k} {list(v)}" for k, v in sw.grid.items())
                print(f"{sw.id:28} notebooks/{entry.path}  sweep of {sw.base}: {grid}, {len(sw.points)} points "
                      f"(cap {sw.max_points}), one page: sensitivity/{sw.id}.html", file=out)
                for point in sw.points:
                    print(f"  {point.id:26} {point.parameters}", file=out)
        else:
            print(f"report: manifest OK: {len(man.entries)} notebooks, {len(man.runs())} runs, "
                  "every parameter set accepted", file=out)
        return 0

    executor = None
    if args.scheduler or args.local_cluster:
        from nbreport.dask_executor import DaskSpec

        executor = DaskSpec(scheduler=args.scheduler, local_workers=args.local_cluster or 0,
                            memory_limit=args.worker_memory, connect_timeout=args.connect_timeout)
    try:
        result = runner.build(cfg, executor=executor)
    except runner.StorageError as exc:
        print(f"report: {exc}; {_rel(cfg.site, cfg.root)}/ was left as it was", file=sys.stderr)
        return 2
    except runner.BuildError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    except (runner.Interrupted, KeyboardInterrupt) as exc:
        # a terminal's cursor may stand after "^C": start a line, unless the progress bar has just ended
        # its line (runs were under way); a log gets no blank line
        lead = chr(10) if sys.stderr.isatty() and not getattr(exc, "line_ended", False) else ""
        print(f"{lead}report: interrupted; {_rel(cfg.site, cfg.root)}/ was left as it was", file=sys.stderr)
        return 130

    for w in result.warnings:
        print(f"report: warning: {w}", file=sys.stderr)
    site = _rel(cfg.site, cfg.root)
    n = len(result.outcomes)
    stale = [o for o in result.outcomes if o.status in ("stale", "missing")]
    if result.nothing_changed and stale:  # --only: what it selected is up to date, the rest is not current
        print(f"report: nothing changed; {site}/ is as it was ({n} reports, {len(stale)} of them not current) "
              f"[{result.seconds:.2f} s]", file=out)
    elif result.nothing_changed:
        print(f"report: nothing changed; {site}/ is current ({n} reports) [{result.seconds:.2f} s]", file=out)
    else:
        counts = {a: sum(1 for o in result.outcomes if o.action == a) for a in ("executed", "rendered", "reused")}
        parts = [f"{counts['executed']} executed"]
        if counts["rendered"]:
            parts.append(f"{counts['rendered']} re-rendered")
        parts.append(f"{counts['reused']} unchanged")
        print(f"report: {n} reports: {', '.join(parts)}; {len(result.failed)} failed; "
              f"{site}/index.html written [{result.seconds:.1f} s]", file=out)
        if not cfg.quiet:
            for o in result.executed:
                print(f"  ran {o.id} ({o.reason}) in {o.duration:.1f} s", file=out)
    points = result.sweep_points
    if points and not result.nothing_changed:
        words = {"executed": "executed", "rendered": "re-rendered", "reused": "unchanged", "not-run": "not run"}
        said = ["refused" if o.reason == "refused" else words.get(o.action, o.action) for o in points]
        counts = {w: said.count(w) for w in dict.fromkeys(said)}
        bad = sum(1 for o in points if o.status == "failed")
        print(f"report: {len(points)} sweep points: {', '.join(f'{n} {w}' for w, n in counts.items())}; "
              f"{bad} failed; sensitivity pages in {site}/sensitivity/", file=out)
    claims = result.claims or {}
    if claims.get("status") not in (None, "ok"):
        print(f"report: claims: {claims.get('message') or claims.get('status')}", file=sys.stderr)
    warned = [o for o in result.outcomes if o.status == "warnings"]
    if warned:
        print(f"report: {len(warned)} report(s) ran with warnings the site shows (not marked Current):",
              file=sys.stderr)
        for o in warned:
            print("  " + o.id + ": " + "; ".join(o.warnings[:3]) + ("; and more" if len(o.warnings) > 3 else ""),
                  file=sys.stderr)
    if stale:
        print(f"report: {len(stale)} report(s) on the site are not current (not run in this build): "
              + ", ".join(o.id for o in stale), file=sys.stderr)
    claims_failed = claims.get("status") == "failed"
    if result.failed or claims_failed:
        print(f"report: {len(result.failed) + claims_failed} FAILED:", file=sys.stderr)
        for o in result.failed:
            print(f"  {o.id} (notebooks/{o.notebook}): {runner.describe_error(o.error)}\n"
                  f"    see {site}/reports/{o.id}.html", file=sys.stderr)
        if claims_failed:
            print(f"  claims: {claims.get('message')}\n    see {site}/data.html#claims", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
