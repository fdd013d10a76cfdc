#!/usr/bin/env bash
# One run, one table: the machine's ceiling (a bare Kestrel HTTPS endpoint serving a fixed 1 KB JSON body,
# bench/BenchTool) and, per storage backend, GET, list of 50, list of all, create, merge patch with OBJECTS stored
# objects, watch fan-out (WATCHERS watchers x UPDATES updates: p50/p99 from the write's response to delivery,
# delivered/expected) and the server's RSS. Needs hey (apt-get install hey); etcd uses the local image
# clusterregistry-test/etcd through docker.
#
#   bench/run.sh                          # embedded backend, the server built from this checkout
#   BACKENDS="embedded etcd" bench/run.sh
#   SERVER_DLL=/tmp/before/clusterregistry.dll bench/run.sh   # measure another build (e.g. main's, for before/after)
#
# Environment: OBJECTS (3000), REQUESTS (2000) and CONCURRENCY (16) per operation, LIST_ALL_REQUESTS (100),
# WATCHERS (1000; 0 skips the fan-out), UPDATES (20), EXTRA_ARGS passed to `clusterregistry standalone`. Figures only; nothing asserts.
set -euo pipefail
cd "$(dirname "$0")/.."
OBJECTS=${OBJECTS:-3000}
REQUESTS=${REQUESTS:-2000}
CONCURRENCY=${CONCURRENCY:-16}
LIST_ALL_REQUESTS=${LIST_ALL_REQUESTS:-100}
WATCHERS=${WATCHERS:-1000}
UPDATES=${UPDATES:-20}
BACKENDS=${BACKENDS:-embedded}
command -v hey >/dev/null || { echo "bench: needs hey (apt-get install hey)" >&2; exit 2; }

pids=(); containers=(); dirs=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
  for d in "${dirs[@]}"; do rm -rf "$d"; done
}
trap cleanup EXIT

dotnet build -c Release bench/BenchTool -v q -nologo >/dev/null
tool=bench/BenchTool/bin/Release/net10.0/benchtool.dll
if [ -z "${SERVER_DLL:-}" ]; then
  dotnet build -c Release src/Api/Api.csproj -v q -nologo >/dev/null
  SERVER_DLL=src/Api/bin/Release/net10.0/clusterregistry.dll
fi

# hey's figures for one operation: "req/s p50 p99 status-codes".
measure() {
  local n=$1; shift
  local out; out=$(hey -n "$n" -c "$CONCURRENCY" "$@" 2>&1)
  awk '/Requests\/sec/ {rps=$2} /50% in/ {p50=$3*1000} /99% in/ {p99=$3*1000} /^  \[[0-9]+\]/ {codes=codes $1 $2 " "}
       END {printf "%9.1f req/s  p50 %7.1f ms  p99 %7.1f ms  %s\n", rps, p50, p99, codes}' <<<"$out"
}
row() { printf '%-30s %s\n' "$1" "$2"; }

port=$((20000 + RANDOM % 20000))
dotnet "$tool" kestrel "$port" >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 1 100); do curl -skf "https://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
echo "clusterregistry benchmark: $(nproc) cores, hey -c $CONCURRENCY, $OBJECTS stored objects, server $SERVER_DLL"
row "bare Kestrel 1 KB JSON" "$(measure "$REQUESTS" "https://127.0.0.1:$port/")"

run_backend() {
  local backend=$1 args=()
  local data; data=$(mktemp -d); dirs+=("$data")
  case $backend in
    embedded) ;;
    etcd)
      local eport=$((20000 + RANDOM % 20000)) name="bench-etcd-$RANDOM"
      docker run -d --rm --name "$name" -p "127.0.0.1:$eport:2379" --entrypoint etcd clusterregistry-test/etcd \
        --name=etcd0 --data-dir=/tmp/etcd --listen-client-urls=http://0.0.0.0:2379 --advertise-client-urls=http://127.0.0.1:2379 >/dev/null
      containers+=("$name")
      for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$eport/health" >/dev/null 2>&1 && break; sleep 0.2; done
      args=(--storage-backend etcd3 --etcd-servers "http://127.0.0.1:$eport") ;;
    *) echo "bench: unknown backend $backend" >&2; return 1 ;;
  esac
  local sport=$((20000 + RANDOM % 20000))
  # shellcheck disable=SC2086
  dotnet "$SERVER_DLL" standalone --data-dir "$data" --secure-port "$sport" "${args[@]}" ${EXTRA_ARGS:-} >"$data/server.log" 2>&1 &
  local server=$!; pids+=("$server")
  local url="https://127.0.0.1:$sport"
  for _ in $(seq 1 150); do curl -skf "$url/readyz" >/dev/null 2>&1 && [ -f "$data/admin.token" ] && break; sleep 0.2; done
  local token; token=$(cat "$data/admin.token")
  local base="$url/apis/clusterregistry.k8s.io/v1alpha1/clusters" auth="Authorization: Bearer $(cat "$data/admin.token")"
  local body='{"apiVersion":"clusterregistry.k8s.io/v1alpha1","kind":"Cluster","metadata":{"generateName":"bench-","labels":{"bench":"true"}},"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"0.0.0.0/0","serverAddress":"10.0.0.1:6443"}]}}}'
  curl -skf -X POST -H "$auth" -H 'Content-Type: application/json' -d "${body/\"generateName\":\"bench-\"/\"name\":\"target\"}" "$base" >/dev/null
  hey -n "$((OBJECTS - 1))" -c "$CONCURRENCY" -m POST -H "$auth" -T application/json -d "$body" "$base" >/dev/null
  local stored; stored=$(curl -skf -H "$auth" "$base?limit=1" | python3 -c 'import json,sys; m=json.load(sys.stdin)["metadata"]; print(1 + m.get("remainingItemCount", 0))')

  echo "--- $backend ($stored objects stored)"
  row "GET one object" "$(measure "$REQUESTS" -H "$auth" "$base/target")"
  row "list of 50" "$(measure "$REQUESTS" -H "$auth" "$base?limit=50")"
  row "list of all" "$(measure "$LIST_ALL_REQUESTS" -H "$auth" "$base")"
  row "create (generateName)" "$(measure "$REQUESTS" -m POST -H "$auth" -T application/json -d "$body" "$base")"
  row "merge patch" "$(measure "$REQUESTS" -m PATCH -H "$auth" -T application/merge-patch+json -d '{"metadata":{"annotations":{"bench":"x"}}}' "$base/target")"
  row "RSS after the requests" "$(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' "/proc/$server/status")"
  if [ "$WATCHERS" -gt 0 ]; then
    row "watch fan-out" "$(dotnet "$tool" fanout "$url" "$token" "$WATCHERS" "$UPDATES" "$server" 2>"$data/fanout.err" | sed 's/^fanout //')"
  fi
  kill "$server" 2>/dev/null || true
}

for b in $BACKENDS; do run_backend "$b"; done
