"""Fault-injection points for the kill -9 tests (tests/test_faults.py, issue 10). Off by default.

A test that kills a re-index "while it embeds" or "right after the commit" used to race the run: a fast
ingest could finish before the test's poll saw the state it waited for. A named point makes the process
stop there instead: ``Settings.fault_pause`` (``MISHU_FAULT_PAUSE``, comma-separated names) lists the
points at which a process logs a warning and sleeps ``fault_pause_s`` seconds, long enough for the test to
see the state on disk and kill the process in it. Nothing else changes; with the setting empty (the
default) ``reach`` returns at once. Never set it on a service people use: the run then waits there.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

# name -> where the process stops (the state a kill there leaves)
POINTS: dict[str, str] = {
    "ingest.locked": "the ingest holds its lock and has read nothing yet",
    "ingest.embedded": "a batch of new vectors is in the embedding cache; the run has committed nothing",
    "ingest.lexical_written": "the new lexical snapshot is written (lexical-*.tmp), not yet renamed or committed",
    "ingest.committed": "the registry swap is committed; old vectors and the old snapshot are not cleaned yet",
}


@dataclass(frozen=True)
class FaultPoints:
    names: frozenset[str] = frozenset()
    seconds: float = 600.0

    @classmethod
    def parse(cls, spec: str, seconds: float = 600.0) -> FaultPoints:
        """From the comma-separated setting; an unknown name is an error (a typo would silently never stop)."""
        names = frozenset(n.strip() for n in spec.split(",") if n.strip())
        unknown = sorted(names - POINTS.keys())
        if unknown:
            raise ValueError(f"unknown fault point(s) {unknown}; known: {sorted(POINTS)}")
        return cls(names, seconds)

    def reach(self, point: str) -> None:
        """Stop here for ``seconds`` when ``point`` is one of ``names``."""
        if point not in self.names:
            return
        log.warning("fault point %s reached (%s): pausing %.0f s", point, POINTS[point], self.seconds)
        time.sleep(self.seconds)


NO_FAULTS = FaultPoints()
