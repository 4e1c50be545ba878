"""A damaged data/datapackage.json is refused at the line and column of the fault, before any table is read.

Each kind of damage the descriptor check must catch (a constraint that cannot apply, a value of
the wrong JSON type, a misspelt or unknown key, a foreign key naming a missing field) is written
into a copy of the small data set of test_bad_input; the expected line and column are found in
the text by the test, not by the reader under test.
"""
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO, write_table
from helpers import data, paths
from helpers.data.schema import FIELD_TYPES
from helpers.data.spec_keys import SPEC_KEYS, from_frictionless
from test_bad_input import GOOD, write_good_data


@pytest.fixture
def root(tmp_path):
    """A folder holding data/ with the small valid data set, its descriptor one key per line."""
    write_good_data(tmp_path / "data")
    return tmp_path


def change(ddir, fn):
    path = ddir / "datapackage.json"
    pkg = json.loads(path.read_text())
    fn(pkg)
    path.write_text(json.dumps(pkg, indent=1))


def table(pkg, name):
    return next(r for r in pkg["resources"] if r["name"] == name)


def field(pkg, tname, fname):
    return next(f for f in table(pkg, tname)["schema"]["fields"] if f["name"] == fname)


def place(ddir, *anchors, key, value=False):
    """'line L, column C' of `"key":` (or of its value) on the first line holding it after lines holding
    each anchor in turn (the descriptor is written one key per line)."""
    lines = (ddir / "datapackage.json").read_text().splitlines()
    i = 0
    for anchor in anchors:
        i = next(n for n in range(i, len(lines)) if anchor in lines[n])
    mark = key if key.startswith('"') else f'"{key}":'  # a list item is found by its text
    n = next(n for n in range(i, len(lines)) if mark in lines[n])
    col = lines[n].index(mark) + (len(f'{mark} ') if value else 0)
    return f"line {n + 1}, column {col + 1}"


def refused(ddir, table_name="quotas"):
    """The descriptor's message: raised before any table is read."""
    with pytest.raises(data.DataError) as err:
        data.load_table(table_name, ddir)
    message = str(err.value)
    assert message.startswith(tuple(f"{n} problem(s) in the data package descriptor" for n in range(1, 20))), message
    assert "Traceback" not in message and ".csv" not in message.split("datapackage.json", 1)[0]
    return message


