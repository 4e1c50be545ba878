"""The HTML fragment of one report page, rendered from an executed notebook with nbconvert.

Runs in the report workers (nbreport.execution.worker). Writes build/pages/<id>.html (the
cells, through the `report_page` template beside this module), build/pages/<id>_files/ (its
figures) and build/thumbs/<id>.png. Output HTML from notebooks is sanitised here: it is the one
place where markup the site did not write is shown.
"""
from __future__ import annotations

import base64
import io
import os
import re
import shutil
from pathlib import Path

from nbreport.config import template_cache
from nbreport.findings import MIMETYPE as FINDINGS_MIME
from nbreport.render.cells import output_texts, plain, source

TEMPLATES = Path(__file__).parent / "templates"
THUMB_BOX = (560, 420)
REMOVE_CELL_TAGS = {"injected-parameters", "papermill-error-cell-tag", "remove-cell", "remove_cell"}
REMOVE_INPUT_TAGS = {"remove-input", "remove_input"}
REMOVE_OUTPUT_TAGS = {"remove-output", "remove_output"}

# What a page shows of one cell's text output at most; the rest stays in the executed notebook.
PAGE_MAX_LINES = 1000
PAGE_MAX_CHARS = 100_000

_exporter = None


# --------------------------------------------------------------------------- HTML

_ALLOWED_TAGS = {
    "a", "abbr", "acronym", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u",
    "ul", "var",
}
_GLOBAL_ATTRS = {"class", "id", "title", "lang", "dir"}
_TAG_ATTRS = {
    "a": {"href", "name"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "scope", "align"}, "col": {"span"}, "colgroup": {"span"},
    "ol": {"start", "type", "reversed"}, "details": {"open"}, "time": {"datetime"}, "abbr": {"title"},
}
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")


def _relative_url(value: str) -> bool:
    return not _SCHEME.match(value) and not value.strip().startswith("//")


def _allow_attr(tag: str, name: str, value: str) -> bool:
    if name in _GLOBAL_ATTRS:
        return True
    if name not in _TAG_ATTRS.get(tag, ()):
        return False
    if tag == "a" and name == "href":
        return value.startswith(("http://", "https://", "mailto:", "#")) or _relative_url(value)
    if tag == "img" and name == "src":  # never load anything from the network
        return value.startswith(("data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,")) \
            or _relative_url(value)
    return True


_STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style\s*>", re.S | re.I)
_IMG_NO_SRC = re.compile(r"<img\b(?![^>]*\bsrc=)[^>]*?(?:\balt=\"([^\"]*)\")?[^>]*>", re.I)


def sanitize(html: str) -> str:
    """Keep document markup; turn anything else (script, iframe, handlers, remote images) into text.

    A `<script>` from a data title or a parameter shows as the characters `<script>`
    and never runs. pandas' scoped <style> blocks are dropped (the site's stylesheet
    styles tables). An image whose source would leave the machine is replaced by its alt text.

    Parameters
    ----------
    html : str
        HTML from a notebook output or markdown cell (nbconvert's ``sanitize`` filter).

    Returns
    -------
    str
        The cleaned HTML (bleach, with this module's tag and attribute allow-lists).
    """
    import bleach

    html = _STYLE_BLOCK.sub("", str(html))
    clean = bleach.clean(html, tags=_ALLOWED_TAGS, attributes=_allow_attr,
                         protocols={"http", "https", "mailto", "data"}, strip=False, strip_comments=True)
    return _IMG_NO_SRC.sub(lambda m: f"<span class=\"note\">[image: {m.group(1) or 'not shown'}]</span>", clean)


_NON_SGR = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-ln-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_]|(?=[^\[]|$))")


def clean_ansi(text) -> str:
    """Keep the colour codes (SGR) and drop every other terminal escape that ansi2html would pass raw.

    nbconvert's ansi2html turns SGR codes into spans; window titles and cursor moves would reach
    the page as junk characters.

    Parameters
    ----------
    text : object
        Output text; None counts as ``""``.

    Returns
    -------
    str
        The text with only SGR escapes left.
    """
    return _NON_SGR.sub("", "" if text is None else str(text))


