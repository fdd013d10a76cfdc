#!/usr/bin/env bash
# Builds a real kube-apiserver and kube-controller-manager v1.20.2 (the host cluster of the crinit and aggregated
# end-to-end tests) from Debian bookworm's `kubernetes` source package, which carries the full upstream tree with
# vendor/. Nothing is fetched but Debian packages. The binaries are cached outside the checkout, keyed on the
# source tarball's sha256, so only the first run on a machine pays the build (~15 min on 2 cores).
#
#   bash .ci/kube-apiserver.sh        -> prints the directory holding kube-apiserver and kube-controller-manager
#
# Cache root: $CLUSTERREGISTRY_KUBE_CACHE (default /var/cache/clusterregistry-kube). Why the build looks as it does:
#  - k8s 1.20 builds in GOPATH mode (its own hack/lib/init.sh does); module mode fails with Debian's Go 1.19.
#  - pkg/generated/openapi/zz_generated.openapi.go is generated, not shipped: `make gen_openapi` first.
#  - vendored modern-go/reflect2 v1.0.1 crashes at run time on Go >= 1.18: .ci/patches/reflect2-go118.patch brings
#    the two functions to their v1.0.2 form.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tarball_sha=b83c0780efb182d928dc63d46488a847f161f04e40a94b96bf5247dd671ecdfc
root="${CLUSTERREGISTRY_KUBE_CACHE:-/var/cache/clusterregistry-kube}"
work="$root/v1.20.2-${tarball_sha:0:12}"
bin="$work/bin"

if [ -x "$bin/kube-apiserver" ] && [ -x "$bin/kube-controller-manager" ] && command -v etcd >/dev/null 2>&1; then
    echo "$bin"; exit 0
fi

sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
need=()
for t in go:golang-go rsync:rsync make:make etcd:etcd-server; do
    command -v "${t%%:*}" >/dev/null 2>&1 || need+=("${t#*:}")
done
if [ "${#need[@]}" -gt 0 ]; then
    echo "kube-apiserver.sh: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get update -qq >/dev/null
    $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian starts etcd-server as a service on install; the tests start their own on other ports.
$sudo_cmd systemctl disable --now etcd >/dev/null 2>&1 || true

mkdir -p "$work/aptsrc/lists/partial" "$bin"
cd "$work"
src="$work/kubernetes-1.20.2"
if [ ! -f "$src/.patched" ]; then
    rm -rf "$src"
    # A deb-src entry in a private list, so the machine's apt configuration is left alone.
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    mirror=${mirror:-$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)}
    echo "deb-src $mirror bookworm main" > aptsrc/src.list
    opts=(-o Dir::Etc::SourceList="$work/aptsrc/src.list" -o Dir::Etc::SourceParts=/dev/null
          -o Dir::State::Lists="$work/aptsrc/lists")
    echo "kube-apiserver.sh: fetching Debian's kubernetes source package" >&2
    apt-get "${opts[@]}" update -qq
    apt-get "${opts[@]}" source --download-only kubernetes >/dev/null 2>&1
    echo "$tarball_sha  $(ls kubernetes_*.orig.tar.gz)" | sha256sum -c --quiet
    tar xzf kubernetes_*.orig.tar.gz
    (cd "$src" && patch -s -p1 < "$here/patches/reflect2-go118.patch")
    touch "$src/.patched"
fi

mkdir -p gopath/src/k8s.io
[ -L gopath/src/k8s.io/kubernetes ] || ln -s "$src" gopath/src/k8s.io/kubernetes
cd gopath/src/k8s.io/kubernetes
export GOPATH="$work/gopath" GOCACHE="$work/gocache" GOPROXY=off HOME="$work" GOFLAGS=
if [ ! -f pkg/generated/openapi/zz_generated.openapi.go ]; then
    echo "kube-apiserver.sh: generating OpenAPI definitions" >&2
    make gen_openapi >/dev/null
fi
export GO111MODULE=off CGO_ENABLED=0
v=k8s.io/kubernetes/vendor/k8s.io
ldflags="-s -w -X $v/component-base/version.gitVersion=v1.20.2 -X $v/component-base/version.gitMajor=1"
ldflags="$ldflags -X $v/component-base/version.gitMinor=20 -X $v/client-go/pkg/version.gitVersion=v1.20.2"
for c in kube-apiserver kube-controller-manager; do
    echo "kube-apiserver.sh: building $c (first time ~15 min)" >&2
    go build -ldflags "$ldflags" -o "$bin/$c.tmp" "./cmd/$c"
    mv "$bin/$c.tmp" "$bin/$c"
done
"$bin/kube-apiserver" --version >&2
echo "$bin"