QUOTAS_YEAR = ('"name": "quotas"', '"name": "year"')
# kind: (change, anchors, key, at the value (not the key), message)
KINDS = {
    # a constraint that cannot apply to the field's type, or a value of the wrong JSON type
    "bounds_without_type": (lambda p: field(p, "quotas", "year").pop("type"), QUOTAS_YEAR, "minimum", False,
                            "quotas.year: minimum and maximum need an integer, number, date or yearmonth field, "
                            "not string (no 'type' given"),
    "bound_on_string": (lambda p: field(p, "quotas", "year").update(type="string") or
                        field(p, "quotas", "year")["constraints"].pop("minimum"), QUOTAS_YEAR, "maximum", False,
                        "quotas.year: maximum needs an integer, number, date or yearmonth field, not string"),
    "pattern_on_integer": (lambda p: field(p, "quotas", "year")["constraints"].update(pattern="^2"), QUOTAS_YEAR,
                           "pattern", False, "quotas.year: pattern needs a string field, not integer"),
    "required_yes": (lambda p: field(p, "quotas", "year")["constraints"].update(required="yes"), QUOTAS_YEAR,
                     "required", True, 'quotas.year: required must be true or false, got "yes"'),
    "unique_1": (lambda p: field(p, "sources", "source_id")["constraints"].update(unique=1),
                 ('"name": "sources"', '"name": "source_id"'), "unique", True,
                 "sources.source_id: unique must be true or false, got 1"),
    "enum_string": (lambda p: field(p, "quotas", "stage")["constraints"].update(enum="mining"),
                    ('"name": "quotas"', '"name": "stage"'), "enum", True,
                    "quotas.stage: 'enum' must be a non-empty list of the allowed values, got \"mining\""),
    "enum_empty": (lambda p: field(p, "quotas", "stage")["constraints"].update(enum=[]),
                   ('"name": "quotas"', '"name": "stage"'), "enum", True,
                   "quotas.stage: 'enum' must be a non-empty list of the allowed values, got an empty list"),
    "enum_wrong_type": (lambda p: field(p, "quotas", "year")["constraints"].update(enum=["2019"]), QUOTAS_YEAR + ('"enum"',),
                        '"2019"', False, 'quotas.year: enum value "2019" is not an integer value'),
    "pattern_number": (lambda p: field(p, "sources", "source_id")["constraints"].update(pattern=5),
                       ('"name": "sources"', '"name": "source_id"'), "pattern", True,
                       "sources.source_id: pattern must be a string (a regular expression the whole value must match), got 5"),
    "minimum_above_maximum": (lambda p: field(p, "quotas", "year")["constraints"].update(minimum=2031), QUOTAS_YEAR,
                              "maximum", True, "quotas.year: maximum 2030 is below minimum 2031: no value could pass"),
    "bound_wrong_json_type": (lambda p: field(p, "events", "date")["constraints"].update(minimum=2000),
                              ('"name": "events"', '"name": "date"'), "minimum", True,
                              "events.date: minimum is not a date (expected a JSON string, got 2000)"),
    "fields_object": (lambda p: table(p, "quotas")["schema"].update(fields={"a": 1}), ('"name": "quotas"',), "fields",
                      True, "the schema of 'quotas': 'fields' must list one object per column"),
    "fields_empty": (lambda p: table(p, "quotas")["schema"].update(fields=[]), ('"name": "quotas"',), "fields", True,
                     "the schema of 'quotas': 'fields' must list one object per column ({\"name\": ..., \"type\": ...}), got an empty list"),
    "field_name_number": (lambda p: field(p, "quotas", "note").update(name=5), ('"name": "quotas"', '"name": 5'),
                          "name", True, "quotas: fields[12]: 'name' must be a string (the column's header), got 5"),
    "rule_field_list": (lambda p: field(p, "quotas", "value")["x-empty-if"].update(field=["status"]),
                        ('"name": "quotas"', '"name": "value"'), "x-empty-if", True,
                        'quotas.value: x-empty-if must be {"field": <a field of the table>'),
    "primary_key_nested": (lambda p: table(p, "quotas")["schema"].update(primaryKey=[["stage"]]),
                           ('"name": "quotas"',), "primaryKey", True,
                           "quotas: primaryKey must be a field name or a non-empty list of field names"),
    "fk_resource_list": (lambda p: table(p, "quotas")["schema"]["foreignKeys"][0]["reference"].update(resource=[1]),
                         ('"name": "quotas"', '"foreignKeys"'), "resource", True,
                         "quotas: foreignKeys[0] refers to [1]: expected a table name"),
    # a spec key whose value has another JSON type than the spec's profile gives (frictionless named no line)
    "description_number": (lambda p: field(p, "quotas", "year").update(description=5), QUOTAS_YEAR, "description",
                           True, "field quotas.year: 'description' must be a string, got 5"),
    "licenses_text": (lambda p: p.update(licenses="CC-BY-4.0"), (), "licenses", True,
                      "the top level: 'licenses' must be a list, got \"CC-BY-4.0\""),
    # a misspelt or unknown key: the rule it carried would be dropped in silence
    "primaryKy": (lambda p: table(p, "quotas")["schema"].update(primaryKy=table(p, "quotas")["schema"].pop("primaryKey")),
                  ('"name": "quotas"',), "primaryKy", False,
                  "unknown key 'primaryKy' in the schema of 'quotas' (did you mean 'primaryKey'?)"),
    "foreignKey": (lambda p: table(p, "quotas")["schema"].update(foreignKey=table(p, "quotas")["schema"].pop("foreignKeys")),
                   ('"name": "quotas"',), "foreignKey", False,
                   "unknown key 'foreignKey' in the schema of 'quotas' (did you mean 'foreignKeys'?)"),
    "constraint": (lambda p: field(p, "quotas", "year").update(constraint=field(p, "quotas", "year").pop("constraints")),
                   QUOTAS_YEAR, "constraint", False,
                   "unknown key 'constraint' in field quotas.year (did you mean 'constraints'?)"),
    "resource_descripton": (lambda p: table(p, "quotas").update(descripton="x"), ('"name": "quotas"',), "descripton",
                            False, "unknown key 'descripton' in resource 'quotas' (did you mean 'description'?)"),
    "field_x_rule": (lambda p: field(p, "quotas", "formula").update({"x-requried-if": field(p, "quotas", "formula")
                                                                     .pop("x-required-if")}),
                     ('"name": "quotas"', '"name": "formula"'), "x-requried-if", False,
                     "unknown key 'x-requried-if' in field quotas.formula (did you mean 'x-required-if'?)"),
    "top_level": (lambda p: p.update(licence=p.pop("licenses")), (), "licence", False,
                  "unknown key 'licence' in the top level (did you mean 'licenses'?)"),
    "other_type_key": (lambda p: field(p, "quotas", "stage").update(trueValues=["yes"]), ('"name": "quotas"', '"name": "stage"'),
                       "trueValues", False, "field quotas.stage: 'trueValues' applies to boolean fields, not to string"),
    # a foreign key naming a field that is not there
    "fk_their_field": (lambda p: table(p, "quotas")["schema"]["foreignKeys"][0]["reference"].update(fields="source_idd"),
                       ('"name": "quotas"', '"foreignKeys"', '"reference"'), "fields", True,
                       "quotas: foreignKeys[0]: 'source_idd' is not a field of 'sources'; expected one of source_id,"),
    "fk_own_field": (lambda p: table(p, "quotas")["schema"]["foreignKeys"][0].update(fields="sourceid"),
                     ('"name": "quotas"', '"foreignKeys"'), "fields", True,
                     "quotas: foreignKeys[0]: 'sourceid' is not a field of 'quotas'"),
    "fk_reference_misspelt": (lambda p: table(p, "quotas")["schema"]["foreignKeys"][0]["reference"].update(
                              resourse=table(p, "quotas")["schema"]["foreignKeys"][0]["reference"].pop("resource")),
                              ('"name": "quotas"', '"foreignKeys"', '"reference"'), "resourse", False,
                              "quotas: foreignKeys[0].reference: no 'resource' key (found 'resourse': misspelt?)"),
}


