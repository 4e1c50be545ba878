"""Charts, drawn with matplotlib and seaborn in one house style.

``theme``         palette, figure size, axes helpers, and the layout's names re-exported
                  (imported as ``helpers.charts``)
``layout``        desktop and phone layouts, overlap checks
``output``        PNG with readability metadata, and ``show``
``chart_cache``   the laid-out PNGs ``show`` drew before, found by a content-addressed key
``figures``       the shared article charts: quotas, batches, notice timing, monthly exports
                  (imported as ``helpers.figures``)
``model_charts``  the model notebooks' charts (re-exported by ``helpers.models``)
"""

# The on/off setting of the chart cache ("0", or false/no/off: draw every chart afresh, store nothing),
# named here, where importing it costs nothing, so the report extension can list it (SWITCHES)
CHART_CACHE_SWITCH = "REPORT_CHART_CACHE"