def exporter(cache: Path | None = None):
    """Give this worker's nbconvert HTMLExporter, made once and reused.

    Its first use costs about 0.3 s, later ones 0.02 s (measured on the build machine); part of the
    first is compiling nbconvert's templates, which `cache` keeps between workers and builds.

    Parameters
    ----------
    cache : pathlib.Path, optional
        A folder for compiled templates (nbreport.pages.bytecode_cache); given by the first caller
        that knows the build, kept for the exporter's life.

    Returns
    -------
    nbconvert.HTMLExporter
        The exporter with the report_page template, prompts hidden, figures extracted to files and
        the ``sanitize`` and ``clean_ansi`` filters registered.
    """
    global _exporter
    if _exporter is None:
        from nbconvert import HTMLExporter
        from traitlets.config import Config

        c = Config()
        c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES)]
        c.HTMLExporter.template_name = "report_page"
        c.HTMLExporter.exclude_input_prompt = True
        c.HTMLExporter.exclude_output_prompt = True
        c.ExtractOutputPreprocessor.enabled = True
        c.ExtractOutputPreprocessor.extract_output_types = {"image/png", "image/jpeg", "image/svg+xml"}
        _exporter = HTMLExporter(config=c)
        _exporter.register_filter("sanitize", sanitize)
        _exporter.register_filter("clean_ansi", clean_ansi)
    if cache is not None and _exporter.environment.bytecode_cache is None:
        from nbreport.pages import bytecode_cache

        _exporter.environment.bytecode_cache = bytecode_cache(cache)
    return _exporter


def _prepare(nb) -> None:
    """Drop papermill's injected-parameters and error-banner cells and cells tagged remove-*."""
    keep = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & REMOVE_CELL_TAGS:
            continue
        if cell.cell_type == "code":
            if tags & REMOVE_OUTPUT_TAGS and not cell.get("metadata", {}).get("report", {}).get("failed"):
                cell.outputs = []
            if tags & REMOVE_INPUT_TAGS and not cell.get("metadata", {}).get("report", {}).get("failed"):
                cell.metadata.setdefault("transient", {})["remove_source"] = True
            # recorded findings are data for the builder (nbreport.findings), not something to show
            cell.outputs = [o for o in cell.get("outputs", []) if set(o.get("data") or {"-": 0}) != {FINDINGS_MIME}]
        keep.append(cell)
    nb.cells = keep


