# Production image: the API (`gateway serve`, the default) or a worker (`gateway worker`),
# against a real MongoDB and Redis given by MONGODB_URL and REDIS_URL.

FROM python:3.12-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY schema ./schema
COPY adapters ./adapters
COPY jobs ./jobs
COPY sandbox ./sandbox
RUN python -m venv /opt/gateway \
    && /opt/gateway/bin/pip install --upgrade pip \
    && /opt/gateway/bin/pip install .

FROM python:3.12-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PATH=/opt/gateway/bin:$PATH \
    GATEWAY_ENV=production GATEWAY_HOST=0.0.0.0 GATEWAY_PORT=8000
RUN useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin gateway
COPY --from=build /opt/gateway /opt/gateway
USER gateway
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["gateway", "serve"]
