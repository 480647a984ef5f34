# ksqlpy's tools in a container: the datagen service of docker-compose.yml runs
# ksqlpy-datagen from this image; `docker compose run --rm datagen ksqlpy-migrations ...`
# or `... ksqlpy http://ksqldb-server:8088` reach the stack from inside its network.
FROM python:3.12-slim-bookworm

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# Only what the package is built from (see .dockerignore): a regular, non-editable install.
WORKDIR /build
COPY pyproject.toml setup.py README.md ./
COPY ksqlpy ./ksqlpy
COPY repl ./repl
COPY migrations ./migrations
COPY local ./local
RUN pip install . && rm -rf /build

RUN useradd --create-home ksqlpy
USER ksqlpy
WORKDIR /home/ksqlpy

CMD ["ksqlpy-datagen", "--help"]
