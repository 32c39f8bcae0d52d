"""How every benchmark here measures on a shared, noisy machine.

- Baseline and subject run interleaved within each round (``interleave``), so a burst
  of load from another process hits both rather than one.
- A ratio is taken per round, between the subject and the baseline of the same round;
  a row reports the median of the pooled values and the spread of the *ratios*.
- CPU time per unit of work is reported beside wall time: it moves far less than wall
  time when other processes take the cores.
- ``sustained_rate`` refuses to name a rate from fewer than two rounds.
"""

from __future__ import annotations

import os
import random
import statistics
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


def interleave(
    rounds: int, subjects: Mapping[str, Callable[[], T]], *, seed: int = 17
) -> dict[str, list[T]]:
    """Run every subject once per round, in a shuffled order; return each one's results."""
    order = list(subjects)
    results: dict[str, list[T]] = {name: [] for name in order}
    shuffle = random.Random(seed).shuffle
    for _ in range(rounds):
        shuffle(order)
        for name in order:
            results[name].append(subjects[name]())
    return results


def ratio_spread(ratios: list[float]) -> dict[str, float]:
    """The spread of per-round ratios: min, max, interquartile range and CV."""
    if len(ratios) >= 2:
        q1, _, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    else:
        q1 = q3 = ratios[0]
    mean = statistics.mean(ratios)
    return {
        "min": min(ratios),
        "max": max(ratios),
        "q1": q1,
        "q3": q3,
        "cv_pct": 100 * statistics.pstdev(ratios) / mean if mean else 0.0,
        "rounds": float(len(ratios)),
    }


def row(
    what: str,
    unit: str,
    subject: list[float],
    baseline: list[float],
    baseline_what: str,
    *,
    goal: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One result row: pooled medians of both series, the median per-round ratio and its spread."""
    ratios = [s / b for s, b in zip(subject, baseline, strict=True) if b]
    result: dict[str, Any] = {
        "what": what,
        "unit": unit,
        "value": statistics.median(subject),
        "baseline": statistics.median(baseline),
        "baseline_what": baseline_what,
        "ratio": statistics.median(ratios),
        "spread": ratio_spread(ratios),
        **extra,
    }
    if goal:
        result["goal"] = goal
    return result


def sustained_rate(
    rounds: Iterable[Mapping[float, float]], *, limit: float
) -> tuple[float | None, str]:
    """The highest rate whose pooled median over rounds stays within ``limit``.

    ``rounds`` maps each offered rate to the figure measured at it (a p99, say), one
    mapping per round. One noisy step of one round no longer zeroes the round: the
    median over rounds decides each rate. Refuses (``None``) with fewer than two rounds.
    """
    rounds = list(rounds)
    if len(rounds) < 2:
        return None, "not reported: fewer than two rounds"
    rates = sorted(set().union(*rounds))
    best: float | None = None
    for rate in rates:
        values = [r[rate] for r in rounds if rate in r]
        if len(values) < 2 or statistics.median(values) > limit:
            break
        best = rate
    return best, f"pooled median over {len(rounds)} rounds"


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def load() -> list[float]:
    """The machine's 1-, 5- and 15-minute load averages."""
    return [round(value, 2) for value in os.getloadavg()]
