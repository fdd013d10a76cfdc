#!/usr/bin/env bash
# Builds the local images the container-backed tests use, for machines without a container registry:
#   clusterregistry-test/base      Debian bookworm root filesystem with etcd and PostgreSQL 15 (mmdebstrap + docker import)
#   clusterregistry-test/etcd      single-node etcd, client port 2379
#   clusterregistry-test/postgres  PostgreSQL 15, port 5432, user/password postgres/postgres
# Idempotent: an image is rebuilt only when it is missing or its Dockerfile changed (tracked by a label).
# On a machine with registry access, point the tests at public images instead
# (CLUSTERREGISTRY_ETCD_IMAGE=quay.io/coreos/etcd:v3.5.17, CLUSTERREGISTRY_POSTGRES_IMAGE=postgres:15).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
base=clusterregistry-test/base:latest
export DOCKER_BUILDKIT=0   # the Debian daemon has no buildx; the legacy builder is enough

exists() { docker image inspect "$1" >/dev/null 2>&1; }

if exists "$base"; then
    echo "build-images: $base exists"
else
    echo "build-images: building $base with mmdebstrap"
    start=$SECONDS
    tar_file="$(mktemp /tmp/clusterregistry-base.XXXXXX.tar)"
    trap 'rm -f "$tar_file"' EXIT
    mmdebstrap --quiet --variant=apt --include=postgresql-15,etcd-server,ca-certificates bookworm "$tar_file"
    docker import "$tar_file" "$base" >/dev/null
    rm -f "$tar_file"
    echo "build-images: $base built in $((SECONDS - start)) s"
fi

for name in etcd postgres; do
    image="clusterregistry-test/$name:latest"
    dir="$here/$name"
    # Rebuilt when its Dockerfile or the base image changes.
    hash="$( { cat "$dir/Dockerfile"; docker image inspect --format '{{.Id}}' "$base"; } | sha256sum | cut -c1-16)"
    current="$(docker image inspect --format '{{index .Config.Labels "clusterregistry.test.dockerfile"}}' "$image" 2>/dev/null || true)"
    if [ "$current" = "$hash" ]; then
        echo "build-images: $image is up to date"
        continue
    fi
    echo "build-images: building $image"
    start=$SECONDS
    if ! out="$(docker build --quiet --label "clusterregistry.test.dockerfile=$hash" -t "$image" "$dir" 2>&1)"; then
        echo "$out" >&2
        echo "build-images: building $image failed" >&2
        exit 1
    fi
    echo "build-images: $image built in $((SECONDS - start)) s"
done
