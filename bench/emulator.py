"""The emulator in its own process (`reconcile emulator serve`), so its CPU is not counted as ours."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from reconciler.emulator.testing import Admin


class Emulator:
    """`reconcile emulator serve --data :memory:` with the demo seed, started and stopped around a `with`.

    :param latency_ms: added to every ARM request (not to the admin endpoints).
    :param replication_seconds: per target region of an image version.
    :param retry_after: integer seconds the emulator puts in Retry-After on long-running operations.
    """

    def __init__(self, latency_ms: int = 0, replication_seconds: float = 0.0, retry_after: int = 1) -> None:
        self.argv = [
            sys.executable,
            "-m",
            "reconciler",
            "emulator",
            "serve",
            "--data",
            ":memory:",
            "--port",
            "0",
            "--latency-ms",
            str(latency_ms),
            "--replication-seconds",
            str(replication_seconds),
            "--retry-after",
            str(retry_after),
        ]
        self.url = ""
        self.ca_path = Path()
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Path | None = None

    def __enter__(self) -> Emulator:
        # Output goes to a file, not a pipe nobody drains once the banner is read.
        fd, name = tempfile.mkstemp(prefix="bench-emulator-", suffix=".log")
        self._log = log = Path(name)
        try:
            self._proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=fd, stderr=subprocess.STDOUT, env=child_env()
            )
        finally:
            os.close(fd)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
                if "listening on" in line:
                    self.url = line.rsplit(" ", 1)[-1].strip()
                elif line.startswith("CA certificate"):
                    self.ca_path = Path(line.split(": ", 1)[1].strip())
            if self.url and self.ca_path.name:
                return self
            if self._proc.poll() is not None:
                break
            time.sleep(0.05)
        output = log.read_text(encoding="utf-8", errors="replace")
        self.__exit__(None, None, None)
        raise RuntimeError(f"the emulator did not start:\n{output}")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._log is not None:
            self._log.unlink(missing_ok=True)

    @property
    def admin(self) -> Admin:
        return Admin(self.url, self.ca_path)

    def target_args(self) -> list[str]:
        """The `reconcile plan|apply` options that point at this emulator."""
        return ["--endpoint", self.url, "--ca-bundle", str(self.ca_path)]


def child_env() -> dict[str, str]:
    """This environment without what would point a child at Azure or override the emulator's CA."""
    drop = {"AZURE_SUBSCRIPTION_ID", "RECONCILE_TARGET", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"}
    return {k: v for k, v in os.environ.items() if k not in drop}
