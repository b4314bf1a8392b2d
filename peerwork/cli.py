"""The `peerwork` command: run everything, run a worker, create an admin, demo data."""

from __future__ import annotations

import gc
import getpass
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext
from sqlalchemy import func, select
from werkzeug.serving import make_server

from peerwork import accounts, clock, console, migrate
from peerwork import demo as demo_data
from peerwork.app import create_app
from peerwork.auth.passwords import WeakPassword
from peerwork.config import serving_instance_path
from peerwork.embedded_redis import die_with_parent
from peerwork.extensions import db, get_redis, redis_url
from peerwork.models import Organization
from peerwork.safety import train as safety_train
from peerwork.worker import run_scheduler, run_worker

log = logging.getLogger(__name__)

STOP_TIMEOUT = 5.0  # seconds the worker or scheduler may take to stop before it is killed
LOG_LEVEL = click.Choice(sorted(console.LEVELS))


def _create_app():
    return create_app(instance_path=serving_instance_path())


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, load_dotenv=False)
def main() -> None:
    """peerwork: a workplace peer-support program over anonymous SMS."""


def register(app) -> None:
    """Attach the commands to an app too, so `flask --app wsgi ...` has them (wsgi.py calls this)."""
    for command in COMMANDS:
        if command.name not in app.cli.commands:
            app.cli.add_command(command)


@click.group("db")
def db_group() -> None:
    """Database migrations (Alembic)."""


@db_group.command("upgrade")
@click.option("--revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo("Database is up to date.")


@db_group.command("downgrade")
@click.option("--revision", default="-1")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


def _exit_quickly() -> None:
    """Spare the interpreter's last garbage collection over the whole heap (the crisis model,
    the app): it took over a second, and a stop should take a fraction of one."""
    gc.freeze()


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--no-scheduler", is_flag=True, help="Do not run RQ's scheduler for delayed jobs.")
@click.option("--log-level", type=LOG_LEVEL, default="info", show_default=True)
@with_appcontext
def worker(burst: bool, no_scheduler: bool, log_level: str) -> None:
    """Run an RQ worker on every peerwork queue."""
    console.setup(log_level)
    run_worker(
        current_app._get_current_object(),
        burst=burst,
        with_scheduler=not no_scheduler,
        logging_level=log_level.upper(),
    )
    _exit_quickly()


@click.command("scheduler")
@click.option("--log-level", type=LOG_LEVEL, default="info", show_default=True)
@with_appcontext
def scheduler(log_level: str) -> None:
    """Run the periodic upkeep scheduler (outbox sweep, expiry, check-ins, purge)."""
    console.setup(log_level)
    run_scheduler(current_app._get_current_object())
    _exit_quickly()


@click.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--organization", "organization_name", required=True, help="Organization name.")
@click.option(
    "--password",
    envvar="PEERWORK_ADMIN_PASSWORD",
    default=None,
    help="Or set PEERWORK_ADMIN_PASSWORD; asked for if absent.",
)
@with_appcontext
def create_admin(email: str, name: str, organization_name: str, password: str | None) -> None:
    """Create an organization admin account."""
    if password is None:
        password = getpass.getpass("Password: ")
    try:
        user = accounts.create_admin(
            db.session,
            email=email,
            name=name,
            organization_name=organization_name,
            password=password,
            now=clock.now(),
        )
    except (WeakPassword, accounts.AccountError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Admin {user.email} created for {organization_name}.")


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Load the demo organization, program, peers and logins."""
    try:
        demo_data.refuse_in_production(current_app.config["ENV"])
    except demo_data.DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    summary = demo_data.load(db.session, now=clock.now())
    db.session.commit()
    click.echo(demo_data.describe(summary))


def _has_data() -> bool:
    return bool(db.session.scalar(select(func.count(Organization.id))))


class StopRequested(BaseException):
    """Ctrl-C or SIGTERM reached `peerwork run`: stop everything, in order.

    A BaseException, like KeyboardInterrupt: the server's `except Exception` around
    accepting a request must not swallow it (it arrives wherever the main thread is).
    """


def _on_stop_signal(received: list[int]):
    def handler(signum, _frame) -> None:
        # Once: a second Ctrl-C while stopping must not interrupt the orderly stop.
        if not received:
            received.append(signum)
            raise StopRequested

    return handler


def _start_child(command: str, env: dict[str, str], log_level: str) -> subprocess.Popen:
    """`peerwork COMMAND` in a process group of its own (the terminal's Ctrl-C reaches only
    us, and we stop it in turn), told to exit if we die (no orphans)."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-P", "-m", "peerwork", command, "--log-level", log_level],
        env=env,
        process_group=0,
        preexec_fn=die_with_parent,  # noqa: PLW1509 - only ctypes' prctl, before exec
        stdin=subprocess.DEVNULL,
    )


