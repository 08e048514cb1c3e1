"""The labelled corpus of inbound texts, and how the intent reader scores on it, per set.

`dev` is what the rules may be tuned on; `test` is written fresh from the kinds of text, never tuned on, and its
figures are the ones that count. Print the figures (one summary line per set, then the details):

    .venv/bin/python -m tests.intent_corpus            # every set
    .venv/bin/python -m tests.intent_corpus --set dev  # one set only

Recall: an opt-out read as Intent.opt_out whose channel covers the labelled one ("all" covers both; an empty
label channel means sms). False opt-outs: anything else read as an opt-out, plus opt-outs read with a channel
the client did not name (they asked to stop email and lost texts).
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from outreach.policy.intent import Intent, Reading, read

CORPUS = Path(__file__).parent / "fixtures" / "inbound_corpus.csv"
COLUMNS = ["text", "label", "channel", "stream", "language", "set"]
LABELS = ("opt-out", "opt-in", "help", "score", "appointment", "other-person", "time-preference", "other")
CHANNELS = ("sms", "email", "all")
STREAMS = ("education", "reminder", "checkin", "rebook")
LANGUAGES = ("en", "es")
SETS = ("dev", "test")


@dataclass(frozen=True)
class Sample:
    line: int
    text: str
    label: str
    channel: str = ""
    stream: str = ""
    language: str = "en"
    set: str = "dev"

    @property
    def wanted_channel(self) -> str:
        return self.channel or "sms" if self.label == "opt-out" else ""


@dataclass(frozen=True)
class Figures:
    name: str
    samples: list[Sample]
    readings: list[Reading]

    @property
    def pairs(self) -> list[tuple[Sample, Reading]]:
        return list(zip(self.samples, self.readings, strict=True))

    @property
    def opt_outs(self) -> int:
        return sum(sample.label == "opt-out" for sample in self.samples)

    @property
    def rest(self) -> int:
        return len(self.samples) - self.opt_outs

    @property
    def missed(self) -> list[Sample]:
        """Opt-outs not read as an opt-out of (at least) the channel the client named."""
        return [s for s, r in self.pairs if s.label == "opt-out" and not _covers(r, s.wanted_channel)]

    @property
    def false_opt_outs(self) -> list[Sample]:
        """Anything else read as an opt-out, and opt-outs that revoke a channel the client did not name."""
        return [s for s, r in self.pairs if r.intent is Intent.opt_out and _beyond(r, s)]

    @property
    def possible(self) -> list[Sample]:
        return [s for s, r in self.pairs if s.label != "opt-out" and r.intent is Intent.possible_opt_out]

    @property
    def confusion(self) -> Counter:
        return Counter((s.label, str(r.intent)) for s, r in self.pairs)

    def stream_errors(self) -> list[tuple[Sample, Reading]]:
        """Opt-outs whose stream was read differently from the label (either way)."""
        return [
            (s, r)
            for s, r in self.pairs
            if s.label == "opt-out" and r.intent is Intent.opt_out and r.stream != s.stream
        ]

    def label_accuracy(self, label: str) -> tuple[int, int, int]:
        """Rows labelled `label` read as it, rows labelled so, rows read as it but labelled otherwise."""
        right = sum(s.label == label and str(r.intent) == label for s, r in self.pairs)
        wrong = sum(s.label != label and str(r.intent) == label for s, r in self.pairs)
        return right, sum(s.label == label for s in self.samples), wrong

    def summary(self) -> str:
        """`NAME: recall R/N, false opt-outs F/M`: M counts the non-opt-outs; F also counts opt-outs read with a
        channel the client did not name, said after it when there are any."""
        line = (
            f"{self.name}: recall {self.opt_outs - len(self.missed)}/{self.opt_outs}, "
            f"false opt-outs {len(self.false_opt_outs)}/{self.rest}"
        )
        widened = sum(sample.label == "opt-out" for sample in self.false_opt_outs)
        return line + (f" ({widened} of them opt-outs read with a channel not named)" if widened else "")

    def report(self) -> str:
        streamed = [s for s in self.samples if s.label == "opt-out" and s.stream]
        stream_right = sum(1 for s, r in self.pairs if s in streamed and r.stream == s.stream)
        by_language = Counter(s.language for s in self.samples)
        lines = [
            f"{self.name}: {len(self.samples)} texts ({by_language['en']} en, {by_language['es']} es): "
            f"{self.opt_outs} opt-outs, {self.rest} others",
            f"  false opt-outs count non-opt-outs read as opt-outs and opt-outs read with a channel not named; "
            f"possible opt-outs (a person decides) on the rest: {len(self.possible)}/{self.rest}",
            f"  stream on stream-scoped opt-outs: {stream_right}/{len(streamed)}; "
            f"stream errors on opt-outs read as such: {len(self.stream_errors())}",
        ]
        for label in ("other-person", "time-preference"):
            right, total, wrong = self.label_accuracy(label)
            lines.append(f"  {label}: {right}/{total} read as such, {wrong} others read as {label}")
        lines.append("  label -> read as")
        for label in LABELS:
            read_as = {intent: n for (known, intent), n in sorted(self.confusion.items()) if known == label}
            lines.append(f"    {label:16} {read_as}")
        readings = dict((id(s), r) for s, r in self.pairs)
        lines += [
            f"  missed: {s.text!r} [{s.wanted_channel}] read {_show(readings[id(s)])} (line {s.line})"
            for s in self.missed
        ]
        lines += [
            f"  false opt-out: {s.text!r} [{s.label} {s.channel}] read {_show(readings[id(s)])} (line {s.line})"
            for s in self.false_opt_outs
        ]
        lines += [
            f"  stream: {s.text!r} [{s.stream}] read {r.stream!r} (line {s.line})" for s, r in self.stream_errors()
        ]
        lines += [
            f"  {s.label} read as {r.intent}: {s.text!r} (line {s.line})"
            for s, r in self.pairs
            if (s.label in ("other-person", "time-preference") or str(r.intent) in ("other-person", "time-preference"))
            and str(r.intent) != s.label
        ]
        lines += [f"  possible: {s.text!r} [{s.label}]" for s in self.possible]
        return "\n".join(lines)


def _channels(channel: str) -> set[str]:
    return {"sms", "email"} if channel == "all" else {channel or "sms"}


def _covers(reading: Reading, channel: str) -> bool:
    return reading.intent is Intent.opt_out and _channels(channel) <= _channels(reading.channel)


def _beyond(reading: Reading, sample: Sample) -> bool:
    """An opt-out reading that revokes more than the sample asked (anything at all, for a non-opt-out)."""
    return sample.label != "opt-out" or bool(_channels(reading.channel) - _channels(sample.wanted_channel))


def _show(reading: Reading) -> str:
    return f"{reading.intent} {reading.channel}".strip()


def load(path: Path = CORPUS) -> list[Sample]:
    """Every labelled text; a bad row stops with FILE:LINE: field: problem."""
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        if reader.fieldnames != COLUMNS:
            raise ValueError(f"{path}:1: header: expected {','.join(COLUMNS)}, found {reader.fieldnames}")
        samples = [_sample(path, reader.line_num, row) for row in reader]
    return samples


def _sample(path: Path, line: int, row: dict) -> Sample:
    if None in row or any(row[column] is None for column in COLUMNS):
        raise ValueError(f"{path}:{line}: row: expected {len(COLUMNS)} fields")
    text, label, channel, stream, language, set_ = (row[column] for column in COLUMNS)
    problem = _problem(text, label, channel, stream, language, set_)
    if problem:
        field, what = problem
        raise ValueError(f"{path}:{line}: {field}: {what}")
    return Sample(line, text, label, channel, stream, language, set_)


def _problem(text: str, label: str, channel: str, stream: str, language: str, set_: str) -> tuple[str, str] | None:
    allowed = {"label": (label, LABELS), "language": (language, LANGUAGES), "set": (set_, SETS)}
    for field, (value, values) in allowed.items():
        if value not in values:
            return field, f"{value!r} is not one of {', '.join(values)}"
    if not text.strip():
        return "text", "empty"
    for field, value, values in (("channel", channel, CHANNELS), ("stream", stream, STREAMS)):
        if value and label != "opt-out":
            return field, f"{value!r} is only for opt-out rows, this one is {label}"
        if value and value not in values:
            return field, f"{value!r} is not one of {', '.join(values)}"
    return None


def measure(samples: list[Sample], name: str = "all") -> Figures:
    return Figures(name, samples, [read(sample.text) for sample in samples])


def measure_sets(samples: list[Sample]) -> list[Figures]:
    """One Figures per set present, dev first."""
    return [
        measure([s for s in samples if s.set == name], name) for name in SETS if any(s.set == name for s in samples)
    ]


def report(samples: list[Sample], only: str | None = None) -> str:
    """Every set's summary line then details; with `only`, that set's alone (the others are never read)."""
    figures = measure_sets([s for s in samples if only is None or s.set == only])
    return "\n".join([f.summary() for f in figures] + [""] + [f.report() for f in figures])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.intent_corpus", description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=SETS, dest="only", help="report this set only (summary and details)")
    print(report(load(), parser.parse_args(argv).only))


if __name__ == "__main__":
    main()
