"""A job that needs a module-level lock: what a forked child inherits held, it waits on forever."""

import threading

LOCK = threading.Lock()


def double_under_lock(value: int) -> int:
    """Take the module's lock, as real code takes a logging or allocator lock."""
    with LOCK:
        return value * 2
