"""The psycopg 3 adapter of face_embedding (examples/python/bxexit_psycopg.py)."""

import struct
from decimal import Decimal

import numpy as np
import psycopg
import pytest
from psycopg import errors
from psycopg.adapt import Dumper
from psycopg.pq import Format
from psycopg.types import TypeInfo

from bxexit_psycopg import (MAX_DIM, FaceEmbedding, FaceEmbeddingError, _parse_float4s,
                            register_face_embedding)

RNG = np.random.default_rng(20260816)


def random_vector(dim):
    # values over many magnitudes, so that text output needs up to 9 digits
    v = RNG.standard_normal(dim) * 10.0 ** RNG.integers(-6, 6, dim)
    return v.astype(np.float32)


def fetch_one(conn, sql, params=(), binary=False):
    return conn.execute(sql, params, binary=binary).fetchone()[0]


# --- round trips ----------------------------------------------------------

@pytest.mark.parametrize("dim", [1, 2048])
@pytest.mark.parametrize("model", [None, "mobilefacenet-v1"])
@pytest.mark.parametrize("param_fmt", ["%t", "%b"])
@pytest.mark.parametrize("result_binary", [False, True], ids=["text_result", "binary_result"])
def test_round_trip(conn, dim, model, param_fmt, result_binary):
    e = FaceEmbedding(random_vector(dim), model)
    got = fetch_one(conn, f"SELECT {param_fmt}::bxexit.face_embedding", [e], binary=result_binary)
    assert isinstance(got, FaceEmbedding)
    assert got.model == model
    assert got.vector.dtype == np.float32
    assert np.array_equal(got.vector, e.vector)  # exact float32 equality
    assert got == e
    # the server saw the same value: its dims, tag and text output
    dims, tag, text = conn.execute(
        f"SELECT bxexit.bx_dims(x), bxexit.bx_model(x), x::text FROM (SELECT {param_fmt}::bxexit.face_embedding AS x) s",
        [e]).fetchone()
    assert (dims, tag) == (dim, model)
    assert FaceEmbedding.from_text(text) == e


def test_round_trip_through_table(conn):
    conn.execute("CREATE TEMP TABLE rt (id int, e bxexit.face_embedding(2048))")
    values = {1: FaceEmbedding(random_vector(2048), "m.v2_x"), 2: FaceEmbedding(random_vector(2048)),
              3: random_vector(2048)}
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO rt VALUES (%s, %s)", list(values.items()))
    for binary in (False, True):
        rows = dict(conn.execute("SELECT id, e FROM rt", binary=binary).fetchall())
        assert rows[1] == values[1] and rows[2] == values[2]
        assert rows[3].model is None and np.array_equal(rows[3].vector, values[3])


def test_extreme_float4_values(conn):
    f = np.finfo(np.float32)
    v = np.array([f.max, -f.max, f.tiny, -f.tiny, 1e-30, 0.1, 1 / 3, 0.0, -0.0, 16777217.0],
                 dtype=np.float32)
    for fmt in ("%t", "%b"):
        for binary in (False, True):
            got = fetch_one(conn, f"SELECT {fmt}::bxexit.face_embedding", [v], binary=binary)
            assert np.array_equal(got.vector, v), (fmt, binary)
            assert np.array_equal(np.signbit(got.vector), np.signbit(v))


def test_max_dimensions(conn):
    e = FaceEmbedding(random_vector(MAX_DIM), "t")
    assert fetch_one(conn, "SELECT %b::bxexit.face_embedding", [e], binary=True) == e
    assert fetch_one(conn, "SELECT %t::bxexit.face_embedding", [e]) == e


def test_text_parser_rounds_like_strtof():
    # 1 + 2^-24 is halfway between float32 1 and 1 + 2^-23; just above it
    # the float64 is still the midpoint, and ties-to-even would give 1
    above = "1.00000005960464477539062500001"
    below = "1.00000005960464477539062499999"
    tie = str(Decimal(1) + Decimal(2) ** -24)
    got = _parse_float4s([above, below, tie])
    assert got[0] == np.float32(1 + 2 ** -23)
    assert got[1] == np.float32(1)
    assert got[2] == np.float32(1)  # a real tie: to even


def test_text_parser_agrees_with_server(conn):
    s = "[1.00000005960464477539062500001,1.00000005960464477539062499999]"
    got = fetch_one(conn, "SELECT %s::text::bxexit.face_embedding", [s], binary=True)
    assert np.array_equal(got.vector, FaceEmbedding.from_text(s).vector)


