"""Sign in, sign out, and accept an invite."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from peerwork import accounts, audit, clock
from peerwork.auth import invites
from peerwork.auth.forms import AcceptInviteForm, LoginForm
from peerwork.auth.passwords import (
    DUMMY_HASH,
    WeakPassword,
    hash_password,
    needs_rehash,
    verify_password,
)
from peerwork.auth.ratelimit import LoginLimiter
from peerwork.extensions import db, get_redis
from peerwork.models import Organization, Program, User

bp = Blueprint("auth", __name__)


def _limiter() -> LoginLimiter:
    cfg = current_app.config
    return LoginLimiter(
        get_redis(),
        cfg["LOGIN_ATTEMPTS_PER_WINDOW"],
        cfg["LOGIN_WINDOW_SECONDS"],
        cfg["RQ_QUEUE_PREFIX"],
    )


def _safe_next(target: str | None) -> str | None:
    """A same-site path to go to after sign-in, else None."""
    # Browsers (and Werkzeug's redirect) drop tabs and newlines, so "/\t/evil" would become
    # "//evil": refuse any whitespace or control character outright.
    if not target or any(c.isspace() or not c.isprintable() for c in target):
        return None
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        address = request.remote_addr or "unknown"
        limiter = _limiter()
        if limiter.blocked(address, email):
            return render_template(
                "auth/login.html",
                form=form,
                error="Too many attempts. Please wait 15 minutes and try again.",
            ), 429
        user = db.session.scalar(select(User).where(User.email == email))
        ok = verify_password(user.password_hash if user else DUMMY_HASH, form.password.data)
        if not ok or user is None or not user.active:
            limiter.failed(address, email)
            return render_template(
                "auth/login.html",
                form=form,
                error="That email and password do not match an active account.",
            ), 401
        limiter.succeeded(email)
        now = clock.now()
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(form.password.data)
        user.last_login_at = now
        audit.record(
            db.session,
            organization_id=user.organization_id,
            action="auth.login",
            now=now,
            actor=user,
            object_type="user",
            object_id=user.id,
        )
        db.session.commit()
        login_user(user)
        return redirect(_safe_next(request.args.get("next")) or url_for("main.dashboard"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, error=None), status


@bp.post("/logout")
@login_required
def logout():
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    # Server-side: a copied cookie must not outlive the sign-out. This ends the
    # person's other sessions too (we keep one token per person, not per device).
    accounts.end_sessions(db.session, user=current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    now = clock.now()
    secret = current_app.config["SECRET_KEY"]
    try:
        invite = invites.load(db.session, secret_key=secret, token=token, now=now)
    except invites.InviteError as exc:
        return render_template(
            "auth/invite_invalid.html", message=str(exc)
        ), 410 if "expired" in str(exc) or "used" in str(exc) else 404
    form = AcceptInviteForm()
    error = None
    if form.validate_on_submit():
        try:
            user = invites.accept(
                db.session,
                secret_key=secret,
                token=token,
                name=form.name.data,
                password=form.password.data,
                now=now,
            )
        except WeakPassword as exc:
            form.password.errors = [*form.password.errors, str(exc)]
            db.session.rollback()
        except invites.InviteError as exc:
            db.session.rollback()
            return render_template("auth/invite_invalid.html", message=str(exc)), 410
        else:
            audit.record(
                db.session,
                organization_id=user.organization_id,
                action="invite.accepted",
                now=now,
                actor=user,
                object_type="invite",
                object_id=invite.id,
                details={"role": invite.role},
            )
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            login_user(user)
            flash("Welcome to peerwork. Your account is ready.", "success")
            return redirect(url_for("main.dashboard"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "auth/invite.html",
        form=form,
        invite=invite,
        error=error,
        organization=db.session.get(Organization, invite.organization_id),
        program=db.session.get(Program, invite.program_id) if invite.program_id else None,
        inviter=db.session.get(User, invite.created_by_id) if invite.created_by_id else None,
    ), status
