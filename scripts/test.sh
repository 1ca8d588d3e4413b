#!/usr/bin/env bash
# lambdock's one test command (CI and developers alike): bash scripts/test.sh [pytest args...]
#
# 1. scripts/setup-test-env.sh prepares the virtualenv, Docker engine, runtime images and MinIO
#    (cached under ${LAMBDOCK_CACHE:-~/.cache/lambdock}) and writes the env file sourced here.
# 2. One pytest run over tests/unit, tests/integration and tests/containers (extra args passed on).
# 3. ruff check and ruff format --check.
# Exits non-zero if any of them fails. A dockerd that this run started is stopped at exit (by the
# pid the setup recorded); one that was already running is left alone. LAMBDOCK_KEEP_DOCKERD=1
# keeps a started dockerd running for later runs.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LAMBDOCK_CACHE="${LAMBDOCK_CACHE:-$HOME/.cache/lambdock}"
# Tests run offline: the Docker backend must never try a registry (only loopback traffic here).
export LAMBDOCK_NO_PULL=1
DOCKERD_PIDFILE="$LAMBDOCK_CACHE/dockerd.pid"

say() { printf '[test %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

live_dockerd_pid() {
    local pid
    pid="$(cat "$DOCKERD_PIDFILE" 2>/dev/null || true)"
    [[ -n "$pid" && "$(cat "/proc/$pid/comm" 2>/dev/null)" == "dockerd" ]] && echo "$pid"
    return 0
}

# The dockerd recorded before setup ran was not started by this run: never stop it.
DOCKERD_BEFORE="$(live_dockerd_pid)"

stop_started_dockerd() {
    local pid i
    pid="$(live_dockerd_pid)"
    [[ -z "$pid" || "$pid" == "$DOCKERD_BEFORE" ]] && return 0
    if [[ "${LAMBDOCK_KEEP_DOCKERD:-0}" == 1 ]]; then
        say "leaving dockerd (pid $pid) running (LAMBDOCK_KEEP_DOCKERD=1)"
        return 0
    fi
    say "stopping the dockerd this run started (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || return 0
    # dockerd stops its containers (up to 15 s each by default) and its containerd, then exits.
    for ((i = 0; i < 60; i++)); do
        [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "dockerd" ]] || break
        sleep 0.5
    done
    if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "dockerd" ]]; then
        say "dockerd (pid $pid) still running after 30 s; left as is"
    else
        rm -f "$DOCKERD_PIDFILE"
    fi
}
trap stop_started_dockerd EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

seconds_since() { echo $((SECONDS - $1)); }

start=$SECONDS
bash "$REPO_ROOT/scripts/setup-test-env.sh"
setup_s=$(seconds_since "$start")
# shellcheck source=/dev/null
source "$LAMBDOCK_CACHE/test-env.sh"

cd "$REPO_ROOT"
failed=()

# One pytest run over every test folder: a folder without tests is fine as long as the run as
# a whole collects some; exit code 5 (nothing collected at all) counts as a failure.
folders=()
for folder in tests/unit tests/integration tests/containers; do
    [[ -d "$folder" ]] && folders+=("$folder")
done
start=$SECONDS
say "pytest ${folders[*]} $*"
rc=0
.venv/bin/python -m pytest "${folders[@]}" "$@" || rc=$?
pytest_s=$(seconds_since "$start")
case $rc in
    0) ;;
    5) say "pytest collected no tests"; failed+=("pytest (no tests collected)") ;;
    *) failed+=("pytest (exit code $rc)") ;;
esac

start=$SECONDS
say "ruff check and ruff format --check"
.venv/bin/ruff check . || failed+=("ruff check")
.venv/bin/ruff format --check . || failed+=("ruff format --check")
ruff_s=$(seconds_since "$start")

say "timings: setup ${setup_s} s, pytest ${pytest_s} s, ruff ${ruff_s} s"
if [[ ${#failed[@]} -gt 0 ]]; then
    say "FAILED: ${failed[*]}"
    exit 1
fi
say "all passed"
