"""Helpers the notebooks call, so each notebook is content, not plumbing.

- `fresh_home(name)`: a temporary ARCHLAB_HOME for this kernel, removed at exit, so a notebook
  never depends on (or pollutes) the developer's `.archlab` folder.
- `ensure_models()`: train v1 and v2 into it when the store is empty.
- `start(arch)`, `track(thing)`, `stop_all()`, `running()`: every system a notebook starts is
  recorded, stopped by `stop_all()` and at kernel exit, and — through a watchdog process — even
  when the kernel is killed outright.
- `show(label, value)`, `money(price)`: output that reads well and that nbval can compare stably.
- `ask`, `user_sees`, `traffic`, `update_under_traffic` (+ `describe_*`): drive a running system
  the way `archlab compare` measures it; `traffic_chart`, `latency_histogram`, `update_timeline`,
  `answer_split`: its charts; `traffic_slider`: a widget that makes the same call;
  `component_view(system)`: a live view of a system's components (state polled, requests
  flowing, stop / start on click).
- `screenshot(url)`: the page a system serves, as chromium draws it, stored with the notebook.
- `side_by_side(arch)`: an architecture in each of its variants (the model API over each
  transport) beside each one's own floor.
- `Prediction(question, choices)`: "predict before you run", checked against the measurement
  (`restarted(report)`, `user_outcome(user_sees)` turn one into an answer).
"""

from .charts import answer_split, latency_histogram, traffic_chart, update_timeline
from .components_view import component_view
from .controls import traffic_slider
from .display import money, show
from .exercises import Prediction, restarted, user_outcome
from .figures import show_figures_as_png
from .home import ensure_models, fresh_home
from .registry import running, start, stop_all, track
from .screenshot import screenshot
from .traffic import (
    ask,
    describe_traffic,
    describe_update,
    traffic,
    update_under_traffic,
    user_sees,
)
from .variants import side_by_side

__all__ = [
    "fresh_home", "ensure_models", "start", "track", "stop_all", "running", "show", "money",
    "ask", "user_sees", "traffic", "describe_traffic", "update_under_traffic", "describe_update",
    "latency_histogram", "traffic_chart", "update_timeline", "answer_split", "component_view", "traffic_slider",
    "side_by_side", "Prediction", "restarted", "user_outcome", "screenshot",
]

show_figures_as_png()  # a figure is an image in the notebook, whichever cell ran first
