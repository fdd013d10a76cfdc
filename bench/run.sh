#!/usr/bin/env bash
# One run, one table: the machine's ceiling (a bare Kestrel HTTPS endpoint serving a fixed 1 KB JSON body,
# bench/BenchTool) and, per storage backend, GET, list of 50, list of all, create, merge patch, server-side apply (new
# objects, then a change to each), delete with OBJECTS stored objects, watch fan-out (WATCHERS watchers x UPDATES
# updates: p50/p99 from the write's response to delivery, delivered/expected) and the server's RSS. hey measures what
# sends one request over and over; apply and delete, whose requests differ, go through `benchtool load` (same
# concurrency, same output). Each row also gives the CPU per request of the server process and of the store's
# container (etcd, PostgreSQL), which moves far less with the shared machine's load than req/s; the ceiling is measured
# again before each backend, so each backend's rows can be read as ratios to it. Needs hey (apt-get install hey);
# etcd and PostgreSQL run from the local images clusterregistry-test/etcd and clusterregistry-test/postgres through
# docker (PostgreSQL with fsync on: the image's test settings turn it off), on the host's network and listening on
# 127.0.0.1 only (STORE_NETWORK=host, the default; STORE_NETWORK=mapped publishes their ports: see bench/stores.sh).
#
#   bench/run.sh                          # embedded backend, the server built from this checkout
#   BACKENDS="embedded etcd postgres" bench/run.sh
#   SERVER_DLL=/tmp/before/clusterregistry.dll bench/run.sh   # measure another build (e.g. main's, for before/after)
#   SERVER_DLL=/tmp/publish bench/run.sh  # a publish directory: its clusterregistry executable, e.g. the image's build
#                                         # (self-contained single-file ReadyToRun, made as .ci/image.sh makes it)
#
# Environment: OBJECTS (3000), REQUESTS (10000; 2,000 measured a run of under a second that still included the
# connections' TLS handshakes and code the runtime had not finished optimising: etcd GET 2,900 req/s there, 4,950 over
# 20,000, the ceiling 10,700 and 15,700) and CONCURRENCY (16) per operation, LIST_ALL_REQUESTS (100, also for
# the rows of one client listing all: without and with gzip, and as a Table),
# WATCHERS (1000; 0 skips the fan-out), UPDATES (20), FANOUT_HTTP2 (1: the watchers share HTTP/2 connections, 100
# streams each, as one client-go process's watches do, read by a minimal HTTP/2 reader, FANOUT_CLIENT=httpclient for
# HttpClient; default one HTTP/1.1 connection per watcher), FANOUT_WARMUP (10 updates the watchers receive, twice,
# before the measured ones, so the fan-out path is compiled at its final tier; 0 measures it cold),
# FANOUT_WRITE_WARMUP (1,000 merge patches between the two, for the write path; ADR-037), WARMUP (300: requests of each kind, two rounds, before measuring;
# 0 measures a cold server), FANOUT_ONLY (1: only the fan-out row, after the objects are stored; no warm-up),
# EXTRA_ARGS passed to `clusterregistry standalone`. Figures only; nothing asserts.
set -euo pipefail
cd "$(dirname "$0")/.."
OBJECTS=${OBJECTS:-3000}
REQUESTS=${REQUESTS:-10000}
CONCURRENCY=${CONCURRENCY:-16}
LIST_ALL_REQUESTS=${LIST_ALL_REQUESTS:-100}
WATCHERS=${WATCHERS:-1000}
UPDATES=${UPDATES:-20}
BACKENDS=${BACKENDS:-embedded}
WARMUP=${WARMUP:-300}
FANOUT_ONLY=${FANOUT_ONLY:-0}
[ "$FANOUT_ONLY" = 1 ] && WARMUP=0
# shellcheck source=bench/stores.sh
source bench/stores.sh
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
# A build's dll runs on the shared runtime; a publish directory's executable runs as users run it (the image's build).
if [ -d "$SERVER_DLL" ]; then server_cmd=("$SERVER_DLL/clusterregistry"); else server_cmd=(dotnet "$SERVER_DLL"); fi

