#!/usr/bin/env bash
# Prepare everything lambdock's test suite needs on a fresh Debian machine, caching what it can.
#
# Steps (each skipped when already done):
#   1. Debian packages docker.io, debootstrap, wrk, chromium, fonts-liberation (apt-get update runs only if one is missing)
#   2. MinIO server built from source with `go install` (started in the background, awaited last)
#   3. Python virtualenv .venv with lambdock[dev] and awslambdaric
#   4. Docker engine (dockerd started in the background when `docker info` does not answer)
#   5. Runtime images built offline with debootstrap + `docker import` (no registry is reachable)
#   6. The environment file the test runner sources ($LAMBDOCK_CACHE/test-env.sh)
#
# Run as root (apt-get, dockerd and debootstrap need it). Cache: ${LAMBDOCK_CACHE:-~/.cache/lambdock}.
# A dockerd started here keeps running; its pid is in $LAMBDOCK_CACHE/dockerd.pid
# (scripts/test.sh stops it at exit).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${LAMBDOCK_CACHE:-$HOME/.cache/lambdock}"
PYTHON="${PYTHON:-python3}"
MINIO_MODULE="github.com/minio/minio"
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
DEBIAN_SUITE="bookworm"
IMAGE_PYTHON="lambdock-test/python:3.11"
IMAGE_NODEJS="lambdock-test/nodejs:18"
IMAGE_AWS_PYTHON="lambdock-test/aws-python:3.11"
DOCKERD_WAIT_S=60
ENV_FILE="$CACHE/test-env.sh"
LOG_DIR="$CACHE/logs"
MINIO_BIN="$CACHE/minio/$MINIO_VERSION/minio"

TIMINGS=()
MINIO_PID=""
BACKGROUND_PIDS=()

log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() {
    printf '[setup] FAILED: %s\n' "$*" >&2
    exit 1
}
# Print the tail of a log file, for failure messages.
show_log() { [[ -f "$1" ]] && tail -n "${2:-25}" "$1" | sed 's/^/    | /' >&2 || true; }

# On failure, stop the builds this script started in the background (by their pids).
stop_background_jobs() {
    local rc=$? pid
    [[ $rc -eq 0 ]] && return
    for pid in "${BACKGROUND_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            pkill -TERM -P "$pid" 2>/dev/null || true
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
}

# run_step NAME FUNCTION: run one step and record how long it took.
run_step() {
    local name="$1" fn="$2" start ms
    start=$(date +%s%N)
    log "== $name"
    "$fn"
    ms=$((($(date +%s%N) - start) / 1000000))
    TIMINGS+=("$(printf '%-30s %5d.%d s' "$name" $((ms / 1000)) $((ms % 1000 / 100)))")
}

require_root() {
    [[ "$(id -u)" == 0 ]] || fail "$1 needs root (run this script as root)"
}

# --- 1. Debian packages ----------------------------------------------------------------------
is_installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]; }

step_apt() {
    local missing=() pkg
    # debootstrap verifies Debian's Release files with this keyring (only Recommended).
    for pkg in docker.io debootstrap wrk debian-archive-keyring chromium fonts-liberation docker-compose; do
        is_installed "$pkg" || missing+=("$pkg")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "Debian packages present: docker.io debootstrap wrk debian-archive-keyring chromium fonts-liberation docker-compose"
        return
    fi
    require_root "installing Debian packages (${missing[*]})"
    log "installing Debian packages: ${missing[*]} (log: $LOG_DIR/apt.log)"
    if ! { DEBIAN_FRONTEND=noninteractive timeout 600 apt-get update -q \
        && DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q \
            --no-install-recommends "${missing[@]}"; } >"$LOG_DIR/apt.log" 2>&1; then
        show_log "$LOG_DIR/apt.log"
        fail "could not install Debian packages: ${missing[*]}"
    fi
}

