#!/usr/bin/env bash
# Builds the server's container image here, where no container registry is reachable, and tags it
# clusterregistry:local (override with IMAGE=...):
#   1. publishes the self-contained single-file server on the host (the .NET SDK is only on the host; no SDK image
#      can be pulled) into a temporary build context;
#   2. makes a minimal runtime-deps base from Debian packages with mmdebstrap (once; clusterregistry-build/runtime-deps),
#      the offline stand-in for mcr.microsoft.com/dotnet/runtime-deps:10.0;
#   3. runs `docker build` on the repository's Dockerfile with --build-arg BASE=<that base>.
# Elsewhere the same Dockerfile builds on the public base: leave BASE unset (USE_PUBLIC_BASE=1 here skips step 2).
# Needs Docker running (bash .ci/docker.sh starts it) and mmdebstrap.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
image="${IMAGE:-clusterregistry:local}"
base="${BASE:-clusterregistry-build/runtime-deps:bookworm}"
export DOCKER_BUILDKIT=0   # the Debian daemon has no buildx; the legacy builder is enough
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

ctx="$(mktemp -d /tmp/clusterregistry-image.XXXXXX)"
rootfs=""
cleanup() { rm -rf "$ctx"; if [ -n "$rootfs" ]; then rm -rf "$rootfs"; fi; }
trap cleanup EXIT

if [ "${USE_PUBLIC_BASE:-0}" != 1 ] && ! docker image inspect "$base" >/dev/null 2>&1; then
    echo "image.sh: building $base with mmdebstrap"
    start=$SECONDS
    rootfs="$(mktemp -d /tmp/clusterregistry-rootfs.XXXXXX)"
    # 'extract' unpacks only these packages and their dependencies: no shell, no package manager. The .NET
    # runtime-deps set (glibc, OpenSSL, zlib, libstdc++, CA certificates) plus tzdata for time zones.
    mmdebstrap --quiet --variant=extract \
        --include=libc6,libssl3,zlib1g,ca-certificates,libgcc-s1,libstdc++6,tzdata \
        bookworm "$rootfs"
    # Maintainer scripts do not run in 'extract', so the CA bundle update-ca-certificates would make is made here.
    mkdir -p "$rootfs/etc/ssl/certs"
    cat "$rootfs"/usr/share/ca-certificates/mozilla/*.crt > "$rootfs/etc/ssl/certs/ca-certificates.crt"
    # Unneeded for running a binary; keeps the base small.
    rm -rf "$rootfs"/usr/share/doc "$rootfs"/usr/share/man "$rootfs"/usr/share/locale "$rootfs"/var/cache/apt "$rootfs"/var/lib/apt/lists
    tar -C "$rootfs" -c . | docker import - "$base" >/dev/null
    rm -rf "$rootfs"; rootfs=""
    echo "image.sh: $base built in $((SECONDS - start)) s"
fi

echo "image.sh: publishing the self-contained single-file server (linux-x64)"
dotnet publish "$repo_root/src/Api/Api.csproj" -c Release -r linux-x64 --self-contained \
    -p:PublishSingleFile=true -p:DebugType=none -p:GenerateDocumentationFile=false \
    -o "$ctx/app" --nologo -v quiet
cp "$repo_root/Dockerfile" "$ctx/Dockerfile"
# Copied into the image owned by the server's user, so a fresh volume mounted there is writable by it
# (Docker seeds a new named volume from the image's directory, ownership included).
mkdir -p "$ctx/data"

build_args=()
if [ "${USE_PUBLIC_BASE:-0}" != 1 ]; then build_args+=(--build-arg "BASE=$base"); fi
echo "image.sh: docker build -t $image ${build_args[*]}"
# Output only on failure: the legacy builder's deprecation notice is noise here.
if ! out="$(docker build --quiet "${build_args[@]}" -t "$image" "$ctx" 2>&1)"; then
    echo "$out" >&2
    echo "image.sh: building $image failed" >&2
    exit 1
fi
echo "image.sh: $image built ($(docker image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1000000}'))"
