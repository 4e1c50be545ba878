"""Sweeps: a manifest entry's grid of parameter sets, run point by point, shown on one sensitivity page.

The manifest declares the grid (nbreport.manifest.Sweep: its points are runs with derived ids).
The builder then

1. checks the grid before anything runs (`problems`): the collection's extension says, through
   ``check_sweep(manifest, entry, sweep, data, points)``, which names or values are wrong (the
   build stops) and which points its joint-constraint rules refuse (listed on the page, never run);
2. executes the points like any run (same fingerprints, same reuse), but publishes no page for them;
3. writes ``sensitivity/<sweep>.html``: a chart and a table of how the notebook's recorded findings
   (nbreport.findings) move across the grid, against the base run, ending in a verdict computed
   from them; ``sensitivity/<sweep>.json`` holds the same numbers; ``sensitivity.html`` lists the sweeps.

Standard library and Jinja2 only, like the rest of the site.
"""
from __future__ import annotations

import json
import math

from nbreport import findings as findings_mod
from nbreport.state import save_state
from nbreport.status import BuildError, describe_error, run_status

NAV = ("sensitivity", "sensitivity.html", "Sensitivity")
COLOURS = ("#1b6ca8", "#c2410c", "#1f7a45", "#7c3aed", "#a16207", "#0f766e")
MARKERS = ("circle", "square", "diamond", "triangle", "circle", "square")


def _check(man, entry, data: bool, points: set[str] | None = None) -> tuple[list[str], dict[str, str]]:
    ext = man.ext
    if ext is None:
        return [], {}
    return ext.call("check_sweep", man, entry, entry.sweep, data=data, points=points, default=([], {}))


def problems(man, data: bool = False) -> list[str]:
    """List what is wrong with every sweep's grid (unknown names, values out of range), before anything runs.

    Parameters
    ----------
    man : nbreport.manifest.Manifest
        The manifest; its extension's ``check_sweep`` does the checking.
    data : bool, default False
        Whether the checks may read the data (the joint-constraint rules do).

    Returns
    -------
    list of str
        One message per problem; ``[]`` when none.
    """
    out: list[str] = []
    for entry in man.entries:
        if entry.sweep:
            out += _check(man, entry, data)[0]
    return out


def refuse(cfg, man, planned: list, state: dict) -> None:
    """Before execution: points the joint-constraint rules refuse are recorded as refused and not run.

    Parameters
    ----------
    cfg : nbreport.config.Config
        The build's settings (where the state is saved).
    man : nbreport.manifest.Manifest
        The manifest.
    planned : list of nbreport.runner.Planned
        The runs; a refused point's ``action`` becomes ``"reuse"``.
    state : dict
        The build state; a refused point's record is written into it and saved.

    Raises
    ------
    BuildError
        When a grid is wrong (nothing has run yet).
    """
    todo: dict[str, set[str]] = {}
    for p in planned:
        if p.run.sweep and p.action == "execute":
            todo.setdefault(p.entry.sweep.id, set()).add(p.run.id)
    if not todo:
        return
    found: dict[str, str] = {}
    errors: list[str] = []
    for entry in man.entries:
        if entry.sweep and entry.sweep.id in todo:
            bad, refused = _check(man, entry, True, todo[entry.sweep.id])
            errors += bad
            found.update(refused)
    if errors:
        raise BuildError("the manifest cannot be run; nothing was executed:\n  " + "\n  ".join(errors))
    for p in planned:
        if p.run.id in found:
            state["runs"][p.run.id] = {"notebook": f"notebooks/{p.entry.path}", "inputs": p.inputs,
                                       "fingerprint": p.fingerprint, "status": "refused",
                                       "error": {"kind": "refused", "message": found[p.run.id]}, "has_page": False}
            p.action, p.reason = "reuse", "refused"
    if found:
        save_state(cfg, state)


