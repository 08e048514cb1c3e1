"""Simulated clients living through weeks of outreach (clinic.py), and the HTML report of one (report.py)."""

from outreach.simulation.clinic import (
    DAY_STARTS_UTC,
    DEMO_CLIENTS,
    PERSONAS,
    Habit,
    Simulation,
    Timeline,
    compare_groups,
    detectable,
    ending_now,
    first_monday,
    phase_changes,
    population,
    run,
    skip_reasons,
    summary_table,
    with_holdout,
)

__all__ = [
    "DAY_STARTS_UTC",
    "DEMO_CLIENTS",
    "PERSONAS",
    "Habit",
    "Simulation",
    "Timeline",
    "compare_groups",
    "detectable",
    "ending_now",
    "first_monday",
    "phase_changes",
    "population",
    "run",
    "skip_reasons",
    "summary_table",
    "with_holdout",
]
