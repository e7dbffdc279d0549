"""Architecture 1, embedded: the model is an installed dependency of the web app, called in-process.

A model version becomes a small wheel (`wheel.py`) holding one signed bundle and a loader; it is
installed offline into the app's environment (`deploy.py`); the front imports it at start-up
(`backend.py`). A new model therefore means build, install, restart (`lab/system.py`, the lab's adapter).
"""