# a condition's value its field cannot hold: the rule it guards would never apply, silently (a second
# newcomer's trial: 'reportd' switched off the printed-number check, 'derivd' the required formula)
KINDS.update({
    "condition_value_misspelt": (
        lambda p: field(p, "quotas", "formula")["x-required-if"].update(equals="derivd"),
        ('"name": "quotas"', '"name": "formula"', '"x-required-if"'), "equals", True,
        "quotas.formula: x-required-if compares status with \"derivd\", which is not one of its values "
        "(\"reported\", \"derived\", \"undisclosed\"); did you mean \"derived\"?"),
    "printed_in_condition_misspelt": (
        lambda p: field(p, "quotas", "value")["x-printed-in"]["if"].update(equals="reportd"),
        ('"name": "quotas"', '"name": "value"', '"x-printed-in"'), "equals", True,
        "quotas.value: x-printed-in compares status with \"reportd\", which is not one of its values"),
    "condition_value_of_another_type": (
        lambda p: field(p, "quotas", "value")["x-empty-if"].update(equals=5),
        ('"name": "quotas"', '"name": "value"', '"x-empty-if"'), "equals", True,
        "quotas.value: x-empty-if compares status with 5, which is not one of its values"),
    "enum_value_twice": (
        lambda p: field(p, "quotas", "status")["constraints"].update(enum=["reported", "derived", "reported"]),
        ('"name": "quotas"', '"name": "status"', '"enum"', '"derived"'), '"reported"', False,
        "quotas.status: enum value \"reported\" is listed twice; expected each allowed value once"),
    "true_and_false_value": (
        lambda p: field(p, "quotas", "preferred").update(falseValues=["true"]),
        ('"name": "quotas"', '"name": "preferred"'), "falseValues", True,
        "quotas.preferred: \"true\" is both a true and a false value; expected each in one list"),
    "may_be_empty_not_boolean": (
        lambda p: table(p, "quotas")["schema"].update({"x-may-be-empty": "false"}),
        ('"name": "quotas"',), "x-may-be-empty", True, "quotas: x-may-be-empty must be true or false, got \"false\""),
})


