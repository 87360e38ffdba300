"""Shared helpers for the tests/integration/test_server_* scripts (stdlib only).

Not a test itself (not executable): the scripts import it.
"""
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time

TG_BIN = os.environ.get("TG_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "tailgate")
TG_ROOT = os.environ.get("TG_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
SANITIZED = os.environ.get("TG_SANITIZED") == "1"

_passed = 0
_failed = 0
_skipped = 0


def check(name, cond, *details):
    global _passed, _failed
    if cond:
        _passed += 1
        print(f"ok   {name}", flush=True)
    else:
        _failed += 1
        print(f"FAIL {name}", flush=True)
        for d in details:
            print(f"     {d}", flush=True)
    return cond


def skip(name, reason):
    """A check that cannot run here: counted as skipped, never as passed."""
    global _skipped
    _skipped += 1
    print(f"skip {name} ({reason})", flush=True)


def finish():
    print(f"{_passed} passed, {_failed} failed, {_skipped} skipped", flush=True)
    sys.exit(1 if _failed else 0)


class Server:
    """`tailgate serve --port 0 --port-file F ARGS`, started and waited for."""

    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="tg-srv-")
        pf = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "log"), "w+")
        self.proc = subprocess.Popen(
            [TG_BIN, "serve", "--port", "0", "--port-file", pf, *args],
            stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.path.exists(pf) and os.path.getsize(pf) > 0:
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        else:
            pass
        if not os.path.exists(pf):
            self.stop()
            raise RuntimeError("server did not start: " + self.log_text())
        self.port = int(open(pf).read())

    def log_text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def conn(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None):
        """Returns (status, headers dict lowercased, body bytes)."""
        own = conn is None
        c = conn or self.conn()
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if own:
            c.close()
        return r.status, hdrs, data

    def raw(self, data, timeout=5.0, shut=False):
        """Sends raw bytes, returns everything read until close or timeout."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
            out = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except (socket.timeout, ConnectionResetError):
                    break
                if not chunk:
                    break
                out += chunk
                if b"\r\n\r\n" in out and _complete(out):
                    break
            return out
        finally:
            s.close()

    def metric(self, name):
        _, _, body = self.request("GET", "/metrics")
        for line in body.decode().splitlines():
            if line.startswith(name + " ") :
                return float(line.split()[-1])
        return None

    def stop(self, sig=15, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def _complete(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            return len(body) >= int(v.strip())
    return False


def parse_raw(resp):
    """(status, headers, body) from raw response bytes; status 0 if none."""
    if not resp.startswith(b"HTTP/1."):
        return 0, {}, b""
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        hdrs[k.strip().lower().decode()] = v.strip().decode()
    return status, hdrs, body


def server_timing(hdrs):
    """{'queue': ms, 'compute': ms} from a Server-Timing header."""
    out = {}
    for part in hdrs.get("server-timing", "").split(","):
        name, _, rest = part.strip().partition(";")
        if rest.startswith("dur="):
            out[name] = float(rest[4:])
    return out


def payloads():
    path = os.path.join(TG_ROOT, "workload", "requests.jsonl")
    with open(path, "rb") as f:
        return [line.rstrip(b"\r\n") for line in f if line.strip()]
