"""Small bounded LRU caches of unwrapped secrets, one set per worker process."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class BoundedCache:
    """A thread-safe least-recently-used map holding at most `size` entries."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """The value for key (now most recently used), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: Any) -> None:
        """Store value, evicting the least recently used entry when full."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def discard_campaign(self, campaign_id: int) -> None:
        """Forget every entry whose key starts with campaign_id."""
        with self._lock:
            for key in [k for k in self._items if isinstance(k, tuple) and k[0] == campaign_id]:
                del self._items[key]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()


# Unwrapping costs a gpg process and a passphrase derivation (about a quarter of a second), and
# parsing a validation file costs more than scoring it: both would dominate model_score, which
# runs once per gradient. So each worker keeps the few campaigns it is evaluating unwrapped in
# memory, keyed by (campaign_id, identity of the stored row) so a replaced row is never served
# stale. Entries are dropped on retire; the bound caps how many keys one process ever holds.
private_keys = BoundedCache(size=32)
validation_sets = BoundedCache(size=8)
