# Production image: the API (`gateway serve`, the default command) or a worker
# (`gateway worker`), against a real MongoDB and Redis given by MONGODB_URL and REDIS_URL.
#
# BASE_IMAGE: any Debian-like image with Python 3.11+, its venv module and CA certificates.
# `make image` builds one from Debian's packages where no image registry is reachable.
# Two optional build secrets reach pip and no layer: `pip.conf` (where packages come from)
# and `ca-bundle` (the CA certificates that pip.conf names as /run/secrets/ca-bundle).
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
# pip skips a configuration file that is not there: the build works without the secrets.
ENV PIP_CONFIG_FILE=/run/secrets/pip.conf PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml ./
# The dependencies in a layer of their own, so that a change to the code reuses it.
RUN --mount=type=secret,id=pip.conf --mount=type=secret,id=ca-bundle \
    python3 -m venv /opt/gateway \
    && python3 -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > requirements.txt \
    && /opt/gateway/bin/pip install --quiet -r requirements.txt
COPY README.md ./
COPY gateway ./gateway
COPY schema ./schema
COPY adapters ./adapters
COPY jobs ./jobs
COPY sandbox ./sandbox
RUN --mount=type=secret,id=pip.conf --mount=type=secret,id=ca-bundle \
    /opt/gateway/bin/pip install --quiet --no-deps . \
    && /opt/gateway/bin/gateway --help > /dev/null

FROM ${BASE_IMAGE}
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PATH=/opt/gateway/bin:$PATH \
    GATEWAY_ENV=production GATEWAY_HOST=0.0.0.0 GATEWAY_PORT=8000
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin gateway
COPY --from=build /opt/gateway /opt/gateway
# A numeric user, so that an orchestrator can tell it is not root without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import os, sys, urllib.request as r; url = 'http://127.0.0.1:' + os.environ['GATEWAY_PORT'] + '/healthz'; sys.exit(r.urlopen(url, timeout=2).status != 200)"]
CMD ["gateway", "serve"]
