#!/usr/bin/env python3
"""Hostile-input figures for a fresh clusterregistry server (embedded store): dot-segment DELETEs, the JSON patch
copy bomb, and 2,000 watchers that stop reading. Prints what each did to the stored data, the answer and its time,
and the server's RSS (VmRSS now, VmHWM peak) around each. Usage: bench/hostile.py [--watchers N] [--updates N]"""
import argparse, json, os, re, socket, ssl, subprocess, sys, tempfile, threading, time, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--watchers", type=int, default=2000)
ap.add_argument("--updates", type=int, default=400)
ap.add_argument("--settle", type=int, default=120, help="seconds of light traffic after the watchers are cut")
args = ap.parse_args()
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
subprocess.run(["dotnet", "build", "-c", "Release", "src/Api/Api.csproj", "-v", "q", "-nologo"], cwd=root, check=True,
               stdout=subprocess.DEVNULL)
data = tempfile.mkdtemp(prefix="cr-hostile-")
port = 20000 + os.getpid() % 20000
server = subprocess.Popen(["dotnet", "src/Api/bin/Release/net10.0/clusterregistry.dll", "standalone", "--data-dir", data,
                           "--secure-port", str(port)], cwd=root, stdout=open(os.path.join(data, "server.log"), "w"),
                          stderr=subprocess.STDOUT)
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
base = "/apis/clusterregistry.k8s.io/v1alpha1/clusters"

def raw(method, target, body=None, ctype="application/json", rcvbuf=None, read=True):
    s = socket.socket()
    if rcvbuf: s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port)); t = ctx.wrap_socket(s, server_hostname="127.0.0.1")
    b = (body or "").encode()
    head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n"
    if body is not None: head += f"Content-Type: {ctype}\r\nContent-Length: {len(b)}\r\n"
    t.sendall(head.encode() + b"\r\n" + b)
    if not read: return t
    out = b""
    try:
        while (chunk := t.recv(65536)): out += chunk
    except OSError: pass
    t.close()
    return int(out.split(b" ", 2)[1]), out

def rss():
    st = dict(l.split(":", 1) for l in open(f"/proc/{server.pid}/status"))
    return int(st["VmRSS"].split()[0]) // 1024, int(st["VmHWM"].split()[0]) // 1024

def memory_map():
    """RSS by kind of mapping. Adjacent anonymous mappings are joined into runs (protection changes split them): a run
    spanning 16 GiB or more is the GC's reserved range, a 64 MiB-aligned 64 MiB run or [heap] is glibc malloc; other
    anonymous memory (thread stacks, native libraries' own mmaps) and file-backed pages are counted apart."""
    runs, files, heap = [], 0, 0
    lo = hi = None
    for line in open(f"/proc/{server.pid}/smaps"):
        f = line.split()
        if re.match(r"^[0-9a-f]+-[0-9a-f]+$", f[0]):
            a, b = (int(x, 16) for x in f[0].split("-"))
            name = f[5] if len(f) > 5 else ""
            cur = "file" if name.startswith("/") else "heap" if name == "[heap]" else "anon" if not name else "other"
            if cur == "anon" and runs and runs[-1][1] == a: runs[-1][1] = b
            elif cur == "anon": runs.append([a, b, 0])
        elif f[0] == "Rss:":
            kb = int(f[1])
            if cur == "anon": runs[-1][2] += kb
            elif cur == "file": files += kb
            elif cur == "heap": heap += kb
    kinds = {"gc": 0, "malloc": heap, "other anon": 0, "files": files}
    for a, b, kb in runs:
        span = b - a
        kinds["gc" if span >= 1 << 34 else "malloc" if span == 1 << 26 and a % (1 << 26) == 0 else "other anon"] += kb
    return ", ".join(f"{k} {v // 1024}" for k, v in kinds.items()) + " MiB"

def count():
    return len(json.loads(raw("GET", base)[1].split(b"\r\n\r\n", 1)[1].decode(errors="replace").split("\r\n", 1)[-1]
                          if False else body_of(raw("GET", base)[1]))["items"])

def body_of(resp):
    head, body = resp.split(b"\r\n\r\n", 1)
    if b"chunked" in head.lower():
        out, rest = b"", body
        while rest:
            size, rest = rest.split(b"\r\n", 1); n = int(size.split(b";")[0], 16)
            if n == 0: break
            out += rest[:n]; rest = rest[n + 2:]
        body = out
    return body

