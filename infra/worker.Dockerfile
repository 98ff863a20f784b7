# One image for the four workers; compose runs it as `monolathe worker <queue>`.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY workflows workflows
COPY activities activities
COPY workers workers
COPY channels channels
COPY infra/temporal.compose.yaml infra/temporal.compose.yaml
RUN pip install --no-cache-dir .
ENV MONOLATHE_CONFIG=/app/infra/temporal.compose.yaml
ENTRYPOINT ["monolathe"]
