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
        Each names the manifest (line and column of the name or value at fault), the entry, the sweep
        and the parameter; empty when the grid is sound.
    refused : dict
        Point id -> the reason it cannot run (the joint constraint's message).
    """
    from helpers.parameters import ParameterError, check, read_spec

    where = f"{entry.label()}, sweep {sweep.id!r}"
    at = ("notebooks", entry.index, "sweep")
    try:
        spec = read_spec(manifest.notebook_file(entry))
    except (ParameterError, SyntaxError, ValueError, OSError) as exc:
        return [f"{manifest.at('notebooks', entry.index, 'path')}: {where}: cannot read the notebook's parameters "
                f"cell: {exc}"], {}
    for part, names in (("grid", sweep.grid), ("parameters", sweep.parameters)):
        unknown = [n for n in names if n not in spec.params]
        if unknown:  # the same words (and did-you-mean) as a run's unknown parameter
            try:
                check(spec, {unknown[0]: None}, where=f"{where}, {part}")
            except ParameterError as exc:
                return [f"{manifest.at(*at, part, unknown[0], key=True)}: {exc}"], {}
    # each value alone: the cell's types, choices and ranges, without the rules that join parameters
    loose = dataclasses.replace(spec, requires=[], params={n: dataclasses.replace(p, after=None)
                                                           for n, p in spec.params.items()})
    problems: list[str] = []
    for name, values in sweep.grid.items():
        for k, value in enumerate(values):
            try:
                check(loose, {**sweep.parameters, name: value}, where=f"{where}, grid {name!r}", data=False)
            except ParameterError as exc:  # this value, or a fixed one (then placed at sweep.parameters)
                path, key = (at + ("grid", name, k), False) if name in exc.names[:1] else \
                    refused_at(exc, at, sweep.parameters, spec)
                problems.append(f"{manifest.at(*path, key=key)}: {exc}")
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


def refused_at(exc, at: tuple, given: dict, spec) -> tuple[tuple, bool]:
    """Say where in the manifest a refused parameter set is wrong, for ``Manifest.at``.

    Why: a refusal names the parameter at fault; a reader needs its line and column in the manifest.

    Parameters
    ----------
    exc : helpers.parameters.ParameterError
        The refusal; its ``names`` are the parameters at fault, the one to point at first.
    at : tuple
        The data path of the mapping that holds ``parameters`` (a run, a sweep).
    given : dict
        The values that mapping's ``parameters`` gives.
    spec : helpers.parameters.Spec
        The notebook's declaration: a name it does not take is pointed at as a key.

    Returns
    -------
    path : tuple
        The first name at fault that `given` sets (``at + ("parameters", name)``), else ``parameters``
        itself, else the mapping (a default value, or a joint rule over defaults, is at fault).
    key : bool
        True when the name, not its value, is wrong (the notebook takes no such parameter).
    """
    name = next((n for n in getattr(exc, "names", ()) if n in given), None)
    if name is None:
        return (at + ("parameters",) if given else at), False
    return at + ("parameters", name), name not in spec.params