def listed(p, state: dict, only) -> bool:
    """Decide whether a planned run is one of the build's listed outcomes.

    Site runs are, and with --only the runs it selected (a tests-only run too); a sweep point only
    when it failed (the build then fails; its page is the sensitivity page).

    Parameters
    ----------
    p : nbreport.runner.Planned
        The planned run.
    state : dict
        The build state.
    only : collection of str or None
        The keys given with --only (run ids, sweep ids or notebook paths), if any.

    Returns
    -------
    bool
        True when the run is listed.
    """
    if p.run.sweep:
        return run_status(state["runs"].get(p.run.id), p.fingerprint) == "failed"
    return p.run.site or (bool(only) and p.action != "skip")


def reused_refusal(prev: dict | None, fingerprint: str) -> bool:
    """Keep a point refused on exactly these inputs refused without checking again.

    Parameters
    ----------
    prev : dict or None
        The point's previous record in the state.
    fingerprint : str
        The point's fingerprint in this build.

    Returns
    -------
    bool
        True when the previous record is a refusal with the same fingerprint.
    """
    return bool(prev) and prev.get("status") == "refused" and prev.get("fingerprint") == fingerprint


# --------------------------------------------------------------------------- the page's numbers

def _point_rows(sweep, planned_by_id: dict, state: dict) -> list[dict]:
    rows = []
    for run in sweep.points:
        p = planned_by_id.get(run.id)
        s = state["runs"].get(run.id)
        status = run_status(s, p.fingerprint) if p else "missing"
        record = (s or {}).get("findings") if status in ("ok", "warnings") else None
        rows.append({"id": run.id, "values": sweep.values(run), "parameters": run.parameters, "status": status,
                     "reason": (s or {}).get("error", {}).get("message", "") if status == "refused"
                     else describe_error((s or {}).get("error")) if status == "failed" else "",
                     "record": record, "by_name": findings_mod.by_name(record)})
    return rows


def _inside(f: dict | None, base: dict | None) -> bool | None:
    if not f or f.get("value") is None or not base or base.get("low") is None or base.get("high") is None:
        return None
    return base["low"] <= f["value"] <= base["high"]


def _point_words(sweep, row: dict) -> str:
    return ", ".join(f"{n} = {v}" for n, v in zip(sweep.grid, row["values"]))


# why a base run that is not ok gives no interval to compare with (run_status's kinds): a stale run has
# findings, but from other inputs than today's
BASE_NOT_CURRENT = {"stale": "is stale: it was not re-run on the current inputs",
                    "failed": "failed on the current inputs", "missing": "has not run yet",
                    "refused": "is refused by the notebook's parameter rules"}


def verdict(sweep, base_status: str, base_head: dict | None, rows: list[dict], name: str | None) -> tuple[str, str]:
    """Say whether the headline finding holds across the sweep (robust) or not (fragile).

    The sentence states how many points lie inside the base run's interval of the headline
    finding, all of it formatted from the recorded numbers.

    Parameters
    ----------
    sweep : nbreport.manifest.Sweep
        The sweep.
    base_status : str
        The base run's status (``"ok"``, ``"failed"`` ...).
    base_head : dict or None
        The base run's headline finding.
    rows : list of dict
        One row per point (status, findings by name).
    name : str or None
        The headline finding's name.

    Returns
    -------
    tuple of (str, str)
        ``(kind, sentence)``; kind is ``"robust"``, ``"fragile"`` or ``"none"``.
    """
    skipped = [r for r in rows if r["status"] not in ("ok", "warnings")]
    tail = ""
    if skipped:
        counts: dict[str, int] = {}
        for r in skipped:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        tail = " (" + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + ", not counted)"
    what = name or "its headline finding"
    if base_status not in ("ok", "warnings"):  # say why there is nothing to compare with, as it is
        why = BASE_NOT_CURRENT.get(base_status, f"has no current result ({base_status})")
        return "none", f"No verdict: the base run {sweep.base} {why}, so there is no current interval for {what}."
    if not base_head or base_head.get("low") is None:
        return "none", f"No verdict: the base run {sweep.base} recorded no interval for {what}."
    ran = [r for r in rows if r["status"] in ("ok", "warnings") and _inside(r["by_name"].get(base_head["name"]),
                                                                             base_head) is not None]
    if not ran:
        return "none", f"No verdict: no point of the grid has a recorded {base_head['label']}{tail}."
    level = f"{base_head['level']:.0%} " if isinstance(base_head.get("level"), (int, float)) else ""
    band = (f"the base run's {level}{base_head.get('interval') or 'interval'} "
            f"({findings_mod.interval_text(base_head)}{' ' + findings_mod.unit_text(base_head) if findings_mod.unit_text(base_head) else ''})")
    out = [r for r in ran if not _inside(r["by_name"][base_head["name"]], base_head)]
    if not out:
        return "robust", (f"Robust: for all {len(ran)} points that ran, the {base_head['label']} lies inside {band}"
                          f"{tail}.")
    shown = "; ".join(f"{_point_words(sweep, r)}: {findings_mod.fmt(r['by_name'][base_head['name']])}"
                      for r in out[:3]) + ("; ..." if len(out) > 3 else "")
    return "fragile", (f"Not robust: for {len(out)} of the {len(ran)} points that ran, the {base_head['label']} lies "
                       f"outside {band} ({shown}){tail}.")