def _stop_child(child: subprocess.Popen, name: str, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM (a warm shutdown: the job in hand finishes), then SIGKILL after `timeout`."""
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning("the %s did not stop within %.0f s; killing it", name, timeout)
        child.kill()
        child.wait()


def banner(*, base: str, instance: str, dev_phone: bool, logins: list[tuple[str, str, str]]) -> str:
    """What `peerwork run` prints once everything is up: where to go, who to be, how to stop."""
    lines = [
        "",
        f"peerwork is running: web server, worker and scheduler (data in {instance}).",
        "",
        f"  Open        {base}/",
    ]
    if dev_phone:
        lines.append(f"  Dev phone   {base}/dev/phone/   (text the program as a made-up employee)")
    if logins:
        lines += ["", "  Sign in with a demo account:"]
        lines += [f"    {role:<11} {email:<28} {password}" for role, email, password in logins]
    lines += [
        "",
        "  Press Ctrl-C to stop everything. From here on, only warnings and errors are shown"
        " (`peerwork run --verbose` shows every request and job).",
        "",
    ]
    return "\n".join(lines)


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-demo", is_flag=True, help="Do not load demo data on first start.")
@click.option("--verbose", is_flag=True, help="Show every request, job and full tracebacks.")
@with_appcontext
def run_all(host: str, port: int, no_demo: bool, verbose: bool) -> None:
    """Run everything: web, worker, scheduler (and the embedded Redis and SQLite)."""
    app = current_app._get_current_object()
    if app.config["ENV"] == "production":
        raise click.ClickException(
            "`peerwork run` is for development; in production run gunicorn and `peerwork worker`."
        )
    log_level = "info" if verbose else "warning"
    console.setup(log_level)
    received: list[int] = []
    signal.signal(signal.SIGINT, _on_stop_signal(received))
    signal.signal(signal.SIGTERM, _on_stop_signal(received))
    server = None
    children: list[tuple[str, subprocess.Popen]] = []
    try:
        try:
            # Flask's app.run() refuses to run under its own CLI; use Werkzeug's server directly.
            server = make_server(host, port, app, threaded=True)
        except OSError as exc:
            raise click.ClickException(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another port with --port"
            ) from exc
        get_redis(app).ping()  # starts the embedded Redis unless REDIS_URL is set
        env = dict(os.environ, REDIS_URL=redis_url(app), PEERWORK_INSTANCE=app.instance_path)
        migrate.upgrade(app.config["DATABASE_URL"])
        if not no_demo and not _has_data():
            click.echo("First start: loading the demo organization and its past weeks...")
            demo_data.load(db.session, now=clock.now())
            db.session.commit()
        logins = demo_data.logins_if_loaded(db.session)
        db.session.remove()
        for name in ("worker", "scheduler"):
            children.append((name, _start_child(name, env, log_level)))
        click.echo(
            banner(
                base=f"http://{host}:{server.server_port}",
                instance=app.instance_path,
                dev_phone=app.config["DEV_PHONE_ENABLED"],
                logins=logins,
            )
        )
        server.serve_forever()
    except StopRequested:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # In order: no new requests, then the worker (its job in hand ends), then the
        # scheduler, then Redis, which all of them needed until they stopped.
        if server is not None:
            server.server_close()
        for name, child in children:
            _stop_child(child, name)
        embedded = app.extensions["peerwork"].get("embedded_redis")
        if embedded is not None:
            embedded.stop()
        if received:
            click.echo("peerwork stopped.")
        _exit_quickly()


@click.group("safety")
def safety_group() -> None:
    """Crisis detection."""


@safety_group.command("train")
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A labelled JSONL file (repeatable). Default: every peerwork/safety/data/*.jsonl.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=str(safety_train.MODEL_PATH),
    show_default=True,
    help="Where to write the model.",
)
def safety_train_command(data: tuple[Path, ...], out: Path) -> None:
    """Train the crisis model (needs the [train] extra: scikit-learn)."""
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise click.ClickException('install the training extra: pip install -e ".[train]"') from exc
    paths = list(data) or safety_train.training_files()
    if not paths:
        raise click.ClickException("no training data found")
    safety_train.train(paths, out, report=click.echo)


COMMANDS = (run_all, worker, scheduler, create_admin, demo, db_group, safety_group)
for _command in (*COMMANDS, shell_command, routes_command):
    main.add_command(_command)
