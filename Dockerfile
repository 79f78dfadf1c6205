# The tracker under gunicorn. docker-compose.yml runs it beside PostgreSQL
# and Redis and applies migrations before it starts.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

# Graphviz's dot lays out the flow charts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends graphviz \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /home/tracker tracker
WORKDIR /app

# Dependencies first, so a code change does not reinstall them. The project
# ships no packages of its own (manage.py runs from /app).
COPY pyproject.toml ./
RUN pip install .

COPY . .

# Hashed static files for WhiteNoise; the key is a placeholder needed only
# to load the settings and never used at run time.
RUN DEBUG=False SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v 0

USER tracker
EXPOSE 8000

CMD ["gunicorn", "-c", "gunicorn.conf.py", "tracker.wsgi"]
