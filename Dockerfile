FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core ./core
COPY servers ./servers
COPY agents ./agents
COPY prompts ./prompts
RUN pip install --no-cache-dir .
ENV CANARY_HTTP_HOST=0.0.0.0
ENTRYPOINT ["canary"]
