"""Reference outputs of YuNet from OpenCV's DNN module, for nn_test.

Usage: ref_yunet.py OUTDIR

For a few real face images it builds the 640x640 BGR input the detector
expects (raw 0..255 values, image at the top left of a zero canvas, as
OpenCV's FaceDetectorYN pads it, or resized to fill the canvas), runs
cv2.dnn on the ONNX file, and writes input and all 12 outputs for the C
harness, which runs the nn engine on the same file and compares.
"""

import glob
import os
import sys

from nncase import CaseWriter, data_dir, model_dir, need_modules, skip_manifest

MANIFEST = "yunet.manifest"
TOL = 1e-4


def main():
    outdir = sys.argv[1]
    need_modules(outdir, MANIFEST, "yunet_vs_opencv", ["numpy", "cv2", "onnx"])
    import cv2
    import numpy as np
    import onnx

    path = os.path.join(model_dir(), "yunet", "face_detection_yunet_2023mar.onnx")
    if not os.path.exists(path):
        skip_manifest(outdir, MANIFEST, "yunet_vs_opencv", "model not found at " + path + " (set BX_MODEL_DIR)")
        return
    images = sorted(glob.glob(os.path.join(data_dir(), "faces", "lfw_singletons", "images", "*", "*.jpg")))
    if len(images) < 2:
        skip_manifest(outdir, MANIFEST, "yunet_vs_opencv", "no LFW images under " + data_dir() + " (set BX_DATA_DIR)")
        return

    graph = onnx.load(path).graph
    names = [o.name for o in graph.output]
    shapes = [[d.dim_value for d in o.type.tensor_type.shape.dim] for o in graph.output]
    net = cv2.dnn.readNetFromONNX(path)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)

    w = CaseWriter(outdir, MANIFEST)
    inputs = []
    for i, img_path in enumerate(images[:2]):
        img = cv2.imread(img_path, cv2.IMREAD_COLOR)      # BGR
        canvas = np.zeros((640, 640, 3), np.uint8)
        canvas[:img.shape[0], :img.shape[1]] = img
        inputs.append(("yunet_padded_%d" % i, canvas))
    big = cv2.resize(cv2.imread(images[2 if len(images) > 2 else 0], cv2.IMREAD_COLOR),
                     (640, 640), interpolation=cv2.INTER_LINEAR)
    inputs.append(("yunet_resized", big))

    for name, canvas in inputs:
        blob = canvas.astype(np.float32).transpose(2, 0, 1)[None].copy()
        net.setInput(blob)
        outs = net.forward(names)
        outs = [np.asarray(o, np.float32).reshape(s) for o, s in zip(outs, shapes)]
        w.ok(name, path, [blob], outs, TOL)
    w.close()


if __name__ == "__main__":
    main()