# --- numpy arrays ---------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_numpy_array_dumped_untagged(conn, dtype):
    a = (RNG.standard_normal(128) * 100).astype(dtype)
    for fmt in ("%s", "%t", "%b"):
        got = fetch_one(conn, f"SELECT {fmt}::bxexit.face_embedding", [a])
        assert got.model is None
        assert np.array_equal(got.vector, a.astype(np.float32)), fmt


def test_numpy_array_parameter_has_the_type(conn):
    a = np.ones(3, dtype=np.float32)
    assert fetch_one(conn, "SELECT pg_typeof(%s)::text", [a]) == "bxexit.face_embedding"
    assert fetch_one(conn, "SELECT bxexit.bx_l2_distance(%s, %s)", [a, a * 2]) == pytest.approx(3 ** 0.5)


def test_numpy_array_of_embeddings(conn):
    e = FaceEmbedding(np.arange(1, 5, dtype=np.float32), "m")
    assert np.asarray(e).dtype == np.float32 and np.array_equal(np.asarray(e), [1, 2, 3, 4])
    with pytest.raises(ValueError):
        e.vector[0] = 5  # read-only: a FaceEmbedding is a value


# --- NULLs ----------------------------------------------------------------

def test_nulls(conn):
    conn.execute("CREATE TEMP TABLE nul (id int, e bxexit.face_embedding)")
    conn.execute("INSERT INTO nul VALUES (1, %s), (2, %s)", [None, FaceEmbedding([1, 2])])
    for binary in (False, True):
        rows = conn.execute("SELECT id, e FROM nul ORDER BY id", binary=binary).fetchall()
        assert rows[0] == (1, None)
        assert rows[1] == (2, FaceEmbedding([1, 2]))
        assert fetch_one(conn, "SELECT NULL::bxexit.face_embedding", binary=binary) is None


# --- COPY -----------------------------------------------------------------

def test_copy_binary(conn):
    conn.execute("CREATE TEMP TABLE cp (id int8, e bxexit.face_embedding(512))")
    rows = [(1, FaceEmbedding(random_vector(512), "mobilefacenet-v1")),
            (2, FaceEmbedding(random_vector(512))),
            (3, None),
            (4, random_vector(512))]
    with conn.cursor() as cur:
        with cur.copy("COPY cp (id, e) FROM STDIN (FORMAT binary)") as copy:
            copy.set_types(["int8", "bxexit.face_embedding"])
            for r in rows:
                copy.write_row(r)
        assert fetch_one(conn, "SELECT count(*) FROM cp") == 4
        assert fetch_one(conn, "SELECT bxexit.bx_model(e) FROM cp WHERE id = 1") == "mobilefacenet-v1"
        with cur.copy("COPY (SELECT id, e FROM cp ORDER BY id) TO STDOUT (FORMAT binary)") as copy:
            copy.set_types(["int8", "bxexit.face_embedding"])
            got = list(copy.rows())
    assert [r[0] for r in got] == [1, 2, 3, 4]
    assert got[0][1] == rows[0][1] and got[1][1] == rows[1][1] and got[2][1] is None
    assert got[3][1] == FaceEmbedding(rows[3][1])


def test_copy_text(conn):
    conn.execute("CREATE TEMP TABLE cpt (id int8, e bxexit.face_embedding)")
    e = FaceEmbedding(random_vector(64), "x1")
    with conn.cursor() as cur:
        with cur.copy("COPY cpt (id, e) FROM STDIN") as copy:
            copy.set_types(["int8", "bxexit.face_embedding"])
            copy.write_row((1, e))
        with cur.copy("COPY cpt TO STDOUT") as copy:
            copy.set_types(["int8", "bxexit.face_embedding"])
            assert list(copy.rows()) == [(1, e)]


# --- registration ---------------------------------------------------------

def test_register_on_cursor_only(raw_conn):
    cur = raw_conn.cursor()
    info = register_face_embedding(cur)
    assert info.oid == fetch_one(raw_conn, "SELECT 'bxexit.face_embedding'::regtype::oid")
    cur.execute("SELECT '[1,2]'::bxexit.face_embedding")
    assert cur.fetchone()[0] == FaceEmbedding([1, 2])
    # the connection's other cursors are untouched: text as str
    assert fetch_one(raw_conn, "SELECT '[1,2]'::bxexit.face_embedding") == "[1,2]"


def test_register_with_type_info(raw_conn):
    info = TypeInfo.fetch(raw_conn, "bxexit.face_embedding")
    assert register_face_embedding(raw_conn, info) is info
    assert fetch_one(raw_conn, "SELECT 'a:[1]'::bxexit.face_embedding") == FaceEmbedding([1], "a")


