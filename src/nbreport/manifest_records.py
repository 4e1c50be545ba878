"""What the manifest lists, as records: an entry (one notebook), its runs, its invalid sets, its sweep.

nbreport.manifest reads and checks notebooks/manifest.yml and builds these; the runner, the site and the
collection's extension read them. Kept apart from the reading so that each module stays short; every
name here is importable from nbreport.manifest too.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Run:
    """One parameter set of a notebook: a report page of its own.

    Parameters
    ----------
    id : str
        Unique in the manifest; names the report's files.
    parameters : dict
        Values given to the notebook (empty: its defaults).
    site : bool, default True
        False: run by the tests only, not published.
    sweep : str or None, optional
        The sweep this run is a point of (never a page of its own).
    """
    id: str
    parameters: dict
    site: bool = True
    sweep: str | None = None


@dataclass
class Sweep:
    """A grid over an entry's parameters: `points` are runs (ids derived), shown on one sensitivity page.

    Parameters
    ----------
    id, base : str
        The sweep's id (names page and points); the run the points vary, whose findings are the yardstick.
    grid, parameters : dict
        Parameter -> list of values, in manifest order; fixed overrides on top of the base run's.
    max_points : int
        The cap: a larger grid is refused before anything runs.
    points : list of Run
        One run per grid point (``site=False``).
    title, headline : str or None, optional
        The page title; the finding the page and its verdict are about (default: the record's).
    """
    id: str
    base: str
    grid: dict
    parameters: dict
    max_points: int
    points: list[Run]
    title: str | None = None
    headline: str | None = None

    def values(self, run: Run) -> tuple:
        """The grid values of one point, in grid order, to label it on the sensitivity page.

        Parameters
        ----------
        run : Run
            One of `points`.

        Returns
        -------
        tuple
            Its value of each grid parameter.
        """
        return tuple(run.parameters[name] for name in self.grid)


@dataclass(frozen=True)
class Invalid:
    """A parameter set that must be refused, with a fragment of the expected message.

    Parameters
    ----------
    parameters : dict
        The values to refuse.
    error : str
        A fragment the refusal message must contain.
    """
    parameters: dict
    error: str


@dataclass
class Entry:
    """One notebook of the manifest with its runs.

    Parameters
    ----------
    path, kind : str
        Relative to notebooks/ (POSIX separators); one of the collection's kinds (its extension's KINDS).
    runs : list of Run
        Its parameter sets.
    source_id, title : str or None, optional
        A key some kinds need (the collection's rules say which); the report's name if the collection has none.
    invalid : list of Invalid, optional
        Parameter sets that must be refused.
    index : int, default 0
        Position in the manifest, for messages.
    sweep : Sweep or None, optional
        Its grid of runs, if it declares one.
    """
    path: str                      # relative to notebooks/, POSIX separators
    kind: str
    runs: list[Run]
    source_id: str | None = None
    title: str | None = None
    invalid: list[Invalid] = field(default_factory=list)
    index: int = 0                 # position in the manifest, for messages
    sweep: Sweep | None = None

    def label(self) -> str:
        """The entry as messages name it: ``'notebooks[2] (models/x.ipynb)'``.

        Returns
        -------
        str
            Index and path.
        """
        return f"notebooks[{self.index}] ({self.path})"

    def run_label(self, run: Run) -> str:
        """One run of the entry as messages name it.

        Parameters
        ----------
        run : Run
            One of its runs.

        Returns
        -------
        str
            ``"notebooks[2] (models/x.ipynb), run 'quota-a'"``.
        """
        return f"{self.label()}, run {run.id!r}"
