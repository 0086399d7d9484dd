#!/usr/bin/env bash
# Serve the demo on 127.0.0.1:8000 (or $PORT) with the embedded defaults (runserver is
# daphne's: HTTP and the consult WebSockets from config/asgi.py), and run the
# periodic jobs (session generation and release, hold expiry, no-shows) in a Celery worker
# with embedded beat. The worker logs to var/log/celery.log and stops when the server stops.
#
# Without CELERY_BROKER_URL the worker uses kombu's filesystem broker (messages are files
# under var/celery/), so no broker server is needed; the web process then runs its own
# tasks inline. With CELERY_BROKER_URL set, both use that broker.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var/log

# Job control: each background job gets its own process group, so the server's autoreloader
# and its child can be stopped together, and Ctrl-C reaches only this script, which then
# stops both in order.
set -m

# Beat's scheduler holds the beat lock in Redis when REDIS_URL (or BEAT_LOCK_URL) is set,
# so a second beat waits; without Redis it runs as django-celery-beat's DatabaseScheduler.
CELERY_BROKER_URL="${CELERY_BROKER_URL:-filesystem://}" \
  .venv/bin/celery -A config worker -B -S common.beat_lock:LockedDatabaseScheduler \
  --loglevel=INFO --concurrency=2 --without-gossip --without-mingle \
  --logfile=var/log/celery.log --pidfile= &
worker_pid=$!
server_pid=
writer_pid=

# With Redis (REDIS_URL) bookings in a rush win their seats there and are written by the
# booking writer (README, "The rush"); without it every booking is written at once.
if [ -n "${REDIS_URL:-}${BOOKING_STOCK_REDIS_URL:-}" ]; then
  .venv/bin/python manage.py booking_writer >var/log/booking-writer.log 2>&1 &
  writer_pid=$!
  echo "Booking writer: pid $writer_pid, log var/log/booking-writer.log"
fi

stop_all() {
  trap - EXIT INT TERM
  if [ -n "$server_pid" ]; then
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$writer_pid" ]; then
    kill -TERM "$writer_pid" 2>/dev/null || true  # finishes the batch in hand
    wait "$writer_pid" 2>/dev/null || true
  fi
  # TERM to the worker's main process only: a warm shutdown that lets running tasks finish.
  kill -TERM "$worker_pid" 2>/dev/null || true
  wait "$worker_pid" 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "Celery worker with beat: pid $worker_pid, log var/log/celery.log"
.venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}" &
server_pid=$!
wait "$server_pid"
