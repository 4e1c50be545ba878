"""Charts, drawn with matplotlib and seaborn in one house style.

``theme``         palette, figure size, axes helpers and ``show`` (imported as ``helpers.charts``)
``figures``       the shared article charts: quotas, batches, notice timing, monthly exports
                  (imported as ``helpers.figures``)
``model_charts``  the model notebooks' charts (re-exported by ``helpers.models``)
"""