# --- 2. MinIO server (background) ------------------------------------------------------------
go_is_new_enough() {
    # MinIO at this version needs Go 1.24 or newer.
    local v
    v="$(go env GOVERSION 2>/dev/null)" || return 1
    v="${v#go}"
    [[ "$(printf '%s\n' "1.24" "$v" | sort -V | head -n1)" == "1.24" ]]
}

step_minio_start() {
    if [[ -x "$MINIO_BIN" ]]; then
        log "MinIO binary cached: $MINIO_BIN"
        return
    fi
    command -v go >/dev/null || fail "Go toolchain not found on PATH (Go >= 1.24 builds MinIO)"
    go_is_new_enough || fail "Go >= 1.24 is needed to build MinIO; found $(go env GOVERSION)"
    # Built into a side folder and moved in place when done, so an interrupted build never
    # leaves a binary that a later run would take for a cached one.
    rm -rf "$MINIO_BIN.part" && mkdir -p "$MINIO_BIN.part"
    log "building MinIO $MINIO_VERSION in the background (log: $LOG_DIR/minio-build.log)"
    GOBIN="$MINIO_BIN.part" timeout 2400 \
        go install "$MINIO_MODULE@$MINIO_VERSION" >"$LOG_DIR/minio-build.log" 2>&1 &
    MINIO_PID=$!
    BACKGROUND_PIDS+=("$MINIO_PID")
}

step_minio_wait() {
    if [[ -z "$MINIO_PID" ]]; then
        [[ -x "$MINIO_BIN" ]] || fail "MinIO binary missing: $MINIO_BIN"
        return
    fi
    log "waiting for the MinIO build (pid $MINIO_PID)"
    if ! wait "$MINIO_PID"; then
        show_log "$LOG_DIR/minio-build.log"
        fail "go install $MINIO_MODULE@$MINIO_VERSION failed (log: $LOG_DIR/minio-build.log)"
    fi
    [[ -x "$MINIO_BIN.part/minio" ]] || fail "go install finished but built no minio binary"
    mv "$MINIO_BIN.part/minio" "$MINIO_BIN"
    rmdir "$MINIO_BIN.part"
}

# --- 3. Python virtualenv --------------------------------------------------------------------
step_venv() {
    local venv="$REPO_ROOT/.venv" stamp want
    stamp="$venv/.lambdock-installed"
    # Reinstall when pyproject.toml changes: the stamp holds the hash it was installed from.
    want="$(sha256sum "$REPO_ROOT/pyproject.toml" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
        && "$venv/bin/python" -c 'import emulator, pytest, awslambdaric, docker' 2>/dev/null; then
        log "virtualenv up to date: $venv"
        return
    fi
    command -v "$PYTHON" >/dev/null || fail "Python interpreter '$PYTHON' not found (need 3.11+)"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || fail "Python 3.11+ is needed; '$PYTHON' is $("$PYTHON" --version 2>&1)"
    if [[ ! -x "$venv/bin/python" ]]; then
        log "creating virtualenv $venv"
        "$PYTHON" -m venv "$venv" || fail "could not create the virtualenv (python3-venv missing?)"
    fi
    log "installing lambdock[dev] + awslambdaric (log: $LOG_DIR/pip.log)"
    if ! (cd "$REPO_ROOT" && timeout 900 "$venv/bin/python" -m pip install -q \
        -e '.[dev]' awslambdaric) >"$LOG_DIR/pip.log" 2>&1; then
        show_log "$LOG_DIR/pip.log" 40
        fail "pip install -e '.[dev]' awslambdaric failed (log: $LOG_DIR/pip.log)"
    fi
    echo "$want" >"$stamp"
}

# --- 4. Docker engine ------------------------------------------------------------------------
docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

pid_is_dockerd() { [[ -n "$1" && "$(cat "/proc/$1/comm" 2>/dev/null)" == "dockerd" ]]; }

