"""Widgets for playing with a running system: a traffic slider, and stop/start buttons per
component. Each does what the notebook's plain cells do (`traffic_chart`, `system.stop_component`,
`system.start_component`), so playing with them teaches the same lesson."""

from __future__ import annotations

import ipywidgets as widgets

from .charts import traffic_chart
from .traffic import user_sees


def component_buttons(system, names: list[str]) -> widgets.VBox:
    """A stop and a start button per component in `names`, and what a user sees after each click."""
    output = widgets.Output()

    def act(name: str, action: str):
        def clicked(_button) -> None:
            with output:
                output.clear_output()
                getattr(system, f"{action}_component")(name)
                print(f"{action} {name} -> a user gets: {user_sees(system)}")

        return clicked

    rows = []
    for name in names:
        stop, start = widgets.Button(description=f"stop {name}"), widgets.Button(description=f"start {name}")
        stop.on_click(act(name, "stop"))
        start.on_click(act(name, "start"))
        rows.append(widgets.HBox([stop, start]))
    return widgets.VBox([*rows, output])


def traffic_slider(system, default: int = 200):
    """A slider for the number of requests and a button that runs `traffic_chart(system, n)`."""
    return widgets.interact_manual(
        lambda requests: traffic_chart(system, requests),
        requests=widgets.IntSlider(value=default, min=10, max=2000, step=10),
    )
