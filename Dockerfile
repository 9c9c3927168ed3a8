# One image for every server part: `pitstop db upgrade`, `pitstop ingest`, `pitstop api`,
# `pitstop diagnostics`, `pitstop worker` (docker-compose.yml picks the subcommand).
# Every dependency comes from the same pinned, hashed lock as the README's first command.
FROM python:3.11-slim AS build
WORKDIR /src
COPY requirements/run.lock requirements/run.lock
RUN python -m venv /opt/pitstop \
 && /opt/pitstop/bin/pip install --no-cache-dir -r requirements/run.lock
COPY . .
RUN /opt/pitstop/bin/pip install --no-cache-dir --no-deps --no-build-isolation .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PITSTOP_HOME=/var/lib/pitstop \
    PATH=/opt/pitstop/bin:$PATH
COPY --from=build /opt/pitstop /opt/pitstop
RUN useradd --system --uid 10001 --home-dir /var/lib/pitstop --create-home pitstop
USER pitstop
WORKDIR /var/lib/pitstop
ENTRYPOINT ["pitstop"]
CMD ["--help"]