# a spec key that says how a file is to be read, at a value the loaders do not read it by: frictionless
# follows it, the loaders did not (a semicolon dialect gave 183 follow-on errors, a decimal comma or an
# encoding none at all, and the loaders went on reading the file their own way)
_NOT_FOLLOWED = "which the loaders do not follow"
QUOTAS_VALUE = ('"name": "quotas"', '"name": "value"')
KINDS.update({
    "dialect_semicolon": (lambda p: table(p, "quotas").update(dialect={"delimiter": ";"}), ('"name": "quotas"', '"dialect"'),
                          "delimiter", True, f"resource 'quotas': dialect 'delimiter' is \";\", {_NOT_FOLLOWED}"),
    "dialect_unknown_key": (lambda p: table(p, "quotas").update(dialect={"commentChar": "#"}),
                            ('"name": "quotas"', '"dialect"'), "commentChar", True,
                            f"resource 'quotas': dialect 'commentChar' is \"#\", {_NOT_FOLLOWED}"),
    "dialect_file": (lambda p: table(p, "quotas").update(dialect="dialect.json"), ('"name": "quotas"',), "dialect", True,
                     "resource 'quotas': 'dialect' is \"dialect.json\"; the loaders read comma-separated CSV"),
    "encoding_latin1": (lambda p: table(p, "quotas").update(encoding="latin-1"), ('"name": "quotas"',), "encoding", True,
                        f"resource 'quotas': 'encoding' is \"latin-1\", {_NOT_FOLLOWED}"),
    "format_tsv": (lambda p: table(p, "quotas").update(format="tsv"), ('"name": "quotas"',), "format", True,
                   f"resource 'quotas': 'format' is \"tsv\", {_NOT_FOLLOWED}"),
    "compression_zip": (lambda p: table(p, "quotas").update(compression="zip"), ('"name": "quotas"',), "compression", True,
                        f"resource 'quotas': 'compression' is \"zip\", {_NOT_FOLLOWED}"),
    "missing_values_na": (lambda p: table(p, "quotas")["schema"].update(missingValues=["", "NA"]), ('"name": "quotas"',),
                          "missingValues", True, f"the schema of 'quotas': 'missingValues' is [\"\", \"NA\"], {_NOT_FOLLOWED}"),
    "decimal_comma": (lambda p: field(p, "quotas", "value").update(decimalChar=","), QUOTAS_VALUE, "decimalChar", True,
                      f"quotas.value: 'decimalChar' is \",\", {_NOT_FOLLOWED}"),
    "thousands_separator": (lambda p: field(p, "quotas", "value").update(groupChar=","), QUOTAS_VALUE, "groupChar", True,
                            f"quotas.value: 'groupChar' is \",\", {_NOT_FOLLOWED}"),
    "bare_number_false": (lambda p: field(p, "quotas", "value").update(bareNumber=False), QUOTAS_VALUE, "bareNumber", True,
                          f"quotas.value: 'bareNumber' is false, {_NOT_FOLLOWED}"),
    "date_format": (lambda p: field(p, "events", "date").update(format="%d/%m/%Y"), ('"name": "events"', '"name": "date"'),
                    "format", True, f"events.date: 'format' is \"%d/%m/%Y\", {_NOT_FOLLOWED}"),
})


def test_the_ways_of_reading_a_file_the_loaders_follow_may_be_written_out(root):
    """Each key the loaders refuse at another value is accepted at the value they read by (the defaults)."""
    from helpers.data.descriptor import _DIALECT, READ_AS

    ddir = root / "data"

    def spell_out(p):
        res = table(p, "quotas")
        res.update({k: v[0][0] for k, v in READ_AS["resource"].items() if v[0]},
                   dialect={k: v[0][0] for k, v in _DIALECT.items()})
        res["schema"].update({k: v[0][0] for k, v in READ_AS["schema"].items()})
        value = field(p, "quotas", "value")
        value.update({k: v[0][0] for k, v in READ_AS["field"].items()})

    rows = len(data.load_table("quotas", ddir))
    change(ddir, spell_out)
    assert table(json.loads((ddir / "datapackage.json").read_text()), "quotas")["dialect"]["delimiter"] == ","
    assert len(data.load_table("quotas", ddir)) == rows > 0

@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_of_descriptor_fault_is_refused_at_its_line_and_column(root, kind):
    fn, anchors, key, at_value, expected = KINDS[kind]
    ddir = root / "data"
    change(ddir, fn)
    message = refused(ddir)
    assert f"datapackage.json, {place(ddir, *anchors, key=key, value=at_value)}: {expected}" in message, message


