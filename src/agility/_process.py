"""How long this process has been alive: lets a command report its whole time, start-up
included (a run's own wall time starts when the run does, after the imports)."""

from __future__ import annotations

import os
import time

__all__ = ["process_age_s"]


def process_age_s() -> float | None:
    """Seconds since this process started (the kernel's start time, 10 ms resolution), or
    None where that cannot be read (not Linux)."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        # field 22 of stat(5), the start time in clock ticks after boot; the command name,
        # which may hold spaces and parentheses, ends at the last ")" (field 2)
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return None
