"""Checks of data/datapackage.json that the loaders rely on, each with the line and column it stands on.

Used by helpers.data when it reads the descriptor: a misspelt or unknown key, an unknown field
type, a constraint of the wrong JSON type or on the wrong field type, a pattern that is not a
regular expression or a key naming a missing field stops with the file, line and column,
instead of a KeyError or TypeError inside the loaders, or a rule dropped in silence.
"""
from __future__ import annotations

import difflib
import re

from helpers.data.schema import _CALENDAR_FORMS, CONSTRAINTS, FIELD_TYPES, _keys, _parse
from helpers.data.spec_keys import SPEC_KEYS

# The project's own keys, beside the spec's (helpers.data.spec_keys), level by level: the only
# place they are listed. Each is read by the loaders (helpers.data.tables, expressions) or the
# data dictionary; "unit" predates the x- prefix.
PROJECT_KEYS = {
    "package": ("x-curated-from",),
    "resource": (),
    "schema": ("x-one-preferred-per", "x-period", "x-may-be-empty"),
    "field": ("unit", "x-required-if", "x-required-unless", "x-empty-if", "x-printed-in", "x-expression-of",
              "x-calendar", "x-calendar-by"),
}
_SCALARS = (str, int, float, bool, type(None))

# Spec keys that say how a table's file is to be read, with the only values the loaders read it by
# (helpers.data.tables: comma-separated UTF-8 CSV, one header row, '"' quotes, an empty cell missing,
# numbers with a decimal point and no thousands separator, dates YYYY-MM-DD). Any other value would
# be a rule the loaders drop in silence (frictionless, which follows it, then disagrees with them),
# so it is refused. Each entry: key -> (the values the loaders follow, what to write instead).
_DIALECT = {"delimiter": ((",",), "\",\""), "quoteChar": (('"',), "'\"'"), "doubleQuote": ((True,), "true"),
            "header": ((True,), "true"), "skipInitialSpace": ((False,), "false"),
            "lineTerminator": (("\r\n", "\n", "\r"), "a line end"),
            # Table Dialect keys at the defaults (v2; csvddfVersion v1's) the loaders and frictionless both read by
            "headerRows": (([1],), "[1]"), "headerJoin": ((" ",), '" "'), "headerCase": ((True,), "true"),
            "commentRows": (([],), "[]"), "skipBlankRows": ((False,), "false"), "csvddfVersion": ((1.2,), "1.2")}
READ_AS = {
    "resource": {"format": (("csv",), '"csv"'), "mediatype": (("text/csv",), '"text/csv"'),
                 "encoding": (("utf-8",), '"utf-8"'), "scheme": (("file",), '"file"'),
                 "compression": ((), "no compression (a plain .csv file)"),
                 "data": ((), "the rows in the .csv file its 'path' names"),
                 "innerpath": ((), "a plain .csv file"), "extrapaths": ((), "one .csv file")},
    "schema": {"missingValues": (([""],), '[""] (an empty cell is missing)'), "fieldsMatch": (("exact",), '"exact"')},
    "field": {"format": (("default",), '"default"'), "missingValues": (([""],), '[""] (an empty cell is missing)'),
              "decimalChar": ((".",), '"."'), "groupChar": (("",), '"" (no thousands separator)'),
              "bareNumber": ((True,), "true"), "floatNumber": ((False,), "false")},
}


def _codec(name: str) -> str:
    """Python's name of a text encoding ("Utf-8", "utf_8" and "UTF8" are all "utf-8"); the name itself if unknown."""
    import codecs

    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


# A resource's keys whose value has more than one spelling: compared by these forms (an encoding by its
# codec, a format or media type case-blind, as frictionless reads them). Not a field's format: to
# frictionless anything but "default" (or "any") is a date pattern, "DEFAULT" too.
_SPELLING = {"encoding": _codec, "format": str.lower, "mediatype": str.lower}