def test_register_without_extension():
    # template1: a database without bxexit
    with psycopg.connect(dbname="template1") as c:
        if c.execute("SELECT to_regtype('bxexit.face_embedding')").fetchone()[0] is not None:
            pytest.skip("template1 has bxexit")
        with pytest.raises(psycopg.ProgrammingError, match="bxexit extension installed"):
            register_face_embedding(c)


# --- client-side refusals -------------------------------------------------

@pytest.mark.parametrize("values, message", [
    ([1.0, float("nan")], "element 1 is NaN"),
    ([float("inf")], "element 0 is infinite"),
    ([-float("inf")], "element 0 is infinite"),
    (np.array([1e39]), "out of float4 range"),
    ([], "0 dimensions"),
    (np.zeros(MAX_DIM + 1), "16001 dimensions"),
    (np.zeros((2, 2)), "one-dimensional"),
    (np.array(["a"]), "must be numbers"),
])
def test_client_refuses_bad_vectors(conn, values, message):
    with pytest.raises(FaceEmbeddingError, match=message):
        FaceEmbedding(values)
    if isinstance(values, np.ndarray):
        # a numpy array parameter is checked by the dumper before sending
        with pytest.raises(FaceEmbeddingError, match=message):
            conn.execute("SELECT %b::bxexit.face_embedding", [values])
        with pytest.raises(FaceEmbeddingError, match=message):
            conn.execute("SELECT %t::bxexit.face_embedding", [values])
    assert fetch_one(conn, "SELECT 1") == 1  # the session is fine


@pytest.mark.parametrize("tag, message", [
    ("x" * 64, "64 bytes long, at most 63"),
    ("caf\u00e9", "invalid model tag"),
    ("has space", "invalid model tag"),
    ("-leading", "invalid model tag"),
    ("a:b", "invalid model tag"),
])
def test_client_refuses_bad_tags(tag, message):
    with pytest.raises(FaceEmbeddingError, match=message):
        FaceEmbedding([1.0], tag)


def test_longest_tag_accepted(conn):
    e = FaceEmbedding([1.0], "a" * 63)
    for fmt in ("%t", "%b"):
        assert fetch_one(conn, f"SELECT {fmt}::bxexit.face_embedding", [e], binary=True) == e


# --- server-side errors: SQLSTATE through psycopg --------------------------

class RawBinary:
    """Bytes sent as they are as a binary face_embedding parameter."""

    def __init__(self, data):
        self.data = data


def raw_binary_cursor(conn):
    oid = TypeInfo.fetch(conn, "bxexit.face_embedding").oid
    cur = conn.cursor()
    dumper = type("RawDumper", (Dumper,), {"format": Format.BINARY, "oid": oid,
                                            "dump": lambda self, obj: obj.data})
    cur.adapters.register_dumper(RawBinary, dumper)
    return cur


def be_floats(values):
    return np.asarray(values, dtype=">f4").tobytes()


@pytest.mark.parametrize("text", ["[0x10]", "bad tag:[1,2]", "[1,2", "[1,,2]"])
def test_server_text_error_22P02(conn, text):
    with pytest.raises(psycopg.errors.InvalidTextRepresentation) as ei:
        conn.execute("SELECT %s::text::bxexit.face_embedding", [text])
    assert ei.value.sqlstate == "22P02"
    assert fetch_one(conn, "SELECT 1") == 1


@pytest.mark.parametrize("text, sqlstate", [
    ("[]", "22000"), ("[nan]", "22000"), ("[1e-50]", "22003"), ("x" * 64 + ":[1]", "54000")])
def test_server_text_errors_of_values(conn, text, sqlstate):
    with pytest.raises(psycopg.Error) as ei:
        conn.execute("SELECT %s::text::bxexit.face_embedding", [text])
    assert ei.value.sqlstate == sqlstate


def test_server_binary_error_22P02_bad_tag(conn):
    cur = raw_binary_cursor(conn)
    with pytest.raises(psycopg.Error) as ei:
        cur.execute("SELECT %b::bxexit.face_embedding", [RawBinary(struct.pack(">HBB", 1, 3, 0) + b"a b" + be_floats([1]))])
    assert ei.value.sqlstate == "22P02"