def test_a_misspelt_schema_gives_one_message_not_follow_on_foreign_key_errors(root):
    ddir = root / "data"
    change(ddir, lambda p: table(p, "sources").update(schemas=table(p, "sources").pop("schema")))
    message = refused(ddir)
    assert message.startswith("1 problem(s)"), message
    assert f"{place(ddir, key='schemas')}: resource 'sources': no 'schema' key (found 'schemas': misspelt?)" in message


def test_check_data_prints_the_message_not_a_traceback(root):
    """The reported symptom: minimum and maximum on a field without a type crashed `make check-data`."""
    ddir = root / "data"
    change(ddir, lambda p: field(p, "quotas", "year").pop("type"))
    proc = subprocess.run([sys.executable, "-m", "helpers.data"], capture_output=True, text=True, cwd=str(REPO),
                          env={**os.environ, "NBREPORT_ROOT": str(root)}, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "Traceback" not in out and "TypeError" not in out, out
    assert f"{place(ddir, *QUOTAS_YEAR, key='minimum')}: quotas.year: minimum and maximum need" in out, out


def test_a_pattern_message_says_the_whole_value_must_match(root):
    rows = [dict(r) for r in GOOD["events"]]
    rows[0]["event_id"] = "licensing 2025"
    write_table(root / "data", "events", rows)
    with pytest.raises(data.DataError) as err:
        data.load_table("events", root / "data")
    assert "expected the whole value to match ^[a-z0-9][a-z0-9_]*$, got 'licensing 2025'" in str(err.value)


def test_a_missing_table_names_the_descriptor_line_that_declares_it(root):
    ddir = root / "data"
    (ddir / "sources.csv").unlink()
    where = place(ddir, '"name": "sources"', key="path", value=True)
    with pytest.raises(data.DataError) as err:
        data.load_table("sources", ddir)
    assert f"sources.csv: file is missing: {ddir / 'datapackage.json'}, {where} declares it" in str(err.value)
    # a table that refers to it: one problem, not one 'unknown source_id' per row
    with pytest.raises(data.DataError) as err:
        data.load_table("quotas", ddir)
    message = str(err.value)
    assert message.startswith("1 problem(s)") and f"which {ddir / 'datapackage.json'}, {where} declares" in message


def test_a_primary_key_written_as_one_name_is_checked(root):
    """Table Schema allows "primaryKey": "event_id"; it was read letter by letter."""
    ddir = root / "data"
    def one_name(p):
        table(p, "events")["schema"].update(primaryKey="event_id")
        field(p, "events", "event_id")["constraints"].pop("unique")  # else the unique constraint speaks first
    change(ddir, one_name)
    rows = [dict(r) for r in GOOD["events"]] * 2
    write_table(ddir, "events", rows)
    with pytest.raises(data.DataError) as err:
        data.load_table("events", ddir)
    assert "events.csv, line 3" in str(err.value) and "duplicate key {'event_id': 'licensing'}" in str(err.value)


def test_the_spec_keys_are_those_of_the_installed_frictionless():
    assert from_frictionless(FIELD_TYPES) == SPEC_KEYS, "run: python -m helpers.data.spec_keys"


def test_the_real_descriptor_passes_the_key_check():
    from nbreport.strictparse import load_json

    pkg, marks = load_json(paths.DATAPACKAGE.read_text(encoding="utf-8"), "data/datapackage.json")
    assert data.check_descriptor(pkg, marks, "data/datapackage.json") == []


_COUNT = re.compile(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+"
                    r"((news|shared|source|seed)\s+)?(articles?|texts?)\b", re.IGNORECASE)


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def test_no_count_of_articles_is_typed_into_the_descriptor_or_the_data_readme():
    """The ledger's articles are counted from the data; a typed 'five articles' goes stale with the sixth."""
    texts = list(_strings(json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))))
    texts.append((paths.DATA / "README.md").read_text(encoding="utf-8"))
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    texts.append(readme[readme.index(data.README_BEGIN):readme.index(data.README_END)])
    found = [m.group(0) for t in texts for m in _COUNT.finditer(t)]
    assert not found, f"typed counts: {found}"


