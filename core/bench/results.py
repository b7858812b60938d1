"""What a benchmark scenario reports: measurements, their targets, and ratios to reference points.

Numbers are plain floats in fixed units so the JSON is easy to diff between runs: throughput in
events (or requests, or proofs) per second, latency in milliseconds. A *reference* measurement is a
floor or ceiling taken in the same run on the same data (raw COPY, the naive design, a no-op HTTP
request), so a ratio to it survives a change of machine better than the absolute figure does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["ok", "not available", "failed"]


@dataclass(frozen=True)
class Latency:
    """Percentiles of one set of samples, in milliseconds (nearest-rank, no interpolation)."""

    p50: float
    p95: float
    p99: float
    max: float
    mean: float
    samples: int

    @classmethod
    def of_seconds(cls, samples: Sequence[float]) -> Latency | None:
        if not samples:
            return None
        ordered = sorted(samples)
        return cls(
            p50=_rank(ordered, 0.50) * 1000,
            p95=_rank(ordered, 0.95) * 1000,
            p99=_rank(ordered, 0.99) * 1000,
            max=ordered[-1] * 1000,
            mean=sum(ordered) / len(ordered) * 1000,
            samples=len(ordered),
        )


def _rank(ordered: Sequence[float], q: float) -> float:
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass(frozen=True)
class Target:
    """A goal from the design brief: ``throughput`` (at least, per second), ``seconds`` (at most, the
    whole measurement's wall time), or a latency percentile ``p95``/``p99`` (at most, milliseconds)."""

    metric: Literal["throughput", "seconds", "p95", "p99"]
    value: float
    text: str

    def met_by(self, measurement: Measurement) -> bool | None:
        if self.metric == "throughput":
            return measurement.throughput >= self.value
        if self.metric == "seconds":
            return measurement.seconds <= self.value
        if measurement.latency is None:
            return None
        observed: float = measurement.latency.p95 if self.metric == "p95" else measurement.latency.p99
        return observed <= self.value


@dataclass(frozen=True)
class Measurement:
    name: str
    unit: str  # what one counted thing is: "events", "requests", "proofs", "rows"
    count: int
    seconds: float
    latency: Latency | None = None
    target: Target | None = None
    reference: bool = False  # a floor or ceiling to compare against, not a figure of Canary's
    detail: str = ""

    @property
    def throughput(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    @property
    def met(self) -> bool | None:
        return self.target.met_by(self) if self.target else None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["throughput_per_s"] = round(self.throughput, 1)
        out["met"] = self.met
        return out


@dataclass(frozen=True)
class Ratio:
    """``ours`` / ``reference`` throughput: above 1 means Canary is faster than the reference."""

    ours: str
    reference: str
    value: float

    @property
    def label(self) -> str:
        return f"{self.value:.2f}× {self.reference}"


@dataclass
class ScenarioResult:
    name: str
    status: Status = "ok"
    description: str = ""
    measurements: list[Measurement] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    quality: dict[str, Any] = field(default_factory=dict)  # scores of a scenario that measures accuracy

    def add(self, measurement: Measurement) -> Measurement:
        self.measurements.append(measurement)
        return measurement

    def get(self, name: str) -> Measurement:
        for measurement in self.measurements:
            if measurement.name == name:
                return measurement
        raise KeyError(f"{self.name} has no measurement {name!r}")

    def ratio(self, ours: str, reference: str) -> None:
        """Record ours / reference throughput, if both were measured and the reference is non-zero."""
        try:
            a, b = self.get(ours), self.get(reference)
        except KeyError:
            return
        if b.throughput > 0:
            self.ratios.append(Ratio(ours, reference, a.throughput / b.throughput))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "description": self.description,
            "seconds": round(self.seconds, 2),
            "config": self.config,
            "measurements": [m.as_dict() for m in self.measurements],
            "ratios": [asdict(r) for r in self.ratios],
            "notes": self.notes,
            "error": self.error,
            "quality": self.quality,
        }
