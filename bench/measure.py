"""Run one child process and measure it: wall time, CPU time and peak RSS of that process alone (os.wait4)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Child:
    """What one child process did: exit code, output, and its own resource usage."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float  # user + system, of this child (and any children it waited for)
    peak_rss_mb: float
    load1: float  # the machine's 1-minute load average when the child started

    def figures(self) -> dict[str, float]:
        return {
            "wallSeconds": round(self.wall_s, 4),
            "cpuSeconds": round(self.cpu_s, 4),
            "peakRssMB": round(self.peak_rss_mb, 1),
            "load1": round(self.load1, 2),
        }


def run(argv: list[str], cwd: Path, env: dict[str, str], timeout_s: float = 3600.0) -> Child:
    """Run `argv` to completion and measure it.

    os.wait4 gives the rusage of exactly this child, so CPU and peak RSS are not mixed up with the emulator
    (another child of this process) or earlier runs, as RUSAGE_CHILDREN maxima would be. Output goes to
    temporary files, so a chatty child cannot block on a full pipe. On timeout the child is killed and the
    result has returncode -9.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        load1 = os.getloadavg()[0]
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        timer = threading.Timer(timeout_s, lambda: _kill(proc.pid))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        return Child(
            argv=argv,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            wall_s=wall,
            cpu_s=usage.ru_utime + usage.ru_stime,
            peak_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
            load1=load1,
        )


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
