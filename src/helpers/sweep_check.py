"""A sweep's grid checked against its notebook's parameters cell, before anything runs.

The builder (nbreport.sweep) calls `check_sweep` through the collection's extension
(helpers.report_extension). Two kinds of fault, told apart by the parameters cell's own rules:

- the grid itself is wrong (a name the notebook does not take, a value of the wrong type,
  outside its range or not among its choices): a problem, and the build stops;
- a point whose values are each fine but cannot run together (a ``# requires:`` line, or an
  ``after:`` order such as first_year < last_year): refused, with the rule's own message, and
  listed on the sensitivity page; the other points still run.

Importing this module is light (helpers.parameters only when called).
"""
from __future__ import annotations

import dataclasses


def check_sweep(manifest, entry, sweep, data: bool = True, points: set[str] | None = None
                ) -> tuple[list[str], dict[str, str]]:
    """Problems with a sweep's grid, and the points the joint-constraint rules refuse.

    Parameters
    ----------
    manifest : nbreport.manifest.Manifest
    entry : nbreport.manifest.Entry
        The entry that declares `sweep`.
    sweep : nbreport.manifest.Sweep
    data : bool, default True
        Also check the ``requires`` lines that count what data/ holds (they import pandas).
    points : set of str, optional
        Check only these point ids (the ones about to execute).

    Returns
    -------
    problems : list of str
        Each names the manifest, the entry, the sweep and the parameter; empty when the grid is sound.
    refused : dict
        Point id -> the reason it cannot run (the joint constraint's message).
    """
    from helpers.parameters import ParameterError, check, read_spec
    from nbreport.manifest import display

    where = f"{display(manifest.file, manifest.root)}: {entry.label()}, sweep {sweep.id!r}"
    try:
        spec = read_spec(manifest.notebook_file(entry))
    except (ParameterError, SyntaxError, ValueError, OSError) as exc:
        return [f"{where}: cannot read the notebook's parameters cell: {exc}"], {}
    for part, names in (("grid", sweep.grid), ("parameters", sweep.parameters)):
        unknown = [n for n in names if n not in spec.params]
        if unknown:  # the same words (and did-you-mean) as a run's unknown parameter
            try:
                check(spec, {unknown[0]: None}, where=f"{where}, {part}")
            except ParameterError as exc:
                return [str(exc)], {}
    # each value alone: the cell's types, choices and ranges, without the rules that join parameters
    loose = dataclasses.replace(spec, requires=[], params={n: dataclasses.replace(p, after=None)
                                                           for n, p in spec.params.items()})
    problems: list[str] = []
    for name, values in sweep.grid.items():
        for value in values:
            try:
                check(loose, {**sweep.parameters, name: value}, where=f"{where}, grid {name!r}", data=False)
            except ParameterError as exc:
                problems.append(str(exc))
    if problems:
        return problems, {}
    refused: dict[str, str] = {}
    for run in sweep.points:
        if points is not None and run.id not in points:
            continue
        try:
            check(spec, run.parameters, where="", data=data)
        except ParameterError as exc:
            refused[run.id] = str(exc).removeprefix(": ")
    return [], refused
