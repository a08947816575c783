#!/usr/bin/env bash
# test/python with pytest, as TAP: one "ok N - name" or "not ok N - name"
# line per pytest test (skips as "ok N - name # SKIP reason"), pytest's own
# report as "# " lines, exit status 0 only when pytest passed.  Needs
# python3-pytest, python3-psycopg and python3-numpy; the cluster from the
# PG* environment (PGDATABASE: a database with the bxexit extension,
# default bxexit_client); BX_PHOTOS and python3-opencv for the gate tests.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the tree
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for m in pytest psycopg numpy; do
	if ! "$python" -c "import $m" 2>/dev/null; then
		echo "not ok 1 - $python imports $m (Debian: python3-$m)"
		exit 1
	fi
done

"$python" -m pytest -rA --tb=short -p no:cacheprovider --junitxml="$tmp/junit.xml" \
	"$here" >"$tmp/pytest.log" 2>&1
rc=$?
sed 's/^/# /' "$tmp/pytest.log"

# junit XML to TAP; a failed pytest with no failed test is one "not ok"
"$python" - "$tmp/junit.xml" "$rc" <<'PY'
import sys
import xml.etree.ElementTree as ET

path, rc = sys.argv[1], int(sys.argv[2])
n = failed = 0
try:
    cases = list(ET.parse(path).getroot().iter("testcase"))
except (OSError, ET.ParseError) as e:
    cases = []
    print(f"# no pytest report: {e}")
for case in cases:
    n += 1
    name = f"{case.get('classname', '')}.{case.get('name', '')}".lstrip(".")
    bad = case.find("failure")
    if bad is None:
        bad = case.find("error")
    skipped = case.find("skipped")
    if bad is not None:
        failed += 1
        print(f"not ok {n} - {name}")
        for line in (bad.get("message") or "").splitlines()[:5]:
            print(f"#   {line}")
    elif skipped is not None:
        reason = " ".join((skipped.get("message") or "").split())
        print(f"ok {n} - {name} # SKIP {reason}")
    else:
        print(f"ok {n} - {name}")
if rc != 0 and failed == 0:
    n += 1
    failed += 1
    print(f"not ok {n} - pytest exit status {rc}")
print(f"1..{n}")
sys.exit(1 if failed else 0)
PY
