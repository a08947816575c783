"""Operator test cases for the nn engine, checked against NumPy.

Usage: gen_op_cases.py OUTDIR

Writes ops.manifest (see nncase.py) with three groups of cases:

1. The ONNX project's own node conformance tests (onnx.backend.test.case),
   for every operator the engine implements.  Their expected outputs come
   from the ONNX reference code.  Inputs after the first are frozen into
   initializers (the engine wants weights and shapes constant).  Cases
   using features the engine does not support must be rejected with the
   status and message listed in REJECTED.
2. Our own small graphs exercising the code paths of the engine
   (depthwise / 1x1 / im2col convolution, tiling, fusion, folding,
   broadcasting, buffer sharing), with references from npref.py or plain
   NumPy, evaluated in float64.
3. Valid ONNX models using unsupported features, which must be rejected
   with a clear message.
"""

import importlib
import sys

from nncase import CaseWriter, need_modules

MANIFEST = "ops.manifest"
TOL = 1e-5

# ONNX conformance modules of the operators the engine implements
CONFORMANCE_MODULES = [
    "add", "batchnorm", "clip", "concat", "constant", "conv", "flatten",
    "gemm", "globalaveragepool", "matmul", "maxpool", "mul", "prelu", "relu",
    "reshape", "resize", "sigmoid", "transpose",
]

# Conformance cases the engine must reject: name -> (status, substring)
REJECTED = {
    "test_add_uint8": ("BX_EUNSUPPORTED", "UINT8"),
    "test_mul_uint8": ("BX_EUNSUPPORTED", "UINT8"),
    "test_maxpool_2d_uint8": ("BX_EUNSUPPORTED", "UINT8"),
    "test_clip_default_int8_min": ("BX_EUNSUPPORTED", "INT8"),
    "test_clip_default_int8_max": ("BX_EUNSUPPORTED", "INT8"),
    "test_clip_default_int8_inbounds": ("BX_EUNSUPPORTED", "INT8"),
    "test_conv_with_autopad_same": ("BX_EUNSUPPORTED", "auto_pad 'SAME_LOWER'"),
    "test_maxpool_2d_precomputed_same_upper": ("BX_EUNSUPPORTED", "auto_pad 'SAME_UPPER'"),
    "test_maxpool_2d_same_upper": ("BX_EUNSUPPORTED", "auto_pad 'SAME_UPPER'"),
    "test_maxpool_2d_same_lower": ("BX_EUNSUPPORTED", "auto_pad 'SAME_LOWER'"),
    "test_maxpool_with_argmax_2d_precomputed_pads": ("BX_EUNSUPPORTED", "Indices"),
    "test_maxpool_with_argmax_2d_precomputed_strides": ("BX_EUNSUPPORTED", "Indices"),
    "test_maxpool_1d_default": ("BX_EUNSUPPORTED", "only 2-D"),
    "test_maxpool_3d_default": ("BX_EUNSUPPORTED", "only 2-D"),
    "test_maxpool_2d_ceil": ("BX_EUNSUPPORTED", "ceil_mode=1"),
    "test_reshape_allowzero_reordered": ("BX_EUNSUPPORTED", "must be at least 1"),
    "test_batchnorm_example_training_mode": ("BX_EUNSUPPORTED", "training_mode=1"),
    "test_batchnorm_epsilon_training_mode": ("BX_EUNSUPPORTED", "training_mode=1"),
    "test_resize_tf_crop_and_resize": ("BX_EUNSUPPORTED", "not supported"),
}
for _n in ("upsample_scales_linear", "upsample_scales_linear_align_corners",
           "downsample_scales_linear", "downsample_scales_linear_align_corners",
           "downsample_sizes_linear_pytorch_half_pixel"):
    REJECTED["test_resize_" + _n] = ("BX_EUNSUPPORTED", "mode 'linear' is not supported")
for _n in ("upsample_scales_cubic", "upsample_scales_cubic_align_corners",
           "downsample_scales_cubic", "downsample_scales_cubic_align_corners",
           "upsample_sizes_cubic", "downsample_sizes_cubic",
           "upsample_scales_cubic_A_n0p5_exclude_outside",
           "downsample_scales_cubic_A_n0p5_exclude_outside",
           "upsample_scales_cubic_asymmetric"):
    REJECTED["test_resize_" + _n] = ("BX_EUNSUPPORTED", "mode 'cubic' is not supported")


