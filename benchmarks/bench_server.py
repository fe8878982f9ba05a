"""Benchmark: per-call latency of ``agentctl emulator serve`` (the loopback HTTP transport).

Starts the HTTP server in this process on a free loopback port, in front of a fresh in-memory
emulator, and times boto3 ``bedrock-agent`` calls through it on one keep-alive connection:

- ``ListAgents`` on an empty emulator (small response);
- ``GetAgent`` of an agent created for the purpose (a larger JSON body).

It also times the same calls against a bare stdlib server variant that writes headers and body in
two writes with Nagle's algorithm on (the transport before issue 12 item 15), to show what the
single write + TCP_NODELAY saves: on Linux the two-write variant waits for the client's delayed
ACK, ~40 ms per call.

Asserts nothing about durations; it only checks that the calls succeed.

    python benchmarks/bench_server.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config
from common import machine, measure, median_ms, print_table, rss_mib

from agentctl.emulator.transports import server as srv

ROLE = "arn:aws:iam::123456789012:role/AgentRole"
MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"


class _TwoWrites(srv._Handler):
    """The transport as it was: status line + headers in one write, body in another, Nagle on."""

    def _write(self, status, headers, body):  # type: ignore[override]
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() not in srv._HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self._pending_body = b""
        self.end_headers()
        if body:
            self.wfile.write(body)


class _OldServer(srv.EmulatorHTTPServer):
    def get_request(self):  # no TCP_NODELAY
        return self.socket.accept()


def _start(server: srv.EmulatorHTTPServer) -> threading.Thread:
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    return t


def _client(url: str):
    return boto3.client("bedrock-agent", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"max_attempts": 1}))


def main(argv: list[str]) -> None:
    from agentctl.emulator import Emulator, EmulatorConfig

    quick = "--quick" in argv
    reps = 20 if quick else 200
    started = time.perf_counter()
    print("bench_server: boto3 call latency through the emulator's HTTP server")
    print(machine())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        emulator = Emulator(Path(tmp) / "bench.db", EmulatorConfig(time_scale=0.0))
        for label, cls, handler in (("one write + TCP_NODELAY (now)", srv.EmulatorHTTPServer, None),
                                    ("two writes, Nagle on (before)", _OldServer, _TwoWrites)):
            server = cls(srv.ListenAddress("127.0.0.1", 0), emulator.handle_http)
            if handler is not None:
                server.RequestHandlerClass = handler
            thread = _start(server)
            try:
                client = _client(server.url)
                client.list_agents()  # connect once; the timed calls reuse the connection
                agent_id = client.create_agent(agentName=f"bench-{len(rows)}", foundationModel=MODEL,
                                               agentResourceRoleArn=ROLE,
                                               instruction="x" * 200)["agent"]["agentId"]
                for op, call in (("ListAgents", lambda: client.list_agents()),
                                 ("GetAgent", lambda: client.get_agent(agentId=agent_id))):
                    samples = measure(call, reps)
                    rows.append((label, op, reps, median_ms(samples), min(samples) * 1000,
                                 max(samples) * 1000))
            finally:
                server.shutdown()
                server.server_close()
                thread.join(5)
        emulator.close()
    print_table("median / min / max ms per call", ("transport", "operation", "reps", "median ms",
                                                   "min ms", "max ms"), rows)
    print(f"\nProcess peak RSS {rss_mib():.0f} MiB; {time.perf_counter() - started:.1f} s in all.")


if __name__ == "__main__":
    main(sys.argv[1:])
