"""How the report builder executes notebooks: worker processes, kernels, and what a run's outcome is.

Everything in this sub-package is an execution input: the fingerprint of every run hashes it, so
a change here executes every notebook again (nbreport.fingerprint).
"""
