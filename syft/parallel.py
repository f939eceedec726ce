"""Where syft's heavy arithmetic runs: in-process, in threads, or in a reusable process pool."""

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from syft.errors import SyftError

__all__ = ["get_workers", "run_in_processes", "run_in_threads", "set_workers", "shutdown_pools"]

T = TypeVar("T")

_lock = threading.Lock()
_configured_workers: int | None = None
_process_pool: ProcessPoolExecutor | None = None
_thread_pool: ThreadPoolExecutor | None = None
_pool_size = 0
# Pools belong to the process that made them: a forked child (a gunicorn or Celery worker
# started after syft was used) must build its own instead of talking to its parent's.
_pool_pid = 0


def _forget_pools_after_fork() -> None:
    """In a forked child, the parent's pools and lock state mean nothing: start clean."""
    global _lock, _process_pool, _thread_pool, _pool_size, _pool_pid
    _lock = threading.Lock()
    _process_pool, _thread_pool, _pool_size, _pool_pid = None, None, 0, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools_after_fork)


def _available_cores() -> int:
    """Cores this process may run on (respects CPU affinity and container limits)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _parse_workers(value: Any, *, source: str) -> int:
    """Validate a worker count from configuration."""
    try:
        workers = int(value)
    except (TypeError, ValueError):
        raise SyftError(f"{source} must be a positive integer, not {value!r}.") from None
    if isinstance(value, bool) or workers < 1 or str(workers) != str(value).strip():
        raise SyftError(f"{source} must be a positive integer, not {value!r}.")
    return workers


def set_workers(workers: int | None) -> None:
    """Use `workers` processes for large work (1 = in-process); None = SYFT_WORKERS or all cores."""
    global _configured_workers
    if workers is not None:
        workers = _parse_workers(workers, source="set_workers()")
    with _lock:
        # The pools stay: they are rebuilt only when a job needs a different size, so
        # switching to 1 worker and back costs nothing.
        _configured_workers = workers


def get_workers() -> int:
    """Return how many workers syft uses right now."""
    if _configured_workers is not None:
        return _configured_workers
    configured = os.environ.get("SYFT_WORKERS", "").strip()
    if configured:
        return _parse_workers(configured, source="SYFT_WORKERS")
    return _available_cores()


def shutdown_pools() -> None:
    """Stop the pools syft started; they are recreated on the next large job."""
    global _process_pool, _thread_pool, _pool_size
    with _lock:
        process_pool, thread_pool = _process_pool, _thread_pool
        _process_pool, _thread_pool, _pool_size = None, None, 0
        if _pool_pid != os.getpid():
            return
    if process_pool is not None:
        process_pool.shutdown(wait=True, cancel_futures=True)
    if thread_pool is not None:
        thread_pool.shutdown(wait=True)


def _may_start_processes() -> bool:
    """Daemonic processes (Celery prefork children) may not have children of their own."""
    return not multiprocessing.current_process().daemon


def _mp_context() -> multiprocessing.context.BaseContext:
    """A forkserver where the platform has one, else spawn; never a plain fork.

    A fork copies only the calling thread: a lock another thread holds at that moment (a
    Playwright or gunicorn thread, a logging handler, an executor's queue) stays held forever
    in the child, which then hangs on its call queue. The fork server is a single-threaded
    process started once, with syft already imported, so its children start fast and clean.
    """
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["syft.multiexp"])
        return context
    return multiprocessing.get_context("spawn")


def _pools(workers: int) -> tuple[ProcessPoolExecutor | None, ThreadPoolExecutor]:
    """Return the shared pools sized for `workers`, creating them on first use."""
    global _process_pool, _thread_pool, _pool_size, _pool_pid
    stale: list[Any] = []
    with _lock:
        if _pool_pid != os.getpid():
            _process_pool, _thread_pool, _pool_size, _pool_pid = None, None, 0, os.getpid()
        if _pool_size != workers:
            stale = [pool for pool in (_process_pool, _thread_pool) if pool is not None]
            _process_pool, _thread_pool, _pool_size = None, None, workers
        if _thread_pool is None:
            _thread_pool = ThreadPoolExecutor(workers, thread_name_prefix="syft")
        if _process_pool is None and _may_start_processes():
            _process_pool = ProcessPoolExecutor(workers, mp_context=_mp_context())
        pools = (_process_pool, _thread_pool)
    for pool in stale:
        pool.shutdown(wait=False)
    return pools


def run_in_processes(function: Callable[..., T], jobs: Sequence[tuple[Any, ...]]) -> list[T]:
    """Run function(*job) for every job, spread over the process pool when that can help."""
    workers = get_workers()
    if workers == 1 or len(jobs) < 2 or not _may_start_processes():
        return [function(*job) for job in jobs]
    process_pool, _ = _pools(workers)
    if process_pool is None:
        return [function(*job) for job in jobs]
    try:
        return list(process_pool.map(function, *zip(*jobs, strict=True)))
    except BrokenProcessPool:
        # A worker died (killed, out of memory); finish here and start a fresh pool next time.
        shutdown_pools()
        return [function(*job) for job in jobs]


def run_in_threads(function: Callable[..., T], jobs: Sequence[tuple[Any, ...]]) -> list[T]:
    """Run function(*job) in threads; only worth it for calls that release the GIL."""
    workers = get_workers()
    if workers == 1 or len(jobs) < 2:
        return [function(*job) for job in jobs]
    _, thread_pool = _pools(workers)
    return list(thread_pool.map(function, *zip(*jobs, strict=True)))


def split_evenly(items: Sequence[T], parts: int) -> list[Sequence[T]]:
    """Split items into at most `parts` contiguous, non-empty chunks of near-equal length."""
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    chunks: list[Sequence[T]] = []
    start = 0
    for index in range(parts):
        stop = start + size + (1 if index < extra else 0)
        chunks.append(items[start:stop])
        start = stop
    return chunks
