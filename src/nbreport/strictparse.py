"""JSON and YAML readers that refuse duplicate keys and say where each key stands.

The standard readers keep the last of two equal keys silently: a datapackage.json
ending in `, "resources": []}` would then describe no table at all, and a second
`notebooks:` key in the manifest would drop every notebook listed under the first.
These readers refuse that, naming the key and both lines.

`load_json` parses with the standard library (its syntax messages give line and
column), then walks the text once more to record the line of every key, so other
checks (a data package validator, the manifest) can point at the line of a bad descriptor entry.
`load_yaml` is PyYAML's safe loader with a mapping constructor that refuses a key
it has already seen, and an impossible calendar date (`2024-13-01`) reported at its
line instead of a ValueError from inside PyYAML. With ``marks=True`` it also gives the
line and column of every key and value (`Marks`, from the composed nodes' marks), so the
checks after parsing (the manifest's shape, ids, paths, sweeps, parameter refusals) can
point at the key or value they refuse.

`located` is the one place a message names a place in a file: ``"<file>, line L, column C"``,
and `display` the one place a file's path is shown (relative to the repository when inside it).
"""
from __future__ import annotations

import bisect
import json
import os
import re
from json.decoder import scanstring
from pathlib import Path

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")


class ParseError(ValueError):
    """The text is not valid JSON/YAML, or repeats a key; the message names line and column."""


def display(path, root) -> str:
    """A path as messages show it: relative to the repository when inside it.

    Parameters
    ----------
    path, root : Path
        A file; the repository.

    Returns
    -------
    str
        The relative or, outside the repository, the given path.
    """
    try:  # a symbolic link loop cannot be resolved: the path as written, made absolute, still names the file
        full = Path(path).resolve()
    except (RuntimeError, OSError):
        full = Path(os.path.abspath(path))
    try:
        return str(full.relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def located(shown: str, line: int | None = None, column: int | None = None) -> str:
    """Name a place in a file the way every message does: ``"<file>, line L, column C"``.

    Parameters
    ----------
    shown : str
        The file as messages show it.
    line, column : int, optional
        From 1. Without a line only the file is named; without a column, file and line.

    Returns
    -------
    str
        The place, for a message's start (``f"{located(...)}: what is wrong"``).
    """
    if line is None:
        return shown
    return f"{shown}, line {line}" + (f", column {column}" if column is not None else "")


class Marks:
    """Where each part of a parsed document stands, by data path (a tuple of keys and list indices).

    Why: a check made after parsing (a schema, a duplicate id, a refused parameter) knows the data
    path of what it refuses; the reader needs the line and column to find it.

    Parameters
    ----------
    keys, values : dict of tuple to (int, int), optional
        Line and column (from 1) of each mapping key, and of each value (a list item's key is the item).
    """

    def __init__(self, keys: dict | None = None, values: dict | None = None):
        self.keys: dict[tuple, tuple[int, int]] = dict(keys or {})
        self.values: dict[tuple, tuple[int, int]] = dict(values or {})

    def find(self, path, key: bool = False) -> tuple[int, int] | None:
        """The line and column of a path, or of its nearest recorded ancestor.

        Parameters
        ----------
        path : sequence of str or int
            Keys and list indices from the top (``("notebooks", 0, "runs")``).
        key : bool, default False
            The key's position (an unknown or refused name) rather than the value's.

        Returns
        -------
        (int, int) or None
            Line and column from 1; None when nothing on the path was recorded.
        """
        path = tuple(path)
        if key and path in self.keys:
            return self.keys[path]
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path)

    def locate(self, shown: str, path, key: bool = False) -> str:
        """The place of a path as messages name it (see `located` and `find`).

        Parameters
        ----------
        shown : str
            The file as messages show it.
        path : sequence of str or int
            The data path.
        key : bool, default False
            The key's position rather than the value's.

        Returns
        -------
        str
            ``"<file>, line L, column C"``, or ``"<file>"`` when the path has no mark.
        """
        return located(shown, *(self.find(path, key) or ()))


