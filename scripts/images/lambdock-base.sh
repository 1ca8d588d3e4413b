#!/usr/bin/env bash
# Build the base image lambdock's Dockerfile is built FROM in CI, offline: no registry is
# reachable there, so `python:3.12-slim` cannot be pulled. A minbase Debian rootfs made with
# debootstrap has what the Dockerfile needs (Python with venv and pip, Node.js) and is imported
# with `docker import`. The rootfs tarball is cached; the image is rebuilt when this recipe changes.
#
#   bash scripts/images/lambdock-base.sh [IMAGE]     (default lambdock-test/lambdock-base:bookworm)
#
# Needs root (debootstrap), the debootstrap package and a Docker engine. Prints the image name.
set -euo pipefail

IMAGE="${1:-lambdock-test/lambdock-base:bookworm}"
CACHE="${LAMBDOCK_CACHE:-$HOME/.cache/lambdock}"
SUITE="bookworm"
PACKAGES="python3,python3-venv,python3-pip,nodejs,ca-certificates"
LABEL="org.lambdock.base-recipe"
RECIPE="$(printf '%s %s\n' "$SUITE" "$PACKAGES" | cat - "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)"
TARBALL="$CACHE/rootfs/lambdock-base-$SUITE-$RECIPE.tar"

log() { printf '[lambdock-base %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [[ "$(docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$IMAGE" 2>/dev/null)" \
    == "$RECIPE" ]]; then
    log "image current: $IMAGE"
    echo "$IMAGE"
    exit 0
fi

mkdir -p "$CACHE/rootfs" "$CACHE/logs"
if [[ ! -f "$TARBALL" ]]; then
    dir="$CACHE/rootfs/lambdock-base.tmp"
    logf="$CACHE/logs/debootstrap-lambdock-base.log"
    rm -rf "$dir" "$TARBALL.part"
    log "debootstrap $SUITE + $PACKAGES (log: $logf)"
    timeout 900 debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$dir" >"$logf" 2>&1 \
        || { tail -n 20 "$logf" >&2; exit 1; }
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb
    tar --numeric-owner -C "$dir" -cf "$TARBALL.part" .
    mv "$TARBALL.part" "$TARBALL"
    rm -rf "$dir"
fi
log "docker import $IMAGE"
docker import \
    --change "LABEL $LABEL=$RECIPE" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    "$TARBALL" "$IMAGE" >/dev/null
echo "$IMAGE"