def _thumbnail(png: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        im = im.convert("RGB")
        im.thumbnail(THUMB_BOX)
        im = im.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        out = io.BytesIO()
        im.save(out, format="PNG", optimize=True)
        return out.getvalue()


def _count(cell, nb_cells) -> str:
    n = cell.get("execution_count") or sum(1 for c in nb_cells[:nb_cells.index(cell) + 1] if c.cell_type == "code")
    return f"cell [{n}]"


def _cap_outputs(nb, run_id: str) -> list[str]:
    """Cut each cell's text output on the page to PAGE_MAX_LINES lines / PAGE_MAX_CHARS characters,
    with a note linking the executed notebook, which keeps all of it. Returns a warning per cut cell."""
    import nbformat

    warnings = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines_left, chars_left, cut = PAGE_MAX_LINES, PAGE_MAX_CHARS, False
        kept, every = [], []
        for out in cell.get("outputs", []):
            texts = output_texts(out) if out.get("output_type") != "error" else []
            size = sum(len(t) for t in texts)
            nlines = sum(t.count("\n") + (not t.endswith("\n")) for t in texts)
            every += texts
            if cut:
                continue
            if out.get("output_type") == "stream" and (nlines > lines_left or size > chars_left):
                text = source({"source": out.get("text", "")})
                head = "\n".join(text.split("\n")[:max(lines_left, 0)])[:max(chars_left, 0)]
                kept.append(nbformat.from_dict({**out, "text": head + "\n"}))
                cut = True
            elif out.get("output_type") in ("execute_result", "display_data") and size > chars_left:
                kept.append(nbformat.v4.new_output("stream", name="stdout", text=(
                    "\n".join(texts[0].split("\n")[:max(lines_left, 0)])[:max(chars_left, 0)] + "\n") if texts else ""))
                cut = True
            else:
                kept.append(out)
                lines_left, chars_left = lines_left - nlines, chars_left - size
        if cut:
            joined = "".join(every)  # a stream arrives in chunks that may split a line
            total_lines, total_chars = joined.count("\n") + (not joined.endswith("\n")), len(joined)
            note = (f'<p class="note truncated">Output cut: this page shows the first part of this cell\'s output '
                    f'({total_lines:,} lines, {total_chars:,} characters in all). The whole output is in the '
                    f'<a href="{run_id}.ipynb">executed notebook</a>.</p>')
            kept.append(nbformat.v4.new_output("display_data", data={"text/html": note}))
            cell.outputs = kept
            warnings.append(f"{_count(cell, nb.cells)}: output cut on the page ({total_lines:,} lines, "
                            f"{total_chars:,} characters); the executed notebook has all of it")
    return warnings


def _stderr_warnings(nb) -> list[str]:
    """One warning per cell that shows stderr (warnings, library messages) on the page."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        text = "".join(source({"source": o.get("text", "")}) for o in cell.get("outputs", [])
                       if o.get("output_type") == "stream" and o.get("name") == "stderr")
        first = next((ln.strip() for ln in plain(text).splitlines() if ln.strip()), "")
        if first:
            out.append(f"{_count(cell, nb.cells)} wrote to stderr: {first[:200]}")
    return out


def _phone_images(nb, run_id: str, files_dir_name: str) -> dict[str, bytes]:
    """Move each figure's phone layout (metadata image/png.phone, as helpers.charts.show records it) to a
    file of its own.

    The metadata keeps the file's name for the template's <picture> element; returns {path: PNG bytes}.
    """
    files = {}
    for ci, cell in enumerate(nb.cells):
        for oi, out in enumerate(cell.get("outputs", []) if cell.cell_type == "code" else []):
            meta = (out.get("metadata", {}) or {}).get("image/png") or {}
            phone = meta.get("phone") if isinstance(meta, dict) else None
            if not isinstance(phone, dict) or not phone.get("png"):
                continue
            name = f"{files_dir_name}/{run_id}_{ci}_{oi}_phone.png"
            files[name] = base64.b64decode(phone["png"])
            meta["phone"] = {k: v for k, v in phone.items() if k != "png"} | {"file": name}
    return files


def render(nb, run_id: str, pages_dir: Path, thumbs_dir: Path, error: dict | None) -> dict:
    """Write build/pages/<id>.html (the cells), build/pages/<id>_files/* (figures) and a thumbnail.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook: a copy the caller may give away (it is changed), its failed cell
        marked (nbreport.execution.outcome.mark_failure).
    run_id : str
        The run's id, naming the page, its files folder and the thumbnail.
    pages_dir : pathlib.Path
        Where pages are written (build/pages).
    thumbs_dir : pathlib.Path
        Where thumbnails are written; a stale one is removed when the notebook has no PNG figure.
    error : dict or None
        The outcome that marked the failure, passed through.

    Returns
    -------
    dict
        ``error``, ``figures`` and ``missing_alt`` (counts), ``thumb`` (file and alt, or None),
        ``files`` (written beside the page) and ``warnings`` a reader must see: stderr shown on the
        page, output cut to fit a page.
    """
    _prepare(nb)
    warnings = _stderr_warnings(nb) + _cap_outputs(nb, run_id)

    figures, missing_alt, first = 0, 0, None
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            for mime in ("image/png", "image/jpeg", "image/svg+xml"):
                if mime in data:
                    figures += 1
                    alt = (out.get("metadata", {}).get(mime, {}) or {}).get("alt") or cell.metadata.get("alt")
                    if not alt:
                        missing_alt += 1
                    if first is None and mime == "image/png":
                        first = (data[mime], alt or "")
                    break

    files_dir_name = f"{run_id}_files"
    phone_files = _phone_images(nb, run_id, files_dir_name)
    # compiled templates kept beside the pages (build/cache/jinja/nbconvert when pages_dir is
    # build/pages); not the site's folder: an entry is keyed by template file and source, not by
    # the settings of the environment that compiled it
    body, resources = exporter(template_cache(pages_dir.parent)).from_notebook_node(
        nb, resources={"unique_key": run_id, "output_files_dir": files_dir_name})
    resources.setdefault("outputs", {}).update(phone_files)
    files_dir = pages_dir / files_dir_name
    shutil.rmtree(files_dir, ignore_errors=True)
    for name, data in (resources.get("outputs") or {}).items():
        target = pages_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    atomic_write(pages_dir / f"{run_id}.html", body.encode("utf-8"))

    thumb = None
    thumb_file = thumbs_dir / f"{run_id}.png"
    if first is not None:
        try:
            atomic_write(thumb_file, _thumbnail(base64.b64decode(first[0])))
            thumb = {"file": thumb_file.name, "alt": first[1] or "First figure of the report"}
        except Exception:  # a broken PNG is not worth failing the page over
            thumb = None
    if thumb is None and thumb_file.exists():
        thumb_file.unlink()
    return {"error": error, "figures": figures, "missing_alt": missing_alt, "thumb": thumb,
            "files": sorted(resources.get("outputs") or {}), "warnings": warnings}


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file through a temporary name and a rename, so a killed build never leaves half a file.

    Parameters
    ----------
    path : pathlib.Path
        The file; its folder is created when missing.
    data : bytes
        The content.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


