"""examples/python/gate_client.py end to end: a JPEG to bx_match as a gate.

Needs the face models and photos (BX_PHOTOS, scripts/common.sh
bx_stage_photos) and cv2 (python3-opencv) to make the JPEG probe; skipped
without them.  Like test/gate_client/run.sh: one ORL person enrolled from a
photo, alone on a new flight of today, and a login role in bxexit_gate.
Leaves the flight, the person and the exit events; drops its roles.
"""

import hashlib
import os
import subprocess
import sys

import psycopg
import pytest

from conftest import EXAMPLES, dbname

CLIENT = os.path.join(EXAMPLES, "gate_client.py")
PHOTOS = os.environ.get("BX_PHOTOS") or ""
GATE_ROLE = "bx_gate_py_test"
OTHER_ROLE = "bx_gate_py_nogate"

pytestmark = pytest.mark.skipif(
    not PHOTOS or not os.path.isfile(os.path.join(PHOTOS, "orl_s1_1.pgm")),
    reason="no face models or photos (BX_PHOTOS)")


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    cv2 = pytest.importorskip("cv2", reason="python3-opencv makes the JPEG probe")
    tmp = tmp_path_factory.mktemp("gate")
    im = cv2.imread(os.path.join(PHOTOS, "orl_s1_2.pgm"), cv2.IMREAD_GRAYSCALE)
    mated = str(tmp / "mated.jpg")
    assert im is not None and cv2.imwrite(mated, im, [cv2.IMWRITE_JPEG_QUALITY, 90])
    conn = psycopg.connect(dbname=dbname(), autocommit=True)
    with conn.transaction():
        conn.execute("SET LOCAL client_min_messages = warning")
        for role in (GATE_ROLE, OTHER_ROLE):
            conn.execute(f"DROP ROLE IF EXISTS {role}")
        conn.execute(f"CREATE ROLE {GATE_ROLE} LOGIN IN ROLE bxexit_gate")
        conn.execute(f"CREATE ROLE {OTHER_ROLE} LOGIN")
        person, flight = conn.execute("""
            WITH p AS (
                INSERT INTO bxexit.person (family_name, citizenship) VALUES ('gate_client.py test', 'XXX')
                RETURNING person_id),
            e AS (
                INSERT INTO bxexit.enrollment (person_id, source, captured_at, template)
                SELECT person_id, 'visa', now(),
                       bxexit.bx_embed(pg_read_binary_file(%s), 'largest') FROM p),
            f AS (
                INSERT INTO bxexit.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
                SELECT 'ZZ', (coalesce(max(flight_number::int), 0) + 1)::text, 'IAD', 'LHR', current_date
                  FROM bxexit.flight WHERE carrier = 'ZZ' AND departure_date = current_date
                RETURNING flight_id),
            m AS (
                INSERT INTO bxexit.manifest (flight_id, person_id) SELECT f.flight_id, p.person_id FROM f, p)
            SELECT p.person_id, f.flight_id FROM p, f""",
            [os.path.join(PHOTOS, "orl_s1_1.pgm")]).fetchone()
        unknown = conn.execute("SELECT coalesce(max(flight_id), 0) + 1000 FROM bxexit.flight").fetchone()[0]
    yield {"conn": conn, "person": person, "flight": flight, "unknown": unknown,
           "mated": mated, "impostor": os.path.join(PHOTOS, "lfw_1.jpg"), "tmp": tmp}
    for role in (GATE_ROLE, OTHER_ROLE):
        conn.execute(f"DROP ROLE IF EXISTS {role}")
    conn.close()


