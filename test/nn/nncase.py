"""Write test cases for the nn engine's C harness (nn_test).

A manifest is a text file of records, one field per line:

    case NAME
    model PATH
    expect ok
    tol TOLERANCE
    input PATH SHAPE
    output PATH SHAPE
    end

or "expect error STATUS SUBSTRING..." (STATUS like BX_EUNSUPPORTED), or a
single line "skip NAME REASON...".  SHAPE is "1x3x640x640", or "-" for a
scalar.  Tensors are raw little-endian float32 files.  The harness compares
each output with rel = max|got - want| / max(max|want|, 1e-6).
"""

import os
import sys


class CaseWriter:
    def __init__(self, outdir, manifest):
        self.outdir = outdir
        os.makedirs(outdir, exist_ok=True)
        self.path = os.path.join(outdir, manifest)
        self.f = open(self.path + ".tmp", "w")
        self.names = set()

    def _name(self, name):
        if name in self.names or not name.replace("_", "").replace("-", "").isalnum():
            raise ValueError("bad or duplicate case name %r" % name)
        self.names.add(name)

    def _model(self, name, model):
        if isinstance(model, str):
            return model            # a path: models are never copied
        path = os.path.join(self.outdir, name + ".onnx")
        data = model if isinstance(model, bytes) else model.SerializeToString()
        with open(path, "wb") as f:
            f.write(data)
        return path

    @staticmethod
    def _shape(a):
        return "x".join(str(d) for d in a.shape) if a.ndim > 0 else "-"

    def ok(self, name, model, inputs, outputs, tol):
        import numpy as np
        self._name(name)
        w = self.f.write
        w("case %s\nmodel %s\nexpect ok\ntol %.9g\n"
          % (name, self._model(name, model), tol))
        for kind, arrs in (("input", inputs), ("output", outputs)):
            for i, a in enumerate(arrs):
                a = np.array(a, dtype="<f4", order="C")  # keeps 0-d arrays 0-d
                p = os.path.join(self.outdir, "%s.%s%d.f32" % (name, kind, i))
                a.tofile(p)
                w("%s %s %s\n" % (kind, p, self._shape(a)))
        w("end\n")

    def error(self, name, model, status, substring):
        self._name(name)
        self.f.write("case %s\nmodel %s\nexpect error %s %s\nend\n"
                     % (name, self._model(name, model), status, substring))

    def skip(self, name, reason):
        self._name(name)
        self.f.write("skip %s %s\n" % (name, reason))

    def close(self):
        self.f.close()
        os.replace(self.path + ".tmp", self.path)


def skip_manifest(outdir, manifest, name, reason):
    """Write a manifest holding a single skip record."""
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, manifest), "w") as f:
        f.write("skip %s %s\n" % (name, reason))


def need_modules(outdir, manifest, name, modules):
    """Import modules; if one is missing, write a skip manifest and exit 0."""
    for m in modules:
        try:
            __import__(m)
        except ImportError as e:
            skip_manifest(outdir, manifest, name,
                          "python module %s unavailable (%s); install python3-numpy python3-onnx python3-opencv" % (m, e))
            sys.exit(0)


def model_dir():
    """BX_MODEL_DIR, else ../shared/models next to the repository root."""
    d = os.environ.get("BX_MODEL_DIR")
    if d:
        return d
    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    return os.path.join(os.path.dirname(root), "shared", "models")


def data_dir():
    """BX_DATA_DIR, else ../shared/data next to the repository root."""
    d = os.environ.get("BX_DATA_DIR")
    if d:
        return d
    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    return os.path.join(os.path.dirname(root), "shared", "data")
