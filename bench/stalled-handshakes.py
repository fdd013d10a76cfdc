#!/usr/bin/env python3
"""Connections that never finish the TLS handshake, against a fresh clusterregistry server (embedded store): N
connections each send nothing, or the first bytes of a ClientHello and then stall. Prints the server's RSS and the
time a legitimate GET /readyz takes while they are held, and when the server closes them (its TLS handshake timeout,
30 s). Usage: bench/stalled-handshakes.py [-n 4000] [--dll path/to/clusterregistry.dll]"""
import argparse, os, resource, selectors, socket, ssl, subprocess, tempfile, time, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("-n", type=int, default=4000)
ap.add_argument("--dll", default=None)
args = ap.parse_args()
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
dll = args.dll
if dll is None:
    subprocess.run(["dotnet", "build", "-c", "Release", "src/Api/Api.csproj", "-v", "q", "-nologo"], cwd=root, check=True,
                   stdout=subprocess.DEVNULL)
    dll = os.path.join(root, "src/Api/bin/Release/net10.0/clusterregistry.dll")
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.n * 2 + 100)), hard))
data = tempfile.mkdtemp(prefix="cr-stalled-")
port = 20000 + os.getpid() % 20000
server = subprocess.Popen(["dotnet", dll, "standalone", "--data-dir", data, "--secure-port", str(port)], cwd=root,
                          stdout=open(os.path.join(data, "server.log"), "w"), stderr=subprocess.STDOUT)
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE

def rss():
    st = dict(l.split(":", 1) for l in open(f"/proc/{server.pid}/status"))
    return int(st["VmRSS"].split()[0]) // 1024

def readyz():
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s, ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
        t.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        out = b""
        while (chunk := t.recv(4096)): out += chunk
    return out.split(b" ", 2)[1].decode(), (time.monotonic() - start) * 1000

for _ in range(600):
    try:
        readyz(); break
    except OSError:
        time.sleep(0.1)
# Start of a TLS 1.2 ClientHello record header and handshake header: the server waits for the rest.
partial = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])
print(f"server RSS idle: {rss()} MiB")
code, ms = readyz(); print(f"GET /readyz before: {code} in {ms:.1f} ms")
held = []
opened = time.monotonic()
for i in range(args.n):
    s = socket.socket(); s.setblocking(True)
    try:
        s.connect(("127.0.0.1", port))
    except OSError as e:
        print(f"connection {i} refused: {e}"); s.close(); break
    if i % 2: s.sendall(partial)
    held.append(s)
print(f"{len(held)} stalled connections open (half silent, half a partial ClientHello) in {time.monotonic() - opened:.1f} s")
time.sleep(3)
print(f"server RSS holding them: {rss()} MiB")
code, ms = readyz(); print(f"GET /readyz while they are held: {code} in {ms:.1f} ms")
sel = selectors.DefaultSelector()
for s in held:
    s.setblocking(False); sel.register(s, selectors.EVENT_READ)
closed, first, last = 0, None, None
deadline = time.monotonic() + 90
while closed < len(held) and time.monotonic() < deadline:
    for key, _ in sel.select(timeout=1):
        try:
            if key.fileobj.recv(4096): continue
        except OSError:
            pass
        sel.unregister(key.fileobj); key.fileobj.close(); closed += 1
        now = time.monotonic() - opened
        first = first if first is not None else now; last = now
print(f"server closed {closed}/{len(held)} of them, first after {first or 0:.1f} s, last after {last or 0:.1f} s from the first open")
time.sleep(2)
print(f"server RSS after: {rss()} MiB")
code, ms = readyz(); print(f"GET /readyz after: {code} in {ms:.1f} ms")
server.terminate(); server.wait(30)
