"""Re-randomizers r**n mod n², made ahead of time so a mine's upload waits only for its gradient.

Making one costs a full exponentiation (about 15 ms at 2048 bits), more than the packed
gradient itself. A mine fills a pool between polls; `pack` takes from it. Every value is
used once and then dropped: a reused r**n would link two ciphertexts. The pools live in
the process's memory only (never on disk or in a log): r**n together with a ciphertext
reveals nothing by itself, but there is no reason to keep it anywhere.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque

from gmpy2 import mpz
from phe.paillier import PaillierPublicKey

from syft.encrypted import _key_numbers, _powmod_many

__all__ = ["ObfuscationPool", "pool_for", "pools_fill", "randomizers_fresh"]

DEFAULT_POOL_SIZE = 16
# A mine keeps pools for this many keys (campaigns) at most; the least recently used goes.
MAX_POOLS = 64


def randomizers_fresh(n: int, count: int) -> list[mpz]:
    """count values r**n mod n² for r uniform in [1, n) from the operating system's CSPRNG."""
    n_mpz, nsquare, _, _ = _key_numbers(int(n))
    units = [mpz(secrets.randbelow(int(n_mpz) - 1) + 1) for _ in range(count)]
    return _powmod_many(units, int(n_mpz), nsquare)


class ObfuscationPool:
    """Precomputed r**n mod n² for one public key, each handed out once."""

    def __init__(self, public_key: PaillierPublicKey, *, size: int = DEFAULT_POOL_SIZE) -> None:
        """An empty pool that `fill` tops up to `size` values."""
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"Pool size must be a non-negative integer, not {size!r}.")
        self.n = int(public_key.n)
        self.size = size
        self._values: deque[mpz] = deque()
        self._lock = threading.Lock()
        self.misses = 0  # values `take` had to make on the spot: the pool was too small

    def __len__(self) -> int:
        """Values ready now."""
        return len(self._values)

    def fill(self, *, deadline_s: float | None = None) -> int:
        """Top the pool up to its size (or until deadline_s seconds have passed); return added."""
        stop = None if deadline_s is None else time.monotonic() + deadline_s
        added = 0
        while len(self._values) < self.size:
            if stop is not None and time.monotonic() >= stop:
                break
            (value,) = randomizers_fresh(self.n, 1)
            with self._lock:
                self._values.append(value)
            added += 1
        return added

    def take(self, count: int) -> list[mpz]:
        """count values, each removed from the pool; any shortfall is made fresh (and counted)."""
        taken: list[mpz] = []
        with self._lock:
            while self._values and len(taken) < count:
                taken.append(self._values.popleft())
        missing = count - len(taken)
        if missing:
            self.misses += missing
            taken.extend(randomizers_fresh(self.n, missing))
        return taken


_pools: dict[int, ObfuscationPool] = {}
_pools_lock = threading.Lock()


def pool_for(public_key: PaillierPublicKey, *, size: int = DEFAULT_POOL_SIZE) -> ObfuscationPool:
    """This process's pool for a key (made on first use; the least recently used are dropped)."""
    n = int(public_key.n)
    with _pools_lock:
        pool = _pools.pop(n, None)
        if pool is None:
            pool = ObfuscationPool(public_key, size=size)
        _pools[n] = pool  # re-inserted last: most recently used
        while len(_pools) > MAX_POOLS:
            _pools.pop(next(iter(_pools)))
        pool.size = max(pool.size, size)
        return pool


def pools_fill(*, deadline_s: float | None = None) -> int:
    """Top up every pool of this process (a mine calls this between polls); return added."""
    with _pools_lock:
        pools = list(_pools.values())
    stop = None if deadline_s is None else time.monotonic() + deadline_s
    added = 0
    for pool in reversed(pools):  # most recently used first
        left = None if stop is None else max(0.0, stop - time.monotonic())
        added += pool.fill(deadline_s=left)
    return added
