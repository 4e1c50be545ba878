"""Where the accepted article texts live, and whether each is the text that was accepted.

The article texts are not redistributed with the repository (data/README.md: only short
phrases are quoted). The five texts of the shared source pack sit read-only in
``../shared/seeds``; an article accepted later (``make accept-article``) keeps its text in
a folder of its user's choosing. ``ARTICLE_TEXTS`` lists the folders searched, in order,
separated by ``os.pathsep`` (``:``); relative folders are taken from the repository root.
Unset, it is ``../shared/seeds`` then ``../article-texts`` (where accept-article copies a
text by default).

data/sources.csv names each article's text in ``seed_file``. Its ``text_sha256`` is the
SHA-256 of the text as accepted; it is empty for the shared pack's texts, which are the
ones a CI run must have (``REQUIRE_SEEDS``). A text found with another hash has changed
since it was accepted, and its phrases no longer prove anything.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from helpers import paths

ENV = "ARTICLE_TEXTS"
LOCAL_TEXTS = paths.ROOT.parent / "article-texts"


def text_folders(value: str | None = None) -> list[Path]:
    """The folders searched for article texts, in order.

    Parameters
    ----------
    value : str, optional
        A folder list as ``ARTICLE_TEXTS`` gives it (``os.pathsep``-separated); default: the
        environment variable, else ``../shared/seeds`` then ``../article-texts``.

    Returns
    -------
    list of pathlib.Path
        Absolute folders (relative ones are taken from the repository root); they need not exist.
    """
    value = os.environ.get(ENV, "") if value is None else value
    parts = [p.strip() for p in value.split(os.pathsep) if p.strip()]
    if not parts:
        return [paths.SEEDS, LOCAL_TEXTS]
    return [(Path(p) if Path(p).is_absolute() else paths.ROOT / p).resolve() for p in parts]


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex: what ``text_sha256`` records.

    Parameters
    ----------
    path : pathlib.Path
        The text file.

    Returns
    -------
    str
        64 lowercase hex digits.

    Raises
    ------
    OSError
        When the file cannot be read.
    """
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class ArticleText:
    """Where one article's text was looked for and what was found.

    Parameters
    ----------
    source_id, seed_file, sha256 : str
        The article's row in data/sources.csv (``sha256`` is ``text_sha256``, empty for the shared pack).
    shared : bool
        True for a text of the shared pack (no recorded hash): required under CI.
    path : pathlib.Path or None
        The file found, or None.
    state : str
        ``"found"``, ``"absent"`` or ``"changed"`` (found, but its hash is not the recorded one).
    why : str
        A sentence for a test report: where it was looked for, or how it differs.
    """

    source_id: str
    seed_file: str
    sha256: str
    shared: bool
    path: Path | None
    state: str
    why: str

    def read(self) -> str:
        """The text (UTF-8).

        Returns
        -------
        str
            The article's plain text.

        Raises
        ------
        FileNotFoundError
            When the text was not found or has changed since it was accepted (``why`` says which).
        """
        if self.state != "found" or self.path is None:
            raise FileNotFoundError(self.why)
        return self.path.read_text(encoding="utf-8")


def locate(source_id: str, seed_file: str, sha256: str = "", folders: list[Path] | None = None) -> ArticleText:
    """Find one article's text in the text folders and compare its hash with the recorded one.

    Parameters
    ----------
    source_id : str
        The article's source_id (for the messages).
    seed_file : str
        Its file name (data/sources.csv ``seed_file``).
    sha256 : str, optional
        Its recorded ``text_sha256``; empty for a text of the shared pack.
    folders : list of pathlib.Path, optional
        Where to look; default :func:`text_folders`.

    Returns
    -------
    ArticleText
        The first copy found (``state`` "found" or "changed"), else ``state`` "absent".
    """
    folders = text_folders() if folders is None else folders
    sha256 = (sha256 or "").strip().lower()
    shared = not sha256
    for folder in folders:
        p = folder / seed_file
        if p.is_file():
            if sha256:
                got = sha256_of(p)
                if got != sha256:
                    return ArticleText(source_id, seed_file, sha256, shared, p, "changed",
                                       f"{p}: SHA-256 {got[:16]}... but data/sources.csv records {sha256[:16]}... "
                                       f"for {source_id}: the text changed since it was accepted (restore the "
                                       "accepted copy, or re-accept the article and review its rows again)")
            return ArticleText(source_id, seed_file, sha256, shared, p, "found", f"{p}")
    where = ", ".join(str(f) for f in folders) or "(no folder)"
    kind = "a text of the shared pack (../shared/seeds)" if shared else "a text kept outside the shared pack"
    return ArticleText(source_id, seed_file, sha256, shared, None, "absent",
                       f"{source_id}: {seed_file} ({kind}) is in none of the {ENV} folders: {where}")


def article_texts(sources, folders: list[Path] | None = None) -> dict[str, ArticleText]:
    """Locate the text of every article of data/sources.csv (the rows with a ``seed_file``).

    Parameters
    ----------
    sources : pandas.DataFrame or iterable of dict
        data/sources.csv rows (``source_id``, ``seed_file``, ``text_sha256``).
    folders : list of pathlib.Path, optional
        Where to look; default :func:`text_folders`.

    Returns
    -------
    dict
        source_id -> :class:`ArticleText`, in the order of the rows.
    """
    rows = sources.to_dict("records") if hasattr(sources, "to_dict") else list(sources)
    out = {}
    for r in rows:
        seed = r.get("seed_file")
        if not isinstance(seed, str) or not seed.strip():
            continue
        sha = r.get("text_sha256")
        out[str(r["source_id"])] = locate(str(r["source_id"]), seed.strip(), sha if isinstance(sha, str) else "",
                                          folders)
    return out
