"""The plausibility rule (`shared_model.implausible`) applied to a back end's answers, in the front's
process: a model-service front judges each guard's answers with it, an embedded replica its own.

Each answer is judged against the training prices of the version that gave it, read once per
version from wherever that front finds a version's signed metadata (a model store, or the model
package it loaded).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from shared_model import ModelError, implausible

from .backend import Prediction


class Judge:
    """The plausibility rule against each answering version's training prices (read once each);
    `metadata(version)`: that version's signed metadata (ModelError when it cannot be read)."""

    def __init__(self, metadata: Callable[[str], Mapping]) -> None:
        self.metadata = metadata
        self._metadata: dict[str, Mapping] = {}

    def why(self, prediction: Prediction) -> str | None:
        """Why the answer cannot be trusted (a version the rule cannot judge included), or None."""
        version = prediction.model_version
        try:
            if version not in self._metadata:
                self._metadata[version] = self.metadata(version)
            for price in prediction.values:
                if why := implausible(price, self._metadata[version]):
                    return f"model {version}: {why}"
        except ModelError as exc:
            return f"model {version} cannot be judged: {exc}"
        return None
