"""peerwork: a workplace peer-support program over anonymous SMS.

The package root stays light (importing `peerwork.models` must not load every
blueprint): `create_app` imports the factory, `peerwork.app`, when called.

May import: peerwork.app only (and only inside `create_app`).
"""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(config: dict | None = None, instance_path: str | None = None):
    """Build the app (see `peerwork.app.create_app`)."""
    from peerwork.app import create_app as build

    return build(config=config, instance_path=instance_path)
