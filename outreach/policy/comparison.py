"""Messaged against held-out clients: rebook rates and visits per nudge, with 95% confidence intervals from
statsmodels (Wilson for one rate, Newcombe for the difference of two, Welch's t for means). Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class Arm:
    """One group: how many nudges (or would-be nudges), how many were followed by a rebook, and how many
    nudges were followed by 0, 1, 2 … attended visits."""

    occasions: int
    rebooked: int
    visits: Mapping[int, int]

    @property
    def rebook_rate(self) -> Interval:
        from statsmodels.stats.proportion import proportion_confint

        low, high = proportion_confint(self.rebooked, self.occasions, alpha=1 - CONFIDENCE, method="wilson")
        return Interval(self.rebooked / self.occasions, float(low), float(high))

    @property
    def mean_visits(self) -> Interval:
        statistics = self._visit_statistics()
        low, high = statistics.tconfint_mean(alpha=1 - CONFIDENCE)
        return _interval(statistics.mean, low, high)

    def _visit_statistics(self):  # noqa: ANN202  (statsmodels DescrStatsW)
        from statsmodels.stats.weightstats import DescrStatsW

        values = sorted(self.visits)
        return DescrStatsW([float(v) for v in values], weights=[float(self.visits[v]) for v in values])


@dataclass(frozen=True)
class Comparison:
    messaged: Arm
    held_out: Arm
    min_group_size: int

    @property
    def enough_data(self) -> bool:
        return min(self.messaged.occasions, self.held_out.occasions) >= self.min_group_size

    @property
    def rebook_difference(self) -> Interval:
        """Messaged minus held-out rebook rate."""
        from statsmodels.stats.proportion import confint_proportions_2indep

        m, h = self.messaged, self.held_out
        low, high = confint_proportions_2indep(
            m.rebooked, m.occasions, h.rebooked, h.occasions, method="newcomb", compare="diff", alpha=1 - CONFIDENCE
        )
        return Interval(m.rebooked / m.occasions - h.rebooked / h.occasions, float(low), float(high))

    @property
    def visits_difference(self) -> Interval:
        """Messaged minus held-out mean attended visits after a nudge (Welch: unequal variances)."""
        from statsmodels.stats.weightstats import CompareMeans

        m, h = self.messaged._visit_statistics(), self.held_out._visit_statistics()
        low, high = CompareMeans(m, h).tconfint_diff(alpha=1 - CONFIDENCE, usevar="unequal")
        return _interval(m.mean - h.mean, low, high)


def _interval(estimate: float, low: float, high: float) -> Interval:
    # No spread at all (every nudge followed by the same count): the interval is the point itself.
    if math.isnan(low) or math.isnan(high):
        return Interval(float(estimate), float(estimate), float(estimate))
    return Interval(float(estimate), float(low), float(high))


def detectable_difference(messaged: int, held_out: int, base_rate: float, power: float = 0.8) -> float | None:
    """The smallest rise in rebook rate over `base_rate` that groups this size would detect (two-sided 5%, the
    given power), in rate units; None when no rise up to 100% would be."""
    from statsmodels.stats.power import NormalIndPower

    if min(messaged, held_out) < 2:
        return None
    effect = NormalIndPower().solve_power(
        nobs1=messaged, ratio=held_out / messaged, alpha=1 - CONFIDENCE, power=power, alternative="two-sided"
    )
    # Cohen's h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p0)), solved for p1.
    angle = math.asin(math.sqrt(min(max(base_rate, 0.0), 1.0))) + effect / 2
    return None if angle > math.pi / 2 else math.sin(angle) ** 2 - base_rate
