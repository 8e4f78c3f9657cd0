#!/usr/bin/env bash
# Sets up on first use, then starts VoiceAssist (the window, with no arguments).
# Extra arguments go to the `voiceassist` command, e.g. `scripts/start.sh doctor`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec "${VOICEASSIST_VENV:-.venv}/bin/voiceassist" "$@"
