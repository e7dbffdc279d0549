"""Figures display as PNG images in a notebook whatever ran before.

The helpers build `matplotlib.figure.Figure`s without pyplot (no global state), and IPython only
knows how to render one once pyplot's inline backend has been set up (an ipywidgets `interact`
does that as a side effect): before, a figure shows as the text `<Figure size ...>`. Registering
the PNG formatter for `Figure` ourselves removes that dependence on cell order.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure


def figure_png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def show_figures_as_png() -> bool:
    """Register the formatter in the running IPython (False outside IPython: nothing to do)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)
    return True
