"""What a run's result depends on, as hashes: the fingerprint that decides what is executed again."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path


def _hash_file(h, path: Path) -> None:
    with open(path, "rb") as f:
        h.update(hashlib.sha256(f.read()).digest())


def hash_tree(folder: Path) -> str:
    """sha256 over the relative names and contents of every file under folder (sorted).

    Hidden files and folders, ``__pycache__`` and compiled byte code are left out, so importing a
    module does not change its package's hash.

    Parameters
    ----------
    folder : Path
        The folder.

    Returns
    -------
    str
        Hex digest, or ``"absent"`` when the folder does not exist.
    """
    h = hashlib.sha256()
    if not folder.is_dir():
        return "absent"
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if not path.is_file() or "__pycache__" in rel.parts or any(p.startswith(".") for p in rel.parts):
            continue
        if path.suffix in (".pyc", ".pyo"):
            continue
        h.update(rel.as_posix().encode() + b"\0")
        _hash_file(h, path)
    return h.hexdigest()


def hash_file(path: Path) -> str:
    """sha256 of one file's bytes.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    str
        Hex digest, or ``"absent"`` when there is no such file.
    """
    if not path.is_file():
        return "absent"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digest(obj) -> str:
    """sha256 of a JSON-able object (keys sorted; other objects as ``str``).

    Parameters
    ----------
    obj : object
        Parameters, a list of hashes ...

    Returns
    -------
    str
        Hex digest.
    """
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


NBREPORT_DIR = Path(__file__).resolve().parent


@dataclass
class Inputs:
    """The hashes a build compares with the last one (hex sha256 strings; "absent"/"none" when missing).

    Parameters
    ----------
    data : str
        Every file under data/.
    helpers : str
        The package the notebooks import (the extension's PACKAGE), as a whole.
    env : str
        environment.yml, the pins.
    execution : str
        The builder's execution code (nbreport.execution: workers, kernel setup, what a
        run's outcome is). With the four above, `warm` and a run's notebook and parameters,
        it makes the run's fingerprint: a change executes the run again.
    render : str
        The page renderer (nbreport.render and its template): a change re-renders pages.
    site : str
        The whole builder package: a change rewrites the site (cheap; nothing is executed).
    manifest : str
        notebooks/manifest.yml.
    preimport : tuple of str, default ()
        The modules warm kernels find imported (nbreport.config.preimport_modules), kept here
        so the runner hands the same list to the workers and their jobs (no second reading of
        the extension).
    warm : str, default "cold"
        The hash of `preimport` ("cold" when no module is pre-imported): a run's fingerprint
        input of its own, so that a changed list (REPORT_WARM_KERNELS, the collection's
        PREIMPORT) is named as the reason a run executes again.
    """
    data: str
    helpers: str
    env: str
    execution: str
    render: str
    site: str
    manifest: str
    preimport: tuple = ()  # the modules warm kernels find imported (nbreport.config.preimport_modules)
    warm: str = "cold"  # the hash of preimport

    @classmethod
    def collect(cls, cfg, ext=None) -> "Inputs":
        """Hash every input of the build now.

        Parameters
        ----------
        cfg : Config
            The build's configuration.
        ext : nbreport.extension.Extension, optional
            The collection's extension (its PACKAGE is hashed); without it ``helpers`` is ``"none"``.

        Returns
        -------
        Inputs
            The current hashes.
        """
        from nbreport.config import preimport_modules

        package = ext.package_dir() if ext is not None else None
        preimport = preimport_modules(ext)
        return cls(
            data=hash_tree(cfg.root / "data"),
            helpers=hash_tree(package) if package else "none",
            env=hash_file(cfg.root / "environment.yml"),
            execution=hash_tree(NBREPORT_DIR / "execution"),
            render=hash_tree(NBREPORT_DIR / "render"),
            site=hash_tree(NBREPORT_DIR),
            manifest=hash_file(cfg.manifest),
            preimport=preimport,
            warm=digest(list(preimport)) if preimport else "cold",
        )