def _follows(key: str, value, values, level: str = "") -> bool:
    """Whether `value` of spec key `key` is one of the `values` the loaders read by (a resource's in any spelling)."""
    same = _SPELLING.get(key) if level == "resource" else None
    return any(value == v and type(value) is type(v) or same and isinstance(value, str) and isinstance(v, str)
               and same(value) == same(v) for v in values)


def _either(words) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _a(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _json(value) -> str:
    """A JSON value as the descriptor writes it (for messages)."""
    import json

    return json.dumps(value, ensure_ascii=False)


class _Checker:
    """Collects the problems of one descriptor, each at the line and column of its key or value."""

    def __init__(self, marks, shown: str):
        self.marks, self.shown, self.out = marks, shown, []

    def at(self, path: tuple, msg: str) -> None:
        self.out.append(f"{self.marks.locate(self.shown, path)}: {msg}")

    def key_at(self, path: tuple, msg: str) -> None:
        self.out.append(f"{self.marks.locate(self.shown, path, key=True)}: {msg}")

    def keys(self, obj: dict, path: tuple, spec: dict, project, required, where: str, other: dict | None = None,
             checked=()) -> None:
        """Refuse keys outside the spec's and the project's; a missing required key with a near unknown one is
        one message; a spec key's value must have the JSON type the spec's profile gives it (except the
        `checked` keys, which the caller checks with its own words).

        `other` maps keys known elsewhere (another field type's) to why they do not apply here.
        """
        known = [*spec, *project]
        missing = [k for k in required if k not in obj]
        for key in obj:
            if key in known:
                want = spec.get(key)
                if key not in checked and want and not _has_type(obj[key], want):
                    v = obj[key]  # 13.0 is whole: what is wrong is the decimal point
                    point = (" written without a decimal point" if "integer" in _listed(want) and isinstance(v, float)
                             and v.is_integer() else "")
                    self.at(path + (key,), f"{where}: {key!r} must be {_either(_JSON_NAMES[w] for w in _listed(want))}"
                                           f"{point and f'{point} ({int(v)})'}, got {_json(v)}")
                continue
            if other and key in other:
                self.key_at(path + (key,), f"{where}: {other[key]}")
                continue
            near = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            if near and near[0] in missing:
                self.key_at(path + (key,), f"{where}: no {near[0]!r} key (found {key!r}: misspelt?)")
                missing.remove(near[0])
            else:
                hint = f" (did you mean {near[0]!r}?)" if near else f"; expected one of {', '.join(known)}"
                self.key_at(path + (key,), f"unknown key {key!r} in {where}{hint}")
        for key in missing:
            self.at(path, f"{where}: no {key!r} key")


def _read_as(ck: "_Checker", obj: dict, path: tuple, level: str, where: str, spec: dict) -> None:
    """Refuse a spec key of READ_AS[level] (or a CSV dialect) whose value the loaders do not read the files by.

    `spec` is what _Checker.keys checked `obj` against: a key it named (one for another field type, a
    value of another JSON type) is not named again, so that one fault gives one message.
    """
    def named(key) -> bool:
        return key not in spec or bool(spec[key]) and not _has_type(obj[key], spec[key])

    for key, (values, instead) in READ_AS[level].items():
        if key in obj and not named(key) and not _follows(key, obj[key], values, level):
            ck.at(path + (key,), f"{where}: {key!r} is {_json(obj[key])}, which the loaders do not follow (they read every "
                                 f"table by the Table Schema defaults: comma-separated UTF-8 CSV, an empty cell missing, "
                                 f"numbers with a decimal point); expected {instead}, or no {key!r}")
    if level != "resource" or "dialect" not in obj or named("dialect"):
        return
    dialect = obj["dialect"]
    if not isinstance(dialect, dict):
        ck.at(path + ("dialect",), f"{where}: 'dialect' is {_json(dialect)}; the loaders read comma-separated CSV "
                                   "with one header row and '\"' quotes; expected no 'dialect', or an object that says so")
        return
    for key, value in dialect.items():
        values, instead = _DIALECT.get(key, ((), None))
        if not _follows(key, value, values):
            near = difflib.get_close_matches(str(key), list(_DIALECT), n=1, cutoff=0.8) if not instead else []
            want = (f"{key!r}: {instead}" if instead else f"no {key!r} (misspelt {near[0]!r}?)" if near
                    else f"no {key!r} (the loaders follow only {', '.join(_DIALECT)})")
            ck.at(path + ("dialect", key), f"{where}: dialect {key!r} is {_json(value)}, which the loaders do not follow "
                                           f"(they read comma-separated CSV with one header row and '\"' quotes); expected {want}")


_JSON_TYPES = {"string": str, "array": list, "object": dict, "boolean": bool, "integer": int, "number": (int, float),
               "null": type(None)}
_JSON_NAMES = {"string": "a string", "array": "a list", "object": "an object", "boolean": "true or false",
               "integer": "a whole number", "number": "a number", "null": "null"}


def _listed(want) -> list:
    return want if isinstance(want, list) else [want]


def _has_type(value, want) -> bool:
    """Whether a JSON value has one of the JSON Schema types `want` (true and false are not numbers)."""
    return any(isinstance(value, _JSON_TYPES[w]) and not (w in ("integer", "number") and isinstance(value, bool))
               for w in _listed(want) if w in _JSON_TYPES)


def check_descriptor(package, marks, shown: str) -> list[str]:
    """Every problem that would stop the loaders from following datapackage.json, with its line and column.

    Checks what the loaders rely on: a `resources` list of tables with name, path and
    schema; only keys of the Data Package and Table Schema specs or the project's own
    (`PROJECT_KEYS`); known field types; constraints of the right JSON type that apply to the
    field's type; compilable patterns; bounds of the field's type; keys (primaryKey,
    foreignKeys, x- rules) naming fields that exist.

    Parameters
    ----------
    package : object
        The parsed descriptor.
    marks : nbreport.strictparse.Marks
        Where each JSON path (tuple of keys and indices) stands, from the strict JSON reader.
    shown : str
        The descriptor's path as messages show it.

    Returns
    -------
    list of str
        ``'<shown>, line L, column C: <what is wrong and what was expected>'``, at the key or value
        at fault (or the nearest enclosing one); empty when it can be followed.
    """
    ck = _Checker(marks, shown)
    if not isinstance(package, dict):
        return [f"{marks.locate(shown, ())}: expected a JSON object with a 'resources' list"]
    ck.keys(package, (), SPEC_KEYS["package"], PROJECT_KEYS["package"], ("resources",), "the top level",
            checked=("resources",))
    resources = package.get("resources")
    if "resources" in package and (not isinstance(resources, list) or not resources):
        ck.at(("resources",), "'resources' is not a non-empty list: expected 'resources': [ ...one entry per table... ]")
    if not isinstance(resources, list):
        return ck.out
    names: dict[str, dict] = {}
    usable: dict[int, dict] = {}  # resource index -> {field name: field}, for tables whose fields can be read
    for i, res in enumerate(resources):
        fields = _check_resource(ck, res, i, names)
        if fields is not None:
            usable[i] = fields
    for i, fields in usable.items():
        _check_schema_keys(ck, resources[i], ("resources", i, "schema"), fields, names, resources, usable)
    return ck.out


def _check_resource(ck: _Checker, res, i: int, names: dict) -> dict | None:
    """A resource's own keys and its fields; its fields by name, or None when its schema cannot be read."""
    rp = ("resources", i)
    if not isinstance(res, dict):
        ck.at(rp, f"resources[{i}] is not an object: expected {{name, path, schema}}")
        return None
    name = res.get("name")
    where = f"resource {name!r}" if isinstance(name, str) else f"resources[{i}]"
    ck.keys(res, rp, SPEC_KEYS["resource"], PROJECT_KEYS["resource"], ("name", "path", "schema"), where,
            checked=("name", "path", "schema"))
    _read_as(ck, res, rp, "resource", where, SPEC_KEYS["resource"])
    if "name" in res and not isinstance(name, str):
        ck.at(rp + ("name",), f"resources[{i}]: 'name' must be a string (the table's name), got {_json(name)}")
    if isinstance(name, str):
        if name in names:
            ck.at(rp + ("name",), f"table name {name!r} is used twice")
        names[name] = res
    path = res.get("path")
    if "path" in res and (not isinstance(path, str) or "/" in path or "\\" in path or not path.endswith(".csv")):
        ck.at(rp + ("path",), f"path {_json(path)}: expected a file name in data/ ending in .csv")
    if "schema" not in res:
        return None
    schema, sp = res["schema"], rp + ("schema",)
    if not isinstance(schema, dict):
        ck.at(sp, f"the schema of {name!r} must be an object {{\"fields\": [...], ...}}, got {_json(schema)}")
        return None
    ck.keys(schema, sp, SPEC_KEYS["schema"], PROJECT_KEYS["schema"], ("fields",), f"the schema of {name!r}",
            checked=("fields", "primaryKey", "foreignKeys"))
    _read_as(ck, schema, sp, "schema", f"the schema of {name!r}", SPEC_KEYS["schema"])
    flist = schema.get("fields")
    if "fields" in schema and (not isinstance(flist, list) or not flist):
        got = "an empty list" if flist == [] else _json(flist)
        ck.at(sp + ("fields",), f"the schema of {name!r}: 'fields' must list one object per column "
                                f"({{\"name\": ..., \"type\": ...}}), got {got}")
    if not isinstance(flist, list) or not flist:
        return None
    fields: dict[str, dict] = {}
    for j, f in enumerate(flist):
        fp = sp + ("fields", j)
        if not isinstance(f, dict):
            ck.at(fp, f"{name}: fields[{j}] must be an object {{\"name\": ..., \"type\": ...}}, got {_json(f)}")
            continue
        fname = f.get("name")
        if not isinstance(fname, str):
            if "name" in f:
                ck.at(fp + ("name",), f"{name}: fields[{j}]: 'name' must be a string (the column's header), "
                                      f"got {_json(fname)}")
            else:
                ck.keys(f, fp, SPEC_KEYS["field"], PROJECT_KEYS["field"], ("name",), f"{name}: fields[{j}]")
            continue
        if fname in fields:
            ck.at(fp + ("name",), f"{name}: field {fname!r} is declared twice")
        fields[fname] = f
    for j, f in enumerate(flist):
        if isinstance(f, dict) and isinstance(f.get("name"), str):
            _check_field(ck, f, sp + ("fields", j), f"{name}.{f['name']}", fields)
    return fields


def _check_field(ck: _Checker, f: dict, fp: tuple, where: str, fields: dict) -> None:
    """One field: its keys, type, constraints and the project's rules."""
    ftype = f.get("type", "string")
    typed = {t: SPEC_KEYS["field_by_type"][t] for t in FIELD_TYPES}
    own = typed.get(ftype, {}) if isinstance(ftype, str) else {}
    other = {k: f"{k!r} applies to {_either(t for t in FIELD_TYPES if k in typed[t])} fields, not to {ftype}"
             for t in FIELD_TYPES for k in typed[t] if k not in own}
    spec = {**SPEC_KEYS["field"], **own}
    ck.keys(f, fp, spec, PROJECT_KEYS["field"], ("name",), f"field {where}", other,
            checked=("name", "type", "constraints", "trueValues", "falseValues"))
    if not isinstance(ftype, str) or ftype not in FIELD_TYPES:
        near = difflib.get_close_matches(str(ftype), FIELD_TYPES, n=1, cutoff=0.6)
        shown_type = repr(ftype) if isinstance(ftype, str) else _json(ftype)
        ck.at(fp + ("type",), f"{where}: unknown or unsupported type {shown_type}"
                              f"{f' (found {near[0]!r}: misspelt?)' if near else ''}; expected one of {', '.join(FIELD_TYPES)}")
        return
    _read_as(ck, f, fp, "field", where, spec)
    if "unit" in f and not isinstance(f["unit"], str):
        ck.at(fp + ("unit",), f"{where}: 'unit' must be a string such as \"t REO\", got {_json(f['unit'])}")
    if "constraints" in f:
        _check_constraints(ck, f, fp + ("constraints",), where, ftype)
    if ftype == "boolean":
        vals = {"trueValues": f.get("trueValues", ["true"]), "falseValues": f.get("falseValues", ["false"])}
        for key, given in vals.items():
            if not (isinstance(given, list) and given and all(isinstance(v, str) for v in given)):
                ck.at(fp + (key,), f"{where}: {key} must be a list of strings")
        both = [v for v in vals["trueValues"] if v in vals["falseValues"]] \
            if all(isinstance(given, list) for given in vals.values()) else []
        if both:
            ck.at(fp + ("falseValues" if "falseValues" in f else "trueValues",),
                  f"{where}: {', '.join(map(_json, both))} is both a true and a false value; expected each in one list")
    _check_rules(ck, f, fp, where, ftype, fields)


def _check_constraints(ck: _Checker, f: dict, cp: tuple, where: str, ftype: str) -> None:
    c = f["constraints"]
    if not isinstance(c, dict):
        ck.at(cp, f"{where}: 'constraints' must be an object such as {{\"required\": true}}, got {_json(c)}")
        return
    by_type = SPEC_KEYS["constraints_by_type"]
    misplaced: dict[tuple, list] = {}
    for key in c:
        if key in by_type[ftype] and key in CONSTRAINTS:
            continue
        types = tuple(t for t in FIELD_TYPES if key in by_type[t])
        if types and key in CONSTRAINTS:
            misplaced.setdefault(types, []).append(key)
            continue
        near = difflib.get_close_matches(str(key), CONSTRAINTS, n=1, cutoff=0.6)
        ck.key_at(cp + (key,), f"{where}: constraint {key!r} is not supported"
                               f"{f' (found {near[0]!r}: misspelt?)' if near else ''}; expected {', '.join(CONSTRAINTS)}")
    for types, keys in misplaced.items():
        verb = "needs" if len(keys) == 1 else "need"
        given = ftype if "type" in f else f"{ftype} (no 'type' given, and string is the default)"
        ck.key_at(cp + (keys[0],), f"{where}: {' and '.join(keys)} {verb} {_a(types[0])} {_either(types)} field, not {given}")
    for key in ("required", "unique"):
        if key in c and not isinstance(c[key], bool):
            ck.at(cp + (key,), f"{where}: {key} must be true or false, got {_json(c[key])}")
    if "pattern" in c and ftype in by_type and "pattern" in by_type[ftype]:
        if not isinstance(c["pattern"], str):
            ck.at(cp + ("pattern",), f"{where}: pattern must be a string (a regular expression the whole value "
                                     f"must match), got {_json(c['pattern'])}")
        else:
            try:
                re.compile(c["pattern"])
            except re.error as exc:
                ck.at(cp + ("pattern",), f"{where}: pattern {c['pattern']!r} is not a valid regular expression ({exc})")
    if "enum" in c:
        _check_enum(ck, c["enum"], f, cp + ("enum",), where, ftype)
    bounds = {}
    for bound in ("minimum", "maximum"):
        if bound in c and "minimum" in by_type[ftype]:
            try:
                if ftype in ("integer", "number") and (not isinstance(c[bound], (int, float))
                                                       or isinstance(c[bound], bool)):
                    raise ValueError(f"expected a JSON number, got {_json(c[bound])}")
                if ftype in ("date", "yearmonth") and not isinstance(c[bound], str):
                    raise ValueError(f"expected a JSON string, got {_json(c[bound])}")
                bounds[bound] = _parse(str(c[bound]), f)
            except ValueError as exc:
                ck.at(cp + (bound,), f"{where}: {bound} is not a {ftype} ({exc})")
    if len(bounds) == 2 and bounds["minimum"] > bounds["maximum"]:
        ck.at(cp + ("maximum",), f"{where}: maximum {_json(c['maximum'])} is below minimum {_json(c['minimum'])}: "
                                 "no value could pass; expected minimum <= maximum")


def _check_enum(ck: _Checker, enum, f: dict, ep: tuple, where: str, ftype: str) -> None:
    if not isinstance(enum, list) or not enum:
        got = "an empty list" if enum == [] else _json(enum)
        ck.at(ep, f"{where}: 'enum' must be a non-empty list of the allowed values, got {got}")
        return
    for k, v in enumerate(enum):
        if any(v == w and type(v) is type(w) for w in enum[:k]):  # a slip for another value, most likely
            ck.at(ep + (k,), f"{where}: enum value {_json(v)} is listed twice; expected each allowed value once")
        if ftype in ("string", "date", "yearmonth"):
            ok = isinstance(v, str)
            if ok and ftype != "string":
                try:
                    _parse(v, f)
                except ValueError:
                    ok = False
        elif ftype == "boolean":
            ok = isinstance(v, bool)
        else:
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and (ftype == "number" or float(v).is_integer())
        if not ok:
            ck.at(ep + (k,), f"{where}: enum value {_json(v)} is not {_a(ftype)} {ftype} value; expected "
                             f"{'JSON strings' if ftype == 'string' else f'values of the field type {ftype}'}")


def _is_field(value, fields: dict) -> bool:
    return isinstance(value, str) and value in fields


def _is_condition(cond) -> bool:
    """A declared condition's shape: {"field": <name>, "equals": <a JSON text, number, boolean or null>}."""
    return (isinstance(cond, dict) and set(cond) == {"field", "equals"} and isinstance(cond["field"], str)
            and isinstance(cond["equals"], _SCALARS))


def _unknown_field(ck: _Checker, path: tuple, where: str, rule: str, ref: str, fields: dict) -> None:
    if ref not in fields:
        ck.at(path, f"{where}: {rule} names unknown field {ref!r}; expected one of {', '.join(fields)}")


def _condition_value(ck: _Checker, path: tuple, where: str, rule: str, cond: dict, fields: dict) -> None:
    """The value a condition compares with is one its field can hold: a misspelt one ('derivd' for
    'derived') matches no row, and the rule it guards is silently off."""
    ref, value = fields.get(cond["field"]), cond["equals"]
    if ref is None or value is None:
        return
    constraints = ref.get("constraints")
    enum = constraints.get("enum") if isinstance(constraints, dict) else None
    if isinstance(enum, list) and enum:
        if value not in enum:
            near = difflib.get_close_matches(str(value), [str(v) for v in enum], n=1, cutoff=0.6)
            ck.at(path + ("equals",), f"{where}: {rule} compares {cond['field']} with {_json(value)}, which is not one "
                                      f"of its values ({', '.join(map(_json, enum))})"
                                      f"{f'; did you mean {_json(near[0])}?' if near else ''}; the rule would never apply")
    elif ref.get("type", "string") == "string" and not isinstance(value, str):
        ck.at(path + ("equals",), f"{where}: {rule} compares the text field {cond['field']} with {_json(value)}; "
                                  "expected a JSON string (a CSV cell is text), or the rule would never apply")


def _check_rules(ck: _Checker, f: dict, fp: tuple, where: str, ftype: str, fields: dict) -> None:
    """The project's x- rules on one field: their shape, then the fields they name and the values they compare."""
    for rule in ("x-required-if", "x-required-unless", "x-empty-if"):
        if rule not in f:
            continue
        if not _is_condition(f[rule]):
            ck.at(fp + (rule,), f"{where}: {rule} must be {{\"field\": <a field of the table>, \"equals\": <a value or "
                                f"null>}}, got {_json(f[rule])}")
        else:
            _unknown_field(ck, fp + (rule,), where, rule, f[rule]["field"], fields)
            _condition_value(ck, fp + (rule,), where, rule, f[rule], fields)
    if "x-calendar-by" in f:
        by = f["x-calendar-by"]
        if not (isinstance(by, dict) and isinstance(by.get("field"), str)
                and all(isinstance(v, str) and v in _CALENDAR_FORMS for k, v in by.items() if k != "field")):
            ck.at(fp + ("x-calendar-by",), f"{where}: x-calendar-by must be {{\"field\": <a field of the table>, "
                                           f"value: form}} with forms among {', '.join(_CALENDAR_FORMS)}")
        else:
            _unknown_field(ck, fp + ("x-calendar-by",), where, "x-calendar-by", by["field"], fields)
    if "x-printed-in" in f:
        pr = f["x-printed-in"]
        if not (isinstance(pr, dict) and set(pr) <= {"field", "if"} and isinstance(pr.get("field"), str)
                and ("if" not in pr or _is_condition(pr["if"])) and ftype == "number"):
            ck.at(fp + ("x-printed-in",), f"{where}: x-printed-in must be {{\"field\": <a field of the table>, "
                                          "\"if\": {\"field\": ..., \"equals\": ...}} (\"if\" optional) on a number field")
        else:
            for ref in (pr["field"], *([pr["if"]["field"]] if "if" in pr else [])):
                _unknown_field(ck, fp + ("x-printed-in",), where, "x-printed-in", ref, fields)
            if "if" in pr:
                _condition_value(ck, fp + ("x-printed-in", "if"), where, "x-printed-in", pr["if"], fields)
    if "x-expression-of" in f and not (ftype == "string" and _is_field(f["x-expression-of"], fields)):
        ck.at(fp + ("x-expression-of",), f"{where}: x-expression-of must name a field of the table "
                                         "(the value the expression gives) on a string field")
    if "x-calendar" in f:
        forms = f["x-calendar"]
        if not (isinstance(forms, list) and forms and all(isinstance(x, str) and x in _CALENDAR_FORMS for x in forms)):
            ck.at(fp + ("x-calendar",), f"{where}: x-calendar must list forms among {', '.join(_CALENDAR_FORMS)}")


def _names(value) -> list | None:
    """Field names written as one name or a non-empty list of names; None when not of that shape."""
    names = _keys(value)
    return names if names and all(isinstance(n, str) for n in names) else None


def _check_schema_keys(ck: _Checker, res: dict, sp: tuple, fields: dict, names: dict, resources: list,
                       usable: dict) -> None:
    """primaryKey, foreignKeys and the project's table rules, against the fields that exist."""
    schema, tname = res["schema"], res.get("name")
    if "primaryKey" in schema:
        pk = _names(schema["primaryKey"])
        if pk is None:
            ck.at(sp + ("primaryKey",), f"{tname}: primaryKey must be a field name or a non-empty list of field "
                                        f"names, got {_json(schema['primaryKey'])}")
        for k in pk or []:
            if k not in fields:
                ck.at(sp + ("primaryKey",), f"{tname}: primaryKey names unknown field {k!r}; expected one of "
                                            f"{', '.join(fields)}")
    if "x-may-be-empty" in schema and not isinstance(schema["x-may-be-empty"], bool):
        ck.at(sp + ("x-may-be-empty",), f"{tname}: x-may-be-empty must be true or false, got "
                                        f"{_json(schema['x-may-be-empty'])}")
    if "x-one-preferred-per" in schema:
        group = schema["x-one-preferred-per"]
        if not (isinstance(group, list) and group and all(_is_field(k, fields) for k in group)) \
                or "preferred" not in fields:
            ck.at(sp + ("x-one-preferred-per",), f"{tname}: x-one-preferred-per must list fields of the table, "
                                                 "and the table needs a boolean 'preferred' field")
    if "x-period" in schema:
        period = schema["x-period"]
        if not (isinstance(period, dict) and set(period) == {"start", "end", "kind"}
                and all(_is_field(v, fields) for v in period.values())):
            ck.at(sp + ("x-period",), f"{tname}: x-period must be {{\"start\": ..., \"end\": ..., \"kind\": ...}} "
                                      "naming fields of the table")
    fks = schema.get("foreignKeys", [])
    if not isinstance(fks, list):
        ck.at(sp + ("foreignKeys",), f"{tname}: foreignKeys must be a list of {{\"fields\": ..., \"reference\": "
                                     f"{{\"resource\": ..., \"fields\": ...}}}}, got {_json(fks)}")
        return
    index = {id(r): i for i, r in enumerate(resources)}
    for k, fk in enumerate(fks):
        kp, here = sp + ("foreignKeys", k), f"{tname}: foreignKeys[{k}]"
        if not isinstance(fk, dict):
            ck.at(kp, f"{here} must be an object {{\"fields\": ..., \"reference\": {{\"resource\": ..., \"fields\": ...}}}}")
            continue
        ck.keys(fk, kp, {"fields": None, "reference": None}, (), ("fields", "reference"), here)
        ref = fk.get("reference")
        if "reference" in fk and not isinstance(ref, dict):
            ck.at(kp + ("reference",), f"{here}: reference must be {{\"resource\": <a table>, \"fields\": ...}}")
        own = _names(fk.get("fields"))
        if "fields" in fk and own is None:
            ck.at(kp + ("fields",), f"{here}: fields must be a field name or a list of field names, got "
                                    f"{_json(fk['fields'])}")
        for x in own or []:
            if x not in fields:
                ck.at(kp + ("fields",), f"{here}: {x!r} is not a field of {tname!r}; expected one of {', '.join(fields)}")
        if not isinstance(ref, dict):
            continue
        rp = kp + ("reference",)
        ck.keys(ref, rp, {"resource": None, "fields": None}, (), ("resource", "fields"), f"{here}.reference")
        target_name = ref.get("resource")
        if "resource" in ref and not isinstance(target_name, str):
            ck.at(rp + ("resource",), f"{here} refers to {_json(target_name)}: expected a table name "
                                      f"(one of {', '.join(names)}), or \"\" for this table")
            continue
        if target_name is None:
            continue
        target = names.get(target_name) if target_name else res
        if target is None:
            ck.at(rp + ("resource",), f"{here} refers to unknown table {target_name!r}; expected one of "
                                      f"{', '.join(names)}")
            continue
        tfields = usable.get(index.get(id(target)))
        theirs = _names(ref.get("fields"))
        if "fields" in ref and theirs is None:
            ck.at(rp + ("fields",), f"{here}.reference: fields must be a field name or a list of field names, got "
                                    f"{_json(ref['fields'])}")
        if tfields is None or theirs is None:
            continue  # the referenced table's own fault is reported where it stands
        shown = target_name or tname
        for x in theirs:
            if x not in tfields:
                ck.at(rp + ("fields",), f"{here}: {x!r} is not a field of {shown!r}; expected one of "
                                        f"{', '.join(tfields)}")
        if own is not None and len(theirs) != len(own):
            ck.at(rp + ("fields",), f"{here}: {len(own)} field(s) {own} are paired with {len(theirs)} field(s) "
                                    f"{theirs} of {shown!r}: expected as many on each side")
