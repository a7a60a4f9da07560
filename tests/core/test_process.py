"""A serving process keeps freed memory for the next request (claims/core/process.py), measured in a process of its own."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Settles the process as wsgi.py does, with MEMORY_KEPT_MB from the command line; allocates and frees a 20 MB buffer (a
# filing's photos are 4-5 MB each), then reports how much of it the process still holds (resident, from /proc) and how
# many page faults a second buffer of the same size took.
PROBE = """
import gc, json, resource, sys
from claims.core.process import settle_process

def resident():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096

objects = [object() for _ in range(1000)]  # stands for the loaded app
settle_process({"MEMORY_KEPT_MB": int(sys.argv[1])})
frozen = gc.get_freeze_count()
before = resident()
buffer = bytearray(20 * 1024 * 1024)
del buffer
after_free = resident()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
buffer = bytearray(20 * 1024 * 1024)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
print(json.dumps({"frozen": frozen, "held_after_free": after_free - before, "faults_second_buffer": faults}))
"""

glibc_linux = pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's; elsewhere keep_freed_memory does nothing"
)


def _probe(megabytes: int) -> dict[str, int]:
    result = subprocess.run([sys.executable, "-c", PROBE, str(megabytes)], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


@glibc_linux
def test_freed_memory_is_kept_and_reused_without_new_page_faults() -> None:
    kept = _probe(64)
    assert kept["frozen"] > 1000  # what was loaded is out of the garbage collector's way
    assert kept["held_after_free"] > 15 * 1024 * 1024  # the freed buffer stays in the process...
    assert kept["faults_second_buffer"] < 500  # ...and the next one reuses its 5,120 pages instead of faulting them in

    default = _probe(0)  # MEMORY_KEPT_MB=0
    assert default["held_after_free"] < 5 * 1024 * 1024  # glibc's default: a buffer this size goes back at once
    assert default["faults_second_buffer"] > 4000  # and the next one is faulted in page by page