def load_json(text: str, shown: str) -> tuple[object, "Marks"]:
    """Parse JSON text and note where every key and value stands, refusing a key repeated in one object.

    Parameters
    ----------
    text : str
        The JSON.
    shown : str
        The file as messages show it.

    Returns
    -------
    (object, Marks)
        The data, and the line and column of each key and value by data path (a tuple of keys
        and list indices, e.g. ``("resources", 2, "schema")``).

    Raises
    ------
    ParseError
        Naming line and column for invalid JSON or a repeated key; nesting too deep.
    """
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def _line_col(text: str, pos: int) -> tuple[int, int]:
        """Line and column (from 1) of a character offset."""
        line = bisect.bisect_right(starts, pos)
        return line, pos - starts[line - 1] + 1

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        before = text[:exc.pos].rstrip()
        if before.endswith(",") and text[exc.pos:exc.pos + 1] in "]}":  # the commonest slip: said where it is
            raise ParseError(f"{located(shown, *_line_col(text, len(before) - 1))}: not valid JSON (a comma after "
                             f"the last item; expected the next item or the closing {text[exc.pos]!r} without the "
                             "comma)") from None
        raise ParseError(f"{located(shown, exc.lineno, exc.colno)}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise ParseError(f"{shown}: not valid JSON (nested too deeply)") from None
    keys: dict[tuple, tuple[int, int]] = {}
    values: dict[tuple, tuple[int, int]] = {(): (1, 1)}

    def value(pos: int, path: tuple) -> int:
        pos = _WS.match(text, pos).end()
        values[path] = _line_col(text, pos)
        ch = text[pos]
        if ch == "{":
            seen: dict[str, int] = {}
            pos = _WS.match(text, pos + 1).end()
            if text[pos] == "}":
                return pos + 1
            while True:
                pos = _WS.match(text, pos).end()
                start = pos
                key, pos = scanstring(text, pos + 1)
                line, col = _line_col(text, start)
                if key in seen:
                    where = ".".join(str(p) for p in path) or "the top level"
                    raise ParseError(f"{located(shown, line, col)}: duplicate key {key!r} in {where} "
                                     f"(first on line {seen[key]}); expected each key once: JSON readers "
                                     "keep only the last, silently")
                seen[key] = line
                pos = _WS.match(text, pos).end() + 1  # the colon
                keys[path + (key,)] = (line, col)
                pos = value(pos, path + (key,))
                pos = _WS.match(text, pos).end()
                if text[pos] == "}":
                    return pos + 1
                pos += 1  # the comma
        if ch == "[":
            pos = _WS.match(text, pos + 1).end()
            if text[pos] == "]":
                return pos + 1
            i = 0
            while True:
                pos = value(pos, path + (i,))
                pos = _WS.match(text, pos).end()
                if text[pos] == "]":
                    return pos + 1
                pos += 1
                i += 1
        if ch == '"':
            return scanstring(text, pos + 1)[1]
        for word in ("true", "false", "null"):
            if text.startswith(word, pos):
                return pos + len(word)
        m = _NUMBER.match(text, pos)
        if not m or text.startswith(("NaN", "Infinity", "-Infinity"), pos):
            line, col = _line_col(text, pos)
            raise ParseError(f"{located(shown, line, col)}: not valid JSON (expected a number, true, false, "
                             "null, a string, an object or a list; NaN and Infinity are not JSON)")
        return m.end()

    try:
        value(0, ())
    except RecursionError:
        raise ParseError(f"{shown}: not valid JSON (nested too deeply)") from None
    return data, Marks(keys, values)


def load_yaml(text: str, shown: str, marks: bool = False):
    """Parse YAML text with PyYAML's safe loader, refusing duplicate keys and impossible dates.

    Parameters
    ----------
    text : str
        The YAML.
    shown : str
        The file as messages show it.
    marks : bool, default False
        Also give where every key and value stands (from the nodes PyYAML composes, not a text search).

    Returns
    -------
    object, or (object, Marks) with ``marks=True``
        The data (mappings, lists, scalars; None for an empty document), and its `Marks`.

    Raises
    ------
    ParseError
        Naming line and column: invalid YAML, a repeated key, an impossible date.
    """
    import yaml

    # libyaml's parser where PyYAML was built with it (about ten times faster: most of a no-change
    # build's manifest load); its nodes carry the same marks and its errors the same problem_mark
    class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        pass

    def mapping(loader, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # PyYAML's own error follows
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ParseError(f"{located(shown, line, key_node.start_mark.column + 1)}: duplicate key "
                                 f"{key!r} (first on line {seen[key]}); expected each key once in a mapping: "
                                 "YAML readers keep only the last, silently")
            seen[key] = line
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    def timestamp(loader, node):
        try:
            return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
        except ValueError as exc:
            mark = node.start_mark
            raise ParseError(f"{located(shown, mark.line + 1, mark.column + 1)}: impossible date "
                             f"{node.value!r} ({exc}); expected a real calendar date YYYY-MM-DD") from None

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", timestamp)
    loader = StrictLoader(text)  # what yaml.load does, keeping the composed node for the marks
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        found = _yaml_marks(loader, node) if marks else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = located(shown, mark.line + 1, mark.column + 1) if mark else shown
        raise ParseError(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    finally:
        loader.dispose()
    return (data, found) if marks else data


def _yaml_marks(loader, root) -> Marks:
    """Walk the composed nodes beside the data: each key's and value's start mark under its data path.

    Merge keys (``<<: *base``) were already flattened into the mapping by the constructor, so a merged
    key points at the anchored mapping it came from; an alias is walked once per path (never in a cycle).
    """
    import yaml

    out = Marks()

    def at(node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def walk(node, path: tuple, stack: tuple) -> None:
        if id(node) in stack:
            return
        stack += (id(node),)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                if key_node.tag == "tag:yaml.org,2002:str":
                    key = key_node.value  # the common case, without constructing it again
                else:
                    try:
                        key = loader.construct_object(key_node, deep=True)
                        hash(key)
                    except (TypeError, yaml.YAMLError):
                        continue
                out.keys[path + (key,)], out.values[path + (key,)] = at(key_node), at(value_node)
                walk(value_node, path + (key,), stack)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                out.keys[path + (i,)] = out.values[path + (i,)] = at(item)
                walk(item, path + (i,), stack)

    if root is not None:
        out.keys[()] = out.values[()] = at(root)
        walk(root, (), ())
    return out
