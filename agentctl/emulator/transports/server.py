"""The emulator's loopback HTTP transport: a stdlib HTTP server in front of ``Emulator.handle_http``.

Any AWS SDK or the AWS CLI reaches the local Bedrock Agents control plane through it, e.g. with
``AWS_ENDPOINT_URL_BEDROCK_AGENT=http://127.0.0.1:PORT``, and the local runtime (InvokeAgent,
agent memory) on the same port (``AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME``). InvokeAgent answers
are event streams, written with chunked transfer encoding as they are produced. The server only moves bytes: it reads
the request line, headers and body, hands them to ``Emulator.handle_http`` and writes back the
status, headers and body it gets. Routing, validation, semantics and error formatting all live in
the emulator core (``core.py``, ``wire.py``, ``control/``), so the in-process botocore hook and this server
behave identically.

Must not: interpret requests, verify signatures, log request bodies (they can hold instructions
marked sensitive in the service model), or listen on a non-loopback address unless the caller
explicitly allows it (the emulator has no authentication at all).
"""

from __future__ import annotations

import errno
import ipaddress
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, TextIO

from agentctl.emulator.errors import AnswerLost
from agentctl.errors import UsageError

# Headers the HTTP layer owns; whatever the emulator returns for them is replaced.
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}


@dataclass(frozen=True)
class ListenAddress:
    """Where the server listens; ``port`` 0 asks the OS for a free port."""

    host: str = "127.0.0.1"
    port: int = 0


def is_loopback(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address.

    IP literals are checked directly; ``localhost`` and other names are resolved (a local lookup
    for loopback names; no name other than these is expected here)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    addrs = {info[4][0] for info in infos}
    return bool(addrs) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs)


def bind_error(address: ListenAddress, e: OSError) -> UsageError:
    """The error for a failed bind, with a hint that fits its cause: only a port in use (or a
    privileged one) is fixed by another --port; a name that does not resolve or an address this
    machine does not have needs another --host."""
    what = f"cannot listen on {address.host}:{address.port}: {e.strerror or e}"
    if isinstance(e, socket.gaierror):
        return UsageError(f"cannot listen on {address.host}: the address does not resolve "
                          f"({e.strerror or e})",
                          hint="give --host an IP address of this machine (127.0.0.1 for local "
                               "use) or a name that resolves to one")
    if e.errno == errno.EADDRINUSE:
        return UsageError(what, hint="the port is in use (another emulator?); pick another "
                                     "--port (0 picks a free one)")
    if e.errno == errno.EADDRNOTAVAIL:
        return UsageError(what, hint=f"{address.host} is not an address of this machine; give "
                                     "--host one of its addresses (127.0.0.1 for local use)")
    if e.errno == errno.EACCES:
        return UsageError(what, hint="ports below 1024 need privileges; pick a --port above "
                                     "1023 (0 picks a free one)")
    return UsageError(what, hint="check --host (an address of this machine) and --port "
                                 "(0 picks a free one)")


