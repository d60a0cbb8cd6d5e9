"""The `signage` command: migrate, serve, worker, users, import, backup, restore."""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import yaml

from signage.config import ConfigError, Settings, load_settings
from signage.domain.errors import SignageError

SYSTEM_ACTOR = "system"
OFFLINE_COMMANDS = frozenset({"verify"})


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj["settings"]
    return settings


def _services(ctx: click.Context) -> Any:
    if "services" not in ctx.obj:
        from signage.bootstrap import build_services

        ctx.obj["services"] = build_services(_settings(ctx))
    return ctx.obj["services"]


@click.group()
@click.option(
    "--config",
    "config_path",
    default=lambda: os.environ.get("SIGNAGE_CONFIG", "config.yaml"),
    show_default="config.yaml or $SIGNAGE_CONFIG",
    help="Configuration file.",
)
@click.pass_context
def cli(ctx: click.Context, config_path: str) -> None:
    """Signage control server."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if ctx.invoked_subcommand in OFFLINE_COMMANDS:
        ctx.obj = {}  # checks files only: no configuration, no database
        return
    try:
        ctx.obj = {"settings": load_settings(config_path)}
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Apply database migrations."""
    from signage.adapters.db.migrate import current_revision, upgrade

    services = _services(ctx)
    upgrade(services.engine)
    services.templates.ensure_builtin_templates(SYSTEM_ACTOR)
    click.echo(f"database at revision {current_revision(services.engine)}")


def _acting_user(ctx: click.Context, username: str | None) -> Any:
    users = _services(ctx).users.list_users()
    if username:
        found = [u for u in users if u.username == username.lower()]
    else:
        found = [u for u in users if u.active and any(r.value == "admin" for r in u.roles)]
    if not found:
        raise click.ClickException(
            f"no user '{username}'" if username else "create an admin first: signage users create"
        )
    return found[0]


def _today(ctx: click.Context) -> date:
    zone = ZoneInfo(_settings(ctx).schedule.default_timezone)
    return datetime.now(zone).date()


@cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", default=None, help="Acting user (default: the first admin).")
@click.option("--start-today", is_flag=True, help="Shift the campaign so that day 1 is today.")
@click.pass_context
def import_file(ctx: click.Context, path: Path, username: str | None, start_today: bool) -> int:
    """Import a campaign file (idempotent); prints the campaign id."""
    from signage.services.campaign_files import shift_dates

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise click.ClickException(f"{path.name} is not valid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise click.ClickException(f"{path.name} must hold a mapping")
    if start_today:
        document = shift_dates(document, _today(ctx))
    user = _acting_user(ctx, username)
    try:
        report = _services(ctx).campaign_files.import_file(user, document)
    except SignageError as exc:
        raise click.ClickException(f"{path.name}: {exc}") from None
    click.echo(
        f"locations: {report.locations_created} created; quotes: {report.quotes_created} created; "
        f"renders: {report.renders} ({report.renders_waiting} waiting for the worker)"
    )
    if report.campaign_id is not None:
        state = "created" if report.campaign_created else "already present"
        click.echo(
            f"campaign {report.campaign_id} {state}; playlists created: {len(report.playlists)}; "
            f"entries added: {report.entries_added}"
        )
    return report.campaign_id or 0


@cli.command("export")
@click.argument("campaign_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
def export_file(ctx: click.Context, campaign_id: int, output: Path | None) -> None:
    """Write a campaign as a campaign file (YAML) that `signage import` reads back."""
    document = _guard(lambda: _services(ctx).campaign_files.export_file(campaign_id))
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"campaign {campaign_id} written to {output}")


DEMO_FILE = Path("playlists") / "dushanbe-2022.yaml"
DEMO_APPROVAL = "instance/demo-approval.json"  # read by signage.jobs.tasks.demo_approval
DEMO_USERS = (
    ("admin", "Administrator", ["admin"]),
    ("staff", "Campaign staff", ["staff"]),
    ("approver", "Approver", ["approver"]),
    ("auditor", "Auditor", ["auditor"]),
)


@cli.command("seed-demo")
@click.pass_context
def seed_demo(ctx: click.Context) -> None:
    """On first start: demo accounts and the Dushanbe campaign; later: a reminder."""
    services = _services(ctx)
    settings = _settings(ctx)
    login_file = settings.path("instance/demo-logins.txt")
    if services.users.list_users():
        if login_file.exists():
            click.echo(f"Demo logins (created on first start) are in {login_file}:")
            click.echo(login_file.read_text(encoding="utf-8"))
        return
    lines = []
    for username, name, roles in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        services.users.create_user(SYSTEM_ACTOR, username, password, roles, name)
        lines.append(f"  {username:<9} {password}   ({', '.join(roles)})")
    login_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(login_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    demo = Path(settings.base_dir) / DEMO_FILE
    if not demo.exists():  # a config kept elsewhere: use the checkout's copy
        demo = Path(__file__).resolve().parents[1] / DEMO_FILE
    if demo.exists():
        campaign_id = ctx.invoke(import_file, path=demo, username="staff", start_today=True)
        if campaign_id:
            staff = _acting_user(ctx, "staff")
            _guard(lambda: services.campaigns.submit(staff, campaign_id))
            # The worker approves it as the demo approver once every render is done.
            marker = settings.path(DEMO_APPROVAL)
            marker.write_text(json.dumps({"campaign_id": campaign_id, "approver": "approver"}))
            click.echo(f"demo campaign {campaign_id} submitted; approved once its renders finish")
    click.echo("Demo accounts created (username, password):")
    click.echo("\n".join(lines))
    click.echo(f"(kept in {login_file}, readable by you only)")


@cli.command()
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Serve the web application with waitress."""
    from waitress import serve as waitress_serve

    from signage import create_app

    settings = _settings(ctx)
    app = create_app(services=_services(ctx))
    click.echo(f"Signage listening on http://{settings.server.host}:{settings.server.port}/")
    waitress_serve(app, host=settings.server.host, port=settings.server.port, threads=8)


@cli.command()
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run the worker: periodic jobs while holding the scheduler lease."""
    from signage.jobs.runner import Worker

    runner = Worker(_services(ctx))
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    try:
        runner.run()
    except KeyboardInterrupt:
        runner.stop()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


@cli.command("demo-players")
@click.option("--server", default=None, help="Base URL the players use (default: this server).")
@click.pass_context
def demo_players(ctx: click.Context, server: str | None) -> None:
    """Run one simulated player per location, enrolled like real ones, until stopped."""
    import threading

    from signage.jobs.demo_players import run_demo_players

    settings = _settings(ctx)
    url = server or f"http://{settings.server.host}:{settings.server.port}"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run_demo_players(_services(ctx), url, settings.path("instance"), stop)
    except KeyboardInterrupt:
        stop.set()


@cli.command()
@click.option("--demo-players/--no-demo-players", default=True, help="Seven simulated players.")
@click.pass_context
def run(ctx: click.Context, demo_players: bool) -> None:
    """Migrate, seed the demo on first start, then serve with one worker (Ctrl-C stops all)."""
    ctx.invoke(migrate)
    ctx.invoke(seed_demo)
    config = ctx.find_root().params["config_path"]
    base = [sys.executable, "-m", "signage", "--config", config]
    children = [subprocess.Popen([*base, "worker"])]  # noqa: S603 - our own interpreter
    if demo_players:
        children.append(subprocess.Popen([*base, "demo-players"]))  # noqa: S603
    # SIGTERM (a service manager's stop) must stop the children too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        ctx.invoke(serve)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        click.echo("Signage stopped.")


@cli.group()
def users() -> None:
    """Manage accounts."""


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """List accounts."""
    for user in _services(ctx).users.list_users():
        roles = ",".join(sorted(r.value for r in user.roles))
        state = "enabled" if user.active else "disabled"
        click.echo(f"{user.id}\t{user.username}\t{roles}\t{state}\t{user.display_name}")


def _user_id(ctx: click.Context, username: str) -> int:
    for user in _services(ctx).users.list_users():
        if user.username == username.lower():
            return int(user.id)
    raise click.ClickException(f"no user named '{username}'")


def _guard(call: Any) -> Any:
    try:
        return call()
    except SignageError as exc:
        raise click.ClickException(str(exc)) from None


@users.command("create")
@click.argument("username")
@click.option(
    "--role", "roles", multiple=True, required=True, help="admin, staff, approver, auditor"
)
@click.option("--name", "display_name", default="")
@click.password_option(help="Prompted for when not given.")
@click.pass_context
def users_create(
    ctx: click.Context, username: str, roles: tuple[str, ...], display_name: str, password: str
) -> None:
    """Create an account."""
    svc = _services(ctx).users
    user = _guard(lambda: svc.create_user(SYSTEM_ACTOR, username, password, roles, display_name))
    click.echo(f"created user {user.username} (id {user.id})")


@users.command("set-roles")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True)
@click.pass_context
def users_set_roles(ctx: click.Context, username: str, roles: tuple[str, ...]) -> None:
    """Replace an account's roles."""
    svc = _services(ctx).users
    uid = _user_id(ctx, username)
    _guard(lambda: svc.update_user(SYSTEM_ACTOR, uid, roles=list(roles)))
    click.echo(f"{username}: roles set to {', '.join(roles)}")


@users.command("disable")
@click.argument("username")
@click.pass_context
def users_disable(ctx: click.Context, username: str) -> None:
    """Disable an account (it can no longer log in or use its tokens)."""
    svc = _services(ctx).users
    uid = _user_id(ctx, username)
    _guard(lambda: svc.update_user(SYSTEM_ACTOR, uid, active=False))
    click.echo(f"{username}: disabled")


@users.command("enable")
@click.argument("username")
@click.pass_context
def users_enable(ctx: click.Context, username: str) -> None:
    """Enable an account again."""
    svc = _services(ctx).users
    uid = _user_id(ctx, username)
    _guard(lambda: svc.update_user(SYSTEM_ACTOR, uid, active=True))
    click.echo(f"{username}: enabled")


@users.command("reset-password")
@click.argument("username")
@click.password_option(help="Prompted for when not given.")
@click.pass_context
def users_reset_password(ctx: click.Context, username: str, password: str) -> None:
    """Set a new password."""
    svc = _services(ctx).users
    uid = _user_id(ctx, username)
    _guard(lambda: svc.reset_password(SYSTEM_ACTOR, uid, password))
    click.echo(f"{username}: password reset")


@cli.command()
@click.pass_context
def render(ctx: click.Context) -> None:
    """Run queued renders now, in this process, until the queue is empty."""
    count = _services(ctx).render_queue.run_until_empty(f"cli:{os.getpid()}")
    click.echo(f"{count} render job(s) run")


@cli.command()
@click.pass_context
def backup(ctx: click.Context) -> None:
    """Make one backup now (SQLite database and secret files)."""
    from signage.jobs.tasks import backup as run_backup

    result = _guard(lambda: run_backup(_services(ctx)))
    click.echo(f"backup written to {result.path} ({', '.join(result.files)})")


@cli.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def restore(ctx: click.Context, path: Path, yes: bool) -> None:
    """Restore a backup folder over the current database (stop the server first)."""
    from signage.adapters.backup import restore_backup
    from signage.jobs.tasks import secret_files

    services = _services(ctx)
    if not yes:
        click.confirm(f"Replace the current database with {path.name}?", abort=True)
    services.engine.dispose()
    _guard(lambda: restore_backup(path, _settings(ctx).database_url, secret_files(services)))
    click.echo(f"restored {path.name}")


@cli.command()
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(bundle: Path) -> None:
    """Check an evidence bundle offline: signatures, links, gaps, heads, CSV totals.

    Exits 0 when it holds, 1 naming each thing wrong, 2 when it is no readable bundle.
    """
    from signage.adapters.bundle_zip import read_bundle
    from signage.adapters.signing import ed25519_check
    from signage.domain.errors import ValidationError
    from signage.domain.evidence_verify import verify_bundle

    try:
        files = read_bundle(bundle)
    except ValidationError as exc:
        click.echo(f"FAILED: {exc}", err=True)
        sys.exit(2)
    report = verify_bundle(files, ed25519_check)
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        sys.exit(1)


def main() -> None:
    """Entry point of the `signage` command."""
    cli(prog_name="signage")
