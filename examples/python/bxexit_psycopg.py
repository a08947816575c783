"""psycopg 3 adapter for bxexit's ``face_embedding`` type.

    import psycopg, numpy as np
    from bxexit_psycopg import FaceEmbedding, register_face_embedding

    conn = psycopg.connect("dbname=bx")
    register_face_embedding(conn)          # or a cursor: its own adapters only
    e = FaceEmbedding(np.random.rand(128), model="mobilefacenet-v1")
    conn.execute("INSERT INTO t (template) VALUES (%s)", [e])          # binary
    conn.execute("INSERT INTO t (template) VALUES (%t)", [e])          # text
    conn.execute("INSERT INTO t (template) VALUES (%s)", [np.ones(128, np.float32)])  # untagged
    row = conn.execute("SELECT template FROM t", binary=True).fetchone()
    row[0].vector, row[0].model           # numpy float32 array, tag or None

Values read from the database are `FaceEmbedding` objects; a plain numpy
array is sent as an untagged embedding.  Both the text form (``[x1,...]`` or
``tag:[x1,...]``) and the binary form (uint16 dim, uint8 taglen, one
reserved byte 0, the tag, dim big-endian float4) are handled, so results,
parameters and ``COPY ... (FORMAT binary)`` work in either format.  The
floats are float32 on both sides: round trips are exact.

What the server would refuse is refused here first, with a
`FaceEmbeddingError` (a `ValueError`): NaN or infinite elements, no or more
than 16,000 dimensions, a tag longer than 63 bytes or not of ASCII letters,
digits, ``.``, ``_`` and ``-`` starting with a letter or a digit.  The
server still checks everything (typmod dimensions, model mismatches: SQL
errors with their SQLSTATE as psycopg exceptions).

Needs psycopg 3 (Debian: python3-psycopg) and numpy (python3-numpy).
"""

from __future__ import annotations

import re
import struct
from decimal import Decimal
from typing import Any, Optional, Union

import numpy as np
import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg.types import TypeInfo

__all__ = ["FaceEmbedding", "FaceEmbeddingError", "register_face_embedding",
           "MAX_DIM", "MAX_TAG_LEN"]

MAX_DIM = 16000         # lib/embedding_parse.h, BX_MAX_DIM
MAX_TAG_LEN = 63        # lib/embedding_parse.h, BX_MAX_TAG_LEN
_TAG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_HEADER = struct.Struct(">HBB")  # dim, taglen, reserved


class FaceEmbeddingError(ValueError):
    """A value that is not a valid face_embedding, found on the client."""


def _check_tag(model: Optional[str]) -> Optional[str]:
    if model is None or model == "":
        return None
    if not isinstance(model, str):
        raise FaceEmbeddingError(f"model tag must be a str, not {type(model).__name__}")
    if len(model.encode("utf-8")) > MAX_TAG_LEN:
        raise FaceEmbeddingError(
            f"model tag is {len(model.encode('utf-8'))} bytes long, at most {MAX_TAG_LEN}")
    if not _TAG_RE.match(model):
        raise FaceEmbeddingError(
            f"invalid model tag {model!r}: ASCII letters, digits, '.', '_' or '-', "
            "starting with a letter or a digit")
    return model


def _check_vector(values: Any) -> np.ndarray:
    """values as a 1-D float32 array, checked; raises FaceEmbeddingError."""
    a = np.asarray(values)
    if a.dtype.kind not in "fiu":
        raise FaceEmbeddingError(f"face_embedding elements must be numbers, got dtype {a.dtype}")
    if a.ndim != 1:
        raise FaceEmbeddingError(f"face_embedding must be one-dimensional, got shape {a.shape}")
    if not 1 <= a.shape[0] <= MAX_DIM:
        raise FaceEmbeddingError(f"face_embedding has {a.shape[0]} dimensions, must be 1 to {MAX_DIM}")
    with np.errstate(over="ignore"):
        f = a.astype(np.float32)
    bad = ~np.isfinite(f)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = "NaN" if np.isnan(f[i]) else "infinite"
        extra = ""
        if np.isfinite(a[i]):
            extra = f" (out of float4 range: {a[i]!r})"
        raise FaceEmbeddingError(f"face_embedding element {i} is {what}{extra}")
    return f