def run(*args, role=GATE_ROLE, conninfo=""):
    p = subprocess.run([sys.executable, CLIENT, *map(str, args), "-d", f"user={role} {conninfo}".strip()],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def events(gate, where, params=()):
    return gate["conn"].execute(
        "SELECT exit_event_id, decision, reason, person_id, recorded_by, md5(probe_photo), request_id "
        f"FROM bxexit.exit_event WHERE {where} ORDER BY exit_event_id", params).fetchall()


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def test_mated_photo_matches(gate):
    rc, out, err = run(gate["flight"], gate["mated"])
    assert (rc, err) == (0, "")
    assert out.startswith("match, exit event ") and out.count("\n") == 1, out
    event = int(out.split()[-1])
    # recorded for the enrolled person, by the gate role, photo byte for byte (binary parameter)
    assert events(gate, "exit_event_id = %s", [event]) == [
        (event, "match", None, gate["person"], GATE_ROLE, md5(gate["mated"]), None)]


def test_impostor_no_match(gate):
    rc, out, err = run(gate["flight"], gate["impostor"])
    assert rc == 1, err
    assert out.startswith("no_match: below_threshold, exit event "), out
    event = int(out.split()[-1])
    assert events(gate, "exit_event_id = %s", [event]) == [
        (event, "no_match", "below_threshold", None, GATE_ROLE, md5(gate["impostor"]), None)]


def test_unknown_flight(gate):
    rc, out, err = run(gate["unknown"], gate["mated"])
    assert rc == 1, err
    assert out.startswith("no_match: unknown_flight, exit event "), out


def test_missing_photo(gate):
    rc, out, err = run(gate["flight"], gate["tmp"] / "no-such.jpg")
    assert (rc, out) == (2, "")
    assert "cannot open photo" in err and "No such file" in err


def test_not_a_jpeg(gate):
    before = events(gate, "flight_id = %s", [gate["flight"]])
    rc, out, err = run(gate["flight"], os.path.join(PHOTOS, "orl_s1_2.pgm"))
    assert (rc, out) == (2, "") and "not a JPEG file" in err
    assert events(gate, "flight_id = %s", [gate["flight"]]) == before  # not sent


def test_empty_photo(gate):
    empty = gate["tmp"] / "empty.jpg"
    empty.write_bytes(b"")
    rc, out, err = run(gate["flight"], empty)
    assert rc == 2 and "is empty" in err


def test_bad_flight_id(gate):
    rc, out, err = run("17x", gate["mated"])
    assert rc == 2 and "not a positive integer" in err


def test_role_outside_bxexit_gate(gate):
    rc, out, err = run(gate["flight"], gate["mated"], role=OTHER_ROLE)
    assert (rc, out) == (2, "") and "SQLSTATE 42501" in err


def test_statement_timeout(gate):
    before = events(gate, "flight_id = %s", [gate["flight"]])
    rc, out, err = run(gate["flight"], gate["mated"], conninfo="options='-c statement_timeout=1'")
    assert (rc, out) == (2, "")
    assert "SQLSTATE 57014" in err and "time limit reached" in err
    assert events(gate, "flight_id = %s", [gate["flight"]]) == before  # rolled back


def test_default_statement_timeout(gate):
    # without options in CONNINFO the client sets statement_timeout=5s
    sys.path.insert(0, EXAMPLES)
    import gate_client
    with gate_client.connect(f"dbname={dbname()} user={GATE_ROLE}") as c:
        assert c.execute("SHOW statement_timeout").fetchone()[0] == "5s"
        assert c.info.get_parameters().get("connect_timeout") == "10"
    with gate_client.connect(f"dbname={dbname()} user={GATE_ROLE} connect_timeout=3 "
                             "options='-c statement_timeout=2s'") as c:
        assert c.execute("SHOW statement_timeout").fetchone()[0] == "2s"
        assert c.info.get_parameters().get("connect_timeout") == "3"


def test_request_id_retry_returns_same_event(gate):
    rid = f"cam3-frame-{gate['flight']}"
    first = run(gate["flight"], gate["mated"], "--request-id", rid)
    assert first[0] == 0 and first[1].startswith("match, exit event "), first
    # the retry after a (supposedly) dropped connection: same id, same photo
    again = run(gate["flight"], gate["mated"], "--request-id", rid)
    assert again == first
    rows = events(gate, "request_id = %s", [rid])
    assert len(rows) == 1 and rows[0][0] == int(first[1].split()[-1])
    assert rows[0][1:5] == ("match", None, gate["person"], GATE_ROLE)


def test_request_id_retry_of_a_no_match(gate):
    sys.path.insert(0, EXAMPLES)
    import gate_client
    rid = f"cam4-frame-{gate['flight']}"
    photo = gate_client.read_photo(gate["impostor"])
    with gate_client.connect(f"dbname={dbname()} user={GATE_ROLE}") as c:
        first = gate_client.match(c, gate["flight"], photo, rid)
        second = gate_client.match(c, gate["flight"], photo, rid)
    assert first == second
    assert first["decision"] == "no_match" and first["reason"] == "below_threshold"
    assert len(events(gate, "request_id = %s", [rid])) == 1
    assert gate_client.decision_line(first) == f"no_match: below_threshold, exit event {first['exit_event_id']}"


def test_request_id_too_long(gate):
    rc, out, err = run(gate["flight"], gate["mated"], "--request-id", "x" * 65)
    assert rc == 2 and "request id" in err
