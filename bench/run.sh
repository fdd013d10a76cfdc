#!/usr/bin/env bash
# Throughput and latency of create, get, list and patch against a clusterregistry server, measured with `hey`
# (apt-get install hey). Prints req/s, p50 and p99 per operation.
#
#   bench/run.sh                      # starts a fresh server (embedded store) on a temporary data dir
#   bench/run.sh --server URL TOKEN   # measures an already running server
#
# Environment: REQUESTS (default 2000) and CONCURRENCY (default 16) per operation; EXTRA_ARGS are passed to
# `clusterregistry standalone` when this script starts the server (e.g. "--storage-backend etcd3 --etcd-servers ...").
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${REQUESTS:-2000}
CONCURRENCY=${CONCURRENCY:-16}
command -v hey >/dev/null || { echo "bench: needs hey (apt-get install hey)" >&2; exit 2; }

server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; [ -n "${data:-}" ] && rm -rf "$data"; }
trap cleanup EXIT

if [ "${1:-}" = "--server" ]; then
  url=$2; token=$3
else
  dotnet build -c Release src/Api/Api.csproj -v q -nologo >/dev/null
  data=$(mktemp -d); port=$((20000 + RANDOM % 20000))
  # shellcheck disable=SC2086
  dotnet src/Api/bin/Release/net10.0/clusterregistry.dll standalone --data-dir "$data" --secure-port "$port" ${EXTRA_ARGS:-} \
    >"$data/server.log" 2>&1 &
  server_pid=$!
  url="https://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -skf "$url/readyz" >/dev/null 2>&1 && [ -f "$data/admin.token" ] && break; sleep 0.2; done
  token=$(cat "$data/admin.token")
fi

base="$url/apis/clusterregistry.k8s.io/v1alpha1/clusters"
auth="Authorization: Bearer $token"
body='{"apiVersion":"clusterregistry.k8s.io/v1alpha1","kind":"Cluster","metadata":{"generateName":"bench-","labels":{"bench":"true"}},"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"0.0.0.0/0","serverAddress":"10.0.0.1:6443"}]}}}'
curl -skf -X POST -H "$auth" -H 'Content-Type: application/json' -d "${body/bench-/target-}" "$base" >/dev/null
target=$(curl -skf -H "$auth" "$base?labelSelector=bench" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["metadata"]["name"])')

report() {
  local name=$1; shift
  local out; out=$(hey -n "$REQUESTS" -c "$CONCURRENCY" -H "$auth" "$@" 2>&1)
  local rps p50 p99 codes
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '/50% in/ {print $3*1000}' <<<"$out")
  p99=$(awk '/99% in/ {print $3*1000}' <<<"$out")
  codes=$(awk '/^  \[[0-9]+\]/ {printf "%s%s ", $1, $2}' <<<"$out")
  printf '%-8s %10.1f req/s   p50 %7.2f ms   p99 %7.2f ms   %s\n' "$name" "$rps" "$p50" "$p99" "$codes"
}

echo "clusterregistry benchmark: $REQUESTS requests per operation, concurrency $CONCURRENCY, $url"
report create -m POST -T application/json -d "$body" "$base"
report get "$base/$target"
report list "$base?limit=500"
report patch -m PATCH -T application/merge-patch+json -d '{"metadata":{"annotations":{"bench":"x"}}}' "$base/$target"
count=$(curl -skf -H "$auth" "$base" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
echo "objects stored: $count"
[ -n "$server_pid" ] && echo "server RSS: $(awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$server_pid/status)"
