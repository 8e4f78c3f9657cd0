#!/usr/bin/env bash
# Installs everything VoiceAssist needs on a fresh Debian machine: the Debian
# packages in scripts/apt-packages.txt, then a virtual environment in .venv
# with the CPU build of torch first (so pip never pulls a CUDA build) and the
# app itself. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${VOICEASSIST_VENV:-.venv}
python=${PYTHON:-python3}

missing=()
while read -r package; do
    case $package in ''|'#'*) continue ;; esac
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done < scripts/apt-packages.txt
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "installing Debian packages: ${missing[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    else
        echo "warning: missing Debian packages (run as root to install): ${missing[*]}" >&2
    fi
fi

stamp="$venv/.installed"
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    exit 0
fi

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
# The CPU build first: with it in place, the range in pyproject.toml is
# satisfied and pip installs no other torch.
"$venv/bin/python" -m pip install -q "torch==2.13.0" 2>&1 | grep -v "is ignored" || true
"$venv/bin/python" -m pip install -q -e ".[dev]" 2>&1 | grep -v "is ignored" || true
"$venv/bin/python" -c "import torch, voiceassist_desktop" 
echo "$wanted" > "$stamp"
