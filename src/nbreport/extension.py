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
SWITCHES : tuple of str
    The collection's on/off environment settings (e.g. ``REPORT_CHART_CACHE``); a value that is
    neither an on nor an off word (nbreport.config.switch) stops the build before anything runs.
MISSING_ALT_HINT : str
    HTML (trusted) appended to the "figures have no description" note of a report page.
KINDS : dict of str to dict
    The kinds of notebook the manifest may list, in the order the site's index groups them.
    Each maps to ``heading`` (the index group's heading), ``label`` (the kind line when
    ``describe`` gives none), ``folder`` (under notebooks/, where unlisted notebooks of that
    kind are looked for), ``entry`` (JSON Schema for an entry of that kind: keys it must or
    must not have, with ``x-message``/``x-messages`` words; see nbreport.manifest) and
    ``untimed_seconds`` (what a run of that kind is expected to take before a build has timed it;
    only the order of the build's queue depends on it). All optional.
    Without KINDS any lowercase word is a kind, grouped under its own name.

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
    What the site shows of an entry: ``title``, ``kind_line``, ``outlet``, ``date``, ``address``;
    ``notebook_heading`` False: the notebook's first h1 is not shown as the page's subtitle.
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
    """A loaded extension module with the builder's defaults for whatever it leaves out.

    Parameters
    ----------
    module : module, optional
        The collection's extension module; None: no extension (every default).
    name : str, optional
        Its import name.
    """

    def __init__(self, module=None, name: str = ""):
        self.module, self.name = module, name

    def _get(self, attr: str, default=None):
        return getattr(self.module, attr, default) if self.module is not None else default

    @property
    def package(self) -> str | None:
        """str or None: import name of the package the notebooks import (PACKAGE, else the module's top package)."""
        return self._get("PACKAGE") or (self.name.split(".")[0] if self.name else None)

    def package_dir(self) -> Path | None:
        """The folder of PACKAGE, found without importing it.

        Returns
        -------
        Path or None
            The package folder; None without an extension.

        Raises
        ------
        ExtensionError
            When the package cannot be found.
        """
        if not self.package:
            return None
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ExtensionError(f"extension {self.name}: package {self.package!r} cannot be found")
        return Path(list(spec.submodule_search_locations)[0])

    @property
    def site_name(self) -> str:
        """str: the site's name (SITE_NAME, default "Research notebooks")."""
        return self._get("SITE_NAME", "Research notebooks")

    @property
    def templates(self) -> Path | None:
        """Path or None: the collection's Jinja2 template folder (TEMPLATES)."""
        return self._get("TEMPLATES")

    @property
    def switches(self) -> tuple:
        """tuple of str: the collection's on/off environment settings (SWITCHES), checked before a build."""
        return tuple(self._get("SWITCHES", ()))

    @property
    def nav(self) -> list:
        """list of (str, str, str): extra header links (NAV) as (key, href, label)."""
        return list(self._get("NAV", []))

    @property
    def kinds(self) -> dict:
        """dict: the collection's kinds of notebook (KINDS) in declared order; {} when it declares none."""
        return dict(self._get("KINDS") or {})

    @property
    def missing_alt_hint(self) -> str:
        """str: trusted HTML after the "figures have no description" note (MISSING_ALT_HINT)."""
        return self._get("MISSING_ALT_HINT", "")

    def call(self, attr: str, *args, default=None, **kw):
        """Call one of the extension's optional functions, or give the default when it has none.

        Parameters
        ----------
        attr : str
            The function's name (``check_data``, ``describe`` ...; see this module's docstring).
        *args
            Its positional arguments.
        default : object, optional
            What to give when the extension does not define it.
        **kw
            Its keyword arguments.

        Returns
        -------
        object
            The function's result, or `default`.
        """
        fn = self._get(attr)
        return fn(*args, **kw) if callable(fn) else default


def load(name: str | None) -> Extension:
    """The extension module `name` ("package.module"), else the one registered entry point, else none.

    Parameters
    ----------
    name : str or None
        The manifest's ``extension`` key.

    Returns
    -------
    Extension
        The loaded extension (with no module when none is configured or installed).

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
