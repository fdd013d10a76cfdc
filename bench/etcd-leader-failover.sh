#!/usr/bin/env bash
# How long writes stall when the etcd leader dies: three clusterregistry replicas on a three-member etcd cluster in
# Docker, writers creating and patching objects through all replicas, and the leader killed (SIGKILL) under that load.
# Prints, per kill and overall: the longest gap between two acknowledged writes, the longest single write, and how many
# writes were answered with an error (by status code); times are from the moment `docker kill` was issued, with when
# it returned and when a survivor first reported a new leader (the floor for any write outage).
#
#   bench/etcd-leader-failover.sh
#
# Environment: RUNS (kills, default 3), WRITERS per replica (default 2), BEFORE and AFTER (seconds of load around each
# kill, default 4 and 8), CONFIG (Debug or Release build of src/Api, default Debug), SKIP_BUILD=1 to use the existing
# build, CLUSTERREGISTRY_ETCD_IMAGE (default clusterregistry-test/etcd:latest, the local image of tests/images).
# Needs docker, python3 and curl. Everything it starts (containers, network, servers) is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
WRITERS=${WRITERS:-2}
BEFORE=${BEFORE:-4}
AFTER=${AFTER:-8}
CONFIG=${CONFIG:-Debug}
IMAGE=${CLUSTERREGISTRY_ETCD_IMAGE:-clusterregistry-test/etcd:latest}

tag="crbench-$$"
work=$(mktemp -d)
server_pids=()
cleanup() {
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for i in 0 1 2; do docker rm -f "$tag-etcd$i" >/dev/null 2>&1 || true; done
  docker network rm "$tag" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [ "${SKIP_BUILD:-}" != 1 ]; then dotnet build -c "$CONFIG" src/Api/Api.csproj -v q -nologo >/dev/null; fi
dll="src/Api/bin/$CONFIG/net10.0/clusterregistry.dll"

docker network create "$tag" >/dev/null
ports=() ; for i in 0 1 2; do ports+=("$(free_port)"); done
cluster="etcd0=http://etcd0:2380,etcd1=http://etcd1:2380,etcd2=http://etcd2:2380"
for i in 0 1 2; do
  docker run -d --name "$tag-etcd$i" --network "$tag" --network-alias "etcd$i" --label clusterregistry.bench=etcd-leader-failover \
    -p "127.0.0.1:${ports[$i]}:2379" --entrypoint etcd "$IMAGE" \
    --name "etcd$i" --data-dir /var/lib/etcd-bench \
    --listen-client-urls http://0.0.0.0:2379 --advertise-client-urls "http://127.0.0.1:${ports[$i]}" \
    --listen-peer-urls http://0.0.0.0:2380 --initial-advertise-peer-urls "http://etcd$i:2380" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "$tag" >/dev/null
done
endpoints="http://127.0.0.1:${ports[0]},http://127.0.0.1:${ports[1]},http://127.0.0.1:${ports[2]}"
for i in 0 1 2; do
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:${ports[$i]}/health" | grep -q '"true"' && break; sleep 0.5; done
done

servers=""
for r in 0 1 2; do
  port=$(free_port); mkdir -p "$work/s$r"
  dotnet "$dll" standalone --data-dir "$work/s$r" --secure-port "$port" \
    --storage-backend etcd3 --etcd-servers "$endpoints" --etcd-prefix /registry/bench >"$work/s$r.log" 2>&1 &
  server_pids+=($!)
  for _ in $(seq 1 150); do curl -skf "https://127.0.0.1:$port/readyz" >/dev/null 2>&1 && [ -f "$work/s$r/admin.token" ] && break; sleep 0.2; done
  servers="$servers https://127.0.0.1:$port=$(cat "$work/s$r/admin.token")"
done

echo "etcd $(docker run --rm --entrypoint etcd "$IMAGE" --version | head -1 | awk '{print $3}'), 3 members; 3 replicas; $((WRITERS * 3)) writers; $RUNS leader kills; commit $(git rev-parse --short HEAD)"
python3 - "$tag" "$RUNS" "$WRITERS" "$BEFORE" "$AFTER" "${ports[*]}" $servers <<'PY'
import http.client, json, ssl, subprocess, sys, threading, time, urllib.request

tag, runs, writers, before, after, ports = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6].split()
servers = [tuple(s.split("=", 1)) for s in sys.argv[7:]]
path = "/apis/clusterregistry.k8s.io/v1alpha1/clusters"
ctx = ssl._create_unverified_context()
stop = threading.Event()
lock = threading.Lock()
log = []  # (start, end, status, op) of every write

