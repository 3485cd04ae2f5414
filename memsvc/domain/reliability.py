"""How far a procedure's track record can be trusted: Wilson score bounds on its success rate.

A raw success rate lies for small counts (1 of 1 is "100%"). The Wilson lower bound at 95%
(z = 1.96) is the rate we can be confident of: 7 of 8 -> .53, 1 of 1 -> .21, 0 of 0 -> 0.
`net` sets the confident success rate against the confident failure rate, so an untested
procedure is neutral (0), one that keeps working rises towards 1 and one that keeps failing
sinks towards -1; `keeps_failing` is the flag the packed context shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959964  # two-sided 95%


def wilson_lower(successes: int, trials: int, z: float = Z95) -> float:
    """Lower bound of the Wilson score interval of `successes` / `trials` (0 when no trials)."""
    if trials <= 0:
        return 0.0
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return max(0.0, (centre - spread) / (1 + z2 / trials))


@dataclass(frozen=True, slots=True)
class Reliability:
    """A track record: how often something succeeded and failed."""

    successes: int = 0
    failures: int = 0

    @property
    def trials(self) -> int:
        return self.successes + self.failures

    @property
    def lower(self) -> float:
        """The success rate we are 95% sure of."""
        return wilson_lower(self.successes, self.trials)

    @property
    def failing(self) -> float:
        """The failure rate we are 95% sure of."""
        return wilson_lower(self.failures, self.trials)

    @property
    def net(self) -> float:
        """Confident success minus confident failure, in [-1, 1]; 0 when untested."""
        return self.lower - self.failing

    @property
    def keeps_failing(self) -> bool:
        """We are 95% sure it fails at least half of the time."""
        return self.failing >= 0.5
