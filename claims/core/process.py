"""How a serving process is set up once its app is loaded: wsgi.py calls `settle_process` for gunicorn's workers and
for `flask --app wsgi jobs work`; bench/intake.py calls it too, so that it measures the process as it is deployed."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from typing import Any

# glibc's mallopt(3) parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc refuses more on 64-bit systems (HEAP_MAX_SIZE / 2)
TOP_PAD = 16 * 1024 * 1024


def settle_process(config: Any) -> None:
    """Freeze the loaded objects out of the garbage collector's way and keep freed memory for the next request."""
    # The app's modules, templates and mappings are some 300,000 objects that live as long as the process. Left to the
    # cyclic garbage collector, every full collection walks them all again: about half a second of CPU, once every few
    # hundred requests, some 3 ms a request on average (measured on the to-do page). Frozen, after everything is loaded,
    # they are left out of every collection (https://docs.python.org/3/library/gc.html#gc.freeze).
    gc.freeze()
    keep_freed_memory(int(config.get("MEMORY_KEPT_MB", 0)))


def keep_freed_memory(megabytes: int) -> bool:
    """Have the C library keep up to `megabytes` of freed memory in the process for reuse (glibc only; False elsewhere,
    or for 0, which leaves its defaults).

    A filing's request holds its photos in memory: some 13 MB read from the upload, then cut into one buffer per photo.
    By default glibc maps each buffer of more than a few megabytes afresh and gives it back to the system when it is
    freed, so every request touches brand-new pages, and on a virtual machine each first touch of a page is a fault to
    the host: about 3 ms for a 4.4 MB photo here, against 0.1 ms for pages already used (bench/README.md). Buffers of up
    to 32 MB taken from the heap instead, and a heap that keeps up to `megabytes` free at its top, are reused by the
    next request. The cost is memory a worker keeps after a large request: the free top of its heap past `megabytes`
    goes back to the system, but free memory below a block still in use stays with the process (glibc's heap shrinks from
    its top only), so a worker's size follows its largest requests."""
    if megabytes <= 0:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has both (musl has neither; macOS has no mallopt)
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    kept = min(megabytes, 1024) * 1024 * 1024  # an int for mallopt
    settings = ((M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX), (M_TRIM_THRESHOLD, kept), (M_TOP_PAD, min(TOP_PAD, kept)))
    return all(mallopt(parameter, value) == 1 for parameter, value in settings)
