"""Memory a step frees goes back to the operating system: Arrow's buffers come from the system allocator, and
the C library serves every block of 1 MiB or more by its own mapping, released when freed.

Why: Arrow's default pool (mimalloc) and the C library's default (its mapping threshold rises to 32 MiB once a
large block is freed, after which large blocks come from the heap and stay there) keep the memory of the copies a
step makes and drops, so a process's resident memory, which is what the machine has to hold, grows to several
times its live data. Measured on loading the scale-10 sample (2 cores, read in slices of 250,000 rows): peak
resident memory 1,257 MB with Arrow's pool and 1,244 MB with the C library's default threshold, 994 MB with both
changed (the tables themselves hold about 500 MB); without the slices it was 1,900 MB.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import pyarrow as pa

#: Blocks of at least this many bytes are mapped on their own and unmapped when freed (glibc's M_MMAP_THRESHOLD).
MAPPED_FROM_BYTES = 1 << 20
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number


def release_freed_memory() -> None:
    """Set both allocators as the module docstring says; a no-op where the C library is not glibc."""
    pa.set_memory_pool(pa.system_memory_pool())
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, MAPPED_FROM_BYTES)
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): its defaults stay
        pass
