"""What a scenario reports: ratios against its baseline first, absolute figures second.

Every `Comparison` holds the product's figure, the baseline's figure measured in the same run,
their ratio, and the target the ratio is held to (if any). A scenario's `figures` keep the
absolute numbers for reference; its `notes` say how it measured.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Better = Literal["lower", "higher"]


@dataclass
class Comparison:
    """`product / baseline` of one metric. `better` says which way is good for the metric
    (latency: lower, throughput: higher); `limit` is the target for the ratio, met when the
    ratio is at most (lower) or at least (higher) the limit."""

    metric: str
    product: float
    baseline: float
    unit: str
    better: Better = "lower"
    limit: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline == 0:
            return None
        return self.product / self.baseline

    @property
    def met(self) -> bool | None:
        ratio = self.ratio
        if self.limit is None or ratio is None:
            return None
        return ratio <= self.limit if self.better == "lower" else ratio >= self.limit

    @property
    def target(self) -> str:
        if self.limit is None:
            return ""
        return f"{'≤' if self.better == 'lower' else '≥'} {self.limit:g}"

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "ratio": self.ratio,
            "target": self.target or None,
            "met": self.met,
        }


@dataclass
class Check:
    """A target that is not a ratio (zero writes, a time limit): what was asked, what was seen."""

    name: str
    expected: str
    actual: str
    met: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ScenarioResult:
    name: str
    title: str
    comparisons: list[Comparison] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None
    seconds: float = 0.0

    def compare(
        self,
        metric: str,
        product: float,
        baseline: float,
        unit: str,
        *,
        better: Better = "lower",
        limit: float | None = None,
    ) -> Comparison:
        comparison = Comparison(metric, product, baseline, unit, better, limit)
        self.comparisons.append(comparison)
        return comparison

    def check(self, name: str, expected: str, actual: object, met: bool) -> None:
        self.checks.append(Check(name, expected, str(actual), met))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 1),
            "comparisons": [c.as_dict() for c in self.comparisons],
            "checks": [c.as_dict() for c in self.checks],
            "figures": self.figures,
            "notes": self.notes,
        }


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` (0..1) percentile with linear interpolation between the closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean in milliseconds."""
    return {
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 3),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 3),
        "p99_ms": round(percentile(seconds, 0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(seconds) * 1000, 3) if seconds else float("nan"),
    }


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
