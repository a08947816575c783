"""Reference outputs of MobileFaceNet from a NumPy evaluation of its graph.

Usage: ref_mobilefacenet.py OUTDIR

OpenCV 4.6 cannot import this model (Clip with three inputs), so the
reference is npref.evaluate(): the graph's own operators (Conv incl.
depthwise, Clip, Relu, Add, Reshape, Constant) written in NumPy float64,
with the weights read by the onnx package.  Inputs are real ORL faces
resized to 112x112, as RGB normalised like the model expects.
"""

import os
import sys

from nncase import CaseWriter, data_dir, model_dir, need_modules, skip_manifest

MANIFEST = "mobilefacenet.manifest"
TOL = 1e-4
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def main():
    outdir = sys.argv[1]
    need_modules(outdir, MANIFEST, "mobilefacenet_vs_numpy", ["numpy", "cv2", "onnx"])
    import cv2
    import numpy as np
    import onnx
    import npref

    path = os.path.join(model_dir(), "mobilefacenet", "MobileFaceNet.onnx")
    if not os.path.exists(path):
        skip_manifest(outdir, MANIFEST, "mobilefacenet_vs_numpy", "model not found at " + path + " (set BX_MODEL_DIR)")
        return
    faces = [os.path.join(data_dir(), "faces", "att_orl", s) for s in ("s1/1.pgm", "s2/1.pgm", "s17/5.pgm")]
    if not all(os.path.exists(f) for f in faces):
        skip_manifest(outdir, MANIFEST, "mobilefacenet_vs_numpy", "ORL images not found under " + data_dir() + " (set BX_DATA_DIR)")
        return

    model = onnx.load(path)
    w = CaseWriter(outdir, MANIFEST)
    for i, f in enumerate(faces):
        grey = cv2.imread(f, cv2.IMREAD_GRAYSCALE)
        grey = cv2.resize(grey, (112, 112), interpolation=cv2.INTER_LINEAR)
        rgb = np.repeat(grey[:, :, None], 3, axis=2).astype(np.float64) / 255.0
        x = ((rgb - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32)
        (y,) = npref.evaluate(model, {"input0": x})
        w.ok("mobilefacenet_orl_%d" % i, path, [x], [y.astype(np.float32)], TOL)
    w.close()


if __name__ == "__main__":
    main()