def freeze(model, inputs):
    """Turn every graph input but the first into an initializer."""
    from onnx import numpy_helper
    g = model.graph
    ops = {n.op_type for n in g.node}
    if ops == {"GlobalAveragePool"} and model.opset_import[0].version < 7:
        # GlobalAveragePool-1 is still current; the engine starts at opset 7
        model.opset_import[0].version = 7
    keep = list(g.input[:1])
    for vi, arr in zip(g.input[1:], inputs[1:]):
        g.initializer.append(numpy_helper.from_array(arr, vi.name))
    del g.input[:]
    g.input.extend(keep)
    return model


def conformance(w):
    import onnx.backend.test.case.node as node_cases
    for m in CONFORMANCE_MODULES:
        importlib.import_module("onnx.backend.test.case.node." + m)
    seen = set()
    nrejected = 0
    for case in node_cases._NodeTestCases:
        if case.name in seen:
            continue
        seen.add(case.name)
        inputs, outputs = case.data_sets[0]
        model = freeze(case.model, inputs)
        if case.name in REJECTED:
            status, sub = REJECTED[case.name]
            w.error(case.name, model, status, sub)
            nrejected += 1
        else:
            w.ok(case.name, model, inputs[:1], outputs, TOL)
    # every expected rejection must exist, or the table is stale
    missing = set(REJECTED) - seen
    if missing:
        raise SystemExit("REJECTED lists unknown cases: %s" % sorted(missing))


class Own:
    """Builders of our own test graphs."""

    def __init__(self, w):
        import numpy as np
        self.w = w
        self.np = np
        self.rng = np.random.default_rng(1234)

    def rand(self, *shape, lo=-1.0, hi=1.0):
        return self.rng.uniform(lo, hi, shape).astype(self.np.float32)

    def model(self, nodes, inputs, outputs, inits=None, opset=13):
        """inputs: [(name, array)], outputs: [(name, reference array)]."""
        import onnx
        from onnx import TensorProto, helper, numpy_helper
        vi = lambda n, a: helper.make_tensor_value_info(n, TensorProto.FLOAT, list(a.shape))
        graph = helper.make_graph(
            nodes, "g", [vi(n, a) for n, a in inputs], [vi(n, a) for n, a in outputs],
            initializer=[numpy_helper.from_array(v, k) for k, v in (inits or {}).items()])
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 7
        onnx.checker.check_model(m, full_check=True)
        return m

    def case(self, name, nodes, inputs, outputs, inits=None, opset=13, tol=TOL):
        m = self.model(nodes, inputs, outputs, inits, opset)
        self.w.ok(name, m, [a for _, a in inputs], [a for _, a in outputs], tol)

    def reject(self, name, nodes, inputs, outputs, status, sub, inits=None, opset=13, check=True):
        import onnx
        from onnx import TensorProto, helper, numpy_helper
        vi = lambda n, s: helper.make_tensor_value_info(n, TensorProto.FLOAT, s)
        graph = helper.make_graph(
            nodes, "g", [i if not isinstance(i, tuple) else vi(*i) for i in inputs],
            [vi(n, s) for n, s in outputs],
            initializer=[numpy_helper.from_array(v, k) for k, v in (inits or {}).items()])
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 7
        if check:
            onnx.checker.check_model(m)
        self.w.error(name, m, status, sub)


