#!/usr/bin/env bash
# Set up and run the bxexit demo on Debian 12: packages, build, install, a
# throwaway cluster, examples/demo.sql; stops the cluster at the end.
# BX_DEMO_KEEP=1 leaves the cluster running and prints how to connect.
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$BX_ROOT"

bx_install_packages || exit 1
bx_build_install || exit 1
if [ "${BX_DEMO_KEEP:-0}" != 1 ]; then trap bx_cluster_stop EXIT; fi
bx_cluster_start || exit 1

psql -X -q -c 'CREATE DATABASE bxexit_demo' || exit 1
# real photos need the face models too; without either, synthetic templates
[ -n "$BX_MODELS" ] && bx_stage_faces && [ -n "$BX_FACES" ] && export BX_FACES
PGDATABASE=bxexit_demo psql -X -e -f examples/demo.sql
rc=$?
if [ "${BX_DEMO_KEEP:-0}" = 1 ]; then
	bx_log "cluster left running: psql -h $PGHOST -p $PGPORT -U postgres bxexit_demo"
fi
exit $rc
