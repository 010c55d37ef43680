# syntax=docker/dockerfile:1
# Production image of the account vending portal: one image for web, worker and beat
# (docker-compose.yml picks the command). Build with `docker build -t vending-portal .`.

# --- build: the project and its pinned dependencies in a virtualenv -------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# README.md* is a glob so the build works whether or not the README exists yet.
COPY pyproject.toml constraints.txt README.md* ./
COPY portal ./portal
COPY vending ./vending
# No dev extras: constraints.txt only pins versions, it installs nothing by itself.
RUN pip install -c constraints.txt .

# --- runtime ------------------------------------------------------------------------
FROM python:3.11-slim
# The code runs from /app (settings find templates/ and static/ next to portal/), so
# /app comes first on the path; the virtualenv provides the dependencies and scripts.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    BIND=0.0.0.0 \
    PORT=8000
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Only what the portal needs: never .env, .venv, var/ or .git from the build context.
COPY manage.py ./
COPY portal ./portal
COPY vending ./vending
COPY templates ./templates
COPY static ./static
# The code's bytecode, made here: at run time PYTHONDONTWRITEBYTECODE (and /app being
# root's) would have every process compile all of it again at start.
RUN python -m compileall -q portal vending
# The key exists only for this RUN: settings refuse to load without one when DEBUG is
# off, and collectstatic never signs anything with it.
RUN DJANGO_SECRET_KEY=build-only-collectstatic-dummy-key \
        python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var/metrics \
    && chown -R app:app /app/var
USER app
EXPOSE 8000
# Same as the Procfile's web line: migrate (and, with the emulator, bootstrap the demo
# organization), then serve. docker-compose.yml runs the worker and beat lines instead.
CMD ["sh", "-c", "python manage.py portal_init && exec gunicorn portal.wsgi --config python:portal.gunicorn_conf --bind ${BIND:-127.0.0.1}:${PORT:-8000} --workers ${WEB_CONCURRENCY:-2} --access-logfile - --graceful-timeout 10 --no-control-socket"]
