"""Charts: the house theme (``theme``, imported as ``helpers.charts``) and the shared
article charts (``figures``, imported as ``helpers.figures``)."""