step_docker() {
    command -v docker >/dev/null || fail "docker CLI not found (Debian package docker.io)"
    if docker_answers; then
        log "Docker engine answers"
        return
    fi
    local pidfile="$CACHE/dockerd.pid" pid=""
    # A dockerd may be starting already (ours from an earlier run, or the system's).
    [[ -f "$pidfile" ]] && pid="$(cat "$pidfile")"
    pid_is_dockerd "$pid" || pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
    if pid_is_dockerd "$pid"; then
        log "dockerd (pid $pid) is running but not answering yet; waiting"
    else
        require_root "starting dockerd"
        command -v dockerd >/dev/null || fail "dockerd not found (Debian package docker.io)"
        log "starting dockerd (log: $CACHE/dockerd.log)"
        # Default flags work in this sandbox: overlay2 storage, cgroupfs (v1), iptables, docker0
        # bridge. LAMBDOCK_DOCKERD_FLAGS adds flags for machines that need others.
        # shellcheck disable=SC2086
        setsid dockerd ${LAMBDOCK_DOCKERD_FLAGS:-} >"$CACHE/dockerd.log" 2>&1 </dev/null &
        pid=$!
        echo "$pid" >"$pidfile"
    fi
    local i
    for ((i = 0; i < DOCKERD_WAIT_S; i++)); do
        docker_answers && { log "Docker engine answers (dockerd pid $pid)"; return; }
        # kill -0, not the process name: right after the start it may still read "setsid".
        if ! kill -0 "$pid" 2>/dev/null; then
            show_log "$CACHE/dockerd.log"
            fail "dockerd (pid $pid) exited before answering (log above: $CACHE/dockerd.log)"
        fi
        sleep 1
    done
    show_log "$CACHE/dockerd.log"
    fail "Docker engine did not answer 'docker info' within ${DOCKERD_WAIT_S}s (dockerd log above)"
}

# --- 5. Runtime images -----------------------------------------------------------------------
declare -A ROOTFS_INCLUDE=([python]="python3,ca-certificates" [nodejs]="nodejs,ca-certificates")

