#!/bin/sh
# The image's roles (Dockerfile): the first argument names the process, the rest is passed on.
#   web             gunicorn, WSGI (./gunicorn.conf.py: WEB_CONCURRENCY, GUNICORN_THREADS)
#   asgi            daphne: the consult WebSockets and the messages long-poll (config/asgi.py)
#   worker          the Celery worker (CELERY_WORKER_CONCURRENCY processes, default 2)
#   beat            Celery beat, django-celery-beat's database schedule; run exactly one
#   booking-writer  writes the rush's queued booking tickets (several may run)
#   migrate         the schema, then the periodic jobs' schedule rows; exits when done
# Anything else is run as given (python manage.py createsuperuser, sh, ...).
set -eu
role=${1:-web}
[ $# -gt 0 ] && shift

case "$role" in
  web)
    exec gunicorn config.wsgi:application "$@" ;;
  asgi)
    # Django advises no persistent connections under ASGI: each request and socket call
    # opens its own (README, "Real time").
    DATABASE_CONN_MAX_AGE=0 exec daphne --bind 0.0.0.0 --port 8001 --proxy-headers \
      --access-log - config.asgi:application "$@" ;;
  worker)
    exec celery -A config worker --loglevel=INFO \
      --concurrency="${CELERY_WORKER_CONCURRENCY:-2}" --without-gossip --without-mingle "$@" ;;
  beat)
    # No pid file or schedule file: the schedule is in the database, the filesystem read-only.
    # The locked scheduler sends only while it holds the Redis lock (common/beat_lock.py).
    exec celery -A config beat --loglevel=INFO --pidfile= \
      --scheduler common.beat_lock:LockedDatabaseScheduler "$@" ;;
  booking-writer)
    exec python manage.py booking_writer "$@" ;;
  migrate)
    python manage.py migrate --noinput
    exec python manage.py setup_periodic_tasks ;;
  *)
    exec "$role" "$@" ;;
esac