def test_a_package_level_fault_only_frictionless_sees_is_placed(root):
    """Inside a spec key's value (a licence object) the loaders' check does not look; frictionless's
    package-level message gives a JSON pointer, which check-data turns into a line and column."""
    ddir = root / "data"
    change(ddir, lambda p: p["licenses"][0].update(name=5))
    proc = subprocess.run([sys.executable, "-m", "helpers.data"], capture_output=True, text=True, cwd=str(REPO),
                          env={**os.environ, "NBREPORT_ROOT": str(root)}, timeout=120)
    out = proc.stdout + proc.stderr
    where = place(ddir, '"licenses"', key="name", value=True)
    assert proc.returncode == 1 and f"datapackage.json, {where}: The data package has an error" in out, out


def test_every_project_key_the_collection_reads_is_one_the_descriptor_check_allows():
    """A key the loaders read (schema.get("x-may-be-empty")) but the check refuses stopped every build
    of a project that used it; the keys come from the source, not from a list kept by hand."""
    import re

    from helpers.data.descriptor import PROJECT_KEYS

    allowed = {k for keys in PROJECT_KEYS.values() for k in keys}
    readers = [REPO / "src" / "helpers" / "data", REPO / "src" / "helpers" / "claims"]  # what reads datapackage.json
    read = {m for d in readers for f in d.rglob("*.py")
            for m in re.findall(r"""["'](x-[a-z-]+)["']""", f.read_text(encoding="utf-8"))}
    assert read, "no x- key found in the collection's code"
    assert read <= allowed, f"read by the collection's code but refused in datapackage.json: {sorted(read - allowed)}"


# what a resource states about its file (size, hash, rows, fields): the loaders check it, at the key, so a
# build never publishes a file its descriptor says is not the one curated (frictionless alone checked it,
# under make check-data only, naming no line)
def _stated(ddir, name):
    raw = (ddir / f"{name}.csv").read_bytes()
    import hashlib

    return {"bytes": len(raw), "hash": f"sha256:{hashlib.sha256(raw).hexdigest()}",
            "rows": raw.decode().count("\n") - 1, "fields": raw.decode().splitlines()[0].count(",") + 1}


@pytest.mark.parametrize("key, wrong, found", [
    ("bytes", 5, "{bytes} bytes"), ("hash", "md5:0000", "the md5 hash "), ("rows", 1, "{rows} data rows"),
    ("fields", 3, "{fields} fields in its header"),
    ("hash", "crc:0000", None)])
def test_a_file_that_differs_from_what_its_resource_states_is_refused_at_the_key(root, key, wrong, found):
    ddir = root / "data"
    stated = _stated(ddir, "quotas")
    change(ddir, lambda p: table(p, "quotas").update(stated))
    assert len(data.load_table("quotas", ddir)) == stated["rows"]  # stated rightly: nothing to say
    change(ddir, lambda p: table(p, "quotas").update({key: wrong}))
    with pytest.raises(data.DataError) as err:
        data.load_table("quotas", ddir)
    message = str(err.value)
    lines = (ddir / "datapackage.json").read_text().splitlines()
    at = f'"{key}": {json.dumps(wrong)}'
    n = next(n for n, text in enumerate(lines) if at in text)  # the stated key's own line (schema has 'fields' too)
    where = f"datapackage.json, line {n + 1}, column {lines[n].index(at) + len(key) + 5}: resource 'quotas': "
    if found is None:
        assert f"{where}'hash' \"crc:0000\" names no hash this check knows" in message, message
    else:
        shown = json.dumps(wrong)
        assert f"{where}'{key}' is {shown}, but " in message and f"quotas.csv has {found.format(**stated)}" in message, message
    assert "Traceback" not in message and message.count("datapackage.json") == 1, message


