# lambdock's image: the `lambdock` command, with a MinIO server for the S3 buckets it manages.
#
#   docker build -t lambdock .
#   docker run --rm --network host -v "$PWD:$PWD" -w "$PWD" lambdock up --backend process
#
# Build arguments (all optional):
#   BASE         the image lambdock runs on: Debian-like, with python3 (3.11+, venv, pip); Node.js
#                is installed with apt when the base has none (Node.js functions need it).
#   MINIO_IMAGE  an image holding a MinIO server binary at MINIO_PATH, used instead of building
#                MinIO from source (Docker Hub no longer serves MinIO's images).
#   GO_IMAGE     the Go toolchain image that builds MinIO from source (Go 1.24 or newer).
ARG BASE=python:3.12-slim-bookworm
ARG GO_IMAGE=golang:1.24-bookworm
ARG MINIO_IMAGE=minio-from-source

# MinIO is distributed as source only: built with `go install` at a pinned version. The build
# is skipped when MINIO_IMAGE names another image (the stage is then empty, and unused).
FROM ${GO_IMAGE} AS minio-from-source
ARG MINIO_IMAGE
ARG MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
# Only the binary leaves this stage, so its module and build caches need no cleaning.
RUN if [ "$MINIO_IMAGE" = "minio-from-source" ]; then \
        CGO_ENABLED=0 GOBIN=/usr/bin go install "github.com/minio/minio@${MINIO_VERSION}"; \
    fi

FROM ${MINIO_IMAGE} AS minio

FROM ${BASE}
ARG MINIO_PATH=/usr/bin/minio
RUN if ! command -v node >/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends nodejs npm \
        && rm -rf /var/lib/apt/lists/*; \
    fi
COPY --from=minio ${MINIO_PATH} /usr/local/bin/minio
# The context holds only what .dockerignore lets in: the package, and a wheelhouse if any.
COPY . /opt/lambdock-src/
# PIP_OPTIONS lets an offline build install from a wheelhouse put in the context:
# --build-arg PIP_OPTIONS="--no-index --find-links /opt/lambdock-src/.wheelhouse"
ARG PIP_OPTIONS=""
# boto3 beside lambdock: the process backend runs Python handlers with this interpreter, and
# Lambda's Python runtimes provide boto3 to every handler.
RUN python3 -m venv /opt/lambdock \
    && /opt/lambdock/bin/pip install --no-cache-dir --disable-pip-version-check ${PIP_OPTIONS} \
        /opt/lambdock-src boto3 \
    && rm -rf /opt/lambdock-src
ENV PATH=/opt/lambdock/bin:$PATH \
    LAMBDOCK_MINIO_BIN=/usr/local/bin/minio \
    PYTHONUNBUFFERED=1
EXPOSE 3000
ENTRYPOINT ["lambdock"]
CMD ["up", "--host", "0.0.0.0"]
