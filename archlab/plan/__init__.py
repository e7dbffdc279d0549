"""Past one machine, on paper: a capacity and model-update plan for each architecture at a traffic
a student chooses, calibrated from a comparison report's results.json (`archlab plan`).

`queueing` (M/M/c, Erlang C) -> `calibration` (costs read from the report) -> `sizing`, `fanout`,
`limits`, `check` -> `plan` (all of them per architecture) -> `tables`, `render`, `chart`, `section`.
"""
