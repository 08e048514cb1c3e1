"""`outreach tick`, `outreach worker`, `outreach demo`, `outreach simulate`: the sending side."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import replace
import secrets
import shlex
import shutil
import sys
import tempfile
from datetime import datetime, time, timezone
from functools import partial
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from outreach.cli.common import cli_actor, context, fail, parse_now
from outreach.context import Context
from outreach.settings import get_settings, project_root
from outreach.simulation import PERSONAS

console = Console(stderr=True)
DEMO_ACCOUNT = "demo"
DEMO_DATABASE = "outreach.db"  # in the demo's folder, beside its outbox


def register(app: typer.Typer) -> None:
    app.command()(tick)
    app.command()(worker)
    app.command()(demo)
    app.command()(simulate)
    app.command("send-test")(send_test)


def tick(now: Optional[str] = typer.Option(None, help="The instant to act at (ISO-8601); default: now.")) -> None:
    """Run one planning and dispatch pass: what the worker does on each beat. For cron users and tests."""
    from outreach.sending.worker import settle_memory, tick as run_tick

    ctx = _sending_context("tick")
    settle_memory()
    result = run_tick(ctx, parse_now(now))
    typer.echo(result.summary())


def worker() -> None:
    """Run the scheduler: plan and dispatch on intervals until SIGTERM/SIGINT. Run exactly this in the worker
    process."""
    from outreach.sending.worker import run_forever

    ctx = _sending_context("worker")
    _configure_logging()
    ctx.secret_key  # noqa: B018  (links are signed with it: a missing or short key stops start-up, not a send)
    run_forever(ctx)


def _configure_logging() -> None:
    """The worker's passes at INFO; APScheduler's own lines ("Running job", "executed successfully") only when
    something goes wrong, or an idle worker fills its log with them every few seconds."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _sending_context(command: str) -> Context:
    """The context `tick` and `worker` run on, after saying so on stderr when its database has no clients: a
    command run in the wrong place would otherwise plan for nobody, silently."""
    ctx = context(upgrade=False, needs_campaigns=True)
    created = not _database_file_exists(ctx)
    ctx.upgrade_schema()
    if not _has_clients(ctx):
        typer.secho(_no_clients_note(ctx, created, command), err=True, fg=typer.colors.YELLOW)
    return ctx


def _database_file_exists(ctx: Context) -> bool:
    """False for a SQLite file that is not there yet (opening it creates it); True for a server database."""
    from sqlalchemy.engine import make_url

    url = make_url(ctx.settings.database.url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return True
    return Path(url.database).is_file()


def _has_clients(ctx: Context) -> bool:
    from sqlmodel import Session, select

    from outreach.models import Client

    with Session(ctx.engine) as session:
        return session.exec(select(Client.id).limit(1)).first() is not None


def _no_clients_note(ctx: Context, created: bool, command: str) -> str:
    from sqlalchemy.engine import make_url

    where = make_url(ctx.settings.database.url).render_as_string(hide_password=True)
    demo = ctx.data_dir / "demo"
    if (demo / DEMO_DATABASE).is_file():
        hint = f"On the demo's database:\n  {_on_demo(demo, command)}"
    else:
        hint = "`outreach demo` makes a demo database, and its last lines print the commands that use it."
    return (
        f"No clients in the database {where}{' (created just now)' if created else ''}: nothing to plan or send.\n"
        f"Import clients (outreach import clients FILE), or set OUTREACH_DATABASE__URL to the database you meant. "
        f"{hint}"
    )


def _sandbox(directory: Path, backend: str) -> Context:
    """A fresh database and outbox under `directory`, whatever settings.toml says: never a real provider."""
    settings = get_settings()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    settings = settings.model_copy(
        update={
            "database": settings.database.model_copy(update={"url": f"sqlite:///{directory / DEMO_DATABASE}"}),
            "outbox": settings.outbox.model_copy(update={"directory": directory / "outbox"}),
            "email": settings.email.model_copy(update={"backend": backend}),
            "sms": settings.sms.model_copy(update={"backend": backend}),
        }
    )
    ctx = Context(settings)
    ctx.upgrade_schema()
    return ctx


def _simulate(ctx: Context, personas, weeks: int, start: datetime):  # noqa: ANN001, ANN202
    from outreach import simulation
    from outreach.channels.registry import transports

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[day]}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"Simulating {weeks} weeks", total=weeks * 7 * 24, day="")

        def advance(now: datetime) -> None:
            bar.update(task, completed=(now - start).total_seconds() / 3600, day=f"{now:%a %d %b}")

        result = simulation.run(ctx, personas, start, weeks, transports(ctx), progress=advance)
    return result


