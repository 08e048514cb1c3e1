"""How fast `outreach import clients` is: generate a client CSV, import it into a fresh SQLite file, then
import it again (nothing changes the second time). Prints rows/s for each run and where the time went.

    .venv/bin/python benchmarks/import_bench.py [--rows 100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from pathlib import Path

from outreach.context import Context
from outreach.importing.files import import_clients
from outreach.models import utcnow
from outreach.settings import Settings

AREA_CODES = ("612", "651", "763", "952", "218", "320", "507", "212", "415", "303")
ZONES = ("", "", "", "America/Chicago", "America/Denver")
NAMES = ("Ana", "Ben", "Chloe", "Dev", "Elif", "Farah", "Gus", "Hana", "Ines", "Jon")
PHONE_STYLES = ("({a}) {b}-{c}", "{a}-{b}-{c}", "+1 {a} {b} {c}", "{a}.{b}.{c}")


def write_clients_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["external_id", "first_name", "last_name", "email", "phone", "timezone", "email_consent", "sms_consent"]
        )
        for number in range(rows):
            has_phone = rng.random() < 0.9
            has_email = not has_phone or rng.random() < 0.8
            phone = rng.choice(PHONE_STYLES).format(
                a=rng.choice(AREA_CODES), b=rng.randint(200, 999), c=f"{rng.randint(0, 9999):04d}"
            )
            writer.writerow(
                [
                    f"C{number:07d}",
                    rng.choice(NAMES),
                    f"Family{number % 977}",
                    f"client{number}@Example.com" if has_email else "",
                    phone if has_phone else "",
                    rng.choice(ZONES),
                    "yes" if has_email and rng.random() < 0.7 else "no",
                    "yes" if has_phone and rng.random() < 0.6 else "no",
                ]
            )


def timed_import(ctx: Context, path: Path, rows: int, label: str) -> None:
    marks: dict[str, float] = {}

    def on_progress(stage: str, done: int, total: int) -> None:
        marks[stage] = time.perf_counter()

    started = time.perf_counter()
    report = import_clients(ctx, path, now=utcnow(), on_progress=on_progress)
    elapsed = time.perf_counter() - started
    assert report.ok, report.problems[:5]
    checking = marks["reading"] - started
    print(
        f"{label}: {rows} rows in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s "
        f"(reading and checking {checking:.1f} s, planning and saving {elapsed - checking:.1f} s) "
        f"- {report.counts}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        path = work / "clients.csv"
        write_clients_csv(path, args.rows)
        print(f"{path.stat().st_size / 1e6:.1f} MB, {args.rows} rows")
        settings = Settings(
            database={"url": args.database_url or f"sqlite:///{work / 'bench.db'}"},
            outbox={"directory": str(work / "outbox")},
        )
        ctx = Context(settings)
        ctx.upgrade_schema()
        timed_import(ctx, path, args.rows, "first import")
        timed_import(ctx, path, args.rows, "re-import")
        ctx.engine.dispose()


if __name__ == "__main__":
    main()
