#!/usr/bin/env bash
# Sets up on first use, then runs the test suite. Storage tests also run on
# PostgreSQL: against VOICEASSIST_TEST_POSTGRES_URL when it is set, otherwise
# against a throwaway cluster started here (when PostgreSQL is installed).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

if [ -z "${VOICEASSIST_TEST_POSTGRES_URL:-}" ] \
    && { command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl; } >/dev/null 2>&1; then
    pg_dir=$(mktemp -d /tmp/voiceassist-pg.XXXXXX)
    VOICEASSIST_TEST_POSTGRES_URL=$(scripts/pg-throwaway.sh start "$pg_dir" 55433)
    export VOICEASSIST_TEST_POSTGRES_URL
    trap 'scripts/pg-throwaway.sh stop "$pg_dir" 55433; rm -rf "$pg_dir"' EXIT
fi

"${VOICEASSIST_VENV:-.venv}/bin/python" -m pytest "$@"
