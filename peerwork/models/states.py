"""Every state machine in one place: the legal transitions, and the one way to move.

Each machine lists, for each state, the states it may move to. `advance()`
refuses any other move on a loaded row, so an illegal transition is a bug
caught at once; `transition()` is the conditional UPDATE every state change in
the database goes through, so a move races safely (the first worker wins, the
others move nothing) and never leaves a row in a state no code expects.
Named groups of states (`OPEN_REQUEST_STATES`) live here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement


class IllegalTransition(ValueError):
    """A state change that its machine does not allow."""


@dataclass(frozen=True)
class StateMachine:
    name: str
    transitions: dict[str, frozenset[str]]

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(self.transitions)

    def can(self, current: str, new: str) -> bool:
        return new in self.transitions.get(current, frozenset())

    def check(self, current: str, new: str) -> None:
        if not self.can(current, new):
            raise IllegalTransition(f"{self.name}: {current} -> {new} is not allowed")

    def advance(self, obj, new: str, attr: str = "state") -> None:
        """Move `obj.<attr>` to `new`, or raise IllegalTransition."""
        self.check(getattr(obj, attr), new)
        setattr(obj, attr, new)

    def sources(self, new: str) -> tuple[str, ...]:
        """The states from which `new` may be reached (for conditional UPDATEs)."""
        return tuple(s for s, targets in self.transitions.items() if new in targets)


def _machine(name: str, table: dict[str, set[str] | tuple[str, ...]]) -> StateMachine:
    return StateMachine(name, {k: frozenset(v) for k, v in table.items()})


PROGRAM = _machine(
    "program",
    {
        "draft": {"live", "closed"},
        "live": {"paused", "closed"},
        "paused": {"live", "closed"},
        "closed": set(),
    },
)

# What the texter's next message means.
DIALOG = _machine(
    "texter dialog",
    {
        "new": {"choosing_topic", "opted_out"},
        "choosing_topic": {"choosing_topic", "waiting", "idle", "opted_out"},
        "waiting": {"connected", "idle", "choosing_topic", "opted_out"},
        "connected": {"idle", "choosing_topic", "opted_out"},
        "idle": {"choosing_topic", "waiting", "opted_out"},
        "opted_out": {"idle"},
    },
)

SUPPORT_REQUEST = _machine(
    "support request",
    {
        # offering: waves of offers are out; waiting: nobody eligible, queued.
        "offering": {"waiting", "matched", "cancelled", "held"},
        "waiting": {"offering", "matched", "cancelled", "held"},
        # held: received outside hours/while paused, kept for opening time.
        "held": {"offering", "waiting", "cancelled"},
        "matched": {"closed"},
        "cancelled": set(),
        "closed": set(),
    },
)

OFFER = _machine(
    "offer",
    {
        "open": {"accepted", "declined", "expired", "withdrawn"},
        "accepted": set(),
        "declined": set(),
        "expired": set(),
        "withdrawn": set(),
    },
)

CONVERSATION = _machine(
    "conversation",
    {
        "active": {"ended"},
        "ended": set(),
    },
)

# Outbound delivery. Inbound messages are created as "received" and stay there.
DELIVERY = _machine(
    "message delivery",
    {
        "received": set(),
        "queued": {"sending", "cancelled", "failed"},
        "sending": {"sent", "failed", "queued", "undelivered", "delivered"},
        "sent": {"delivered", "undelivered", "failed"},
        "delivered": set(),
        "undelivered": set(),
        "failed": set(),
        "cancelled": set(),
    },
)

CHECKIN = _machine(
    "check-in",
    {
        "scheduled": {"sent", "skipped", "expired", "cancelled"},
        "sent": {"answered", "expired"},
        "answered": set(),
        "skipped": set(),
        "expired": set(),
        "cancelled": set(),
    },
)

ALERT = _machine(
    "alert",
    {
        "open": {"acknowledged", "escalated"},
        "escalated": {"acknowledged"},
        "acknowledged": set(),
    },
)


def move_dialog(texter, new: str, *, if_legal: bool = False) -> bool:
    """Move a texter's dialog state to `new`: every dialog move goes through here.

    Already there: nothing happens. An illegal move raises IllegalTransition,
    or, with `if_legal`, is skipped. Returns whether the state moved.
    """
    current = texter.dialog_state
    if current == new or (if_legal and not DIALOG.can(current, new)):
        return False
    DIALOG.advance(texter, new, attr="dialog_state")
    return True


# An outbound message not yet handed over for good (the next in its line waits).
PENDING_DELIVERY = ("queued", "sending")

# A request still looking for a peer (one per texter: a partial unique index holds it).
OPEN_REQUEST_STATES = ("offering", "waiting", "held")


def transition(
    session: Session,
    model,
    row_id: int | None,
    machine: StateMachine,
    new: str,
    *,
    attr: str = "state",
    where: Iterable = (),
    synchronize_session: str | bool = "fetch",
    returning=None,
    shape=None,
    params: dict | None = None,
    **values,
):
    """Move a row (or, with `row_id` None, every row matching `where`) to `new`.

    One conditional UPDATE: only rows in a state from which `machine` allows
    `new` move, with `values` set alongside. Returns how many rows moved
    (0: already moved by someone else, or not a legal move); with `returning`
    (a column), the moved rows' values of that column instead.

    The usual move (one row by id, plain values) runs a statement built once
    per shape, so SQLAlchemy neither rebuilds it nor recomputes its cache key
    on every call (a fifth of a worker's CPU went to building statements).
    A caller whose `where` or SQL-expression values are the same on every call
    (their variable parts bound parameters, given in `params`) names them
    with a hashable `shape` to have its statement built once too.
    """
    if row_id is not None and returning is None and (shape is not None or not where):
        plain = {k: v for k, v in values.items() if _is_plain(v)}
        if shape is not None or len(plain) == len(values):
            key = (model, attr, machine.name, new, synchronize_session, shape, tuple(sorted(plain)))
            statement = _TRANSITIONS.get(key)
            if statement is None:
                statement = _TRANSITIONS[key] = _transition_statement(
                    model, attr, machine, new, synchronize_session, where, values
                )
            bound = {f"transition_{name}": value for name, value in plain.items()}
            bound["transition_row_id"] = row_id
            return session.execute(statement, {**(params or {}), **bound}).rowcount
    column = getattr(model, attr)
    statement = update(model).where(column.in_(machine.sources(new)), *where)
    if row_id is not None:
        statement = statement.where(model.id == row_id)
    statement = statement.values({attr: new, **values}).execution_options(
        synchronize_session=synchronize_session
    )
    if returning is not None:
        return session.scalars(statement.returning(returning)).all()
    return session.execute(statement).rowcount


_TRANSITIONS: dict = {}  # shape -> UPDATE statement with bound parameters


def _is_plain(value) -> bool:
    """A plain value, not an SQL expression (such as `Message.attempts + 1`)?"""
    return not (isinstance(value, ClauseElement) or hasattr(value, "__clause_element__"))


def _transition_statement(model, attr, machine, new, synchronize_session, where, values):
    """The UPDATE for one shape: plain values become bound parameters, expressions stay."""
    return (
        update(model)
        .where(
            getattr(model, attr).in_(machine.sources(new)),
            model.id == bindparam("transition_row_id"),
            *where,
        )
        .values(
            {
                attr: new,
                **{
                    name: bindparam(f"transition_{name}", type_=getattr(model, name).type)
                    if _is_plain(value)
                    else value
                    for name, value in values.items()
                },
            }
        )
        .execution_options(synchronize_session=synchronize_session)
    )


ROLES = ("admin", "supervisor", "peer")
