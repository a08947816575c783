"""NumPy reference implementations of ONNX operators, for the nn tests.

Written from the ONNX operator specifications, independently of the C code,
and evaluated in float64.  evaluate() runs a whole graph made of the
operators below; it is what the MobileFaceNet reference uses.
"""

import numpy as np
from onnx import helper, numpy_helper


def conv(x, w, b=None, group=1, pads=(0, 0, 0, 0), strides=(1, 1),
         dilations=(1, 1)):
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    assert c == cg * group and m % group == 0
    pt, pl, pb, pr = pads
    sh, sw = strides
    dh, dw = dilations
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, m, oh, ow))
    mg = m // group
    for ky in range(kh):
        for kx in range(kw):
            # input pixels seen by tap (ky, kx) for every output pixel
            patch = xp[:, :, ky * dh: ky * dh + sh * (oh - 1) + 1: sh,
                       kx * dw: kx * dw + sw * (ow - 1) + 1: sw]
            if cg == 1 and mg == 1:
                out += patch * w[:, 0, ky, kx][None, :, None, None]
                continue
            for g in range(group):
                out[:, g * mg:(g + 1) * mg] += np.einsum(
                    "nchw,mc->nmhw", patch[:, g * cg:(g + 1) * cg],
                    w[g * mg:(g + 1) * mg, :, ky, kx])
    if b is not None:
        out += np.asarray(b, np.float64)[None, :, None, None]
    return out


def maxpool(x, kernel, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1)):
    x = np.asarray(x, np.float64)
    n, c, h, w = x.shape
    kh, kw = kernel
    pt, pl, pb, pr = pads
    sh, sw = strides
    dh, dw = dilations
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=-np.inf)
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (w + pl + pr - dw * (kw - 1) - 1) // sw + 1
    out = np.full((n, c, oh, ow), -np.inf)
    for ky in range(kh):
        for kx in range(kw):
            out = np.maximum(out, xp[:, :, ky * dh: ky * dh + sh * (oh - 1) + 1: sh,
                                     kx * dw: kx * dw + sw * (ow - 1) + 1: sw])
    return out


def clip(x, lo=None, hi=None):
    x = np.asarray(x, np.float64)
    if lo is not None:
        x = np.maximum(x, lo)
    if hi is not None:
        x = np.minimum(x, hi)
    return x


def reshape(x, shape, allowzero=0):
    shape = [int(s) for s in shape]
    if not allowzero:
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return np.reshape(x, shape)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, np.float64)))


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def evaluate(model, feeds):
    """Evaluate model (a ModelProto) on feeds {name: array}; returns the list
    of graph outputs.  Supports the operators MobileFaceNet and YuNet use."""
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update({k: np.asarray(v, np.float64) for k, v in feeds.items()})
    opset = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0]

    def get(name):
        return env[name] if name else None

    for node in model.graph.node:
        a = _attrs(node)
        ins = [get(i) for i in node.input]
        op = node.op_type
        if op == "Constant":
            y = numpy_helper.to_array(a["value"])
        elif op == "Conv":
            y = conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                     a.get("group", 1), a.get("pads", [0, 0, 0, 0]),
                     a.get("strides", [1, 1]), a.get("dilations", [1, 1]))
            assert a.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
        elif op == "Relu":
            y = np.maximum(ins[0], 0.0)
        elif op == "Clip":
            if opset < 11:
                y = clip(ins[0], a.get("min"), a.get("max"))
            else:
                y = clip(ins[0], ins[1] if len(ins) > 1 else None,
                         ins[2] if len(ins) > 2 else None)
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "Mul":
            y = ins[0] * ins[1]
        elif op == "Reshape":
            y = reshape(ins[0], ins[1], a.get("allowzero", 0))
        elif op == "Transpose":
            y = np.transpose(ins[0], a.get("perm"))
        elif op == "Sigmoid":
            y = sigmoid(ins[0])
        elif op == "MaxPool":
            y = maxpool(ins[0], a["kernel_shape"], a.get("strides", [1, 1]),
                        a.get("pads", [0, 0, 0, 0]), a.get("dilations", [1, 1]))
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = y
    return [env[o.name] for o in model.graph.output]
