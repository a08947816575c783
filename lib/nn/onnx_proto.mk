# Generate the protobuf-c code of ONNX models (onnx.pb-c.c and onnx.pb-c.h,
# git-ignored) from ONNX's own onnx.proto, as installed by Debian's
# python3-onnx or libonnx-dev (ONNX, Apache-2.0; nothing is downloaded).
# onnx.proto, not onnx.proto3: proto2 keeps has_ flags, so a missing
# ir_version or data_type can be told from 0; not onnx-ml.proto: the
# library handles the default domain only.  Needs protobuf-c-compiler,
# and libprotobuf-c-dev to build and link (-lprotobuf-c).
#
# Included by every Makefile that compiles lib/nn, after its first rule
# (so as not to become the default goal), with ONNX_PB_DIR set to the
# lib/nn directory: all builds share one generated copy next to
# onnx_reader.c, which includes it.
#
# lib/nn/onnx_proto.mk

ONNX_PROTO ?= $(firstword $(wildcard /usr/include/onnx/onnx.proto \
	/usr/lib/python3/dist-packages/onnx/onnx.proto))
PROTOC_C ?= protoc-c

ONNX_PB_C = $(ONNX_PB_DIR)/onnx.pb-c.c
ONNX_PB_H = $(ONNX_PB_DIR)/onnx.pb-c.h

# one protoc-c run makes both files (a grouped target, GNU make 4.3)
$(ONNX_PB_C) $(ONNX_PB_H) &: $(ONNX_PROTO)
	@if [ -z "$(ONNX_PROTO)" ]; then \
		echo "onnx.proto not found: install python3-onnx or libonnx-dev, or set ONNX_PROTO" >&2; \
		exit 1; \
	fi
	$(PROTOC_C) --proto_path=$(dir $(ONNX_PROTO)) --c_out=$(ONNX_PB_DIR) $(ONNX_PROTO)