def demo(
    weeks: int = typer.Option(16, min=1, max=104, help="Simulated weeks."),
    directory: Optional[Path] = typer.Option(
        None, help="Where the demo database and outbox go (recreated) [default: var/demo in the project folder]."
    ),
) -> None:
    """Show the whole product on sample data, with messages written to a local outbox (never a real provider).
    Eight clients (one Spanish-speaking) live through 16 weeks of real planning and sending; the last lines print
    how to run the worker and the dashboard on the demo's database."""
    from outreach import simulation

    directory = (directory or context(upgrade=False, needs_campaigns=True).data_dir / "demo").resolve()
    ctx = _sandbox(directory, "outbox")
    start = simulation.ending_now(datetime.now(timezone.utc), weeks)
    result = _simulate(ctx, simulation.DEMO_CLIENTS, weeks, start)
    typer.echo(
        f"\noutreach demo: {len(result.timelines)} sample clients, the {weeks} weeks from "
        f"{start:%a %d %b %Y} to today\n"
    )
    typer.echo(
        "Messages sent per week, and the cadence phase at each week's end "
        "(E establishing, T tapering, M maintaining, L lapsed, ! worsening):\n"
    )
    for line in simulation.summary_table(result):
        typer.echo(line)
    typer.echo("")
    for timeline in result.timelines:
        changes = "; ".join(simulation.phase_changes(timeline))
        reasons = simulation.skip_reasons(timeline)
        typer.echo(f"{timeline.persona.first_name:<5} phases: {changes}")
        for reason, count in sorted(reasons.items()):
            typer.echo(f"{'':<6} {count} x {reason}")
    outbox = ctx.settings.outbox.directory
    typer.echo(
        f"\nEmails: {outbox / 'email'}/*/*.eml   Texts: {outbox / 'sms.jsonl'}   Database: {directory / DEMO_DATABASE}"
    )
    for line in _closing_lines(ctx, directory):
        typer.echo(line)


def _closing_lines(ctx: Context, directory: Path) -> list[str]:
    """How to go on with the demo: the worker and the web process on its database, and an account to sign in
    with. The dashboard's lines come last, the sign-in line at the very end."""
    from sqlmodel import Session

    from outreach.services import users

    password = secrets.token_urlsafe(12)
    with Session(ctx.engine) as session:
        users.create_user(session, DEMO_ACCOUNT, password, "admin", actor="demo")
        session.commit()
    return [
        "",
        "Run the worker on the demo's database, so that what you queue in the dashboard (a reply, a test send) is",
        "sent; `tick` in place of `worker` runs one pass:",
        f"  {_on_demo(directory, 'worker')}",
        "See it in the dashboard: in another terminal, start the web process on the demo's database,",
        f"  {_on_demo(directory, 'web')}",
        f"then open {ctx.settings.web.public_url} and sign in as {DEMO_ACCOUNT}, password {password}",
    ]


def _on_demo(directory: Path, command: str) -> str:
    """`command` as a line to paste: this program on the demo's database and outbox (made by `_sandbox` in
    `directory`), and its outbox channels whatever settings.toml says, so nothing reaches a real provider."""
    env = {
        "OUTREACH_HOME": project_root(),
        "OUTREACH_DATABASE__URL": f"sqlite:///{directory / DEMO_DATABASE}",
        "OUTREACH_OUTBOX__DIRECTORY": directory / "outbox",
        "OUTREACH_EMAIL__BACKEND": "outbox",
        "OUTREACH_SMS__BACKEND": "outbox",
    }
    assignments = " ".join(f"{name}={shlex.quote(str(value))}" for name, value in env.items())
    return f"{assignments} {_this_program()} {command}"


def _this_program() -> str:
    """This command as the user can run it again: the script they ran, else the interpreter with -m."""
    invoked = Path(sys.argv[0])
    if invoked.name == "outreach":
        return shlex.quote(str(invoked))
    return f"{shlex.quote(sys.executable)} -m outreach"