def conv_cases(o):
    import npref
    from onnx import helper
    np = o.np

    def conv(name, xs, ws, group=1, pads=(0, 0, 0, 0), strides=(1, 1),
             dil=(1, 1), bias=True, act=None):
        x = o.rand(*xs, lo=-2, hi=2)
        wt = o.rand(*ws)
        b = o.rand(ws[0]) if bias else None
        inits = {"w": wt}
        ins = ["x", "w"]
        if bias:
            inits["b"] = b
            ins.append("b")
        nodes = [helper.make_node("Conv", ins, ["c" if act else "y"], group=group,
                                  pads=list(pads), strides=list(strides),
                                  dilations=list(dil), kernel_shape=list(ws[2:]))]
        y = npref.conv(x, wt, b, group, pads, strides, dil)
        if act == "relu":
            nodes.append(helper.make_node("Relu", ["c"], ["y"]))
            y = np.maximum(y, 0)
        elif act == "clip6":
            inits["lo"] = np.array(0.0, np.float32)
            inits["hi"] = np.array(6.0, np.float32)
            nodes.append(helper.make_node("Clip", ["c", "lo", "hi"], ["y"]))
            y = np.clip(y, 0, 6)
        o.case(name, nodes, [("x", x)], [("y", y)], inits)

    # depthwise paths
    conv("conv_dw3x3_s1_p1", (1, 8, 13, 17), (8, 1, 3, 3), group=8, pads=(1, 1, 1, 1))
    conv("conv_dw3x3_s1_p1_wide", (1, 3, 6, 45), (3, 1, 3, 3), group=3, pads=(1, 1, 1, 1), act="relu")
    conv("conv_dw3x3_s2_p1", (1, 6, 15, 12), (6, 1, 3, 3), group=6, pads=(1, 1, 1, 1), strides=(2, 2))
    conv("conv_dw3x3_asym_pads", (1, 4, 9, 20), (4, 1, 3, 3), group=4, pads=(0, 1, 2, 2))
    conv("conv_dw3x3_dil2", (1, 4, 12, 25), (4, 1, 3, 3), group=4, pads=(2, 2, 2, 2), dil=(2, 2))
    conv("conv_dw3x3_no_pad", (1, 2, 10, 19), (2, 1, 3, 3), group=2, bias=False)
    conv("conv_dw3x3_narrow", (1, 3, 5, 4), (3, 1, 3, 3), group=3, pads=(1, 1, 1, 1))
    conv("conv_dw5x5_p2", (1, 3, 21, 30), (3, 1, 5, 5), group=3, pads=(2, 2, 2, 2))
    conv("conv_dw5x5_s2_p2", (1, 3, 21, 30), (3, 1, 5, 5), group=3, pads=(2, 1, 2, 3), strides=(2, 3))
    conv("conv_dw7x7_valid", (1, 16, 7, 7), (16, 1, 7, 7), group=16)
    conv("conv_dw3x3_clip6", (1, 8, 11, 19), (8, 1, 3, 3), group=8, pads=(1, 1, 1, 1), act="clip6")
    conv("conv_dw_pads_beyond_kernel", (1, 2, 6, 9), (2, 1, 3, 3), group=2, pads=(3, 4, 3, 4))
    # grouped / multiplier (im2col per group)
    conv("conv_dw_multiplier2", (1, 4, 10, 11), (8, 1, 3, 3), group=4, pads=(1, 1, 1, 1))
    conv("conv_group2", (1, 4, 9, 10), (6, 2, 3, 3), group=2, pads=(1, 1, 1, 1))
    # 1x1 (direct sgemm)
    conv("conv_1x1_bias", (1, 5, 9, 11), (7, 5, 1, 1))
    conv("conv_1x1_clip6", (1, 16, 14, 14), (24, 16, 1, 1), act="clip6")
    conv("conv_1x1_group4", (1, 8, 6, 7), (12, 2, 1, 1), group=4)
    conv("conv_1x1_tiles", (1, 16, 200, 201), (8, 16, 1, 1), act="relu")
    # im2col
    conv("conv_1x1_s2", (1, 5, 9, 11), (7, 5, 1, 1), strides=(2, 2))
    conv("conv_1x1_padded", (1, 3, 4, 5), (2, 3, 1, 1), pads=(1, 0, 0, 2))
    conv("conv_3x3_s2_p1", (1, 3, 33, 31), (16, 3, 3, 3), pads=(1, 1, 1, 1), strides=(2, 2), act="relu")
    conv("conv_3x3_tiles", (1, 64, 40, 48), (32, 64, 3, 3), pads=(1, 1, 1, 1))
    conv("conv_3x3_dil_pads", (1, 3, 12, 14), (4, 3, 3, 3), pads=(2, 1, 2, 1), dil=(2, 1))
    conv("conv_2x2_s2_odd", (1, 3, 9, 7), (5, 3, 2, 2), strides=(2, 2))
    conv("conv_5x3_s3x1", (1, 2, 17, 9), (3, 2, 5, 3), pads=(1, 2, 0, 1), strides=(3, 1))
    conv("conv_batch2_nobias", (2, 3, 8, 9), (5, 3, 3, 3), pads=(1, 1, 1, 1), bias=False)
    conv("conv_dw_batch2", (2, 4, 8, 19), (4, 1, 3, 3), group=4, pads=(1, 1, 1, 1))

    # a Conv on constants is not folded at load time but run (interruptibly)
    k = o.rand(1, 3, 6, 7)
    kw = o.rand(2, 3, 3, 3)
    x = o.rand(1, 2, 4, 5)
    o.case("conv_all_constant_inputs",
           [helper.make_node("Conv", ["k", "kw"], ["c"]),
            helper.make_node("Add", ["x", "c"], ["y"])],
           [("x", x)], [("y", x + npref.conv(k, kw))], {"k": k, "kw": kw})

    # a Conv output that is also a graph output is not fused
    x = o.rand(1, 3, 8, 10)
    wt = o.rand(4, 3, 3, 3)
    c = npref.conv(x, wt, None, 1, (1, 1, 1, 1))
    o.case("conv_no_fusion_output",
           [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
            helper.make_node("Relu", ["c"], ["y"])],
           [("x", x)], [("c", c), ("y", np.maximum(c, 0))], {"w": wt})
    # a Conv output read by two nodes is not fused either
    o.case("conv_no_fusion_two_uses",
           [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
            helper.make_node("Relu", ["c"], ["r"]),
            helper.make_node("Add", ["r", "c"], ["y"])],
           [("x", x)], [("y", np.maximum(c, 0) + c)], {"w": wt})


