#!/usr/bin/env bash
# The README's test command: set up .venv (if needed) and run the fast, offline test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[train,dev]'
exec .venv/bin/python -m pytest -q "$@"