def simulate(
    persona: str = typer.Option("improving", help=f"One of the demo's clients: {', '.join(PERSONAS)}."),
    weeks: int = typer.Option(16, min=1, max=104, help="Simulated weeks."),
    scores: Optional[str] = typer.Option(None, help="Pain scores at successive visits, e.g. 7,6,6,5,4."),
    report: Optional[Path] = typer.Option(
        None, help="Where to write the HTML report [default: var/simulation.html in the project folder]."
    ),
    email_only: bool = typer.Option(
        False, "--email-only", help="A client without SMS consent, who answers the check-in emails."
    ),
    population: int = typer.Option(0, min=0, max=5000, help="Simulate this many clients instead, with a holdout."),
    holdout: float = typer.Option(10, min=0, max=50, help="With --population: percent held out of rebook."),
    after_nudge: float = typer.Option(
        0.25, min=0, max=1, help="With --population: chance a day that a nudged client books."
    ),
    on_own: float = typer.Option(0.05, min=0, max=1, help="With --population: the same without a nudge."),
    language: Optional[str] = typer.Option(
        None,
        help="The client's language, one of [languages] served (es, Spanish, Español); the timeline and report "
        "show each text and subject as it would go out [default: the persona's, else [clinic] default_language].",
    ),
) -> None:
    """Run the real cadence and planner for one simulated client and print the timeline, with what each message
    said. Nothing is sent. With --population, run many clients with part of them held out of rebook nudges, and
    compare the groups."""
    from outreach import simulation
    from outreach.simulation.report import simulation_report

    spoken = _parse_language(language)
    if population:
        _simulate_population(population, weeks, holdout, simulation.Habit(after_nudge, on_own), spoken)
        return
    if persona not in PERSONAS:
        raise typer.BadParameter(f"choose one of {', '.join(PERSONAS)}", param_hint="--persona")
    chosen = PERSONAS[persona]
    report = report or context(upgrade=False, needs_campaigns=True).data_dir / "simulation.html"
    subject = dataclasses.replace(
        chosen, scores=_parse_scores(scores) or chosen.scores, language=spoken or chosen.language
    )
    if email_only:
        subject = dataclasses.replace(subject, sms_consent=False, answers_by_email=True)
    with tempfile.TemporaryDirectory() as scratch:
        ctx = _sandbox(Path(scratch), "null")
        result = _simulate(ctx, (subject,), weeks, _next_monday())
        ctx.engine.dispose()
    timeline = result.timelines[0]
    _print_timeline(timeline, result.start, ctx.settings.clinic.default_language)
    counts = timeline.per_week(result.start, weeks)
    months = [sum(counts[i : i + 4]) for i in range(0, weeks, 4)]
    typer.echo("\nMessages per 4 weeks: " + ", ".join(str(m) for m in months))
    typer.echo("Phases: " + "; ".join(simulation.phase_changes(timeline)))
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        simulation_report(result, timeline, ctx.settings.cadence, ctx.settings.clinic.default_language),
        encoding="utf-8",
    )
    typer.echo(f"Report: {report}")


def _parse_language(raw: str | None) -> str:
    """The served language `--language` names, or "" when it is not given."""
    from outreach.policy.languages import UnknownLanguage, language_tag

    if raw is None:
        return ""
    try:
        return language_tag(raw, get_settings().served_languages)
    except UnknownLanguage as exc:
        raise typer.BadParameter(str(exc), param_hint="--language") from None