# CPU spent so far by the server process (clock ticks) and by the store's container (ns; 0 without one): the CPU
# each request cost, which moves far less with the machine's load than req/s does.
server_pid=""; store_cpu=""
cpu_now() {
  local server=0 store=0
  [ -n "$server_pid" ] && server=$(awk '{print $14 + $15}' "/proc/$server_pid/stat")
  [ -n "$store_cpu" ] && store=$(cat "$store_cpu")
  echo "$server $store"
}
# Runs one measurement ($1: its request count, then the command printing the figures) and appends the CPU per request.
with_cpu() {
  local n=$1; shift
  local before after figures; before=$(cpu_now); figures=$("$@"); after=$(cpu_now)
  awk -v b="$before" -v a="$after" -v n="$n" -v f="$figures" -v tck="$(getconf CLK_TCK)" 'BEGIN {
    split(b, x, " "); split(a, y, " "); line = f
    if (y[1] > 0) line = line sprintf(" cpu/req: server %.2f ms", (y[1] - x[1]) * 1000 / tck / n)
    if (y[2] > 0) line = line sprintf(", store %.2f ms", (y[2] - x[2]) / 1e6 / n)
    print line }'
}
# hey's figures for one operation: "req/s p50 p99 status-codes".
measure() {
  local n=$1; shift
  with_cpu "$n" hey_figures "$n" "$@"
}
hey_figures() {
  local n=$1; shift
  local out; out=$(hey -n "$n" -c "$CONCURRENCY" "$@" 2>&1)
  awk '/Requests\/sec/ {rps=$2} /50% in/ {p50=$3*1000} /99% in/ {p99=$3*1000} /^  \[[0-9]+\]/ {codes=codes $1 $2 " "}
       END {printf "%9.1f req/s  p50 %7.1f ms  p99 %7.1f ms  %s\n", rps, p50, p99, codes}' <<<"$out"
}
# The same figures for requests that differ ({i} in the URL and body is the request's number): benchtool load.
load() { with_cpu "$REQUESTS" dotnet "$tool" load "$1" "$2" "$token" "$3" "$4" "$REQUESTS" "$CONCURRENCY"; }
row() { printf '%-30s %s\n' "$1" "$2"; }

port=$((20000 + RANDOM % 20000)) kport=$port
dotnet "$tool" kestrel "$port" >/dev/null 2>&1 & pids+=($!); kestrel_pid=$!
for _ in $(seq 1 100); do curl -skf "https://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
echo "clusterregistry benchmark: $(nproc) cores, hey -c $CONCURRENCY, $OBJECTS stored objects, server $SERVER_DLL"
[ "$WARMUP" -gt 0 ] && hey -n "$WARMUP" -c "$CONCURRENCY" "https://127.0.0.1:$port/" >/dev/null
ceiling() { local server_pid=$kestrel_pid store_cpu=""; measure "$REQUESTS" "https://127.0.0.1:$kport/"; }
row "bare Kestrel 1 KB JSON" "$(ceiling)"

