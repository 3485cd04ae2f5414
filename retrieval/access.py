"""Access tracking for forgetting: search hits bump `access_count` and `last_accessed_at`.
Counts are buffered in memory and written in one small transaction per tenant, at most every
`interval_s`, so searching stays read-only on its hot path."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict

from memsvc.domain import utcnow
from memsvc.domain.ports import UnitOfWorkFactory

logger = logging.getLogger(__name__)


class AccessRecorder:
    def __init__(self, uow: UnitOfWorkFactory, interval_s: float = 5.0) -> None:
        self._uow = uow
        self._interval = interval_s
        self._pending: dict[str, Counter[int]] = defaultdict(Counter)
        self._lock = threading.Lock()
        self._last = time.monotonic()

    def record(self, tenant_id: str, seqs: list[int]) -> None:
        with self._lock:
            self._pending[tenant_id].update(seqs)
            due = time.monotonic() - self._last >= self._interval
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, defaultdict(Counter)
            self._last = time.monotonic()
        now = utcnow()
        for tenant_id, counts in pending.items():
            try:
                with self._uow(tenant_id) as uow:
                    uow.units.record_access(dict(counts), now)
                    uow.commit()
            except Exception:  # bookkeeping must never fail a search; counts are best effort
                logger.exception("could not record %d accesses", sum(counts.values()))
