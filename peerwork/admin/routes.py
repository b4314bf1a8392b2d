"""HR admin pages: the `admin` blueprint, its views in `peerwork.admin.views`.

Views are thin over the domain functions of `peerwork.admin.*`; importing a
view module registers its pages on the blueprint.
"""

from __future__ import annotations

from peerwork.admin.views import (  # noqa: F401
    contacts,
    people,
    quickstart,
    reports,
    resources,
    setup,
    topics,
)
from peerwork.admin.views.common import bp

__all__ = ["bp"]