def pool_cases(o):
    import npref
    from onnx import helper

    def pool(name, xs, k, strides=(1, 1), pads=(0, 0, 0, 0), dil=(1, 1)):
        x = o.rand(*xs, lo=-3, hi=3)
        y = npref.maxpool(x, k, strides, pads, dil)
        o.case(name, [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=list(k),
                                       strides=list(strides), pads=list(pads),
                                       dilations=list(dil))],
               [("x", x)], [("y", y)])

    pool("maxpool_2x2_s2", (1, 3, 10, 14), (2, 2), (2, 2))
    pool("maxpool_2x2_s2_odd", (1, 2, 9, 11), (2, 2), (2, 2))
    pool("maxpool_3x3_s2_p1", (1, 2, 11, 13), (3, 3), (2, 2), (1, 1, 1, 1))
    pool("maxpool_3x3_s1_dil2", (1, 1, 10, 10), (3, 3), (1, 1), (0, 0, 0, 0), (2, 2))
    pool("maxpool_2x3_asym", (2, 2, 7, 9), (2, 3), (1, 2), (1, 0, 0, 2))

    x = o.rand(1, 8, 5, 6)
    o.case("globalaveragepool", [helper.make_node("GlobalAveragePool", ["x"], ["y"])],
           [("x", x)], [("y", x.astype("f8").mean(axis=(2, 3), keepdims=True))])


