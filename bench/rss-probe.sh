#!/usr/bin/env bash
# One server's memory and CPU with N (10,000) stored objects, lighter than bench/run.sh, for comparing runtime settings
# (ADR-030-rss-runtime-settings): start-up (wall time to /readyz and the CPU it took), RSS idle and after creating N
# objects, 4,000 GETs, 1,000 merge patches and 20 lists of all, the CPU per request of each, and the RSS by kind of
# mapping (dm: JIT code and loader heaps, memfd:doublemapper; files: mapped .dll/.so; anon: GC heap, stacks, native;
# other: the glibc heap, or the single-file bundle), and the RSS once the server has been quiet 10 s (MemoryReturner
# returns a burst's surplus after 5 s, ADR-035). Needs hey. COUNTERS=1 adds the runtime's counters at the end;
# SMAPS=dir keeps /proc/PID/smaps idle and after the requests (per-mapping breakdown).
#   bench/rss-probe.sh base src/Api/bin/Release/net10.0/clusterregistry.dll
#   bench/rss-probe.sh pgo-on src/Api/bin/Release/net10.0/clusterregistry.dll DOTNET_TieredPGO=1
#   bench/rss-probe.sh image /tmp/publish/clusterregistry          # a publish directory's executable
#   EXTRA_ARGS="--storage-backend etcd3 --etcd-servers http://127.0.0.1:2379" bench/rss-probe.sh etcd <dll>
set -uo pipefail
label=$1; bin=$2; shift 2
N=${N:-10000}
d=$(mktemp -d); port=$((30000 + RANDOM % 5000))
if [[ $bin == *.dll ]]; then cmd=(dotnet "$bin"); else cmd=("$bin"); fi
t0=$(date +%s.%N)
env "$@" "${cmd[@]}" standalone --data-dir "$d" --secure-port $port ${EXTRA_ARGS:-} >"$d/log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -skf "https://127.0.0.1:$port/readyz" >/dev/null 2>&1 && [ -f "$d/admin.token" ] && break; sleep 0.05; done
t1=$(date +%s.%N)
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' /proc/$pid/stat; }
c_start=$(cpu)
sleep 5
rss() { awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$pid/status; }
idle=$(rss)
[ -n "${SMAPS:-}" ] && cp /proc/$pid/smaps "$SMAPS/smaps-idle.$label"
auth="Authorization: Bearer $(cat $d/admin.token)"; base="https://127.0.0.1:$port/apis/clusterregistry.k8s.io/v1alpha1/clusters"
body='{"apiVersion":"clusterregistry.k8s.io/v1alpha1","kind":"Cluster","metadata":{"generateName":"bench-","labels":{"bench":"true"}},"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"0.0.0.0/0","serverAddress":"10.0.0.1:6443"}]}}}'
curl -skf -X POST -H "$auth" -H 'Content-Type: application/json' -d "${body/\"generateName\":\"bench-\"/\"name\":\"target\"}" "$base" >/dev/null
c0=$(cpu); hey -n $((N-1)) -c 16 -m POST -H "$auth" -T application/json -d "$body" "$base" >/dev/null; c1=$(cpu)
hey -n 2000 -c 16 -H "$auth" "$base/target" >/dev/null; c2=$(cpu)
hey -n 2000 -c 16 -H "$auth" "$base/target" >/dev/null; c3=$(cpu)
hey -n 1000 -c 16 -m PATCH -H "$auth" -T application/merge-patch+json -d '{"metadata":{"annotations":{"bench":"x"}}}' "$base/target" >/dev/null; c4=$(cpu)
hey -n 20 -c 4 -H "$auth" "$base" >/dev/null; c5=$(cpu)
sleep 3
final=$(rss)
[ -n "${SMAPS:-}" ] && cp /proc/$pid/smaps "$SMAPS/smaps.$label"
maps=$(awk '/^[0-9a-f]+-/{name=$6} /^Rss:/{ if (name ~ /doublemapper/) dm+=$2; else if (name ~ /\.(dll|so)/ ) f+=$2; else if (name=="" ) an+=$2; else o+=$2 } END{printf "dm %d files %d anon %d other %d MiB", dm/1024, f/1024, an/1024, o/1024}' /proc/$pid/smaps)
sleep 7
quiet=$(rss)
printf '%-28s ready %5.2fs idle %4d MiB final %4d MiB quiet %4d MiB | cpu ms/req create %.2f get(2nd) %.2f patch %.2f listall %.1f | startcpu %d ms | %s\n' "$label" "$(echo "$t1 - $t0" | bc)" "$idle" "$final" "$quiet" \
  "$(echo "($c1-$c0)*1000/$tck/($N-1)" | bc -l)" "$(echo "($c3-$c2)*1000/$tck/2000" | bc -l)" "$(echo "($c4-$c3)*1000/$tck/1000" | bc -l)" "$(echo "($c5-$c4)*1000/$tck/20" | bc -l)" "$((c_start*1000/tck))" "$maps"
if [ -n "${COUNTERS:-}" ]; then
  ~/.dotnet/tools/dotnet-counters collect -p $pid --counters System.Runtime --format csv -o "$d/counters.csv" --duration 00:00:00:06 >/dev/null 2>&1
  python3 - "$d/counters.csv" <<'PY'
import csv,sys
last={}
for r in csv.reader(open(sys.argv[1])):
    if len(r)>=5: last[r[2]+(r[3] if r[3] else '')]=r[-1]
for k,v in sorted(last.items()):
    if any(x in k for x in ('heap.size','committed','jit','assembly.count','working_set','fragment')): print('   ',k,v)
PY
fi
kill $pid; wait $pid 2>/dev/null; rm -rf "$d"
