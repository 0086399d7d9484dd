# syntax=docker/dockerfile:1
# One image for every process of the platform (README, "Production"): the role is the
# command's first word (deploy/docker/entrypoint.sh): web (gunicorn), asgi (daphne: the
# consult WebSockets and long-poll), worker and beat (Celery), booking-writer (the rush's
# writer), migrate (the one-shot schema and periodic-task job). Anything else runs as given,
# e.g. `docker run IMAGE python manage.py createsuperuser`.
#
#   docker build -t hospital:latest .

# --- builder: wheels of every requirement, and the compiled Chinese catalog --------------
FROM python:3.11-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
# mysqlclient's C extension (a compiler, pkg-config, the MariaDB client headers) and
# msgfmt for compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc pkg-config libmariadb-dev gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements.txt .
RUN pip wheel --wheel-dir /wheels -r requirements.txt \
    && pip install --no-index --find-links /wheels -r requirements.txt
COPY . .
# The settings load here, in development mode (no keys needed); nothing is kept from it
# but the .mo files.
RUN python manage.py compilemessages --ignore ".venv/*" --ignore "mutants/*" --ignore "miniprogram/*"

# --- runtime ------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# Production unless told otherwise; the keys come from the environment at run time. The
# container writes only to /data (a volume), /tmp and the metrics folder: the root filesystem
# can stay read-only. gunicorn listens on every address of the container.
ENV DJANGO_DEBUG=false \
    MEDIA_ROOT=/data/media \
    NOSHOW_MODEL_DIR=/data/noshow_models \
    HOME=/tmp \
    GUNICORN_BIND=0.0.0.0:8000
# libmariadb3: mysqlclient at run time. fontconfig and a Chinese font: the medical record
# PDF embeds one (records/export/fonts.py asks fontconfig; RECORD_PDF_FONT may name a file
# instead). The font cache is built here, as root, so fc-list never writes at run time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb3 fontconfig fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/* \
    && fc-cache -f >/dev/null
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \
    pip install --no-index --find-links /wheels -r /tmp/requirements.txt
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /tmp --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=builder /src /app
# Static files are collected into the image (served by the proxy, or by a CDN from a copy).
# The settings refuse production mode without real keys; these build-only values are not
# secrets, never leave this command and are of no use at run time.
RUN DJANGO_SECRET_KEY=build-only-not-a-secret-collectstatic-0000000000 \
    FIELD_ENCRYPTION_KEY=YnVpbGQtb25seS1ub3QtYS1zZWNyZXQtZmllbGRrZXk= \
    LOOKUP_HASH_KEY=YnVpbGQtb25seS1ub3QtYS1zZWNyZXQtbG9va3VwaGs= \
    python manage.py collectstatic --noinput --verbosity 0 \
    && python -m compileall -q -j 0 /app \
    && mkdir -p /data/media /data/noshow_models \
    && chown -R app:app /data
USER 10001:10001
EXPOSE 8000 8001
# /health/ (common/apis.py): 200 while the database answers (cache or broker down: "degraded"),
# 503 when it does not. No curl in the slim image: Python's urllib. The Host header must be
# one of DJANGO_ALLOWED_HOSTS (keep localhost there). The web role's port; compose gives the
# asgi role its own check and none to the Celery processes.
HEALTHCHECK --interval=30s --timeout=6s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; r = u.urlopen(u.Request('http://127.0.0.1:8000/health/', headers={'Host': 'localhost'}), timeout=5); sys.exit(r.status != 200)"]
ENTRYPOINT ["/app/deploy/docker/entrypoint.sh"]
CMD ["web"]