run_backend() {
  local backend=$1 args=()
  store_cpu=""
  local data; data=$(mktemp -d); dirs+=("$data")
  case $backend in
    embedded) ;;
    etcd)
      local eport=$((20000 + RANDOM % 20000)) name="bench-etcd-$RANDOM"
      containers+=("$name")
      start_etcd "$name" "$eport"
      store_cpu=$(store_cpu_file "$name")
      args=(--storage-backend etcd3 --etcd-servers "http://127.0.0.1:$eport") ;;
    postgres)
      local pport=$((20000 + RANDOM % 20000)) name="bench-postgres-$RANDOM"
      containers+=("$name")
      start_postgres "$name" "$pport"
      store_cpu=$(store_cpu_file "$name")
      args=(--storage-backend postgres --postgres-connection-string "Host=127.0.0.1;Port=$pport;Username=postgres;Password=postgres;Database=postgres") ;;
    *) echo "bench: unknown backend $backend" >&2; return 1 ;;
  esac
  local sport=$((20000 + RANDOM % 20000))
  # shellcheck disable=SC2086
  "${server_cmd[@]}" standalone --data-dir "$data" --secure-port "$sport" "${args[@]}" ${EXTRA_ARGS:-} >"$data/server.log" 2>&1 &
  local server=$!; pids+=("$server")
  server_pid=$server
  local url="https://127.0.0.1:$sport"
  for _ in $(seq 1 150); do curl -skf "$url/readyz" >/dev/null 2>&1 && [ -f "$data/admin.token" ] && break; sleep 0.2; done
  local token; token=$(cat "$data/admin.token")
  local base="$url/apis/clusterregistry.k8s.io/v1alpha1/clusters" auth="Authorization: Bearer $(cat "$data/admin.token")"
  local table="application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
  local body='{"apiVersion":"clusterregistry.k8s.io/v1alpha1","kind":"Cluster","metadata":{"generateName":"bench-","labels":{"bench":"true"}},"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"0.0.0.0/0","serverAddress":"10.0.0.1:6443"}]}}}'
  curl -skf -X POST -H "$auth" -H 'Content-Type: application/json' -d "${body/\"generateName\":\"bench-\"/\"name\":\"target\"}" "$base" >/dev/null
  hey -n "$((OBJECTS - 1))" -c "$CONCURRENCY" -m POST -H "$auth" -T application/json -d "$body" "$base" >/dev/null
  local stored; stored=$(curl -skf -H "$auth" "$base?limit=1" | python3 -c 'import json,sys; m=json.load(sys.stdin)["metadata"]; print(1 + m.get("remainingItemCount", 0))')

  # Warm-up, not measured: every operation runs WARMUP times first, so the JIT's tiering (which goes on in the
  # background for tens of seconds on this shared machine) is over before the figures are taken.
  if [ "$WARMUP" -gt 0 ]; then
    local warm='{"apiVersion":"clusterregistry.k8s.io/v1alpha1","kind":"Cluster","metadata":{"name":"warm-{i}","annotations":{"round":"ROUND"}}}'
    for round in 1 2; do
      hey -n "$WARMUP" -c "$CONCURRENCY" -H "$auth" "$base/target" >/dev/null
      hey -n "$WARMUP" -c "$CONCURRENCY" -H "$auth" "$base?limit=50" >/dev/null
      hey -n "$((WARMUP / 10))" -c "$CONCURRENCY" -H "Accept-Encoding: gzip" -H "Accept: $table" -H "$auth" "$base?limit=500" >/dev/null
      hey -n "$WARMUP" -c "$CONCURRENCY" -m POST -H "$auth" -T application/json -d "$body" "$base" >/dev/null
      hey -n "$WARMUP" -c "$CONCURRENCY" -m PATCH -H "$auth" -T application/merge-patch+json -d "{\"metadata\":{\"annotations\":{\"warm\":\"$round\"}}}" "$base/target" >/dev/null
      for change in a b; do
        dotnet "$tool" load PATCH "$base/warm-{i}?fieldManager=bench" "$token" application/apply-patch+yaml "${warm/ROUND/$change}" "$WARMUP" "$CONCURRENCY" >/dev/null
      done
      dotnet "$tool" load DELETE "$base/warm-{i}" "$token" "" "" "$WARMUP" "$CONCURRENCY" >/dev/null
    done
    sleep 3
  fi

  echo "--- $backend ($stored objects stored)"
  if [ "$FANOUT_ONLY" != 1 ]; then
  # The ceiling again, right before this backend's rows: the machine's load moves during a run.
  row "bare Kestrel 1 KB JSON" "$(ceiling)"
  row "GET one object" "$(measure "$REQUESTS" -H "$auth" "$base/target")"
  row "list of 50" "$(measure "$REQUESTS" -H "$auth" "$base?limit=50")"
  row "list of all" "$(measure "$LIST_ALL_REQUESTS" -H "$auth" "$base")"
  # One client listing everything, as kubectl does: the latency of one list, not the throughput of many. hey's own
  # gzip (asked for and undone by Go's transport) is off in both; with an explicit Accept-Encoding the body stays
  # compressed, so the row measures the server's gzip and not the client's gunzip on the same two cores.
  row "list of all, c=1" "$(CONCURRENCY=1 measure "$LIST_ALL_REQUESTS" -disable-compression -H "$auth" "$base")"
  row "list of all, c=1, gzip" "$(CONCURRENCY=1 measure "$LIST_ALL_REQUESTS" -H "Accept-Encoding: gzip" -H "$auth" "$base")"
  # kubectl get: Tables (kubectl 1.32's Accept), in pages of 500 at c=16, and all objects in one list by one client;
  # gzip asked for explicitly, as kubectl does, so the body stays compressed (see above).
  row "Table, pages of 500" "$(measure "$REQUESTS" -H "Accept-Encoding: gzip" -H "Accept: $table" -H "$auth" "$base?limit=500")"
  row "Table of all, c=1, gzip" "$(CONCURRENCY=1 measure "$LIST_ALL_REQUESTS" -H "Accept-Encoding: gzip" -H "Accept: $table" -H "$auth" "$base")"
  row "create (generateName)" "$(measure "$REQUESTS" -m POST -H "$auth" -T application/json -d "$body" "$base")"
  row "merge patch" "$(measure "$REQUESTS" -m PATCH -H "$auth" -T application/merge-patch+json -d '{"metadata":{"annotations":{"bench":"x"}}}' "$base/target")"
  local apply='{"apiVersion":"clusterregistry.k8s.io/v1alpha1","kind":"Cluster","metadata":{"name":"apply-{i}","labels":{"bench":"true"},"annotations":{"round":"ROUND"}},"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"0.0.0.0/0","serverAddress":"10.0.0.1:6443"}]}}}'
  row "apply (new objects)" "$(load PATCH "$base/apply-{i}?fieldManager=bench" application/apply-patch+yaml "${apply/ROUND/1}")"
  row "apply (a change to each)" "$(load PATCH "$base/apply-{i}?fieldManager=bench" application/apply-patch+yaml "${apply/ROUND/2}")"
  row "delete" "$(load DELETE "$base/apply-{i}" "" "")"
  row "RSS after the requests" "$(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' "/proc/$server/status")"
  fi
  if [ "$WATCHERS" -gt 0 ]; then
    # The watchers' client does not spin for work: on 2 cores its thread pool's spinning took CPU from the server.
    row "watch fan-out" "$(DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 dotnet "$tool" fanout "$url" "$token" "$WATCHERS" "$UPDATES" "$server" 2>"$data/fanout.err" | sed 's/^fanout //')"
  fi
  kill "$server" 2>/dev/null || true
  server_pid=""; store_cpu=""
}

for b in $BACKENDS; do run_backend "$b"; done