# --------------------------------------------------------------------------- the chart (inline SVG)

def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1 if math.isfinite(lo) else 1.0
        lo = lo if math.isfinite(lo) else 0.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    return [first + i * step for i in range(int(math.ceil((hi - first) / step)) + 1)]


# The chart is drawn twice, each SVG scaled to the width of its column (width 100%, up to twice its
# natural size): a desktop layout and a narrow one a phone shows instead (site.css swaps them). Scaled
# down to a 296 px column (a 320 px phone) the narrow layout's text stays at 11 px or more on screen.
LAYOUTS = {"desktop": {"w": 720, "h": 340, "left": 92, "right": 16, "top": 20, "bottom": 56, "font": 12},
           "phone": {"w": 340, "h": 300, "left": 64, "right": 10, "top": 16, "bottom": 50, "font": 13}}


def _geometry(sweep, pts: list[dict], series_keys: list, name: str, base_head: dict | None, ticks: list[float],
              xs: list, f0: dict, w: int, h: int, left: int, right: int, top: int, bottom: int, font: int) -> dict:
    lo, hi = ticks[0], ticks[-1]
    pw, ph = w - left - right, h - top - bottom

    def ypos(v):
        return top + ph * (1 - (v - lo) / (hi - lo))

    col = pw / max(1, len(xs))
    n = len(series_keys)
    spread = min(col * 0.6, 18 * n)
    marks = []
    for r in pts:
        f = r["by_name"][name]
        k = series_keys.index(tuple(r["values"][1:]))
        off = (k - (n - 1) / 2) * spread / (n - 1) if n > 1 else 0
        x = left + col * (xs.index(r["values"][0]) + 0.5) + off
        inside, interval = _inside(f, base_head), findings_mod.interval_text(f)
        marks.append({"x": round(x, 1), "y": round(ypos(f["value"]), 1),
                      "y_lo": round(ypos(f["low"]), 1) if f.get("low") is not None else None,
                      "y_hi": round(ypos(f["high"]), 1) if f.get("high") is not None else None,
                      "colour": COLOURS[k % len(COLOURS)], "marker": MARKERS[k % len(MARKERS)],
                      "outside": inside is False,
                      "title": f"{_point_words(sweep, r)}: {findings_mod.fmt(f)}" + (f" ({interval})" if interval else "")})
    band = None
    if base_head and base_head.get("low") is not None and base_head.get("high") is not None:
        band = {"y": round(ypos(base_head["high"]), 1), "h": round(ypos(base_head["low"]) - ypos(base_head["high"]), 1),
                "mid": round(ypos(base_head["value"]), 1) if base_head.get("value") is not None else None}
    return {"w": w, "h": h, "left": left, "top": top, "pw": pw, "ph": ph, "font": font, "marks": marks, "band": band,
            "x_ticks": [{"x": round(left + col * (i + 0.5), 1), "label": str(v)} for i, v in enumerate(xs)],
            "y_ticks": [{"y": round(ypos(t), 1), "label": findings_mod.fmt(f0, t)} for t in ticks]}


