"""The labelled corpus of inbound texts, and how the intent reader scores on it.

Print the figures (recall on opt-outs, false opt-out rate on the rest, the confusion table):

    .venv/bin/python -m tests.intent_corpus
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from outreach.policy.intent import Intent, read

CORPUS = Path(__file__).parent / "fixtures" / "inbound_corpus.csv"
LABELS = ("opt-out", "opt-in", "help", "score", "appointment", "other")


@dataclass(frozen=True)
class Sample:
    line: int
    text: str
    label: str


@dataclass(frozen=True)
class Figures:
    samples: list[Sample]
    missed: list[Sample]  # opt-outs not read as a clear opt-out
    false_opt_outs: list[Sample]  # anything else read as a clear opt-out
    possible: list[Sample]  # anything else read as a possible opt-out: no reply, a person decides
    confusion: Counter  # (label, intent) -> count

    @property
    def opt_outs(self) -> int:
        return sum(sample.label == "opt-out" for sample in self.samples)

    @property
    def rest(self) -> int:
        return len(self.samples) - self.opt_outs

    def report(self) -> str:
        lines = [
            f"{len(self.samples)} texts: {self.opt_outs} opt-outs, {self.rest} others",
            f"recall on opt-outs: {self.opt_outs - len(self.missed)}/{self.opt_outs} "
            f"= {(self.opt_outs - len(self.missed)) / self.opt_outs:.1%}",
            f"false opt-out rate on the rest: {len(self.false_opt_outs)}/{self.rest} "
            f"= {len(self.false_opt_outs) / self.rest:.1%}",
            f"possible opt-out (no reply, a person decides) on the rest: {len(self.possible)}/{self.rest} "
            f"= {len(self.possible) / self.rest:.1%}",
            "",
            "label -> read as",
        ]
        for label in LABELS:
            read_as = {intent: n for (known, intent), n in sorted(self.confusion.items()) if known == label}
            lines.append(f"  {label:12} {read_as}")
        lines += [f"  missed: {s.text!r} (line {s.line})" for s in self.missed]
        lines += [f"  false opt-out: {s.text!r} (line {s.line})" for s in self.false_opt_outs]
        lines += [f"  possible: {s.text!r} [{s.label}]" for s in self.possible]
        return "\n".join(lines)


def load(path: Path = CORPUS) -> list[Sample]:
    """Every labelled text; a bad row stops with FILE:LINE: field: problem."""
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        if reader.fieldnames != ["text", "label"]:
            raise ValueError(f"{path}:1: header: expected text,label, found {reader.fieldnames}")
        samples = [_sample(path, reader.line_num, row) for row in reader]
    return samples


def _sample(path: Path, line: int, row: dict) -> Sample:
    if row["label"] not in LABELS:
        raise ValueError(f"{path}:{line}: label: {row['label']!r} is not one of {', '.join(LABELS)}")
    if not (row["text"] or "").strip():
        raise ValueError(f"{path}:{line}: text: empty")
    return Sample(line, row["text"], row["label"])


def measure(samples: list[Sample]) -> Figures:
    intents = [read(sample.text).intent for sample in samples]
    pairs = list(zip(samples, intents, strict=True))
    return Figures(
        samples=samples,
        missed=[s for s, intent in pairs if s.label == "opt-out" and intent is not Intent.opt_out],
        false_opt_outs=[s for s, intent in pairs if s.label != "opt-out" and intent is Intent.opt_out],
        possible=[s for s, intent in pairs if s.label != "opt-out" and intent is Intent.possible_opt_out],
        confusion=Counter((s.label, str(intent)) for s, intent in pairs),
    )


if __name__ == "__main__":
    print(measure(load()).report())
