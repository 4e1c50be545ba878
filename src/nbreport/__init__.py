"""nbreport: run a collection of Jupyter notebooks with papermill and publish them as a static site.

The builder knows notebooks, parameter sets, kernels and pages, and nothing of what the notebooks
are about: the collection plugs in through nbreport.extension. It imports nothing from the
collection's packages (tests/nbreport/test_imports.py reads the imports to hold it to that).
Entry point: `python -m nbreport` (nbreport.cli).
"""
