"""A TokenReview and SubjectAccessReview webhook written the simple way: Python's http.server, reading the body by
Content-Length. It answers 411 when there is no Content-Length (a chunked body) and 406 when the request does not
accept JSON, so a client that streams its body is told so instead of silently reading nothing.

Usage: strict_webhook.py  -- prints the port it listens on (127.0.0.1), then serves until killed.
/authn: token "webhook-token" is user "hooked" in group "hooked-group"; any other token is not authenticated.
/authz: user "hooked" may do anything; everyone else is denied.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = self.headers.get("Content-Length")
        if length is None:
            return self.answer(411, {"error": "Content-Length required (Transfer-Encoding: %s)" % self.headers.get("Transfer-Encoding")})
        if "application/json" not in (self.headers.get("Accept") or ""):
            return self.answer(406, {"error": "Accept must include application/json"})
        review = json.loads(self.rfile.read(int(length)))
        if self.path == "/authn":
            ok = review["spec"]["token"] == "webhook-token"
            review["status"] = {"authenticated": ok}
            if ok:
                review["status"]["user"] = {"username": "hooked", "uid": "42", "groups": ["hooked-group"]}
        else:
            allowed = review["spec"]["user"] == "hooked"
            review["status"] = {"allowed": allowed, "reason": "strict webhook"}
        self.answer(200, review)

    def answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.command, self.path))


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
