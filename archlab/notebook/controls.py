"""A widget for playing with a running system's traffic: it does what the notebook's plain cell
does (`traffic_chart`), so playing with it teaches the same lesson. The stop / start buttons per
component are in the live component view (`components_view.py`)."""

from __future__ import annotations

import ipywidgets as widgets

from .charts import traffic_chart


def traffic_slider(system, default: int = 200):
    """A slider for the number of requests and a button that runs `traffic_chart(system, n)`."""
    return widgets.interact_manual(
        lambda requests: traffic_chart(system, requests),
        requests=widgets.IntSlider(value=default, min=10, max=2000, step=10),
    )
