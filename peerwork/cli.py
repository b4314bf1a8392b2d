"""The `peerwork` command: run everything, run a worker, create an admin, demo data."""

from __future__ import annotations

import getpass
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext
from sqlalchemy import func, select
from werkzeug.serving import run_simple

from peerwork import accounts, clock, migrate
from peerwork import demo as demo_data
from peerwork.app import create_app
from peerwork.auth.passwords import WeakPassword
from peerwork.config import serving_instance_path
from peerwork.extensions import db, get_redis, redis_url
from peerwork.models import Organization
from peerwork.safety import train as safety_train
from peerwork.worker import run_scheduler, run_worker


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


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--no-scheduler", is_flag=True, help="Do not run RQ's scheduler for delayed jobs.")
@with_appcontext
def worker(burst: bool, no_scheduler: bool) -> None:
    """Run an RQ worker on every peerwork queue."""
    run_worker(current_app._get_current_object(), burst=burst, with_scheduler=not no_scheduler)


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the periodic upkeep scheduler (outbox sweep, expiry, check-ins, purge)."""
    run_scheduler(current_app._get_current_object())


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


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-demo", is_flag=True, help="Do not load demo data on first start.")
@with_appcontext
def run_all(host: str, port: int, no_demo: bool) -> None:
    """Run everything: web, worker, scheduler (and the embedded Redis and SQLite)."""
    app = current_app._get_current_object()
    if app.config["ENV"] == "production":
        raise click.ClickException(
            "`peerwork run` is for development; in production run gunicorn and `peerwork worker`."
        )
    get_redis(app).ping()  # starts the embedded Redis unless REDIS_URL is set
    env = dict(os.environ, REDIS_URL=redis_url(app), PEERWORK_INSTANCE=app.instance_path)
    migrate.upgrade(app.config["DATABASE_URL"])
    if not no_demo and not _has_data():
        summary = demo_data.load(db.session, now=clock.now())
        db.session.commit()
        click.echo(demo_data.describe(summary))
    db.session.remove()
    children = [
        subprocess.Popen([sys.executable, "-m", "peerwork", "worker"], env=env),  # noqa: S603
        subprocess.Popen([sys.executable, "-m", "peerwork", "scheduler"], env=env),  # noqa: S603
    ]

    def stop_children(*_args) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    base = f"http://{host}:{port}"
    click.echo(f"\npeerwork is running at {base}  (web + worker + scheduler; Ctrl-C stops all)")
    if app.config["DEV_PHONE_ENABLED"]:
        click.echo(f"Text the program as an employee at {base}/dev/phone/")
    try:
        # Flask's app.run() refuses to run under its own CLI; call Werkzeug directly.
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        stop_children()
        server = app.extensions["peerwork"].get("embedded_redis")
        if server is not None:
            server.stop()


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
