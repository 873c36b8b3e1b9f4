# collecte: one stateless app process; all state lives in the database.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PICCOLO_CONF=collecte.db.piccolo_conf

WORKDIR /app
COPY pyproject.toml README.md ./
COPY collecte ./collecte
COPY migrations ./migrations
COPY labels ./labels
RUN pip install --no-cache-dir -e . \
    && useradd --system --home /app collecte \
    && chown -R collecte /app
USER collecte

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["collecte", "serve", "--host", "0.0.0.0", "--port", "8000"]
