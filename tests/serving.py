"""``agentctl emulator serve`` in a child process, for the tests that need a served endpoint
(the conformance suite's server transport, the start-up and early-read tests)."""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import sys
import time
from pathlib import Path
from typing import Mapping


class ServerProcess:
    """``agentctl emulator serve`` running in a child process."""

    LINE = re.compile(r"listening on (http://\S+) \(state: (.+)\)")

    def __init__(self, state: Path, config: Path | None, log: Path,
                 env: Mapping[str, str] | None = None):
        """``env``: the server's environment (default: this one without AGENTCTL_EMULATOR_*
        overrides a developer may have exported, so that only ``config`` configures it)."""
        self.log = log
        self._log_fh = open(log, "wb")
        if env is None:
            env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCTL_EMULATOR_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agentctl", "emulator", "serve", "--port", "0",
             "--state", str(state), *(["--config", str(config)] if config else [])],
            stdout=subprocess.PIPE, stderr=self._log_fh, cwd=str(state.parent),
            env={**env, "PYTHONUNBUFFERED": "1"},
        )
        self.url = self._read_url(timeout=60)

    def _read_url(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sel.select(timeout=0.5):
                line = self.proc.stdout.readline().decode()
                m = self.LINE.search(line)
                if m:
                    return m.group(1)
                if not line and self.proc.poll() is not None:
                    break
        self.stop()
        raise RuntimeError(f"emulator server did not start; log:\n{self.log.read_text()}")

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self._log_fh.close()
        return self.proc.returncode