def chart(sweep, rows: list[dict], name: str, base_head: dict | None) -> dict | None:
    """Lay out the sensitivity chart, so the template only draws what is computed here.

    One column per value of the first grid parameter, one series (colour and marker) per combination
    of the others; each point its headline value with its interval, the base run's interval as a band.
    Laid out twice (LAYOUTS): at a desktop width and at a phone's, so a phone shows the whole chart
    with legible text instead of a wide chart in a scroll box or one shrunk to unreadable text.

    Parameters
    ----------
    sweep : nbreport.manifest.Sweep
        The sweep.
    rows : list of dict
        One row per point.
    name : str
        The headline finding's name.
    base_head : dict or None
        The base run's headline finding (the band).

    Returns
    -------
    dict or None
        ``layouts`` (one geometry per LAYOUTS key, in SVG units, with ticks), the legend, labels and
        description; None when no point has the finding.
    """
    pts = [r for r in rows if r["by_name"].get(name) and r["by_name"][name].get("value") is not None]
    if not pts:
        return None
    first, others = list(sweep.grid)[0], list(sweep.grid)[1:]
    xs = list(sweep.grid[first])
    series_keys = list(dict.fromkeys(tuple(r["values"][1:]) for r in rows))
    nums = [x for r in pts for x in (r["by_name"][name]["value"], r["by_name"][name].get("low"),
                                     r["by_name"][name].get("high")) if x is not None]
    if base_head:
        nums += [x for x in (base_head.get("low"), base_head.get("high")) if x is not None]
    ticks = _ticks(min(nums), max(nums))
    f0 = pts[0]["by_name"][name]
    layouts = {key: _geometry(sweep, pts, series_keys, name, base_head, ticks, xs, f0, **spec)
               for key, spec in LAYOUTS.items()}
    band = layouts["desktop"]["band"]
    legend = [{"label": ", ".join(f"{n} = {v}" for n, v in zip(others, key)) or name,
               "colour": COLOURS[k % len(COLOURS)], "marker": MARKERS[k % len(MARKERS)]}
              for k, key in enumerate(series_keys)] if others else []
    alt = (f"{f0.get('label', name)} for each point of the grid, by {first}"
           + (f" and {', '.join(others)}" if others else "") + ", with each point's interval"
           + (" and the base run's interval as a shaded band" if band else "") + ".")
    return {"layouts": layouts, "band": band, "legend": legend, "alt": alt, "x_label": first,
            "y_label": f"{f0.get('label', name)}" + (f" ({findings_mod.unit_text(f0)})" if findings_mod.unit_text(f0) else "")}


# --------------------------------------------------------------------------- pages

