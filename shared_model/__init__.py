"""shared_model: the one house-price model package every archlab architecture serves.

Validation (`validate_record`, `validate_batch`, `imputed_fields`, `input_fields`, `example_record`) and the
plausibility rule (`implausible`) are stdlib-only and cheap to import; training and loading pull in numpy, pandas and scikit-learn lazily.
"""

from .config import MODEL_NAME, archlab_home, signing_key
from .errors import IncompatibleModelError, IntegrityError, ModelError, ModelNotFoundError, ValidationError
from .plausibility import implausible, training_price_range
from .schema import REQUIRED_FIELDS, FieldSpec, example_record, input_fields
from .validation import BatchValidation, imputed_fields, validate_batch, validate_record

__all__ = [
    "MODEL_NAME", "archlab_home", "signing_key",
    "ModelError", "ValidationError", "IntegrityError", "IncompatibleModelError", "ModelNotFoundError",
    "FieldSpec", "REQUIRED_FIELDS", "input_fields", "example_record",
    "BatchValidation", "validate_record", "validate_batch", "imputed_fields",
    "implausible", "training_price_range",
    "ModelStore", "Model", "load_bundle", "bundle_metadata", "train_and_store",
]

_LAZY = {
    "ModelStore": ("store", "ModelStore"),
    "Model": ("model", "Model"),
    "load_bundle": ("artifacts", "load_bundle"),
    "bundle_metadata": ("artifacts", "bundle_metadata"),
    "train_and_store": ("training", "train_and_store"),
}


def __getattr__(name: str):
    """Import the heavy parts only when asked for, so the API front stays free of scikit-learn."""
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attribute)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
