"""When and how long to wait before asking Sonar again: bounded exponential backoff with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# Statuses that mean "not now" rather than "no": the same request may succeed later.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# Statuses after which the server certainly did not act on the request (so even a POST
# without an idempotency key is safe to send again).
NOT_PROCESSED_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to try a request and how long to sleep between tries."""

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    # Upper bound on all the sleeping one call may do, whatever Retry-After says.
    max_total_delay_s: float = 120.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1 (1 = never retry).")
        if self.base_delay_s < 0 or self.max_delay_s < 0 or self.max_total_delay_s < 0:
            raise ValueError("RetryPolicy delays must not be negative.")

    def delay(self, attempt: int, *, retry_after_s: float | None = None) -> float:
        """Seconds to sleep after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        # Half fixed, half random: clients that failed together do not all come back together.
        wait = ceiling / 2 + self.rng.uniform(0, ceiling / 2)
        if retry_after_s is not None:
            wait = max(wait, min(retry_after_s, self.max_delay_s))
        return wait


NO_RETRY = RetryPolicy(max_attempts=1)
