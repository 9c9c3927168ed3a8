# One image for every server part: `pitstop db upgrade`, `pitstop ingest`, `pitstop api`,
# `pitstop diagnostics` (docker-compose.yml picks the subcommand).
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir --upgrade pip \
 && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PITSTOP_HOME=/var/lib/pitstop
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
 && rm -rf /wheels \
 && useradd --system --uid 10001 --home-dir /var/lib/pitstop --create-home pitstop
USER pitstop
WORKDIR /var/lib/pitstop
ENTRYPOINT ["pitstop"]
CMD ["--help"]
