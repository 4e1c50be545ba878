"""The extension point: what a notebook collection adds to the builder, loaded by name.

The builder knows notebooks, parameters, kernels and pages; it knows nothing of what the
notebooks are about. A collection plugs in one module, named by the manifest's top-level key

    extension: helpers.report_extension

or, when the manifest names none, by the single entry point of the group ``nbreport.extensions``
(pyproject.toml: ``[project.entry-points."nbreport.extensions"]``). The module may define any of
the names below; each one it leaves out does nothing. Importing it must stay light (no pandas):
the no-change rebuild imports it.

Attributes
----------
PACKAGE : str
    Import name of the package the notebooks import. Every run's fingerprint hashes its folder
    as a whole. Default: the top-level package of the extension module.
SITE_NAME : str
    The site's name (header and page titles). Default "Research notebooks".
TEMPLATES : pathlib.Path
    A folder of Jinja2 templates: its pages (see ``write_pages``) and the snippets the builder
    includes where they exist (``extension/card.html.j2`` and the others nbreport.pages lists).
NAV : list of (key, href, label)
    Extra links in every page's header, after "Reports".
MISSING_ALT_HINT : str
    HTML (trusted) appended to the "figures have no description" note of a report page.

Functions (every one optional)
------------------------------
check_data(root) -> list[str]
    Problems with the collection's data that stop the build before anything executes.
check_manifest(manifest) -> list[str]
    Collection rules on manifest entries (e.g. an article's id exists in the sources table).
check_parameters(manifest, data=True, runs=None) -> list[str]
    Every run's parameters checked against its notebook; ``runs`` limits it to those ids.
    ``data=False``: without the checks that read the data (they run just before execution).
check_sweep(manifest, entry, sweep, data=True, points=None) -> (list[str], dict[str, str])
    A sweep's grid (nbreport.sweep): problems that stop the build (unknown names, values out of
    range), and {point id: reason} for the points the joint-constraint rules refuse (listed on the
    sensitivity page, never run). Without it every point is run.
describe(entry, root) -> dict
    What the site shows of an entry: ``title``, ``kind_line``, ``outlet``, ``date``, ``address``.
parameters(notebook, given) -> list[(name, value, is_default)]
    The notebook's parameters with the values a run uses.
results_job(manifest) -> dict | None
    The collection-wide job run once per build in a worker (``target``: "module:function",
    called with the job, plus any JSON-able arguments; the builder adds ``out_csv`` and
    ``data_dir``). It returns ``status`` (ok | partial | failed), ``message``, ``summaries``
    ({entry key: line}) and ``rows``. Its inputs are the data, the package and the pins.
card_lines(entry, results) -> str
    Trusted HTML for an index card (e.g. the claims summary).
report_lines(entry, results, line) -> str
    Trusted HTML for a report page's "This run" box.
write_pages(site) -> None
    Extra files of the site (a data page, downloads), written through ``site`` (nbreport.site.Writer).
"""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

GROUP = "nbreport.extensions"


class ExtensionError(ValueError):
    """The configured extension cannot be loaded; the message names it and the fix."""


class Extension:
    """A loaded extension module with the builder's defaults for whatever it leaves out."""

    def __init__(self, module=None, name: str = ""):
        self.module, self.name = module, name

    def _get(self, attr: str, default=None):
        return getattr(self.module, attr, default) if self.module is not None else default

    @property
    def package(self) -> str | None:
        return self._get("PACKAGE") or (self.name.split(".")[0] if self.name else None)

    def package_dir(self) -> Path | None:
        """The folder of PACKAGE, found without importing it; None without an extension."""
        if not self.package:
            return None
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ExtensionError(f"extension {self.name}: package {self.package!r} cannot be found")
        return Path(list(spec.submodule_search_locations)[0])

    @property
    def site_name(self) -> str:
        return self._get("SITE_NAME", "Research notebooks")

    @property
    def templates(self) -> Path | None:
        return self._get("TEMPLATES")

    @property
    def nav(self) -> list:
        return list(self._get("NAV", []))

    @property
    def missing_alt_hint(self) -> str:
        return self._get("MISSING_ALT_HINT", "")

    def call(self, attr: str, *args, default=None, **kw):
        fn = self._get(attr)
        return fn(*args, **kw) if callable(fn) else default


def load(name: str | None) -> Extension:
    """The extension module `name` ("package.module"), else the one registered entry point, else none.

    Raises
    ------
    ExtensionError
        The module cannot be imported, or several entry points compete.
    """
    if not name:
        from importlib.metadata import entry_points

        found = sorted({ep.value for ep in entry_points(group=GROUP)})
        if len(found) > 1:
            raise ExtensionError(f"several report extensions are installed ({', '.join(found)}); name one with "
                                 "the manifest key 'extension'")
        if not found:
            return Extension()
        name = found[0]
    try:
        return Extension(importlib.import_module(name), name)
    except ImportError as exc:
        raise ExtensionError(f"extension {name!r} cannot be imported ({exc}); expected an importable module "
                             "such as helpers.report_extension") from None
