"""Shared code for the rare-earth research notebooks: paths, data loaders,
claim checking, plotting theme, models and the report builder."""