# one fault, one message: a read-as key of the wrong JSON type, or on a field of another type, is named once
# (by the key check), not a second time as a value the loaders do not follow (a newcomer's trial: "encoding": 5,
# "dialect": null and "decimalChar" on an integer field each gave two messages for one key)
@pytest.mark.parametrize("fn, anchors, key, expected", [
    (lambda p: table(p, "quotas").update(encoding=5), ('"name": "quotas"',), "encoding",
     "resource 'quotas': 'encoding' must be a string, got 5"),
    (lambda p: table(p, "quotas").update(compression=None), ('"name": "quotas"',), "compression",
     "resource 'quotas': 'compression' must be a string, got null"),
    (lambda p: table(p, "quotas").update(dialect=None), ('"name": "quotas"',), "dialect",
     "resource 'quotas': 'dialect' must be an object or a string, got null"),
    (lambda p: table(p, "quotas").update(dialect=[","]), ('"name": "quotas"',), "dialect",
     "resource 'quotas': 'dialect' must be an object or a string, got [\",\"]"),
    (lambda p: field(p, "quotas", "value").update(bareNumber="true"), QUOTAS_VALUE, "bareNumber",
     "field quotas.value: 'bareNumber' must be true or false, got \"true\""),
    (lambda p: field(p, "quotas", "year").update(decimalChar=","), QUOTAS_YEAR, "decimalChar",
     "field quotas.year: 'decimalChar' applies to number fields, not to integer"),
    (lambda p: field(p, "quotas", "stage").update(groupChar=","), ('"name": "quotas"', '"name": "stage"'), "groupChar",
     "field quotas.stage: 'groupChar' applies to"),
])
def test_a_read_as_key_of_the_wrong_type_is_named_once(root, fn, anchors, key, expected):
    ddir = root / "data"
    change(ddir, fn)
    message = refused(ddir)
    assert message.startswith("1 problem(s)"), message
    assert expected in message and _NOT_FOLLOWED not in message and "the loaders read" not in message, message
    line = place(ddir, *anchors, key=key).split(",")[0]
    assert f"datapackage.json, {line}, column" in message, message


# the defaults in other spellings pass (a newcomer's trial: "Utf-8", "utf_8", "CSV" and a Table Dialect that
# writes out headerRows [1] or commentRows [] were refused as ways of reading the loaders do not follow);
# another value of the same key is still refused
@pytest.mark.parametrize("fn", [
    lambda p: table(p, "quotas").update(encoding="Utf-8"),
    lambda p: table(p, "quotas").update(encoding="utf_8"),
    lambda p: table(p, "quotas").update(format="CSV", mediatype="Text/CSV"),
    lambda p: table(p, "quotas").update(dialect={"headerRows": [1], "commentRows": [], "headerJoin": " ", "headerCase": True,
                                                 "skipBlankRows": False, "csvddfVersion": 1.2}),
])
def test_the_defaults_in_another_spelling_pass(root, fn):
    ddir = root / "data"
    rows = len(data.load_table("quotas", ddir))
    change(ddir, fn)
    assert len(data.load_table("quotas", ddir)) == rows > 0


@pytest.mark.parametrize("fn, key, shown", [
    (lambda p: table(p, "quotas").update(encoding="utf-8-sig"), "encoding", '"utf-8-sig"'),
    (lambda p: table(p, "quotas").update(encoding="UTF-16"), "encoding", '"UTF-16"'),
    (lambda p: table(p, "quotas").update(encoding="no-such-codec"), "encoding", '"no-such-codec"'),
    (lambda p: table(p, "quotas").update(format="TSV"), "format", '"TSV"'),
    (lambda p: table(p, "quotas").update(dialect={"headerRows": [1, 2]}), "headerRows", "[1, 2]"),
    (lambda p: table(p, "quotas").update(dialect={"commentRows": [3]}), "commentRows", "[3]"),
    (lambda p: table(p, "quotas").update(dialect={"headerCase": False}), "headerCase", "false"),
    (lambda p: table(p, "quotas").update(dialect={"skipBlankRows": True}), "skipBlankRows", "true"),
    # a field's format is a date pattern to frictionless unless exactly "default": "DEFAULT" is not the default
    (lambda p: field(p, "quotas", "value").update(format="DEFAULT"), "format", '"DEFAULT"'),
])
def test_another_value_of_a_default_key_is_still_refused(root, fn, key, shown):
    ddir = root / "data"
    change(ddir, fn)
    message = refused(ddir)
    assert message.startswith("1 problem(s)") and f"{key!r} is {shown}, {_NOT_FOLLOWED}" in message, message
    where = place(ddir, '"name": "quotas"', key=key, value=True)
    assert f"datapackage.json, {where}:" in message, message