class FaceEmbedding:
    """A face_embedding value: a float32 vector and an optional model tag."""

    __slots__ = ("_vector", "_model")

    def __init__(self, vector: Any, model: Optional[str] = None):
        v = _check_vector(vector)
        if v is vector or v.base is not None:
            v = v.copy()
        v.setflags(write=False)
        self._vector = v
        self._model = _check_tag(model)

    @property
    def vector(self) -> np.ndarray:
        """The elements, a read-only numpy float32 array."""
        return self._vector

    @property
    def model(self) -> Optional[str]:
        """The model tag, None when untagged."""
        return self._model

    @property
    def dim(self) -> int:
        return self._vector.shape[0]

    def __len__(self) -> int:
        return self.dim

    def __array__(self, dtype=None):
        return self._vector if dtype is None else self._vector.astype(dtype)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FaceEmbedding):
            return NotImplemented
        return self._model == other._model and np.array_equal(self._vector, other._vector)

    def __hash__(self) -> int:
        return hash((self._model, self._vector.tobytes()))

    def __repr__(self) -> str:
        head = ", ".join(str(x) for x in self._vector[:4])
        more = ", ..." if self.dim > 4 else ""
        return f"FaceEmbedding([{head}{more}] ({self.dim} dims), model={self._model!r})"

    # wire formats

    def to_text(self) -> str:
        # str(np.float32) is the shortest decimal that reads back as the same float4
        body = ",".join(map(str, self._vector))
        return f"{self._model}:[{body}]" if self._model else f"[{body}]"

    def to_binary(self) -> bytes:
        tag = self._model.encode("ascii") if self._model else b""
        return _HEADER.pack(self.dim, len(tag), 0) + tag + self._vector.astype(">f4").tobytes()

    @classmethod
    def from_text(cls, text: str) -> "FaceEmbedding":
        text = text.strip()
        model = None
        if not text.startswith("["):
            model, sep, text = text.partition(":")
            if not sep:
                raise FaceEmbeddingError(f"invalid face_embedding text {text[:40]!r}")
            text = text.strip()
        if not (text.startswith("[") and text.endswith("]")):
            raise FaceEmbeddingError(f"invalid face_embedding text {text[:40]!r}")
        return cls(_parse_float4s(text[1:-1].split(",")), model)

    @classmethod
    def from_binary(cls, data: Union[bytes, bytearray, memoryview]) -> "FaceEmbedding":
        data = bytes(data)
        if len(data) < _HEADER.size:
            raise FaceEmbeddingError("binary face_embedding shorter than its header")
        dim, taglen, reserved = _HEADER.unpack_from(data)
        if reserved != 0:
            raise FaceEmbeddingError(f"binary face_embedding reserved byte is {reserved}, not 0")
        if len(data) != _HEADER.size + taglen + 4 * dim:
            raise FaceEmbeddingError(
                f"binary face_embedding of {dim} dimensions and a {taglen}-byte tag "
                f"has {len(data)} bytes")
        tag = data[_HEADER.size:_HEADER.size + taglen].decode("ascii") if taglen else None
        floats = np.frombuffer(data, dtype=">f4", offset=_HEADER.size + taglen)
        return cls(floats.astype(np.float32), tag)


def _parse_float4s(items: list) -> np.ndarray:
    """Decimal strings to float32, each correctly rounded like strtof().

    numpy reads them as float64 and rounds that to float32; the double
    rounding can only go wrong when the float64 lies exactly halfway between
    two float32s, which is then decided on the exact decimal value.
    """
    d = np.array(items, dtype=np.float64)
    with np.errstate(over="ignore"):
        f = d.astype(np.float32)
    back = f.astype(np.float64)
    # a halfway float64 is never a float32 itself; check those not equal to theirs
    for i in np.flatnonzero(back != d):
        if not np.isfinite(f[i]):
            continue  # beyond float4: refused by the caller
        with np.errstate(over="ignore"):
            other = np.nextafter(f[i], np.float32(np.inf) if back[i] < d[i] else np.float32(-np.inf))
        mid = (back[i] + np.float64(other)) / 2
        if mid != d[i]:
            continue
        exact, m = Decimal(items[i].strip()), Decimal(float(mid))
        if exact == m:
            continue  # a real tie: ties-to-even, as numpy did
        if (exact > m) == (other > f[i]):
            f[i] = other
    return f


class _TextDumper(Dumper):
    format = Format.TEXT

    def dump(self, obj: Any) -> bytes:
        if not isinstance(obj, FaceEmbedding):
            obj = FaceEmbedding(obj)
        return obj.to_text().encode("ascii")


class _BinaryDumper(Dumper):
    format = Format.BINARY

    def dump(self, obj: Any) -> bytes:
        if not isinstance(obj, FaceEmbedding):
            obj = FaceEmbedding(obj)
        return obj.to_binary()


class _TextLoader(Loader):
    format = Format.TEXT

    def load(self, data: Any) -> FaceEmbedding:
        return FaceEmbedding.from_text(bytes(data).decode("ascii"))


class _BinaryLoader(Loader):
    format = Format.BINARY

    def load(self, data: Any) -> FaceEmbedding:
        return FaceEmbedding.from_binary(data)


def register_face_embedding(context: Any, info: Optional[TypeInfo] = None) -> TypeInfo:
    """Register the face_embedding adapters on a connection or cursor.

    `context` is a psycopg Connection or Cursor (anything with `adapters`);
    the type's OID is looked up with TypeInfo unless `info` is given.
    After this, FaceEmbedding values and numpy arrays are sent as
    face_embedding (``%s`` binary, ``%t`` text, ``%b`` binary) and
    face_embedding results, in either format, load as FaceEmbedding.
    Returns the TypeInfo.
    """
    if info is None:
        conn = getattr(context, "connection", context)
        # to_regtype() first: a missing schema bxexit would be an error
        # (3F000) that TypeInfo.fetch() does not catch
        found = conn.execute("SELECT to_regtype('bxexit.face_embedding') IS NOT NULL").fetchone()[0]
        info = TypeInfo.fetch(conn, "bxexit.face_embedding") if found else None
        if info is None:
            raise psycopg.ProgrammingError(
                "type bxexit.face_embedding not found: is the bxexit extension installed?")
    info.register(context)
    adapters = context.adapters
    # dumpers with the OID, so that COPY's set_types() finds them too
    text_dumper = type("FaceEmbeddingTextDumper", (_TextDumper,), {"oid": info.oid})
    binary_dumper = type("FaceEmbeddingBinaryDumper", (_BinaryDumper,), {"oid": info.oid})
    for cls in (FaceEmbedding, np.ndarray):
        # text first: the last registered is the one %s uses, binary
        adapters.register_dumper(cls, text_dumper)
        adapters.register_dumper(cls, binary_dumper)
    adapters.register_loader(info.oid, _TextLoader)
    adapters.register_loader(info.oid, _BinaryLoader)
    return info
