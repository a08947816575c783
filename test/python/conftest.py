"""pytest fixtures of test/python: a connection to the suite's cluster.

The PG* environment (scripts/test.sh) names the cluster; the database is
PGDATABASE, default bxexit_client, where the bxexit extension exists.  The
examples' Python modules are imported from examples/python.
"""

import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(ROOT, "examples", "python")
sys.path.insert(0, EXAMPLES)

import psycopg  # noqa: E402

from bxexit_psycopg import register_face_embedding  # noqa: E402


def dbname():
    return os.environ.get("PGDATABASE") or "bxexit_client"


@pytest.fixture
def raw_conn():
    """A connection without the adapter (autocommit)."""
    conn = psycopg.connect(dbname=dbname(), autocommit=True)
    yield conn
    conn.close()


@pytest.fixture
def conn(raw_conn):
    """A connection with the face_embedding adapter registered."""
    register_face_embedding(raw_conn)
    return raw_conn
