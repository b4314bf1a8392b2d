"""Accounts: login, logout, invites, password rules, roles.

May import: audit, models, extensions, clock (the ground below it).
"""

from __future__ import annotations

from flask_login import LoginManager
from sqlalchemy import select

from peerwork.extensions import db
from peerwork.models import User


def init_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = "Please sign in to continue."
    manager.login_message_category = "info"
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(user_key: str) -> User | None:
        user_id, _, token = user_key.partition(":")
        if not user_id.isdigit() or not token:
            return None
        user = db.session.scalar(select(User).where(User.id == int(user_id)))
        if user is None or user.session_token != token or not user.active:
            return None
        return user
