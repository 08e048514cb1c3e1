"""The taper: from a client's visits and pain scores, a phase and a target interval between visits.

Definitions (every number is a setting in [cadence]):

- **Baseline**: the median of the scores recorded less than `baseline_days` after the client's first score
  (with weekly check-ins, just the first score; with several in the first days, their median, so one odd
  reading does not set it). No scores: no baseline, and the client stays establishing.
- **Check-ins**: the scores after the baseline ones, in time order. Gaps between them do not matter.
- **Level of one check-in**: *substantial* when it is at least `maintain_relative` (50%) better than baseline;
  *moderate* when at least `taper_relative` (30%) or `taper_points` (2 points) better; otherwise *none*
  (IMMPACT: 30% or 2 points is a moderately important change, 50% a substantial one).
- **Holds**: a level holds when two consecutive check-ins both reach it. The phase moves up only when the
  higher level holds: establishing (weekly) → tapering (every 2 weeks) → maintaining (every 4 weeks).
- **Moving down**: when two consecutive check-ins both fall below the current level, the phase drops to the
  better of the two. A single bad check-in between good ones is noise and changes nothing.
- **Lost**: when the phase drops back to establishing from tapering or maintaining, the gain is lost:
  `worsening` is set for the front desk to see. Two consecutive check-ins `taper_points` or more *worse* than
  baseline also set it. It clears when a level holds again.
- **Lapsed**: no attended visit for `lapsed_after_days` and none booked. A client never seen is establishing.
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Iterable, Iterator, Sequence

from outreach.settings import Cadence

ESTABLISHING, TAPERING, MAINTAINING, LAPSED = "establishing", "tapering", "maintaining", "lapsed"
PHASES = (ESTABLISHING, TAPERING, MAINTAINING, LAPSED)
_BY_LEVEL = (ESTABLISHING, TAPERING, MAINTAINING)


@dataclass(frozen=True)
class VisitFact:
    starts_at: datetime
    status: str  # booked | attended | cancelled | no_show
    id: int | None = None


@dataclass(frozen=True)
class Score:
    recorded_at: datetime
    pain: int


@dataclass(frozen=True)
class CadenceState:
    phase: str
    interval_days: int | None
    worsening: bool
    baseline: float | None
    latest: int | None
    last_attended: datetime | None
    next_booked: datetime | None
    explanation: str  # for staff only: it may mention scores, so it never goes into a message

    @property
    def interval(self) -> timedelta | None:
        return None if self.interval_days is None else timedelta(days=self.interval_days)


def interval_for(phase: str, settings: Cadence) -> int | None:
    return {
        ESTABLISHING: settings.establishing_days,
        TAPERING: settings.tapering_days,
        MAINTAINING: settings.maintaining_days,
    }.get(phase)


def baseline_of(scores: Sequence[Score], settings: Cadence) -> tuple[float | None, list[Score]]:
    """The baseline and the check-ins after it, from scores in time order."""
    if not scores:
        return None, []
    cutoff = scores[0].recorded_at + timedelta(days=settings.baseline_days)
    initial = [s for s in scores if s.recorded_at < cutoff] or [scores[0]]
    return float(statistics.median(s.pain for s in initial)), list(scores[len(initial) :])


def level_of(pain: int, baseline: float, settings: Cadence) -> int:
    """0 none, 1 moderate, 2 substantial improvement over baseline."""
    gain = baseline - pain
    relative = gain / baseline if baseline > 0 else 0.0
    if relative >= settings.maintain_relative:
        return 2
    if relative >= settings.taper_relative or gain >= settings.taper_points:
        return 1
    return 0


def progress_level(scores: Sequence[Score], settings: Cadence) -> tuple[int, bool, float | None]:
    """Walk the check-ins in order: (level reached, worsening flag, baseline)."""
    baseline = baseline_of(scores, settings)[0]
    last = deque(progress_steps(scores, settings), maxlen=1)
    _, level, worsening = last[0] if last else (None, 0, False)
    return level, worsening, baseline


def progress_steps(scores: Sequence[Score], settings: Cadence) -> Iterator[tuple[Score, int, bool]]:
    """After each check-in from the second on: (that check-in, the level reached, the worsening flag)."""
    baseline, checkins = baseline_of(scores, settings)
    if baseline is None:
        return
    level, worsening = 0, False
    for previous, current in pairwise(checkins):
        pair = (level_of(previous.pain, baseline, settings), level_of(current.pain, baseline, settings))
        if min(pair) > level:
            level, worsening = min(pair), False
        elif max(pair) < level:
            if max(pair) == 0:
                worsening = True
            level = max(pair)
        if all(s.pain >= baseline + settings.taper_points for s in (previous, current)):
            level, worsening = 0, True
        yield current, level, worsening


def assess(visits: Iterable[VisitFact], scores: Iterable[Score], now: datetime, settings: Cadence) -> CadenceState:
    visits = list(visits)
    ordered = sorted((s for s in scores if s.recorded_at <= now), key=lambda s: s.recorded_at)
    attended = [v.starts_at for v in visits if v.status == "attended" and v.starts_at <= now]
    booked = [v.starts_at for v in visits if v.status == "booked" and v.starts_at > now]
    last_attended = max(attended, default=None)
    next_booked = min(booked, default=None)
    level, worsening, baseline = progress_level(ordered, settings)
    latest = ordered[-1].pain if ordered else None

    lapsed = (
        last_attended is not None
        and next_booked is None
        and now - last_attended >= timedelta(days=settings.lapsed_after_days)
    )
    phase = LAPSED if lapsed else _BY_LEVEL[level]
    return CadenceState(
        phase=phase,
        interval_days=interval_for(phase, settings),
        worsening=worsening,
        baseline=baseline,
        latest=latest,
        last_attended=last_attended,
        next_booked=next_booked,
        explanation=_explain(phase, level, worsening, baseline, ordered, last_attended, settings),
    )


def phases_at(
    visits: Sequence[VisitFact], scores: Sequence[Score], moments: Sequence[datetime], settings: Cadence
) -> list[str]:
    """assess(visits, scores, moment, settings).phase at each moment, walking the scores once (the reports ask
    for a phase every week for every client)."""
    ordered = sorted(scores, key=lambda s: s.recorded_at)
    steps = [(checkin.recorded_at, level) for checkin, level, _ in progress_steps(ordered, settings)]
    checked_at = [at for at, _ in steps]
    baseline_end = ordered[0].recorded_at + timedelta(days=settings.baseline_days) if ordered else None
    attended = sorted(v.starts_at for v in visits if v.status == "attended")
    booked = [v.starts_at for v in visits if v.status == "booked"]
    phases = []
    for moment in moments:
        if baseline_end is not None and moment < baseline_end:  # the baseline itself is still forming
            phases.append(assess(visits, scores, moment, settings).phase)
            continue
        reached, seen = bisect_right(checked_at, moment), bisect_right(attended, moment)
        last = attended[seen - 1] if seen else None
        lapsed = (
            last is not None
            and not any(at > moment for at in booked)
            and moment - last >= timedelta(days=settings.lapsed_after_days)
        )
        phases.append(LAPSED if lapsed else _BY_LEVEL[steps[reached - 1][1] if reached else 0])
    return phases


def _explain(
    phase: str,
    level: int,
    worsening: bool,
    baseline: float | None,
    scores: Sequence[Score],
    last_attended: datetime | None,
    settings: Cadence,
) -> str:
    if phase == LAPSED:
        return f"Lapsed: no visit for {settings.lapsed_after_days}+ days and none booked."
    if baseline is None:
        return "Establishing: no pain scores yet, so weekly visits."
    recent = ", ".join(str(s.pain) for s in scores[-3:])
    text = {
        0: "Establishing: improvement has not yet held over two check-ins",
        1: "Tapering: a moderate improvement has held over two check-ins",
        2: "Maintaining: a substantial improvement has held over two check-ins",
    }[level]
    text += f" (baseline {baseline:g}, recent {recent})."
    if worsening:
        text += " Worsening: the earlier gain was lost; back to weekly."
    return text
