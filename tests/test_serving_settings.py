"""The server process settings (``agility._serving``): a freed scrypt buffer goes back to
the system instead of staying in its thread's arena, and the GIL switch interval is short
while serving and restored after. Each case runs in a fresh interpreter: the allocator's
state is per process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# Slow hashes on the servers' pool (one thread per core, two here), four rounds: the
# resident set's growth after the first round, in KiB
_SCRIPT = textwrap.dedent("""
    import contextlib, sys
    from concurrent.futures import ThreadPoolExecutor
    from agility._serving import serving
    from agility.auth._secrets import hash_secret

    def rss_kib():
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) for l in status if l.startswith("VmRSS"))

    pool = ThreadPoolExecutor(2)
    with serving() if sys.argv[1] == "serving" else contextlib.nullcontext():
        list(pool.map(hash_secret, ["a", "b"]))
        first = rss_kib()
        for _ in range(3):
            list(pool.map(hash_secret, ["c", "d"]))
        print(rss_kib() - first)
""")


def _growth_kib(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", _SCRIPT, mode], capture_output=True,
                          text=True, timeout=120, check=True)
    return int(done.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator (Linux)")
def test_scrypt_buffers_are_returned_while_serving() -> None:
    # without the settings each of the two threads keeps one 16 MiB buffer after the first
    # round (glibc's sliding mmap threshold); with them nothing stays
    assert _growth_kib("plain") >= 24 * 1024
    assert _growth_kib("serving") < 4 * 1024


def test_the_switch_interval_is_short_while_serving_and_restored_after() -> None:
    from agility._serving import SWITCH_INTERVAL_S, serving

    before = sys.getswitchinterval()
    with serving():
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_S)
    assert sys.getswitchinterval() == before