def _print_timeline(timeline, start: datetime, default_language: str) -> None:  # noqa: ANN001  (Timeline)
    """One line per message, and under each one sent, its words in the language it went out in."""
    from outreach.policy.languages import language_name

    speaks = timeline.persona.language or default_language
    typer.echo(f"{timeline.persona.first_name} {timeline.persona.last_name}, who reads {language_name(speaks)}\n")
    typer.echo(f"{'date':<12}{'phase':<14}{'channel':<9}{'campaign/step':<34}status")
    for message in timeline.messages:
        when = message.sent_at or message.due_at
        phase = timeline.phases.get((when - start).days // 7, "")
        typer.echo(
            f"{when:%Y-%m-%d}  {phase:<14}{message.channel:<9}{message.campaign + '/' + message.step:<34}"
            f"{message.status}"
        )
        if message.id in timeline.words:
            typer.echo(f"{'':<12}[{message.language}] {' '.join(timeline.words[message.id].split())}")


def _next_monday() -> datetime:
    """Where a simulation starts: the next Monday, at the hour simulated days begin."""
    from outreach import simulation

    return datetime.combine(
        simulation.first_monday(datetime.now(timezone.utc).date()), time(simulation.DAY_STARTS_UTC), tzinfo=timezone.utc
    )


def _simulate_population(size: int, weeks: int, holdout: float, habit, language: str) -> None:  # noqa: ANN001
    from outreach import simulation
    from outreach.services.outcomes import holdout_table
    from outreach.simulation import with_holdout

    with tempfile.TemporaryDirectory() as scratch:
        ctx = _sandbox(Path(scratch), "null")
        ctx.__dict__["catalog"] = with_holdout(ctx.catalog, "rebook", holdout)
        result = _simulate(ctx, simulation.population(size, habit, language), weeks, _next_monday())
        comparison = simulation.compare_groups(ctx, result)
        ctx.engine.dispose()
    # A simulation is for seeing what a holdout this size shows, so its figures are printed at any size.
    table = holdout_table([replace(r, comparison=replace(r.comparison, min_group_size=2)) for r in comparison])
    typer.echo(
        f"{size} simulated clients, {weeks} weeks, {holdout:g}% held out of rebook; "
        f"a day's chance to book: {habit.after_nudge:g} after a nudge, {habit.on_own:g} without.\n"
    )
    for record in table.records():
        typer.echo(
            "  ".join(
                f"{name}={'-' if value is None else value}"
                for name, value in record.items()
                if name not in ("campaign", "step")
            )
        )
    for line in simulation.detectable(comparison, ctx.settings.reports.min_group_size):
        typer.echo(line)


def _queue_test(ctx: Context, campaign: str, step: str, to: str, phase: str, now: datetime, account: str):  # noqa: ANN202
    from sqlmodel import Session

    from outreach.sending.compose import sample_words
    from outreach.services import test_sends

    try:
        chosen = ctx.catalog.get(campaign)
        chosen_step = chosen.step(step)
        words = partial(sample_words, ctx, chosen, chosen_step, phase=phase)
        with Session(ctx.engine, expire_on_commit=False) as session:
            queued = test_sends.queue(
                session,
                cli_actor(),
                chosen,
                chosen_step,
                to,
                now,
                region=ctx.settings.clinic.default_region,
                words=words,
                account=account,
            )
            session.commit()
    except test_sends.SendTestRefused as exc:
        fail(f"Test not sent: {exc}")
    except (KeyError, ValueError) as exc:
        raise typer.BadParameter(str(exc.args[0] if exc.args else exc)) from None
    return queued


def _parse_scores(raw: str | None) -> tuple[int, ...]:
    if not raw:
        return ()
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise typer.BadParameter(
            "scores are whole numbers separated by commas, e.g. 7,6,6,5", param_hint="--scores"
        ) from None
    if not all(0 <= v <= 10 for v in values):
        raise typer.BadParameter("scores run from 0 to 10", param_hint="--scores")
    return values


def send_test(
    campaign: str = typer.Argument(..., help="Campaign name, e.g. education."),
    step: str = typer.Argument(..., help="Step key, e.g. pain-cycle."),
    to: str = typer.Option(..., "--to", help="An email address or a phone number to send the sample to."),
    sample: str = typer.Option("establishing", help="Cadence phase of the sample client."),
    as_staff: str = typer.Option(
        "", "--as", help="A staff account: the test may go to its own email or phone (outreach users set-contact)."
    ),
) -> None:
    """Send one rendered step for a sample client through the configured channel now; logged as a test. It goes
    only to a client's address with consent, or to the own email or phone of the staff account named by --as."""
    from outreach.channels.registry import transports
    from outreach.sending.dispatch import send_queued_test

    ctx = context()
    now = datetime.now(timezone.utc)
    channels = transports(ctx)  # a channel that is not configured stops here, before anything is queued
    try:
        queued = _queue_test(ctx, campaign, step, to, sample, now, as_staff)
        # Someone is waiting at the terminal: send it now, as the worker's dispatch pass would.
        message = send_queued_test(ctx, queued.id, now, channels)
    finally:
        for channel in channels.values():
            channel.close()
    where = {"outbox": f" (written under {ctx.settings.outbox.directory})"}.get(
        ctx.settings.email.backend if message.channel == "email" else ctx.settings.sms.backend, ""
    )
    typer.echo(
        f"{message.channel} to {message.to_address}: {message.status}{where}"
        + (f" - {message.reason}" if message.reason else "")
    )
    if message.status != "sent":
        raise typer.Exit(1)