def elementwise_cases(o):
    from onnx import helper
    np = o.np

    x = o.rand(2, 3, 4, 5, lo=-3, hi=3)
    o.case("clip_opset10_attrs", [helper.make_node("Clip", ["x"], ["y"], min=-0.5, max=0.7)],
           [("x", x)], [("y", np.clip(x, -0.5, 0.7))], opset=10)
    o.case("clip_opset10_default", [helper.make_node("Clip", ["x"], ["y"])],
           [("x", x)], [("y", x)], opset=10)
    o.case("clip_opset13_max_only", [helper.make_node("Clip", ["x", "", "hi"], ["y"])],
           [("x", x)], [("y", np.minimum(x, 1.25))], {"hi": np.array(1.25, np.float32)})
    lo = np.array(-1.0, np.float32)
    hi = np.array(0.5, np.float32)
    o.case("clip_runtime_bounds", [helper.make_node("Clip", ["x", "lo", "hi"], ["y"])],
           [("x", x), ("lo", lo), ("hi", hi)], [("y", np.clip(x, lo, hi))])
    o.case("relu", [helper.make_node("Relu", ["x"], ["y"])], [("x", x)], [("y", np.maximum(x, 0))])
    xs = o.rand(3, 37, lo=-40, hi=40)
    o.case("sigmoid_wide_range", [helper.make_node("Sigmoid", ["x"], ["y"])],
           [("x", xs)], [("y", 1 / (1 + np.exp(-xs.astype("f8"))))])

    def binary(name, op, sa, sb, runtime_b=False):
        a = o.rand(*sa)
        b = o.rand(*sb)
        ref = {"Add": np.add, "Mul": np.multiply}[op](a.astype("f8"), b)
        if runtime_b:
            o.case(name, [helper.make_node(op, ["a", "b"], ["y"])],
                   [("a", a), ("b", b)], [("y", ref)])
        else:
            o.case(name, [helper.make_node(op, ["a", "b"], ["y"])],
                   [("a", a)], [("y", ref)], {"b": b})

    binary("add_same_shape", "Add", (1, 7, 13, 11), (1, 7, 13, 11), runtime_b=True)
    binary("add_channel_bcast", "Add", (1, 3, 4, 5), (3, 1, 1))
    binary("add_both_bcast", "Add", (2, 3, 1), (1, 4), runtime_b=True)
    binary("add_rank_bcast", "Add", (4, 1, 6), (2, 1, 5, 1), runtime_b=True)
    binary("mul_scalar", "Mul", (2, 3, 17), ())
    binary("mul_middle_bcast", "Mul", (2, 1, 4, 5), (2, 3, 1, 5), runtime_b=True)
    binary("mul_row_bcast", "Mul", (3, 4, 19), (19,))

    x = o.rand(1, 3, 4, 5)
    slope = o.rand(3, 1, 1, lo=0, hi=0.5)
    o.case("prelu_channel", [helper.make_node("PRelu", ["x", "s"], ["y"])],
           [("x", x)], [("y", np.where(x < 0, x * slope.astype("f8"), x))], {"s": slope})
    slope = o.rand(5)
    o.case("prelu_last_axis", [helper.make_node("PRelu", ["x", "s"], ["y"])],
           [("x", x)], [("y", np.where(x < 0, x * slope.astype("f8"), x))], {"s": slope})

    x = o.rand(2, 3, 4, 5, lo=-2, hi=2)
    sc, b, mean = o.rand(3), o.rand(3), o.rand(3)
    var = o.rand(3, lo=0.1, hi=2)
    ref = ((x - mean[:, None, None].astype("f8")) / np.sqrt(var[:, None, None].astype("f8") + 1e-3)
           * sc[:, None, None] + b[:, None, None])
    o.case("batchnorm_4d", [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"],
                                             epsilon=1e-3)],
           [("x", x)], [("y", ref)], {"s": sc, "b": b, "m": mean, "v": var})


def resize_cases(o):
    """Nearest Resize; the reference is the ONNX project's interpolate_nd."""
    from onnx import helper
    from onnx.backend.test.case.node.resize import interpolate_nd, nearest_coeffs
    np = o.np

    def resize(name, xs, coord, nearest, scales=None, sizes=None, opset=13, roi_input=False):
        x = o.rand(*xs)
        inits = {}
        ins = ["x", "roi" if roi_input else ""]
        if roi_input:
            inits["roi"] = np.zeros(0, np.float32)
        if scales is not None:
            inits["scales"] = np.array(scales, np.float32)
            ins.append("scales")
        else:
            ins.append("")
            inits["sizes"] = np.array(sizes, np.int64)
            ins.append("sizes")
        y = interpolate_nd(x, lambda r: nearest_coeffs(r, mode=nearest),
                           scale_factors=None if scales is None else np.array(scales, np.float32),
                           output_size=sizes, coordinate_transformation_mode=coord)
        o.case(name, [helper.make_node("Resize", ins, ["y"], mode="nearest",
                                       coordinate_transformation_mode=coord,
                                       nearest_mode=nearest)],
               [("x", x)], [("y", y)], inits, opset=opset)

    # exactly what YuNet does
    resize("resize_yunet_asymmetric_floor", (1, 3, 5, 7), "asymmetric", "floor",
           scales=[1, 1, 2, 2], opset=11, roi_input=True)
    resize("resize_sizes_half_pixel", (1, 2, 4, 5), "half_pixel", "round_prefer_floor",
           sizes=[1, 2, 7, 9])
    resize("resize_down_asymmetric_ceil", (1, 1, 10, 9), "asymmetric", "round_prefer_ceil",
           scales=[1, 1, 0.6, 0.5])
    resize("resize_align_corners_floor", (1, 2, 4, 4), "align_corners", "floor", sizes=[1, 2, 7, 3])
    resize("resize_pytorch_half_pixel_ceil", (2, 1, 3, 5), "pytorch_half_pixel", "ceil",
           sizes=[2, 1, 1, 11])
    resize("resize_half_pixel_3x", (1, 1, 3, 4), "half_pixel", "round_prefer_ceil",
           scales=[1, 1, 3, 3])