def check_host(host: str, *, allow_remote: bool, warn: TextIO | None = None) -> None:
    """Refuse a host name that does not resolve, and a non-loopback bind address unless
    ``allow_remote``; warn when it is allowed."""
    if is_loopback(host):
        return
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        try:
            socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except OSError as e:
            # Not "non-loopback": nothing is known about an address that does not resolve.
            raise bind_error(ListenAddress(host, 0), e if isinstance(e, socket.gaierror)
                             else socket.gaierror(str(e))) from None
    if not allow_remote:
        raise UsageError(
            f"refusing to listen on non-loopback address {host!r}",
            hint="the emulator has no authentication; bind 127.0.0.1, or pass --allow-remote "
                 "if you really want other machines to reach it",
        )
    print(f"warning: listening on {host!r}, which is not a loopback address; anyone who can "
          "reach it can read and change the emulator's state (no authentication)",
          file=warn or sys.stderr, flush=True)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so botocore's urllib3 pool can keep connections alive; every response therefore
    # carries an explicit Content-Length.
    protocol_version = "HTTP/1.1"
    server_version = "agentctl-emulator"
    sys_version = ""
    server: "EmulatorHTTPServer"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch()

    do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = do_GET  # noqa: N815

    def _read_body(self) -> bytes:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                size_line = self.rfile.readline().split(b";", 1)[0].strip()
                size = int(size_line or b"0", 16)
                if size == 0:
                    # Trailer section ends with an empty line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # CRLF after each chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            # The framing is lost, so the connection cannot be reused for another request.
            self.close_connection = True
            self._write(400, {"Content-Type": "application/json"},
                        b'{"message": "malformed request body framing"}')
            return
        headers = {k: v for k, v in self.headers.items()}
        try:
            status, out_headers, out_body = self.server.handle(self.command, self.path, headers, body)
        except AnswerLost:
            # Fault injection: the change committed; close the connection without an answer.
            self.close_connection = True
            return
        except Exception as e:  # noqa: BLE001 - an emulator bug must not kill the connection
            # Surface it the way AWS reports its own faults, so SDK retry logic and agentctl's
            # error translation see a normal InternalServerException.
            print(f"agentctl emulator: internal error handling {self.command} {self.path}: "
                  f"{type(e).__name__}: {e}", file=sys.stderr, flush=True)
            status, out_headers, out_body = (
                500,
                {"Content-Type": "application/json",
                 "x-amzn-errortype": "InternalServerException"},
                b'{"message": "emulator internal error; see the server log"}',
            )
        self._write(status, out_headers, out_body)

    def _write(self, status: int, headers: dict[str, str], body: Any) -> None:
        if not isinstance(body, (bytes, bytearray)):
            self._write_stream(status, headers, body)
            return
        # 204/304 and HEAD responses carry no body by definition (RFC 9110 §6.4.1); a 204/304
        # also carries no Content-Length (e.g. DeleteAgentActionGroup answers 204).
        no_body = status in (204, 304)
        payload = b"" if no_body or self.command == "HEAD" else (body or b"")
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() not in _HOP_BY_HOP:
                self.send_header(k, v)
        if not no_body:
            self.send_header("Content-Length", str(len(payload)))
        # Headers and body leave in ONE write (``flush_headers`` below). Written separately, the
        # body segment waited behind the unacknowledged header segment (Nagle's algorithm) for
        # the client's delayed ACK: ~40 ms on every call of every SDK pointed at the server.
        self._pending_body = payload
        self.end_headers()

    def flush_headers(self) -> None:
        # http.server writes the buffered status line and headers here; the body of the
        # response being written (``_write``) goes in the same write.
        buffered = getattr(self, "_headers_buffer", None) or []
        data = b"".join(buffered) + getattr(self, "_pending_body", b"")
        self._headers_buffer = []
        self._pending_body = b""
        if data:
            self.wfile.write(data)

    def _write_stream(self, status: int, headers: dict[str, str], parts: Any) -> None:
        """An event stream (InvokeAgent): each message as one HTTP/1.1 chunk, sent as soon as it
        is produced, so a slow turn keeps the client's read timeout alive. If the client goes
        away, the rest is still produced (the turn completes and its session is saved, as on AWS)
        but not sent, and the connection is closed."""
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() not in _HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        alive = True
        for part in parts:
            if not alive or not part:
                continue
            try:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.flush()
            except OSError:
                alive = False
                self.close_connection = True
        if alive:
            try:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except OSError:
                self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        # Access log (request line and status only) goes to stderr when asked for; stdout is
        # reserved for the one "listening on" line.
        if self.server.access_log:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one emulator.

    Requests are served on worker threads and passed straight to ``handle`` (the emulator core is
    thread-safe: its store serializes transactions), so a slow request (injected latency) does
    not hold the accept loop."""

    daemon_threads = True
    allow_reuse_address = True

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        # No Nagle delay on the connection either: a response is one write already, but
        # http.server's own error replies (``send_error``) still write headers and body apart.
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # not a TCP socket (never on this server) or already closed
            pass
        return sock, addr

    def __init__(self, address: ListenAddress, handle: Callable[[str, str, dict[str, str], bytes],
                                                                tuple[int, dict[str, str], Any]],
                 *, access_log: bool = False):
        self._handle = handle
        self.access_log = access_log
        host = address.host.strip("[]")
        try:
            if ":" in host:
                self.address_family = socket.AF_INET6
            super().__init__((host, address.port), _Handler)
        except OSError as e:
            raise bind_error(address, e) from e

    def handle(self, method: str, path: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, str], Any]:
        return self._handle(method, path, headers, body)

    @property
    def url(self) -> str:
        host, port = self.server_address[0], self.server_address[1]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}"


def serve(emulator: Any, address: ListenAddress, *, state_label: str, allow_remote: bool = False,
          access_log: bool = False, out: TextIO | None = None,
          stop: threading.Event | None = None) -> int:
    """Serve ``emulator`` until SIGINT/SIGTERM (or ``stop`` is set); close it; return 0.

    Prints exactly one line to ``out`` (stdout) once the socket is bound:
    ``agentctl emulator listening on http://HOST:PORT (state: PATH)``, flushed, so a parent
    process can read the URL (with ``--port 0`` the port is only known then)."""
    out = out or sys.stdout
    if not allow_remote:
        check_host(address.host, allow_remote=False)  # refuses; the warning is check_host's job
    try:
        server = EmulatorHTTPServer(address, emulator.handle_http, access_log=access_log)
    except BaseException:
        emulator.close()
        raise
    stop = stop or threading.Event()
    previous: dict[int, Any] = {}

    def _on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, _on_signal)
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="agentctl-emulator-http", daemon=True)
    try:
        worker.start()
        print(f"agentctl emulator listening on {server.url} (state: {state_label})",
              file=out, flush=True)
        # Wait in short slices: the signal handler runs between them on the main thread.
        while not stop.wait(0.2):
            pass
    finally:
        server.shutdown()
        server.server_close()
        worker.join(timeout=5)
        emulator.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("agentctl emulator stopped", file=sys.stderr, flush=True)
    return 0


def default_state_path(start: Path) -> Path:
    """``<project>/.agentctl/local.db`` for the project containing ``start`` (found by walking up
    to the nearest ``agentctl.yaml``), else ``<start>/.agentctl/local.db``."""
    start = start.resolve()
    for d in (start, *start.parents):
        if (d / "agentctl.yaml").is_file():
            return d / ".agentctl" / "local.db"
    return start / ".agentctl" / "local.db"