@pytest.mark.parametrize("data, what", [
    (struct.pack(">HBB", 2, 0, 0) + be_floats([1, np.nan]), "NaN"),
    (struct.pack(">HBB", 1, 0, 0) + be_floats([np.inf]), "infinite"),
    (struct.pack(">HBB", 0, 0, 0), "zero dimensions"),
])
def test_server_binary_error_22000(conn, data, what):
    cur = raw_binary_cursor(conn)
    with pytest.raises(psycopg.errors.DataException) as ei:
        cur.execute("SELECT %b::bxexit.face_embedding", [RawBinary(data)])
    assert ei.value.sqlstate == "22000", what


def test_server_typmod_error_22000(conn):
    conn.execute("CREATE TEMP TABLE t3 (e bxexit.face_embedding(3))")
    for fmt in ("%t", "%b"):
        with pytest.raises(psycopg.errors.DataException) as ei:
            conn.execute(f"INSERT INTO t3 VALUES ({fmt})", [FaceEmbedding([1, 2])])
        assert ei.value.sqlstate == "22000"


def test_server_model_mismatch_22000(conn):
    with pytest.raises(psycopg.errors.DataException) as ei:
        conn.execute("SELECT %s OPERATOR(bxexit.<=>) %s",
                     [FaceEmbedding([1, 2], "model-a"), FaceEmbedding([1, 2], "model-b")])
    assert ei.value.sqlstate == "22000"
    # an untagged embedding compares with anything
    assert fetch_one(conn, "SELECT %s OPERATOR(bxexit.<=>) %s",
                     [np.array([1, 2], np.float32), FaceEmbedding([1, 2], "model-a")]) == pytest.approx(0, abs=1e-6)


# --- pgvector's layout and a migration from a pgvector-style column ---------

def pgvector_to_binary(value):
    # pgvector-python's Vector.to_binary(): '>HH' dim and 0, then big-endian float4
    v = np.asarray(value, dtype=np.float32)
    return struct.pack(">HH", len(v), 0) + v.astype(">f4").tobytes()


def pgvector_from_binary(value):
    # pgvector-python's Vector.from_binary()
    dim, unused = struct.unpack_from(">HH", value)
    assert len(value) == 4 + 4 * dim and unused == 0
    return np.frombuffer(value, dtype=">f4", offset=4).astype(np.float32)


def test_untagged_binary_is_pgvector_layout(conn):
    v = random_vector(128)
    assert FaceEmbedding(v).to_binary() == pgvector_to_binary(v)
    cur = raw_binary_cursor(conn)
    cur.execute("SELECT %b::bxexit.face_embedding", [RawBinary(pgvector_to_binary(v))], binary=True)
    assert cur.fetchone()[0] == FaceEmbedding(v)
    # the server's binary output of an untagged value, read as pgvector reads it
    with conn.cursor(binary=True) as c2:
        c2.adapters.register_loader(TypeInfo.fetch(conn, "bxexit.face_embedding").oid,
                                    psycopg.types.string.ByteaBinaryLoader)
        c2.execute("SELECT %t::bxexit.face_embedding", [FaceEmbedding(v)])
        assert np.array_equal(pgvector_from_binary(c2.fetchone()[0]), v)


def test_migrate_pgvector_text_column(conn):
    vectors = [random_vector(128) for _ in range(20)]
    # pgvector's text output: '[x1,x2,...]', shortest float4 decimals
    texts = ["[" + ",".join(str(x) for x in v) + "]" for v in vectors]
    texts[0] = "[" + ",".join(str(i) for i in range(1, 129)) + "]"  # '[1,2,3,...]'
    vectors[0] = np.arange(1, 129, dtype=np.float32)
    conn.execute("CREATE TEMP TABLE legacy (id int PRIMARY KEY, embedding text)")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO legacy VALUES (%s, %s)", list(enumerate(texts)))
        cur.execute("INSERT INTO legacy VALUES (100, NULL)")
        cur.execute("ALTER TABLE legacy ALTER COLUMN embedding TYPE bxexit.face_embedding(128) "
                    "USING embedding::bxexit.face_embedding(128)")
    assert fetch_one(conn, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                           "WHERE attrelid = 'legacy'::regclass AND attname = 'embedding'") \
        == "bxexit.face_embedding(128)"
    for binary in (False, True):
        rows = dict(conn.execute("SELECT id, embedding FROM legacy", binary=binary).fetchall())
        assert rows.pop(100) is None
        for i, v in enumerate(vectors):
            assert rows[i].model is None
            assert np.array_equal(rows[i].vector, v), (i, binary)
    # the column now checks dimensions: 127 is refused
    with pytest.raises(psycopg.errors.DataException):
        conn.execute("INSERT INTO legacy VALUES (200, %s)", [np.zeros(127, np.float32)])
