# collecte: one stateless app process; all state lives in the database.

# The wheel, built from the source tree: it carries migrations/ and labels/ (see pyproject.toml).
FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements.lock ./
RUN pip install --constraint requirements.lock setuptools
COPY pyproject.toml README.md ./
COPY collecte ./collecte
COPY migrations ./migrations
COPY labels ./labels
RUN pip wheel --no-deps --no-build-isolation --wheel-dir /dist .

# The service: the wheel and its runtime dependencies at their locked releases, no source tree.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PICCOLO_CONF=collecte.db.piccolo_conf

COPY requirements.lock /tmp/requirements.lock
COPY --from=builder /dist/ /tmp/dist/
# The lock as constraints: only what the wheel needs is installed (not the test tools).
RUN pip install --constraint /tmp/requirements.lock /tmp/dist/*.whl \
    && rm -rf /tmp/dist /tmp/requirements.lock \
    && useradd --system --create-home --home-dir /var/lib/collecte collecte
# The working directory is the default SQLite database's home, so it belongs to the service.
WORKDIR /var/lib/collecte
USER collecte

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["collecte", "serve", "--host", "0.0.0.0", "--port", "8000"]
