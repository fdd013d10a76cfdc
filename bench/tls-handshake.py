#!/usr/bin/env python3
"""Server CPU per TLS handshake: N fresh connections (full handshakes, no resumption) to a clusterregistry server,
each sending one GET /livez, against `openssl s_server` with the same certificate as the reference. CPU is the
server process's utime+stime from /proc, so the client's own work does not count.
Usage: bench/tls-handshake.py [--dll path/to/clusterregistry.dll] [-n 500]"""
import argparse, os, socket, ssl, subprocess, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--dll", default=None)
ap.add_argument("-n", type=int, default=500)
args = ap.parse_args()
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
dll = args.dll
if dll is None:
    subprocess.run(["dotnet", "build", "-c", "Release", "src/Api/Api.csproj", "-v", "q", "-nologo"], cwd=root, check=True,
                   stdout=subprocess.DEVNULL)
    dll = os.path.join(root, "src/Api/bin/Release/net10.0/clusterregistry.dll")
tick = os.sysconf("SC_CLK_TCK")

def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick

def handshakes(port, n, request):
    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    for _ in range(n):
        with socket.create_connection(("127.0.0.1", port)) as s, ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            if request:
                t.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                while t.recv(4096): pass

def measure(pid, port, request):
    handshakes(port, 50, request)  # warm up
    before = cpu(pid); t0 = time.time()
    handshakes(port, args.n, request)
    return (cpu(pid) - before) / args.n * 1000, args.n / (time.time() - t0)

data = tempfile.mkdtemp(prefix="cr-tls-")
port = 21000 + os.getpid() % 10000
server = subprocess.Popen(["dotnet", dll, "standalone", "--data-dir", data, "--secure-port", str(port)],
                          stdout=open(os.path.join(data, "server.log"), "w"), stderr=subprocess.STDOUT)
try:
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port)).close(); break
        except OSError: time.sleep(0.2)
    time.sleep(1)
    name = os.path.basename(os.path.dirname(dll)) or dll
    ms, rate = measure(server.pid, port, False)
    print(f"clusterregistry ({name}): {ms:.2f} ms server CPU per handshake, {rate:.0f} conn/s")
    ms, rate = measure(server.pid, port, True)
    print(f"clusterregistry ({name}): {ms:.2f} ms server CPU per handshake + GET /livez, {rate:.0f} conn/s")
finally:
    server.terminate(); server.wait()
certs = os.path.join(data, "certs")
oport = port + 1
ossl = subprocess.Popen(["openssl", "s_server", "-quiet", "-accept", str(oport), "-cert", os.path.join(certs, "apiserver.crt"),
                         "-key", os.path.join(certs, "apiserver.key"), "-naccept", str(args.n + 50)],
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    time.sleep(1)
    ms, rate = measure(ossl.pid, oport, False)
    print(f"openssl s_server (same certificate): {ms:.2f} ms server CPU per handshake, {rate:.0f} conn/s")
finally:
    ossl.kill(); ossl.wait()
