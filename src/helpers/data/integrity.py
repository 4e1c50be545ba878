"""What a resource states about its file (bytes, hash, rows, fields), checked against the file.

Used by helpers.data.tables when it loads a table: each difference is a problem at the key's line and
column in datapackage.json, so a build never publishes a file its own descriptor says is not the
one curated.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from helpers.data.schema import Problem, _display, _read_package

# What a resource may state about its file (Data Package spec), and how the file is measured for it.
_HASHES = ("md5", "sha1", "sha256", "sha512")


def integrity_problems(data_dir: Path, name: str, res: dict, path: Path) -> list[Problem]:
    """Where the file differs from the size, hash, row count or field count its resource states.

    Why here: these are facts the descriptor declares about the file, and a build that did not
    check them would publish a file its own descriptor says is not the one curated (frictionless
    checks them only under `make check-data`). Each problem stands at the key in datapackage.json.
    A resource states none of them by default; the file is then not read again. A blank row, or a
    header with more or fewer columns than the schema, is named by the loaders' row reader
    (helpers.data.tables): the count is then not compared, so one fault gives one message.

    Parameters
    ----------
    data_dir : Path
        The folder holding datapackage.json.
    name : str
        The table (resource) name.
    res : dict
        Its resource in the descriptor.
    path : Path
        Its file.

    Returns
    -------
    list of Problem
        One per stated key the file differs from, at the key's line and column; [] when it agrees.
    """
    stated = [k for k in ("bytes", "hash", "rows", "fields") if k in res]
    if not stated:
        return []
    try:
        raw = path.read_bytes()
    except OSError:
        return []  # the row reader has named the file as missing or unreadable
    package, marks = _read_package(data_dir)
    i = next(i for i, r in enumerate(package["resources"]) if r.get("name") == name)
    out: list[Problem] = []

    def at(key: str, msg: str) -> None:
        line, col = marks.find(("resources", i, key)) or (None, None)
        out.append(Problem(data_dir / "datapackage.json", line, str(col) if col else None, f"resource {name!r}: {msg}"))

    def wrong(key: str, measured: str) -> None:
        at(key, f"{key!r} is {json.dumps(res[key])}, but {_display(path)} has {measured}; expected what the file "
                f"has (after a deliberate edit, update {key!r} or remove it)")

    if "bytes" in res and res["bytes"] != len(raw):
        wrong("bytes", f"{len(raw)} bytes")
    if "hash" in res:
        algo, _, digest_hex = str(res["hash"]).rpartition(":")
        algo = algo.lower() or "md5"  # the spec's default; "SHA256:" names sha256 too
        if algo not in _HASHES:
            at("hash", f"'hash' {json.dumps(res['hash'])} names no hash this check knows; "
                       f"expected '<hex>' (md5) or one of {', '.join(a + ':<hex>' for a in _HASHES)}")
        else:
            measured = hashlib.new(algo, raw).hexdigest()
            if measured != digest_hex.lower():
                wrong("hash", f"the {algo} hash {measured}")
    if "rows" in res or "fields" in res:
        try:
            records = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
        except (UnicodeDecodeError, csv.Error):
            return out  # the row reader has named the fault
        body = records[1:]
        if "rows" in res and all(any(c.strip() for c in r) for r in body) and res["rows"] != len(body):
            wrong("rows", f"{len(body)} data rows")
        if "fields" in res and records and len(records[0]) == len(res["schema"]["fields"]) != res["fields"]:
            wrong("fields", f"{len(records[0])} fields in its header")
    return out
