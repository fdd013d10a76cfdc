#!/usr/bin/env bash
# Prepares Docker for the container-backed tests on a CI machine without a container registry:
# installs the Debian docker daemon and mmdebstrap (if missing), starts dockerd (if no socket),
# then builds the local test images (tests/images/build-images.sh). Idempotent; a few seconds when all is there.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
if [ "${#need[@]}" -gt 0 ]; then
    echo "docker.sh: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get update -qq >/dev/null
    $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! docker version >/dev/null 2>&1; then
    # No socket, or a stale one left by a daemon that is gone: start the daemon (it replaces the socket).
    if [ ! -S /var/run/docker.sock ] || ! pgrep -x dockerd >/dev/null 2>&1; then
        echo "docker.sh: starting dockerd (log: /tmp/dockerd.log)"
        $sudo_cmd sh -c 'nohup dockerd >/tmp/dockerd.log 2>&1 &'
    fi
    for _ in $(seq 1 60); do
        if docker version >/dev/null 2>&1; then break; fi
        sleep 1
    done
    if ! docker version >/dev/null 2>&1; then
        echo "docker.sh: dockerd did not come up within 60 s; last log lines:" >&2
        tail -n 30 /tmp/dockerd.log >&2 || true
        exit 1
    fi
fi
echo "docker.sh: docker $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

"$repo_root/tests/images/build-images.sh"
