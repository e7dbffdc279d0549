"""Architecture 5: the model embedded in the client app (the lecture's mobile-app case).

The app is a static bundle that carries one model version (model.json, evaluated in JavaScript)
and prices houses in the user's browser with no request per prediction; a small static server
hands out the current release. A model update is a new release: open apps keep their model until
they reload. See README.md beside this file for the measurements.
"""
