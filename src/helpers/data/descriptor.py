"""Checks of data/datapackage.json that the loaders rely on, each with the line and column it stands on.

Used by helpers.data when it reads the descriptor: a misspelt key, an unknown field
type, a pattern that is not a regular expression or a key naming a missing field
stops with the file, line and column, instead of a KeyError or TypeError inside the loaders.
"""
from __future__ import annotations

import difflib
import re

from helpers.data.schema import _CALENDAR_FORMS, CONSTRAINTS, FIELD_TYPES, _keys, _parse


def check_descriptor(package, marks, shown: str) -> list[str]:
    """Every problem that would stop the loaders from following datapackage.json, with its line and column.

    Checks what the loaders rely on: a `resources` list of tables with name, path and
    schema; known field types; compilable patterns; bounds of the field's type; keys
    (primaryKey, foreignKeys, x- rules) naming fields that exist.

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
        ``'<shown>, line L, column C: <what is wrong and what was expected>'``, at the value at
        fault (or the nearest enclosing one); empty when it can be followed.
    """
    out: list[str] = []

    def at(path: tuple, msg: str) -> None:
        out.append(f"{marks.locate(shown, path)}: {msg}")

    def close(word: str, keys) -> str:
        near = difflib.get_close_matches(word, [str(k) for k in keys], n=1, cutoff=0.6)
        return f" (found {near[0]!r}: misspelt?)" if near else ""

    if not isinstance(package, dict):
        return [f"{marks.locate(shown, ())}: expected a JSON object with a 'resources' list"]
    resources = package.get("resources")
    if not isinstance(resources, list) or not resources:
        what = "no 'resources' key" if resources is None else "'resources' is not a non-empty list"
        at(("resources",), f"{what}{close('resources', package) if resources is None else ''}: expected "
                           "'resources': [ ...one entry per table... ]")
        return out
    names: dict[str, dict] = {}
    for i, res in enumerate(resources):
        rp = ("resources", i)
        if not isinstance(res, dict):
            at(rp, f"resources[{i}] is not an object: expected {{name, path, schema}}")
            continue
        for key in ("name", "path", "schema"):
            if key not in res:
                at(rp, f"resources[{i}] has no {key!r}{close(key, res)}")
        name = res.get("name")
        if isinstance(name, str):
            if name in names:
                at(rp + ("name",), f"table name {name!r} is used twice")
            names[name] = res
        path = res.get("path")
        if "path" in res and (not isinstance(path, str) or "/" in path or "\\" in path or not path.endswith(".csv")):
            at(rp + ("path",), f"path {path!r}: expected a file name in data/ ending in .csv")
        schema = res.get("schema")
        if "schema" in res and not (isinstance(schema, dict) and isinstance(schema.get("fields"), list)
                                    and schema["fields"]):
            at(rp + ("schema",), f"schema of {name!r} has no 'fields' list{close('fields', schema or {})}")
            res["_broken"] = True
    for i, res in enumerate(resources):
        if not isinstance(res, dict) or not isinstance(res.get("schema"), dict) or res.get("_broken"):
            continue
        sp = ("resources", i, "schema")
        schema, tname = res["schema"], res.get("name")
        fields = {}
        for j, f in enumerate(schema["fields"]):
            fp = sp + ("fields", j)
            if not isinstance(f, dict) or not isinstance(f.get("name"), str):
                at(fp, f"{tname}: fields[{j}] has no 'name'")
                continue
            fname = f["name"]
            if fname in fields:
                at(fp + ("name",), f"{tname}: field {fname!r} is declared twice")
            fields[fname] = f
            ftype = f.get("type", "string")
            if ftype not in FIELD_TYPES:
                at(fp + ("type",), f"{tname}.{fname}: unknown or unsupported type {ftype!r}"
                                   f"{close(str(ftype), FIELD_TYPES)}; expected one of {', '.join(FIELD_TYPES)}")
                continue
            c = f.get("constraints", {})
            if not isinstance(c, dict):
                at(fp + ("constraints",), f"{tname}.{fname}: 'constraints' must be an object")
                continue
            for key in c:
                if key not in CONSTRAINTS:
                    at(fp + ("constraints", key), f"{tname}.{fname}: constraint {key!r} is not supported"
                                                  f"{close(key, CONSTRAINTS)}; expected {', '.join(CONSTRAINTS)}")
            if "pattern" in c:
                try:
                    re.compile(c["pattern"])
                except (re.error, TypeError) as exc:
                    at(fp + ("constraints", "pattern"), f"{tname}.{fname}: pattern {c['pattern']!r} is not a valid "
                                                        f"regular expression ({exc})")
            if "enum" in c and not isinstance(c["enum"], list):
                at(fp + ("constraints", "enum"), f"{tname}.{fname}: 'enum' must be a list of allowed values")
            for bound in ("minimum", "maximum"):
                if bound in c:
                    try:
                        value = _parse(str(c[bound]), f) if ftype not in ("string", "boolean") else None
                        if ftype in ("integer", "number") and not isinstance(c[bound], (int, float)):
                            raise ValueError(f"expected a JSON number, got {c[bound]!r}")
                    except ValueError as exc:
                        at(fp + ("constraints", bound), f"{tname}.{fname}: {bound} is not a {ftype} ({exc})")
            if ftype == "boolean":
                for key, default in (("trueValues", ["true"]), ("falseValues", ["false"])):
                    vals = f.get(key, default)
                    if not (isinstance(vals, list) and vals and all(isinstance(v, str) for v in vals)):
                        at(fp + (key,), f"{tname}.{fname}: {key} must be a list of strings")
            for rule in ("x-required-if", "x-required-unless", "x-empty-if"):
                if rule in f and not (isinstance(f[rule], dict) and "field" in f[rule] and "equals" in f[rule]):
                    at(fp + (rule,), f"{tname}.{fname}: {rule} must be {{\"field\": ..., \"equals\": ...}}")
            by = f.get("x-calendar-by")
            if by is not None and not (isinstance(by, dict) and "field" in by
                                       and all(v in _CALENDAR_FORMS for k, v in by.items() if k != "field")):
                at(fp + ("x-calendar-by",), f"{tname}.{fname}: x-calendar-by must be {{\"field\": ..., value: form}} "
                                            f"with forms among {', '.join(_CALENDAR_FORMS)}")
            pr = f.get("x-printed-in")
            if pr is not None and not (isinstance(pr, dict) and "field" in pr and ftype == "number"):
                at(fp + ("x-printed-in",), f"{tname}.{fname}: x-printed-in must be {{\"field\": ..., \"if\": "
                                           "{field, equals}} on a number field")
            target = f.get("x-expression-of")
            if target is not None and not (ftype == "string" and target in fields):
                at(fp + ("x-expression-of",), f"{tname}.{fname}: x-expression-of must name a field of the table "
                                              "(the value the expression gives) on a string field")
            forms = f.get("x-calendar")
            if forms is not None and not (isinstance(forms, list) and forms and all(x in _CALENDAR_FORMS for x in forms)):
                at(fp + ("x-calendar",), f"{tname}.{fname}: x-calendar must list forms among {', '.join(_CALENDAR_FORMS)}")
        for j, f in enumerate(schema["fields"]):
            for rule in ("x-required-if", "x-required-unless", "x-empty-if", "x-printed-in", "x-calendar-by"):
                ref = f.get(rule, {}).get("field") if isinstance(f, dict) and isinstance(f.get(rule), dict) else None
                if ref is not None and ref not in fields:
                    at(sp + ("fields", j, rule), f"{tname}: {rule} names unknown field {ref!r}")
        pk = schema.get("primaryKey", [])
        for k in _keys(pk) if _keys(pk) or not pk else [repr(pk)]:
            if k not in fields:
                at(sp + ("primaryKey",), f"{tname}: primaryKey names unknown field {k!r}; expected one of "
                                         f"{', '.join(fields)}")
        group = schema.get("x-one-preferred-per")
        if group is not None:
            if not isinstance(group, list) or any(k not in fields for k in group) or "preferred" not in fields:
                at(sp + ("x-one-preferred-per",), f"{tname}: x-one-preferred-per must list fields of the table, "
                                                  "and the table needs a boolean 'preferred' field")
        period = schema.get("x-period")
        if period is not None and not (isinstance(period, dict) and set(period) == {"start", "end", "kind"}
                                       and all(v in fields for v in period.values())):
            at(sp + ("x-period",), f"{tname}: x-period must be {{\"start\": ..., \"end\": ..., \"kind\": ...}} "
                                   "naming fields of the table")
        fks = schema.get("foreignKeys", [])
        if not isinstance(fks, list):
            at(sp + ("foreignKeys",), f"{tname}: foreignKeys must be a list")
            fks = []
        for k, fk in enumerate(fks):
            kp = sp + ("foreignKeys", k)
            ref = fk.get("reference") if isinstance(fk, dict) else None
            if not isinstance(ref, dict):
                at(kp, f"{tname}: foreignKeys[{k}] needs 'fields' and a 'reference' {{resource, fields}}")
                continue
            own, theirs = _keys(fk.get("fields")), _keys(ref.get("fields"))
            target = names.get(ref.get("resource")) if ref.get("resource") else res
            bad = [x for x in own if x not in fields]
            if not own or bad:
                at(kp + ("fields",), f"{tname}: foreignKeys[{k}].fields names unknown field(s) {bad or own}")
            if target is None:
                at(kp + ("reference", "resource"), f"{tname}: foreignKeys[{k}] refers to unknown table "
                                                   f"{ref.get('resource')!r}; expected one of {', '.join(names)}")
                continue
            tfields = [f.get("name") for f in target.get("schema", {}).get("fields", []) if isinstance(f, dict)]
            if not theirs or len(theirs) != len(own) or any(x not in tfields for x in theirs):
                at(kp + ("reference", "fields"), f"{tname}: foreignKeys[{k}].reference.fields must name "
                                                 f"{len(own)} field(s) of {ref.get('resource')!r}, got {theirs}")
    for res in resources:
        if isinstance(res, dict):
            res.pop("_broken", None)
    return out