def page_context(man, entry, planned_by_id: dict, state: dict, root) -> dict:
    """Gather everything the sensitivity page of `entry.sweep` shows, and what sensitivity/<id>.json holds.

    Parameters
    ----------
    man : nbreport.manifest.Manifest
        The manifest (its extension describes the notebook and reads its defaults).
    entry : nbreport.manifest.Entry
        The entry declaring the sweep.
    planned_by_id : dict of str to nbreport.runner.Planned
        Planned runs by id.
    state : dict
        The build state.
    root : pathlib.Path
        The repository folder.

    Returns
    -------
    dict
        The template context: rows, columns, headline, verdict, chart, counts and the base run's
        headline value and interval.
    """
    sweep = entry.sweep
    base_p = planned_by_id.get(sweep.base)
    base_s = state["runs"].get(sweep.base)
    base_status = run_status(base_s, base_p.fingerprint) if base_p else "missing"
    base_record = (base_s or {}).get("findings") if base_status in ("ok", "warnings") else None
    rows = _point_rows(sweep, planned_by_id, state)
    some = base_record or next((r["record"] for r in rows if r["record"]), None)
    name = sweep.headline or (some or {}).get("headline")
    base_head = findings_mod.by_name(base_record).get(name) if name else None
    names = [f["name"] for f in (some or {}).get("findings", [])]
    if name in names:
        names.remove(name)
        names.insert(0, name)
    kind, sentence = verdict(sweep, base_status, base_head, rows, name)
    described = (man.ext.call("describe", entry, root, {}, default=None) if man.ext else None) or {}
    title = sweep.title or f"Sensitivity: {described.get('title') or entry.title or entry.path}"
    some_by = findings_mod.by_name(some)

    def full(given: dict) -> dict:  # with the notebook's defaults, as the extension reads them
        listed = man.ext.call("parameters", man.notebook_file(entry), given, default=None) if man.ext else None
        return {n: v for n, v, _ in listed} if listed else dict(given)

    columns = [{"name": n, "label": some_by[n].get("label", n), "unit": findings_mod.unit_text(some_by[n])} for n in names]
    for r in rows:
        r["cells"] = [{"value": findings_mod.fmt(r["by_name"].get(n)) if r["by_name"].get(n) else "",
                       "interval": findings_mod.interval_text(r["by_name"].get(n))} for n in names]
        r["inside"] = _inside(r["by_name"].get(name), base_head) if name else None
        r["is_base"] = bool(base_p) and full(r["parameters"]) == full(base_p.run.parameters)
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("ok", "warnings", "failed", "refused", "stale",
                                                                    "missing")}
    return {"sweep": sweep, "entry": entry, "page_title": title, "rows": rows, "columns": columns, "headline": name,
            "base_head": base_head, "base_status": base_status, "verdict_kind": kind, "verdict": sentence,
            "chart": chart(sweep, rows, name, base_head) if name else None, "counts": counts,
            "base_interval": findings_mod.interval_text(base_head), "base_value": findings_mod.fmt(base_head),
            "base_unit": findings_mod.unit_text(base_head)}


def data_json(ctx: dict) -> str:
    """Write sensitivity/<id>.json: the grid, each point's status and findings record, the verdict.

    Parameters
    ----------
    ctx : dict
        A page_context result.

    Returns
    -------
    str
        The JSON text (sorted keys, so a rebuild on the same results writes the same file).
    """
    sweep = ctx["sweep"]
    return json.dumps({
        "sweep": sweep.id, "notebook": f"notebooks/{ctx['entry'].path}", "base": sweep.base, "grid": sweep.grid,
        "headline": ctx["headline"], "verdict": {"kind": ctx["verdict_kind"], "text": ctx["verdict"]},
        "points": [{"id": r["id"], "parameters": r["parameters"], "status": r["status"], "reason": r["reason"],
                    "findings": r["record"]} for r in ctx["rows"]]}, indent=1, sort_keys=True)


def write_pages(site, man, state: dict, planned: list) -> list[dict]:
    """Write sensitivity/<id>.html and .json for every sweep, and the list page sensitivity.html.

    Parameters
    ----------
    site : nbreport.site.Writer
        The site being written.
    man : nbreport.manifest.Manifest
        The manifest.
    state : dict
        The build state.
    planned : list of nbreport.runner.Planned
        The runs.

    Returns
    -------
    list of dict
        The page contexts written; ``[]`` when the manifest has no sweep.
    """
    entries = [e for e in man.entries if e.sweep]
    if not entries:
        return []
    by_id = {p.run.id: p for p in planned}
    made = []
    for entry in entries:
        ctx = page_context(man, entry, by_id, state, site.cfg.root)
        site.emit(f"sensitivity/{entry.sweep.id}.json", data_json(ctx))
        site.emit(f"sensitivity/{entry.sweep.id}.html",
                  site.render("sensitivity.html.j2", rel="../", title=ctx["page_title"], current="sensitivity", **ctx))
        made.append(ctx)
    site.emit("sensitivity.html", site.render("sensitivity_index.html.j2", title="Sensitivity", current="sensitivity",
                                              sweeps=made))
    return made


def nav(man) -> list:
    """Give the header link to sensitivity.html, only when the manifest declares a sweep.

    Parameters
    ----------
    man : nbreport.manifest.Manifest
        The manifest.

    Returns
    -------
    list
        ``[NAV]`` or ``[]``.
    """
    return [NAV] if any(e.sweep for e in man.entries) else []
