"""1-D convolutions run as 2-D ones: the same outputs, attribute by attribute."""

import numpy as np
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

from activities.backends.onnx_conv2d import as_conv2d

RNG = np.random.default_rng(7)


def _model(opset: int = 17) -> bytes:
    """x (1, 4, 37) -> Conv (stride 2, dilation 3, pads, 2 groups, bias) -> LeakyRelu ->
    ConvTranspose (stride 4, output_padding 1, pads) -> Conv with auto_pad SAME_UPPER."""
    def weight(name: str, *shape: int) -> TensorProto:
        return numpy_helper.from_array(RNG.standard_normal(shape).astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["h1"], name="conv", kernel_shape=[5],
                         strides=[2], dilations=[3], pads=[4, 2], group=2),
        helper.make_node("LeakyRelu", ["h1"], ["h2"], alpha=0.1),
        helper.make_node("ConvTranspose", ["h2", "w2"], ["h3"], name="up", kernel_shape=[8],
                         strides=[4], pads=[2, 1], output_padding=[1]),
        helper.make_node("Conv", ["h3", "w3"], ["y"], name="same", kernel_shape=[4],
                         auto_pad="SAME_UPPER"),
    ]
    graph = helper.make_graph(
        nodes, "convs",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 37])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [weight("w1", 6, 2, 5), weight("b1", 6), weight("w2", 6, 3, 8), weight("w3", 2, 3, 4)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


def _run(model: bytes, x: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def test_every_1d_convolution_becomes_2d_with_the_same_output() -> None:
    model = _model()
    x = RNG.standard_normal((1, 4, 37)).astype(np.float32)
    wide, rewritten = as_conv2d(model)
    assert rewritten == 3
    before, after = _run(model, x), _run(wide, x)
    assert after.shape == before.shape
    np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-5)


def test_a_model_whose_squeeze_takes_axes_as_an_attribute_is_left_as_it_is() -> None:
    model = _model(opset=12)
    assert as_conv2d(model) == (model, 0)


def test_a_2d_convolution_keeps_its_node() -> None:
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3])], "2-D",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.ones((4, 2, 3, 3), np.float32), "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    assert as_conv2d(model)[1] == 0