def cluster(name, extra=""):
    return json.dumps({"apiVersion": "clusterregistry.k8s.io/v1alpha1", "kind": "Cluster", "metadata": {"name": name},
                       "spec": {"kubernetesApiEndpoints": {"serverEndpoints": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:6443"}]}}})

try:
    for _ in range(600):
        try:
            token = open(os.path.join(data, "admin.token")).read().strip()
            if raw("GET", "/readyz")[0] == 200: break
        except (OSError, IndexError): pass
        time.sleep(0.2)
    for i in range(20): raw("POST", base, cluster(f"keep-{i}"))
    print(f"server pid {server.pid}, 20 clusters stored; RSS {rss()[0]} MiB")

    print("\n== dot segments (each must be 404 and delete nothing)")
    for target in ["/keep-0/..", "/keep-0/%2e%2e", "/keep-0/%2E%2e", "/keep-0/.%2E/", "/x/../../v1alpha1/clusters", "/", "/keep-0/./status"]:
        code, _ = raw("DELETE", base + target)
        print(f"  DELETE ...clusters{target:<28} -> {code}, clusters left: {len(json.loads(body_of(raw('GET', base)[1]))['items'])}")

    print("\n== JSON patch copy bomb (2 KB: a 1,000-element array, 19 copies into itself)")
    ops = [{"op": "add", "path": "/spec/bomb", "value": [0] * 1000}] + \
          [{"op": "copy", "from": "/spec/bomb", "path": "/spec/bomb/-"}] * 19
    before = rss()[0]
    t0 = time.time(); code, resp = raw("PATCH", base + "/keep-1", json.dumps(ops), "application/json-patch+json"); dt = time.time() - t0
    now, peak = rss()
    print(f"  answer {code} in {dt*1000:.0f} ms: {json.loads(body_of(resp)).get('message','')[:110]}")
    print(f"  RSS before {before} MiB, after {now} MiB, peak so far {peak} MiB")

    print(f"\n== {args.watchers} watchers that stop reading, {args.updates} updates of ~16 KB")
    base_rss = rss()[0]
    print(f"  by kind at baseline: {memory_map()}")
    rv = json.loads(body_of(raw("GET", base + "?limit=1")[1]))["metadata"]["resourceVersion"]
    socks = [raw("GET", f"{base}?watch=true&resourceVersion={rv}&timeoutSeconds=1800", rcvbuf=4096, read=False)
             for _ in range(args.watchers)]
    time.sleep(2)
    opened = rss()[0]
    print(f"  by kind with watchers open: {memory_map()}")
    pad = "p" * 16384
    t0 = time.time()
    for i in range(args.updates):
        raw("PATCH", base + "/keep-2", json.dumps({"metadata": {"annotations": {"seq": str(i), "pad": pad + str(i)}}}),
            "application/merge-patch+json")
    dt = time.time() - t0
    during = rss()
    time.sleep(5)
    closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            while True:
                chunk = s.recv(1 << 20)
                if not chunk: closed += 1; break
        except ssl.SSLWantReadError: pass
        except OSError: closed += 1
    after = rss()[0]
    print(f"  by kind after the updates: {memory_map()}")
    for s in socks: s.close()
    # Light traffic, as a server in use sees: the GC and Kestrel's memory pool give memory back over time.
    settled = []
    for _ in range(args.settle // 30):
        for _ in range(30):
            raw("GET", base + "?limit=5"); time.sleep(1)
        settled.append(rss()[0])
    log = open(os.path.join(data, "server.log")).read()
    print(f"  RSS baseline {base_rss} MiB, with watchers open {opened} MiB, after updates {during[0]} MiB (peak {during[1]} MiB),"
          f" 5 s later {after} MiB, then every 30 s of light traffic: {', '.join(map(str, settled))} MiB")
    print(f"  by kind at the end: {memory_map()}")
    print(f"  updates took {dt:.1f} s; watchers closed by the server: {closed}/{args.watchers};"
          f" 'Forcing watch close' log lines: {log.count('Forcing watch close')}")
finally:
    server.terminate(); server.wait()
