"""The replica's HTTP server: stdlib ``ThreadingHTTPServer`` with HTTP/1.1 keep-alive on 127.0.0.1.

``ReplicaServer`` runs it in a background thread (a context manager, for tests and the demo);
``serve_forever`` blocks (for ``joinfeedback replica``).
"""

from __future__ import annotations

import email.utils
import json
import socket
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from base.errors import UserError
from replica import fault_pages
from replica.data import ReplicaData, generate
from replica.documents import Document
from replica.faults import FaultInjector, FaultSpec
from replica.gen_ideas import STATUS_GROUP, idea_status
from replica.model import DAY_MS
from replica.shapes import ShapeSpec
from replica.site import ROBOTS, Response, Site, classify, json_response, not_found


class Replica:
    """Data, pages, faults and counters of one running replica (shared by all handler threads)."""

    def __init__(self, data: ReplicaData, faults: str, shapes: str = "") -> None:
        self.shapes = ShapeSpec.parse(shapes, data.seed)
        if "empty_list" in self.shapes:  # no proposal ever closes: the CLOSED list state stays empty
            later = data.now_ms + 3650 * DAY_MS
            data.ideas = [i for i in data.ideas if STATUS_GROUP[idea_status(i, later)] != "CLOSED"]
        self.data = data
        self.site = Site(data, self.shapes)
        self.injector = FaultInjector(FaultSpec.parse(faults), data.seed)
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.by_kind: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()

    def set_faults(self, spec: str) -> None:
        self.injector = FaultInjector(FaultSpec.parse(spec), self.data.seed)

    def set_shapes(self, spec: str) -> None:
        """Serve other shape variants from now on (``empty_list`` only applies from the start)."""
        shapes = ShapeSpec.parse(spec, self.data.seed)
        if ("empty_list" in shapes) != ("empty_list" in self.shapes):
            raise UserError("replica shapes: empty_list can only be chosen when the replica starts")
        self.shapes = shapes
        self.site.set_shapes(shapes)

    def permanent_failures(self) -> list[str]:
        paths = [f"/policies/detail/{p.uuid}" for p in self.data.policies]
        paths += [f"/joinComments/board/policy/{p.uuid}" for p in self.data.policies]
        paths += [f"/idea/detail/{i.uuid}" for i in self.data.visible_ideas()]
        return sorted(p for p in paths if self.injector.is_permanent(classify(p)[0], p))

    def manifest(self) -> Document:
        out = self.data.manifest()
        out["faults"] = self.injector.spec.text
        out["shapes"] = sorted(self.shapes.names)
        out["permanent_failures"] = self.permanent_failures()
        out["layout_changed"] = self.injector.layout_changed()
        return out

    def stats(self) -> Document:
        with self._lock:
            return {
                "requests": sum(self.by_kind.values()),
                "by_kind": dict(sorted(self.by_kind.items())),
                "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
                "faults": dict(sorted(self.injector.injected.items())),
                "epoch": self.data.epoch,
            }

    def count(self, kind: str, status: int) -> None:
        with self._lock:
            self.by_kind[kind] += 1
            self.by_status[status] += 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: avoid 40 ms ACK stalls
    server_version = "joinfeedback-replica"
    sys_version = ""
    replica: Replica  # set on a subclass per server

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: /_replica/stats counts requests

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header: the replica's clock, the "now" its pages show, as the real site's Date is its
        own now; a crawler that counts days against it sees the replica as a visitor would have."""
        if timestamp is None:
            timestamp = self.replica.data.now_ms / 1000
        return email.utils.formatdate(timestamp, usegmt=True)

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)  # keep the connection in step
        parts = urlsplit(self.path)
        if parts.path == "/_replica/advance":
            try:
                steps = int(parse_qs(parts.query).get("steps", ["1"])[0])
                self.replica.site.advance(steps)
            except (ValueError, UserError) as exc:
                self._send("replica", json_response({"success": False, "message": str(exc)}, 400))
                return
            self._send("replica", json_response(self.replica.manifest()))
            return
        self._send("replica", Response(405, "text/plain", b"method not allowed", (("Allow", "GET, HEAD"),)))

    def _handle(self, head: bool) -> None:
        parts = urlsplit(self.path)
        kind, groups = classify(parts.path)
        if kind == "robots":
            self._send(kind, Response(200, "text/plain;charset=UTF-8", ROBOTS), head=head)
            return
        if kind == "replica":
            self._send(kind, self._replica_endpoint(parts.path), head=head)
            return
        fault, changed = self.replica.injector.decide(kind, parts.path, self.path)
        if fault is not None and fault.name == "permanent":
            self._send(kind, fault_pages.server_error(), head=head)
            return
        response = self.replica.site.render(kind, groups, self.path, changed)
        if fault is None or response.status != 200:
            self._send(kind, response, head=head)
        else:
            self._send_faulted(kind, response, fault.name, fault.roll, head)

    def _replica_endpoint(self, path: str) -> Response:
        if path == "/_replica/manifest":
            return json_response(self.replica.manifest())
        if path == "/_replica/stats":
            return json_response(self.replica.stats())
        if path == "/_replica/labels":
            return json_response(self.replica.data.label_records())
        if path == "/_replica/advance":
            return Response(405, "text/plain", b"use POST", (("Allow", "POST"),))
        return not_found(path)

    def _send_faulted(self, kind: str, response: Response, name: str, roll: float, head: bool) -> None:
        spec = self.replica.injector.spec
        if name == "500":
            response = fault_pages.server_error()
        elif name == "503":
            response = fault_pages.unavailable(roll)
        elif name == "429":
            response = fault_pages.too_many_requests()
        elif name == "challenge":
            response = fault_pages.challenge(roll)
        elif name == "malformed":
            response = fault_pages.malformed(response)
        elif name == "slow":
            self.replica.stopping.wait(0.5 + 1.5 * roll)
        elif name == "hang":
            self.replica.stopping.wait(spec.hang_seconds)
        elif name == "truncate":
            cut = fault_pages.truncated_body(response.body)
            if roll < 0.5:  # a short body whose Content-Length agrees: the client gets it all, parsing fails
                response = Response(response.status, response.content_type, cut, response.headers)
            else:  # the full length announced, then the connection drops
                self._send(kind, response, head=head, body_override=cut)
                self.close_connection = True
                try:
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
        self._send(kind, response, head=head)

    def _send(
        self, kind: str, response: Response, head: bool = False, body_override: bytes | None = None
    ) -> None:
        self.replica.count(kind, response.status)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            if not head:
                self.wfile.write(response.body if body_override is None else body_override)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class ReplicaServer:
    """A replica on ``host:port`` (port 0: any free port), serving from a background thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 1,
        size: str | dict[str, int] = "small",
        faults: str = "",
        shapes: str = "",
    ) -> None:
        self.replica = Replica(generate(seed, size), faults, shapes)
        handler = type("BoundHandler", (Handler,), {"replica": self.replica})
        try:
            self._httpd = _Server((host, port), handler)
        except OSError as exc:
            raise UserError(
                f"replica: cannot listen on {host}:{port}: {exc.strerror or exc}", exit_code=4
            ) from None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def data(self) -> ReplicaData:
        return self.replica.data

    def start(self) -> ReplicaServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, name="replica-http", daemon=True
            )
            self._thread.start()
        return self

    def manifest(self) -> Document:
        return self.replica.manifest()

    def advance(self, steps: int = 1) -> Document:
        self.replica.site.advance(steps)
        return self.manifest()

    def stats(self) -> Document:
        return self.replica.stats()

    def set_faults(self, spec: str) -> None:
        self.replica.set_faults(spec)

    def set_shapes(self, spec: str) -> None:
        self.replica.set_shapes(spec)

    def stop(self) -> None:
        self.replica.stopping.set()  # release slow/hanging handlers
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8000,
    seed: int = 1,
    size: str | dict[str, int] = "small",
    faults: str = "",
    shapes: str = "",
) -> None:
    """Serve until interrupted; prints ``replica serving http://HOST:PORT (seed=…, size=…)`` first."""
    server = ReplicaServer(host, port, seed, size, faults, shapes)
    print(f"replica serving {server.base_url} (seed={seed}, size={server.data.size})", flush=True)
    if faults:
        print(f"faults: {faults}", flush=True)
    if shapes:
        print(f"shapes: {', '.join(sorted(server.replica.shapes.names))}", flush=True)
    try:
        server._httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        json.dump(server.stats(), sys.stderr)
        sys.stderr.write("\n")