def test_a_hash_whose_algorithm_is_written_in_capitals_is_checked(root):
    """"SHA256:<hex>" names sha256: checked as such (it was refused as 'names no hash this check knows', and
    frictionless passes it unchecked, so a wrong one went by under make check-data's second opinion alone)."""
    ddir = root / "data"
    right = _stated(ddir, "quotas")["hash"].split(":")[1]
    change(ddir, lambda p: table(p, "quotas").update(hash=f"SHA256:{right.upper()}"))
    assert len(data.load_table("quotas", ddir)) > 0
    change(ddir, lambda p: table(p, "quotas").update(hash="SHA256:00"))
    with pytest.raises(data.DataError) as err:
        data.load_table("quotas", ddir)
    assert f"'hash' is \"SHA256:00\", but" in str(err.value) and f"has the sha256 hash {right}" in str(err.value), str(err.value)


@pytest.mark.parametrize("blank", ["\n", ",,,\n"])
def test_a_blank_row_is_one_problem_not_also_a_wrong_row_count(root, blank):
    """A blank line (or a row whose cells were emptied) is named at its line; the stated 'rows' was not
    also called wrong (a newcomer's trial: one blank line gave 'rows is 138, but ... has 139 data rows',
    and updating 'rows' as told would have written a wrong count)."""
    ddir = root / "data"
    stated = _stated(ddir, "quotas")
    change(ddir, lambda p: table(p, "quotas").update(rows=stated["rows"]))
    with open(ddir / "quotas.csv", "a", encoding="utf-8", newline="") as fh:
        fh.write(blank)
    with pytest.raises(data.DataError) as err:
        data.load_table("quotas", ddir)
    message = str(err.value)
    assert message.startswith("1 problem(s)") and "blank row" in message and "'rows'" not in message, message


def test_a_header_with_a_column_too_many_is_one_problem_not_also_a_wrong_field_count(root):
    """The header is named at line 1; the stated 'fields' (right for the schema) was also called wrong and
    'update fields' was advised, to a count the schema does not have."""
    ddir = root / "data"
    stated = _stated(ddir, "quotas")
    change(ddir, lambda p: table(p, "quotas").update(fields=stated["fields"]))
    text = (ddir / "quotas.csv").read_text(encoding="utf-8").split("\n", 1)
    (ddir / "quotas.csv").write_text(f"{text[0]},extra\n{text[1]}", encoding="utf-8", newline="")
    with pytest.raises(data.DataError) as err:
        data.load_table("quotas", ddir)
    message = str(err.value)
    assert message.startswith("1 problem(s)") and "unknown column(s) ['extra']" in message, message
    assert "'fields'" not in message, message


def test_check_data_counts_the_problems_it_lists(root):
    """Two faults in the descriptor ended '2 problem(s) in the data package descriptor: ...' with '1 problem(s)'."""
    ddir = root / "data"
    change(ddir, lambda p: table(p, "quotas").update(encoding="latin-1", format="tsv"))
    proc = subprocess.run([sys.executable, "-m", "helpers.data"], capture_output=True, text=True, cwd=str(REPO),
                          env={**os.environ, "NBREPORT_ROOT": str(root)}, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1 and out.startswith("2 problem(s) in the data package descriptor"), out
    assert out.rstrip().splitlines()[-1] == "2 problem(s)", out


@pytest.mark.parametrize("key", ["rows", "fields", "bytes"])
def test_a_count_written_with_a_decimal_point_is_refused_in_words_that_fit(root, key):
    """"fields": 13.0 was refused as "'fields' must be a whole number, got 13.0": 13.0 is a whole number;
    what is wrong is the decimal point."""
    ddir = root / "data"
    right = _stated(ddir, "quotas")[key]
    change(ddir, lambda p: table(p, "quotas").update({key: float(right)}))
    message = refused(ddir)
    assert message.startswith("1 problem(s)"), message
    assert f"'{key}' must be a whole number written without a decimal point ({right}), got {float(right)}" in message, message


def test_a_misspelt_dialect_key_is_named_as_misspelt(root):
    """"delimeter": "," was refused as a key the loaders do not follow, with no word that it is 'delimiter' misspelt."""
    ddir = root / "data"
    change(ddir, lambda p: table(p, "quotas").update(dialect={"delimeter": ","}))
    message = refused(ddir)
    where = place(ddir, '"name": "quotas"', '"dialect"', key="delimeter", value=True)
    assert f"{where}: resource 'quotas': dialect 'delimeter' is \",\"" in message, message
    assert "(misspelt 'delimiter'?)" in message and message.startswith("1 problem(s)"), message
