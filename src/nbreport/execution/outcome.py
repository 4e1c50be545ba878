"""What a run's outcome is, read from its executed notebook: which cell failed, and why.

Part of the execution input (nbreport.execution): what counts as a failed run (an error, a
notebook stopped early, text that is not valid Unicode) decides what the site marks Current.
"""
from __future__ import annotations

from nbreport.render.cells import SURROGATE as _SURROGATE
from nbreport.render.cells import output_texts, plain, source


def fix_text(nb) -> int | None:
    """Make a notebook's outputs writable as UTF-8 and find the first cell whose text was not.

    A kernel can print lone surrogates (``"\\ud800"``); nbformat cannot write them, so the
    notebook would be lost with the run. They become U+FFFD here, in place, and the cell is
    reported so the run fails instead of publishing mangled text.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook; its stream, data and error outputs are changed in place.

    Returns
    -------
    int or None
        Index (into ``nb.cells``) of the first code cell whose output holds a lone surrogate or
        the U+FFFD the kernel put in its place; None when every output is clean.
    """
    first = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and isinstance(out.get("text"), str):
                out["text"] = _SURROGATE.sub("\ufffd", out["text"])
            for key, val in list((out.get("data") or {}).items()):
                if isinstance(val, str):
                    out["data"][key] = _SURROGATE.sub("\ufffd", val)
            if out.get("output_type") == "error":
                out["evalue"] = _SURROGATE.sub("\ufffd", str(out.get("evalue", "")))
                out["traceback"] = [_SURROGATE.sub("\ufffd", str(t)) for t in out.get("traceback", [])]
            if first is None and any("\ufffd" in t for t in output_texts(out)):
                first = i
    return first


def mark_failure(nb, error: dict | None) -> dict | None:
    """Flag the cell that failed (metadata.report.failed) and describe it; None when all ran.

    A run fails when a cell raised (SystemExit included: a notebook that stops early is not a
    complete report, though papermill counts `sys.exit(0)` as success), when a code cell never
    ran, and when a cell printed text that is not valid Unicode.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (changed in place: the failed cell gets
        ``metadata.report.failed``; outputs are cleaned by `fix_text`).
    error : dict or None
        What the executor already knows (``kind``: error, timeout, dead, crash, ...), or None
        when papermill finished without raising.

    Returns
    -------
    dict or None
        `error` completed with ``kind``, a ``message`` or ``ename``/``evalue``, and, when a
        cell can be blamed, ``execution_count``, ``cell_number`` (the "Code [n]" the page
        shows) and ``first_line`` (at most 160 characters); None when the run succeeded.
    """
    failed_index = None
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for i in code:
        cell = nb.cells[i]
        errs = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errs:
            failed_index = i
            ename, evalue = plain(errs[0].get("ename", "")), plain(errs[0].get("evalue", ""))
            if ename == "SystemExit" and (error is None or error.get("kind") in ("error", None)):
                later = sum(1 for j in code if j > i and source(nb.cells[j]).strip())
                error = {"kind": "stopped", "message": f"stopped the notebook early ({ename}: {evalue or 'None'}); "
                         f"{later} later code cell{'s' if later != 1 else ''} did not run"}
            elif error is None or error.get("kind") in ("error", None):
                error = {**(error or {}), "kind": "error", "ename": ename, "evalue": evalue}
            break
        if cell.get("metadata", {}).get("papermill", {}).get("exception"):
            failed_index = i
            break
    if error is None:
        not_run = [i for i in code if source(nb.cells[i]).strip() and nb.cells[i].get("execution_count") is None]
        if not_run:
            ran = [i for i in code if nb.cells[i].get("execution_count") is not None]
            failed_index = ran[-1] if ran else not_run[0]
            error = {"kind": "stopped", "message": f"was the last cell to run: the notebook stopped early and "
                     f"{len(not_run)} later code cell{'s' if len(not_run) != 1 else ''} did not run"}
    if error is None:
        bad = fix_text(nb)
        if bad is not None:
            failed_index = bad
            error = {"kind": "encoding", "message": "printed text that is not valid Unicode (a lone surrogate, "
                     "shown as \ufffd); print text that can be encoded as UTF-8"}
    else:
        fix_text(nb)
    if error is None:
        return None
    error = {k: (plain(v) if isinstance(v, str) else v) for k, v in error.items()}
    if failed_index is None:  # timeout or dead kernel: the last cell that started
        started = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                   and c.get("metadata", {}).get("papermill", {}).get("start_time")]
        failed_index = started[-1] if started else None
    if failed_index is not None:
        cell = nb.cells[failed_index]
        cell.metadata.setdefault("report", {})["failed"] = True
        error["execution_count"] = cell.get("execution_count")
        # the number the page shows beside the cell ("Code [5]"): its execution count
        error["cell_number"] = cell.get("execution_count") or sum(
            1 for c in nb.cells[:failed_index + 1] if c.cell_type == "code")
        first = next((ln for ln in source(cell).splitlines() if ln.strip()), "")
        error["first_line"] = first[:160]
    return error