def cluster(name, value):
    return json.dumps({"apiVersion": "clusterregistry.k8s.io/v1alpha1", "kind": "Cluster",
                       "metadata": {"name": name, "annotations": {"bench/value": value}},
                       "spec": {"kubernetesApiEndpoints": {"serverEndpoints": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:6443"}]}}})

def writer(w, url, token):
    host = url.split("//")[1]
    conn, names, i = None, [], 0
    while not stop.is_set():
        i += 1
        create = i % 2 == 1 or not names
        name = f"b{w}-{i}" if create else names[i % len(names)]
        start = time.monotonic()
        try:
            if conn is None: conn = http.client.HTTPSConnection(host, context=ctx, timeout=120)
            headers = {"Authorization": "Bearer " + token}
            if create:
                headers["Content-Type"] = "application/json"
                conn.request("POST", path, cluster(name, str(i)), headers)
            else:
                headers["Content-Type"] = "application/merge-patch+json"
                conn.request("PATCH", f"{path}/{name}", json.dumps({"metadata": {"annotations": {"bench/value": str(i)}}}), headers)
            resp = conn.getresponse(); resp.read(); status = resp.status
        except Exception:
            status, conn = 0, None
        end = time.monotonic()
        with lock: log.append((start, end, status, "create" if create else "patch"))
        if create and status == 201: names.append(name)

def member_status(port):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v3/maintenance/status", data=b"{}", method="POST")
    return json.load(urllib.request.urlopen(req, timeout=2))

def leader():
    for _ in range(120):
        ids, lead = {}, None
        for i, port in enumerate(ports):
            try:
                s = member_status(port); ids[s["header"]["member_id"]] = i
                if s.get("leader", "0") != "0": lead = s["leader"]
            except Exception: pass
        if lead in ids: return ids[lead]
        time.sleep(0.5)
    raise SystemExit("no etcd leader")

def elected(victim, kill):
    """Milliseconds from the kill until a surviving member reports a new leader."""
    while time.monotonic() - kill < 30:
        for i, port in enumerate(ports):
            if i == victim: continue
            try:
                s = member_status(port)
                if s.get("leader", "0") not in ("0", None) and s["leader"] != killed_id[0]:
                    return (time.monotonic() - kill) * 1000
            except Exception: pass
        time.sleep(0.02)
    return float("nan")

killed_id = [None]

def wait_healthy(i):
    for _ in range(240):
        try:
            if json.load(urllib.request.urlopen(f"http://127.0.0.1:{ports[i]}/health", timeout=2))["health"] == "true": return
        except Exception: pass
        time.sleep(0.25)
    raise SystemExit(f"etcd{i} did not come back")

def analyse(t0, t1, kill):
    writes = [e for e in log if t0 <= e[0] < t1]
    acks = sorted(e[1] for e in writes if e[2] in (200, 201))
    gaps = [(b - a, a) for a, b in zip(acks, acks[1:])]
    gap, gap_at = max(gaps) if gaps else (float("nan"), 0)
    worst = max(writes, key=lambda e: e[1] - e[0])
    errors = {}
    for e in writes:
        if e[2] not in (200, 201): errors[e[2]] = errors.get(e[2], 0) + 1
    return gap, gap_at - kill, worst[1] - worst[0], worst[0] - kill, worst[2], len(acks), errors

threads = [threading.Thread(target=writer, args=(r * writers + k, u, t), daemon=True) for r, (u, t) in enumerate(servers) for k in range(writers)]
for t in threads: t.start()
results = []
for run in range(runs):
    time.sleep(before)
    victim = leader()
    killed_id[0] = member_status(ports[victim])["header"]["member_id"]
    kill = time.monotonic()
    subprocess.run(["docker", "kill", f"{tag}-etcd{victim}"], check=True, capture_output=True)
    killed = (time.monotonic() - kill) * 1000
    election = elected(victim, kill)
    time.sleep(max(0, after - (time.monotonic() - kill)))
    r = analyse(kill - before, kill + after, kill)
    results.append(r)
    gap, gap_at, lat, lat_at, lat_status, acks, errors = r
    print(f"kill {run + 1} (etcd{victim}, docker kill returned at +{killed:.0f} ms, new leader seen at +{election:.0f} ms): longest gap between acknowledged writes {gap * 1000:.0f} ms (from {gap_at * 1000:+.0f} ms); "
          f"longest write {lat * 1000:.0f} ms (sent at {lat_at * 1000:+.0f} ms, answered {lat_status or 'nothing'}); "
          f"{acks} acknowledged, errors {errors or 'none'}", flush=True)
    subprocess.run(["docker", "start", f"{tag}-etcd{victim}"], check=True, capture_output=True)
    wait_healthy(victim)
stop.set()
for t in threads: t.join(timeout=130)
print(f"overall: longest gap between acknowledged writes {max(r[0] for r in results) * 1000:.0f} ms, "
      f"longest single write {max(r[2] for r in results) * 1000:.0f} ms, "
      f"writes answered with an error {sum(sum(r[6].values()) for r in results)}")
PY