# An image is current when its recipe label matches this hash of the files that build it, so a
# change to this script or to scripts/images/ rebuilds the images (from the cached rootfs).
recipe_hash() {
    cat "$REPO_ROOT/scripts/setup-test-env.sh" "$REPO_ROOT"/scripts/images/* | sha256sum | cut -c1-16
}
RECIPE_LABEL="org.lambdock.test-recipe"

image_current() {
    [[ "$(docker image inspect -f "{{index .Config.Labels \"$RECIPE_LABEL\"}}" "$1" 2>/dev/null)" \
        == "$RECIPE" ]]
}

# The cached rootfs tarball of NAME; its file name changes with the suite and package list.
rootfs_tarball() {
    local key
    key="$(printf '%s' "$DEBIAN_SUITE ${ROOTFS_INCLUDE[$1]}" | sha256sum | cut -c1-8)"
    echo "$CACHE/rootfs/$1-$DEBIAN_SUITE-$key.tar"
}

# debootstrap_rootfs NAME: cache a minbase Debian rootfs with NAME's packages as a tarball.
debootstrap_rootfs() {
    local tarball dir="$CACHE/rootfs/$1.tmp" logf="$LOG_DIR/debootstrap-$1.log"
    tarball="$(rootfs_tarball "$1")"
    rm -rf "$dir" "$tarball.part"
    timeout 900 debootstrap --variant=minbase --include="${ROOTFS_INCLUDE[$1]}" \
        "$DEBIAN_SUITE" "$dir" >"$logf" 2>&1 || return 1
    # Empty the apt lists and caches: they are not needed at run time.
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb
    tar --numeric-owner -C "$dir" -cf "$tarball.part" . >>"$logf" 2>&1 || return 1
    mv "$tarball.part" "$tarball"
    rm -rf "$dir"
}

rootfs_needed() {
    case "$1" in
        python) ! image_current "$IMAGE_PYTHON" || ! image_current "$IMAGE_AWS_PYTHON" ;;
        nodejs) ! image_current "$IMAGE_NODEJS" ;;
    esac
}

step_rootfs() {
    mkdir -p "$CACHE/rootfs"
    local -A pids=()
    local name
    for name in python nodejs; do
        if [[ -f "$(rootfs_tarball "$name")" ]]; then
            log "rootfs cached: $(rootfs_tarball "$name")"
        elif ! rootfs_needed "$name"; then
            log "rootfs $name not needed: its images are current"
        else
            require_root "debootstrap"
            command -v debootstrap >/dev/null || fail "debootstrap not found (Debian package)"
            log "debootstrap $DEBIAN_SUITE + ${ROOTFS_INCLUDE[$name]} (log: $LOG_DIR/debootstrap-$name.log)"
            debootstrap_rootfs "$name" &
            pids[$name]=$!
            BACKGROUND_PIDS+=("${pids[$name]}")
        fi
    done
    for name in "${!pids[@]}"; do
        if ! wait "${pids[$name]}"; then
            show_log "$LOG_DIR/debootstrap-$name.log"
            fail "debootstrap of the $name rootfs failed (log: $LOG_DIR/debootstrap-$name.log)"
        fi
    done
}

# The awslambdaric wheels (and their dependencies) for Python 3.11, same version as the venv's.
fetch_awslambdaric_wheels() {
    local version wheels
    version="$("$REPO_ROOT/.venv/bin/python" -c \
        'import importlib.metadata as m; print(m.version("awslambdaric"))')"
    wheels="$CACHE/wheels/awslambdaric-$version"
    if [[ ! -f "$wheels/.complete" ]]; then
        rm -rf "$wheels" && mkdir -p "$wheels"
        timeout 600 "$REPO_ROOT/.venv/bin/python" -m pip download -q --only-binary=:all: \
            --python-version 3.11 --dest "$wheels" "awslambdaric==$version" \
            >"$LOG_DIR/pip-download.log" 2>&1 \
            || { show_log "$LOG_DIR/pip-download.log"; fail "pip download awslambdaric failed"; }
        touch "$wheels/.complete"
    fi
    echo "$wheels"
}

# Stage the AWS-base-image-like tree: the python rootfs, awslambdaric unpacked into /var/runtime
# (no pip in the image), /lambda-entrypoint.sh and /var/runtime/bootstrap, laid out as in
# public.ecr.aws/lambda/python.
stage_aws_python() {
    local stage="$1" wheels whl
    wheels="$(fetch_awslambdaric_wheels)"
    rm -rf "$stage" && mkdir -p "$stage"
    tar -C "$stage" -xf "$(rootfs_tarball python)"
    mkdir -p "$stage/var/runtime" "$stage/var/task" "$stage/opt"
    for whl in "$wheels"/*.whl; do
        "$REPO_ROOT/.venv/bin/python" -m zipfile -e "$whl" "$stage/var/runtime" \
            || fail "could not unpack $whl"
    done
    install -m 0755 "$REPO_ROOT/scripts/images/lambda-entrypoint.sh" "$stage/lambda-entrypoint.sh"
    install -m 0755 "$REPO_ROOT/scripts/images/aws-python-bootstrap.sh" "$stage/var/runtime/bootstrap"
}

# import_image IMAGE TARBALL|- [--change ...]: docker import with the recipe label.
import_image() {
    local image="$1" source="$2" previous
    shift 2
    previous="$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)"
    log "docker import $image"
    docker import --change "LABEL $RECIPE_LABEL=$RECIPE" "$@" "$source" "$image" >/dev/null \
        || fail "docker import of $image failed"
    # Drop the image this one replaces (now untagged) unless a container still uses it.
    if [[ -n "$previous" ]]; then docker rmi "$previous" >/dev/null 2>&1 || true; fi
}

step_images() {
    local plain_env=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
        --change 'ENV LANG=C.UTF-8')
    if image_current "$IMAGE_PYTHON"; then log "image current: $IMAGE_PYTHON"; else
        import_image "$IMAGE_PYTHON" "$(rootfs_tarball python)" "${plain_env[@]}" \
            --change 'CMD ["python3"]'
    fi
    if image_current "$IMAGE_NODEJS"; then log "image current: $IMAGE_NODEJS"; else
        import_image "$IMAGE_NODEJS" "$(rootfs_tarball nodejs)" "${plain_env[@]}" \
            --change 'CMD ["node"]'
    fi
    if image_current "$IMAGE_AWS_PYTHON"; then log "image current: $IMAGE_AWS_PYTHON"; else
        local stage="$CACHE/rootfs/aws-python.tmp"
        stage_aws_python "$stage"
        # The environment and entry point that AWS's Lambda base image Dockerfiles set; LANG is
        # C.UTF-8 because a minbase Debian has no en_US locale. No CMD: the handler is the CMD
        # of the function's image (or lambdock's command), as with AWS's images.
        tar --numeric-owner -C "$stage" -c . | import_image "$IMAGE_AWS_PYTHON" - \
            --change 'ENV LANG=C.UTF-8' \
            --change 'ENV TZ=:/etc/localtime' \
            --change 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin' \
            --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
            --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
            --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
            --change 'WORKDIR /var/task' \
            --change 'ENTRYPOINT ["/lambda-entrypoint.sh"]'
        rm -rf "$stage"
    fi
}

# A container on the host network must start and run Python: the tests depend on it.
step_check_engine() {
    local out
    out="$(timeout 60 docker run --rm --network host "$IMAGE_PYTHON" python3 -c 'print("ok")' 2>&1)" \
        || fail "docker run --network host $IMAGE_PYTHON failed: $out"
    [[ "$out" == "ok" ]] || fail "unexpected output from a host-network container: $out"
    log "docker run --network host works"
}

# --- 6. Environment file ---------------------------------------------------------------------
step_env_file() {
    {
        echo "# Written by scripts/setup-test-env.sh; sourced by scripts/test.sh."
        echo "export LAMBDOCK_MINIO_BIN=$(printf '%q' "$MINIO_BIN")"
        echo "export LAMBDOCK_TEST_IMAGE_PYTHON=$IMAGE_PYTHON"
        echo "export LAMBDOCK_TEST_IMAGE_NODEJS=$IMAGE_NODEJS"
        echo "export LAMBDOCK_TEST_IMAGE_AWS_PYTHON=$IMAGE_AWS_PYTHON"
        # The engine listens on the default socket unless the caller chose another.
        if [[ -n "${DOCKER_HOST:-}" ]]; then echo "export DOCKER_HOST=$(printf '%q' "$DOCKER_HOST")"; fi
    } >"$ENV_FILE.part"
    mv "$ENV_FILE.part" "$ENV_FILE"
}

main() {
    mkdir -p "$CACHE" "$LOG_DIR"
    RECIPE="$(recipe_hash)"
    local start=$SECONDS
    trap stop_background_jobs EXIT
    run_step "Debian packages" step_apt
    run_step "MinIO build (start)" step_minio_start
    run_step "Python virtualenv" step_venv
    run_step "Docker engine" step_docker
    run_step "Debian rootfs (debootstrap)" step_rootfs
    run_step "Runtime images" step_images
    run_step "Host-network container check" step_check_engine
    run_step "MinIO build (wait)" step_minio_wait
    step_env_file
    log "step timings:"
    printf '    %s\n' "${TIMINGS[@]}"
    log "setup finished in $((SECONDS - start)) s; environment ($ENV_FILE):"
    sed -n 's/^export /    /p' "$ENV_FILE"
}

main "$@"
