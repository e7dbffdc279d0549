"""ONNX: the fitted pipeline as a language-neutral graph, run by onnxruntime without scikit-learn.

Export (at training time) converts the fitted scikit-learn pipeline itself with skl2onnx, so the
graph is derived from the same fitted object as the pickle rather than re-implemented by hand.
skl2onnx cannot convert a FunctionTransformer that has a function, and ours has two: `np.log1p`
(converted here to `Log(x + 1)`) and `category_strings` (Python's text rule for categories, which
has no ONNX equivalent: `runner` applies the same rule, `category_text`, to the inputs, so that step
is an Identity in the graph). They are passed to skl2onnx per call as custom converters and shape
calculators, leaving its global registry alone. TransformedTargetRegressor has no converter
either: the inner pipeline predicts log(price) and an `Exp` node appended to the graph turns it into
the price, as the regressor's `inverse_func` does.

ONNX computes in float32, so predictions differ from the float64 pickle in the 6th-7th digit
(see PARITY_RTOL).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ..config import NUMERIC_FEATURES
from ..pipeline import category_strings, category_text

ONNX_FILE = "model.onnx"
OPSET = 17
# float32 has a 24-bit mantissa (relative step 6e-8); a log price near 12 summed over ~40 terms
# and exponentiated measures up to about 1e-5 relative on the new houses: 1e-4 leaves room.
PARITY_RTOL = 1e-4
_FEATURES_KEY = "archlab.features"


def export(estimator, features: tuple[str, ...]) -> bytes:
    """The fitted TransformedTargetRegressor as ONNX bytes: one input per feature, output `price`."""
    import numpy as np
    from onnx import helper
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    from sklearn.preprocessing import FunctionTransformer

    def convert_function(scope, operator, container):
        function = operator.raw_operator.func
        (source,) = [variable.full_name for variable in operator.inputs]
        target = operator.outputs[0].full_name
        if function is np.log1p:
            one = scope.get_unique_variable_name("one")
            container.add_initializer(one, 1, [], [1.0])  # 1 = TensorProto.FLOAT
            shifted = scope.get_unique_variable_name("plus_one")
            container.add_node("Add", [source, one], shifted, name=scope.get_unique_operator_name("Add"))
            container.add_node("Log", shifted, target, name=scope.get_unique_operator_name("Log"))
        elif function is category_strings:
            container.add_node("Identity", source, target, name=scope.get_unique_operator_name("Identity"))
        else:
            raise ValueError(f"no ONNX converter for FunctionTransformer({function!r})")

    def same_shape(operator):
        (source,) = operator.inputs
        operator.outputs[0].type = source.type.__class__(source.type.shape)

    types = [(name, FloatTensorType([None, 1]) if name in NUMERIC_FEATURES else StringTensorType([None, 1]))
             for name in features]
    model = convert_sklearn(
        estimator.regressor_, initial_types=types, target_opset=OPSET,
        custom_conversion_functions={FunctionTransformer: convert_function},
        custom_shape_calculators={FunctionTransformer: same_shape},
    )
    graph = model.graph
    (log_price,) = graph.output
    graph.node.append(helper.make_node("Exp", [log_price.name], ["price"], name="inverse_func_exp"))
    graph.output.remove(log_price)
    graph.output.append(helper.make_tensor_value_info("price", 1, [None, 1]))
    helper.set_model_props(model, {_FEATURES_KEY: json.dumps(list(features))})
    model.doc_string = ("House price from one [N,1] input per feature, in the order of metadata "
                        f"'{_FEATURES_KEY}': numbers as float32 (NaN when missing), categories as text "
                        "('Missing' when missing, integral numbers without '.0').")
    return model.SerializeToString()


def runner(data: bytes) -> Callable[[list[dict]], list[float]]:
    """A predict function over cleaned records, needing only onnxruntime and numpy."""
    import numpy as np
    import onnxruntime

    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    features = json.loads(session.get_modelmeta().custom_metadata_map[_FEATURES_KEY])
    inputs = [(node.name, feature) for node, feature in zip(session.get_inputs(), features)]

    def predict(records: list[dict]) -> list[float]:
        if not records:
            return []
        feed = {}
        for name, feature in inputs:
            values = [record.get(feature) for record in records]
            if feature in NUMERIC_FEATURES:
                feed[name] = np.array(values, dtype=np.float32).reshape(-1, 1)  # None -> NaN
            else:
                feed[name] = np.array([category_text(v) for v in values], dtype=object).reshape(-1, 1)
        (prices,) = session.run(None, feed)
        return prices.ravel().astype(float).tolist()

    return predict