def shape_cases(o):
    from onnx import TensorProto, helper
    np = o.np

    x = o.rand(1, 3, 4, 5)
    o.case("transpose_nchw_to_nhwc", [helper.make_node("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])],
           [("x", x)], [("y", x.transpose(0, 2, 3, 1))])
    x5 = o.rand(2, 3, 4, 5, 6)
    o.case("transpose_5d", [helper.make_node("Transpose", ["x"], ["y"], perm=[4, 2, 0, 3, 1])],
           [("x", x5)], [("y", x5.transpose(4, 2, 0, 3, 1))])

    x = o.rand(2, 3, 4)
    o.case("reshape_zero_and_minus_one", [helper.make_node("Reshape", ["x", "s"], ["y"])],
           [("x", x)], [("y", x.reshape(2, 6, 2))], {"s": np.array([0, -1, 2], np.int64)})
    x = o.rand(2, 3, 4, 5)
    o.case("flatten_axis2", [helper.make_node("Flatten", ["x"], ["y"], axis=2)],
           [("x", x)], [("y", x.reshape(6, 20))])
    o.case("flatten_axis0", [helper.make_node("Flatten", ["x"], ["y"], axis=0)],
           [("x", x)], [("y", x.reshape(1, 120))])

    a, b, c = o.rand(1, 2, 3, 4), o.rand(1, 3, 3, 4), o.rand(1, 1, 3, 4)
    o.case("concat_axis1_runtime", [helper.make_node("Concat", ["a", "b", "c"], ["y"], axis=1)],
           [("a", a), ("b", b), ("c", c)], [("y", np.concatenate([a, b, c], axis=1))])
    k = o.rand(1, 2, 3, 7)
    o.case("concat_axis_minus1_const", [helper.make_node("Concat", ["a", "k"], ["y"], axis=-1)],
           [("a", a)], [("y", np.concatenate([a, k], axis=-1))], {"k": k})

    # a shape computed by constant folding: Concat of two int64 Constants
    x = o.rand(1, 6, 2, 5)
    o.case("fold_shape_subgraph",
           [helper.make_node("Constant", [], ["s1"], value=helper.make_tensor("v", TensorProto.INT64, [1], [1])),
            helper.make_node("Constant", [], ["s2"], value_ints=[-1, 10]),
            helper.make_node("Concat", ["s1", "s2"], ["s"], axis=0),
            helper.make_node("Reshape", ["x", "s"], ["y"])],
           [("x", x)], [("y", x.reshape(1, 6, 10))])
    # float constants folded before reaching the run-time graph
    k1, k2 = o.rand(1, 6, 1, 1), o.rand(6, 1, 1)
    o.case("fold_float_constants",
           [helper.make_node("Mul", ["k1", "k2"], ["k"]),
            helper.make_node("Constant", [], ["one"], value_float=1.5),
            helper.make_node("Add", ["k", "one"], ["k3"]),
            helper.make_node("Mul", ["x", "k3"], ["y"])],
           [("x", x)], [("y", x * (k1.astype("f8") * k2 + 1.5))], {"k1": k1, "k2": k2})
    o.case("constant_value_floats",
           [helper.make_node("Constant", [], ["k"], value_floats=[0.5, -2.0, 3.0, 1.0, 0.0]),
            helper.make_node("Add", ["x", "k"], ["y"])],
           [("x", x)], [("y", x + np.array([0.5, -2.0, 3.0, 1.0, 0.0]))])


def matmul_cases(o):
    from onnx import helper
    np = o.np

    x, wt, c = o.rand(2, 10), o.rand(4, 10), o.rand(4)
    o.case("gemm_fc_transB", [helper.make_node("Gemm", ["x", "w", "c"], ["y"], transB=1, alpha=0.5, beta=2.0)],
           [("x", x)], [("y", 0.5 * x.astype("f8") @ wt.T + 2.0 * c)], {"w": wt, "c": c})
    a, b = o.rand(6, 3), o.rand(4, 6)
    c = o.rand(3, 1)
    o.case("gemm_transA_transB_colbias", [helper.make_node("Gemm", ["a", "b", "c"], ["y"], transA=1, transB=1)],
           [("a", a)], [("y", a.T.astype("f8") @ b.T + c)], {"b": b, "c": c})
    x = o.rand(1, 8, 5, 6)
    wt, c = o.rand(3, 8), o.rand(3)
    o.case("gap_flatten_gemm",
           [helper.make_node("GlobalAveragePool", ["x"], ["p"]),
            helper.make_node("Flatten", ["p"], ["f"]),
            helper.make_node("Gemm", ["f", "w", "c"], ["y"], transB=1)],
           [("x", x)], [("y", x.astype("f8").mean(axis=(2, 3)) @ wt.T + c)], {"w": wt, "c": c})

    def matmul(name, sa, sb):
        a, b = o.rand(*sa), o.rand(*sb)
        o.case(name, [helper.make_node("MatMul", ["a", "b"], ["y"])],
               [("a", a)], [("y", np.matmul(a.astype("f8"), b))], {"b": b})

    matmul("matmul_3d_2d", (2, 3, 4), (4, 5))
    matmul("matmul_1d_2d", (4,), (4, 3))
    matmul("matmul_2d_1d", (3, 4), (4,))
    matmul("matmul_bcast_batch", (2, 1, 3, 4), (3, 4, 5))


def graph_cases(o):
    """Graphs that stress planning: skip connections, several outputs,
    dead branches."""
    import npref
    from onnx import helper
    np = o.np

    x = o.rand(1, 4, 12, 20, lo=-2, hi=2)
    w1, b1 = o.rand(8, 4, 1, 1), o.rand(8)
    w2, b2 = o.rand(8, 1, 3, 3), o.rand(8)
    w3, b3 = o.rand(8, 8, 1, 1), o.rand(8)
    h1 = np.maximum(npref.conv(x, w1, b1), 0)
    h2 = np.maximum(npref.conv(h1, w2, b2, 8, (1, 1, 1, 1)), 0)
    h3 = npref.conv(h2, w3, b3)
    s = h3 + h1
    p = npref.maxpool(s, (2, 2), (2, 2))
    q = np.transpose(p, (0, 2, 3, 1)).reshape(1, -1, 8)
    o.case("graph_skip_connection",
           [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"]),
            helper.make_node("Relu", ["c1"], ["h1"]),
            helper.make_node("Conv", ["h1", "w2", "b2"], ["c2"], group=8, pads=[1, 1, 1, 1]),
            helper.make_node("Relu", ["c2"], ["h2"]),
            helper.make_node("Sigmoid", ["h2"], ["unused"]),      # dead branch
            helper.make_node("Conv", ["h2", "w3", "b3"], ["h3"]),
            helper.make_node("Add", ["h3", "h1"], ["s"]),
            helper.make_node("MaxPool", ["s"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
            helper.make_node("Transpose", ["p"], ["t"], perm=[0, 2, 3, 1]),
            helper.make_node("Reshape", ["t", "shape"], ["q"]),
            helper.make_node("Sigmoid", ["q"], ["y"])],
           [("x", x)], [("y", npref.sigmoid(q)), ("s", s), ("h1", h1)],
           {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "w3": w3, "b3": b3,
            "shape": np.array([1, -1, 8], np.int64)})


def reject_cases(o):
    from onnx import TensorProto, helper
    np = o.np
    wt = o.rand(2, 3, 3, 3)
    x = ("x", [1, 3, 8, 8])

    o.reject("reject_conv_auto_pad_same_upper",
             [helper.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER")],
             [x], [("y", [1, 2, 8, 8])], "BX_EUNSUPPORTED", "auto_pad 'SAME_UPPER' is not supported",
             {"w": wt})
    o.reject("reject_resize_linear",
             [helper.make_node("Resize", ["x", "", "s"], ["y"], mode="linear")],
             [x], [("y", [1, 3, 16, 16])], "BX_EUNSUPPORTED", "mode 'linear' is not supported",
             {"s": np.array([1, 1, 2, 2], np.float32)})
    o.reject("reject_resize_tf_crop_and_resize",
             [helper.make_node("Resize", ["x", "", "s"], ["y"], coordinate_transformation_mode="tf_crop_and_resize")],
             [x], [("y", [1, 3, 16, 16])], "BX_EUNSUPPORTED", "coordinate_transformation_mode 'tf_crop_and_resize'",
             {"s": np.array([1, 1, 2, 2], np.float32)})
    o.reject("reject_unknown_operator",
             [helper.make_node("Softmax", ["x"], ["y"])],
             [x], [("y", [1, 3, 8, 8])], "BX_EUNSUPPORTED", "operator 'Softmax'")
    o.reject("reject_custom_domain",
             [helper.make_node("FusedConv", ["x", "w"], ["y"], domain="com.microsoft")],
             [x], [("y", [1, 2, 6, 6])], "BX_EUNSUPPORTED", "operator 'com.microsoft:FusedConv'",
             {"w": wt}, check=False)
    o.reject("reject_symbolic_height",
             [helper.make_node("Relu", ["x"], ["y"])],
             [("x", [1, 3, "height", 8])], [("y", [1, 3, "height", 8])],
             "BX_EUNSUPPORTED", "dimension 2 is symbolic ('height')")
    o.reject("reject_int64_input",
             [helper.make_node("Reshape", ["x", "s"], ["y"])],
             [x, helper.make_tensor_value_info("s", TensorProto.INT64, [2])], [("y", [3, 64])],
             "BX_EUNSUPPORTED", "graph input 's' has type INT64")
    o.reject("reject_conv_1d",
             [helper.make_node("Conv", ["x", "w"], ["y"])],
             [("x", [1, 3, 8])], [("y", [1, 2, 6])], "BX_EUNSUPPORTED", "only 2-D convolution",
             {"w": o.rand(2, 3, 3)})
    o.reject("reject_maxpool_ceil",
             [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)],
             [x], [("y", [1, 3, 4, 4])], "BX_EUNSUPPORTED", "ceil_mode=1 is not supported")
    o.reject("reject_declared_shape_mismatch",
             [helper.make_node("Relu", ["x"], ["y"])],
             [x], [("y", [1, 3, 8, 9])], "BX_EFORMAT", "declared with shape [1, 3, 8, 9] but inferred as [1, 3, 8, 8]",
             check=False)
    o.reject("reject_conv_channel_mismatch",
             [helper.make_node("Conv", ["x", "w"], ["y"])],
             [x], [("y", [1, 2, 6, 6])], "BX_EFORMAT", "weights have 4 input channels, expected 3",
             {"w": o.rand(2, 4, 3, 3)}, check=False)
    o.reject("reject_unknown_attribute",
             [helper.make_node("Relu", ["x"], ["y"], alpha=0.1)],
             [x], [("y", [1, 3, 8, 8])], "BX_EUNSUPPORTED", "attribute 'alpha' is not supported",
             check=False)
    o.reject("reject_not_topological",
             [helper.make_node("Relu", ["h"], ["y"]), helper.make_node("Relu", ["x"], ["h"])],
             [x], [("y", [1, 3, 8, 8])], "BX_EFORMAT", "input 'h' is not defined", check=False)
    o.reject("reject_reshape_bad_count",
             [helper.make_node("Reshape", ["x", "s"], ["y"])],
             [x], [("y", [5, 38])], "BX_EFORMAT", "cannot infer -1",
             {"s": np.array([5, -1], np.int64)}, check=False)
    o.reject("reject_double_output",
             [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Sigmoid", ["x"], ["y"])],
             [x], [("y", [1, 3, 8, 8])], "BX_EFORMAT", "value 'y' is defined more than once", check=False)
    o.reject("reject_missing_output",
             [helper.make_node("Relu", ["x"], ["y"])],
             [x], [("z", [1, 3, 8, 8])], "BX_EFORMAT", "graph output 'z' is not produced", check=False)
    o.reject("reject_opset_too_old",
             [helper.make_node("Relu", ["x"], ["y"])],
             [x], [("y", [1, 3, 8, 8])], "BX_EUNSUPPORTED", "opset version 6", opset=6, check=False)
    o.reject("reject_double_input",
             [helper.make_node("Add", ["x", "x"], ["y"])],
             [x, x], [("y", [1, 3, 8, 8])], "BX_EFORMAT", "value 'x' is defined more than once", check=False)


def main():
    outdir = sys.argv[1]
    need_modules(outdir, MANIFEST, "operators_vs_numpy", ["numpy", "onnx"])
    w = CaseWriter(outdir, MANIFEST)
    conformance(w)
    o = Own(w)
    conv_cases(o)
    pool_cases(o)
    elementwise_cases(o)
    resize_cases(o)
    shape_cases(o)
    matmul_cases(o)
    graph_cases(o)
    reject_cases(o)
    w.close()


if __name__ == "__main__":
    main()
