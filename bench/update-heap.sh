#!/usr/bin/env bash
# The server's live managed heap after N (10,000) distinct merge patches of one ~700-byte object, on a fresh etcd
# container (bench/stores.sh): what the watch cache's window holds per update (ADR-039). Prints the patch
# rate, the live GC heap (dotnet-gcdump, 3 s after the last patch) and the RSS. Needs docker, dotnet-gcdump
# (`dotnet tool install -g dotnet-gcdump`). Figures only; nothing asserts.
#   bench/update-heap.sh src/Api/bin/Release/net10.0/clusterregistry.dll
set -euo pipefail
export PATH=$PATH:$HOME/.dotnet/tools
cd "$(dirname "$0")/.."
dll=$1; N=${N:-10000}
data=$(mktemp -d); name="update-heap-etcd-$RANDOM"; eport=$((20000 + RANDOM % 20000)); port=$((20000 + RANDOM % 20000))
cleanup() { kill "${spid:-0}" 2>/dev/null || true; docker rm -f "$name" >/dev/null 2>&1 || true; rm -rf "$data"; }
trap cleanup EXIT
dotnet build -c Release bench/BenchTool -v q -nologo >/dev/null
# shellcheck source=bench/stores.sh
source bench/stores.sh
start_etcd "$name" "$eport"
dotnet "$dll" standalone --data-dir "$data" --secure-port "$port" --storage-backend etcd3 --etcd-servers "http://127.0.0.1:$eport" >"$data/server.log" 2>&1 &
spid=$!
for _ in $(seq 1 150); do curl -skf "https://127.0.0.1:$port/readyz" >/dev/null 2>&1 && [ -f "$data/admin.token" ] && break; sleep 0.2; done
token=$(cat "$data/admin.token"); base="https://127.0.0.1:$port/apis/clusterregistry.k8s.io/v1alpha1/clusters"
pad=$(head -c 600 /dev/zero | tr '\0' 'p')
curl -skf -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"apiVersion\":\"clusterregistry.k8s.io/v1alpha1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"target\",\"annotations\":{\"pad\":\"$pad\"}}}" "$base" >/dev/null
echo "patches: $(dotnet bench/BenchTool/bin/Release/net10.0/benchtool.dll load PATCH "$base/target" "$token" application/merge-patch+json '{"metadata":{"annotations":{"n":"{i}"}}}' "$N" 4 | tail -1)"
sleep 3
dotnet-gcdump collect -p "$spid" -o "$data/heap.gcdump" >/dev/null
echo "live GC heap: $(dotnet-gcdump report "$data/heap.gcdump" | awk '/GC Heap bytes/ {print $1}') bytes"
echo "RSS: $(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' /proc/$spid/status)"
