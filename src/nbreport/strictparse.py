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
line instead of a ValueError from inside PyYAML.
"""
from __future__ import annotations

import bisect
import json
import re
from json.decoder import scanstring

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")


class ParseError(ValueError):
    """The text is not valid JSON/YAML, or repeats a key; the message names line and column."""


def load_json(text: str, shown: str) -> tuple[object, dict[tuple, int]]:
    """Parse JSON text and note the line of every key, refusing a key repeated in one object.

    Parameters
    ----------
    text : str
        The JSON.
    shown : str
        The file as messages show it.

    Returns
    -------
    (object, dict of tuple to int)
        The data, and the line of each key path (a tuple of keys and list indices, e.g.
        ``("resources", 2, "schema")``).

    Raises
    ------
    ParseError
        Naming line and column for invalid JSON or a repeated key; nesting too deep.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{shown}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise ParseError(f"{shown}: not valid JSON (nested too deeply)") from None
    lines: dict[tuple, int] = {(): 1}
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def _line_col(text: str, pos: int) -> tuple[int, int]:
        """Line and column (from 1) of a character offset."""
        line = bisect.bisect_right(starts, pos)
        return line, pos - starts[line - 1] + 1

    def value(pos: int, path: tuple) -> int:
        pos = _WS.match(text, pos).end()
        lines[path] = _line_col(text, pos)[0]
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
                    raise ParseError(f"{shown}, line {line}, column {col}: duplicate key {key!r} in {where} "
                                     f"(first on line {seen[key]}); expected each key once: JSON readers "
                                     "keep only the last, silently")
                seen[key] = line
                pos = _WS.match(text, pos).end() + 1  # the colon
                pos = value(pos, path + (key,))
                lines[path + (key,)] = line
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
            raise ParseError(f"{shown}, line {line}, column {col}: not valid JSON (expected a number, true, false, "
                             "null, a string, an object or a list; NaN and Infinity are not JSON)")
        return m.end()

    try:
        value(0, ())
    except RecursionError:
        raise ParseError(f"{shown}: not valid JSON (nested too deeply)") from None
    return data, lines


def load_yaml(text: str, shown: str):
    """Parse YAML text with PyYAML's safe loader, refusing duplicate keys and impossible dates.

    Parameters
    ----------
    text : str
        The YAML.
    shown : str
        The file as messages show it.

    Returns
    -------
    object
        The data (mappings, lists, scalars; None for an empty document).

    Raises
    ------
    ParseError
        Naming line and column: invalid YAML, a repeated key, an impossible date.
    """
    import yaml

    class StrictLoader(yaml.SafeLoader):
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
                raise ParseError(f"{shown}, line {line}, column {key_node.start_mark.column + 1}: duplicate key "
                                 f"{key!r} (first on line {seen[key]}); expected each key once in a mapping: "
                                 "YAML readers keep only the last, silently")
            seen[key] = line
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    def timestamp(loader, node):
        try:
            return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
        except ValueError as exc:
            mark = node.start_mark
            raise ParseError(f"{shown}, line {mark.line + 1}, column {mark.column + 1}: impossible date "
                             f"{node.value!r} ({exc}); expected a real calendar date YYYY-MM-DD") from None

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", timestamp)
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown}, line {mark.line + 1}, column {mark.column + 1}" if mark else shown
        raise ParseError(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
