#!/usr/bin/env bash
# Serve the demo on 127.0.0.1:8000 with the embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python manage.py runserver 127.0.0.1:8000
