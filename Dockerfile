# syntax=docker/dockerfile:1
# Charter as a container: gunicorn (gunicorn.conf.py) on port 6543, as a non-root user.
# Build:  docker build -t charter .
# Run:    see compose.yaml, deploy/k8s/ and docs/deployment.md.

# -- build: a virtual environment with Charter and its dependencies ------------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_CONSTRAINT=/src/constraints.txt \
    PIP_BUILD_CONSTRAINT=/src/constraints.txt
WORKDIR /src
COPY . .
RUN python -m venv /opt/charter \
    && /opt/charter/bin/pip install --no-compile '.[postgresql]' gunicorn \
    && /opt/charter/bin/pip install --no-compile addons/charter-events

# -- run: the environment, the ini files, nothing else ------------------------------------
FROM python:3.11-slim-bookworm
ARG BUILD=unknown
ENV PATH=/opt/charter/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CHARTER_BIND=0.0.0.0:6543 \
    CHARTER_BUILD=$BUILD \
    PROMETHEUS_MULTIPROC_DIR=/tmp/charter-prometheus
RUN groupadd --system --gid 10001 charter \
    && useradd --system --uid 10001 --gid charter --home-dir /srv/charter --create-home charter \
    && install -d -o charter -g charter /var/lib/charter/blobs
COPY --from=build /opt/charter /opt/charter
COPY --chown=charter:charter production.ini gunicorn.conf.py /srv/charter/
WORKDIR /srv/charter
USER 10001:10001
EXPOSE 6543
VOLUME ["/var/lib/charter/blobs"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:6543/healthz', timeout=2).status != 200)"]
CMD ["gunicorn", "--paste", "production.ini", "-c", "gunicorn.conf.py"]
