# syntax=docker/dockerfile:1
# nhs-service-monitor: a small, non-root image. Config is mounted at /config, state lives in /data.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY migrations ./migrations
RUN pip install --no-cache-dir --upgrade pip==24.3.1 \
 && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NHS_MONITOR_CONFIG=/config/monitor.yaml \
    DATABASE_URL=sqlite:////data/monitor.db
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
 && groupadd --system --gid 10001 monitor \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin monitor \
 && mkdir -p /data /config && chown 10001:10001 /data
COPY config/monitor.yaml /config/monitor.yaml
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
  CMD ["nhs-monitor", "healthcheck"]
ENTRYPOINT ["nhs-monitor"]
CMD ["run"]
