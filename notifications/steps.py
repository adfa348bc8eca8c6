"""The database side of delivering one claimed batch: one committed statement per message.

Before a row is handed over it must be durably ``sending``; after, its outcome must be stored
before the next row is handed over — otherwise a killed worker could leave two rows whose fate
is unknown. :class:`BatchSteps` does both in one statement per message (record the previous
row's outcome, mark the next one), renews the batch's lease in the same transaction when it is
due, and records the last outcome and releases what was never started at the end.

At one statement per message, the cost of the machinery around a statement matters as much as
the statement: SQLAlchemy's session (a transaction object, a pool check-out and check-in per
commit) and its execution path took more CPU than SQLite's own work and several times what
smtplib spends handing a message over. So the step statements are built with SQLAlchemy once
per shape (:func:`step_statement`, its SQL and type conversions compiled once) and run on the
driver's cursor of a connection the batch keeps (``notifications.driver``). A session bound to
one connection (tests run inside one outer transaction) is honoured: there the steps run on
the session's connection and commit through the session.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from notifications.channels.base import Message
from notifications.driver import compiled, driver_connection
from notifications.models import DeliveryState, OutboundMessage, leased
from panel.core.db import utcnow

log = logging.getLogger(__name__)

TABLE = OutboundMessage.__table__
Outcome = dict[str, Any]


class BatchSteps:
    """Mark, record, renew, release for one claim (token) of one organisation."""

    def __init__(
        self,
        session: Session,
        *,
        organisation_id: int,
        token: str,
        lease: dt.timedelta,
        lease_until: dt.datetime,
    ) -> None:
        self.session = session
        self.token = token
        self.lease = lease
        self.lease_until = lease_until
        self.pending: tuple[Message, Outcome] | None = None
        self.started = 0
        self.guard = {"g_org": organisation_id, "g_token": token}
        bind = session.get_bind()
        # The app's sessions are bound to an engine: the batch keeps one connection of its own.
        self._own = bind.connect() if isinstance(bind, sa.Engine) else None
        dialect = bind.dialect
        # PostgreSQL is a round trip away: one statement per message, committing itself
        # (autocommit, no BEGIN). SQLite is in the process: two simpler statements in one
        # transaction cost it less work than one that updates two rows through CASEs.
        self.combined = dialect.name != "sqlite"
        self.autocommit = self.combined and self._own is not None
        if self.autocommit:
            self._driver().autocommit = True

    def mark(self, row: Message) -> bool:
        """Record the previous row's outcome and mark ``row`` as being handed over, in one
        commit; False when ``row`` is no longer ours."""
        mark = (step_statement((), mark=True), {**self.guard, "m_id": row.id})
        statements = [mark]
        if self.pending is not None:
            columns, recorded = self._record()
            if self.combined:
                statements = [(step_statement(columns, mark=True), {**mark[1], **recorded})]
            else:
                record = (step_statement(columns, mark=False), {**self.guard, **recorded})
                statements = [record, mark]
        if self._renewal_due():
            renewal = {**self.guard, "lease_until": self.lease_until}
            statements.insert(0, (renew_statement(), renewal))
        done = self._run(statements)
        marked = row.id in done
        self.started += marked
        return marked

    def renew(self) -> None:
        """Extend the lease now if it is due (a worker waiting for an SMS slot)."""
        if self._renewal_due():
            self._run([(renew_statement(), {**self.guard, "lease_until": self.lease_until})])

    def finish(self, *, unstarted: int, next_attempt_at: dt.datetime | None) -> None:
        """Record the last outcome; put rows never started back in the queue (due at
        ``next_attempt_at``, or at once). Never raises: a row left behind is settled by the
        sweep once the lease runs out, and the error that ended the batch stays the one seen."""
        try:
            if self.pending is not None:
                columns, recorded = self._record()
                self._run([(step_statement(columns, mark=False), {**self.guard, **recorded})])
            if unstarted:
                release = {**self.guard, "next_attempt_at": next_attempt_at}
                released = self._run([(release_statement(), release)])
                if released:
                    log.info("%s outbound messages put back in the queue", len(released))
        except Exception:  # a driver error too: the sweep settles what is left
            log.exception("could not record the end of batch %s", self.token)
            self.session.rollback()
        finally:
            if self._own is not None:
                if self.autocommit:
                    self._driver().autocommit = False
                self._own.close()
                self._own = None

    def _record(self) -> tuple[tuple[str, ...], dict[str, Any]]:
        """The columns the pending outcome sets, and the parameters that store it."""
        assert self.pending is not None
        row, values = self.pending
        self.pending = None
        log_outcome(row, values)
        columns = tuple(sorted(values))
        recorded = {f"r_{name}": values[name] for name in columns}
        recorded["r_id"] = row.id
        return columns, recorded

    def _renewal_due(self) -> bool:
        now = utcnow()
        if now < self.lease_until - self.lease * 2 / 3:
            return False
        self.lease_until = now + self.lease
        return True

    def _driver(self) -> Any:
        return driver_connection(self._own or self.session.connection())

    def _run(self, statements: list[tuple[Any, dict[str, Any]]]) -> set[int]:
        """Run ``statements`` in one transaction and commit (with PostgreSQL's autocommit each
        commits itself: a renewal need not be atomic with the step); the ids the last one
        changed."""
        driver = self._driver()
        dialect = self.session.get_bind().dialect
        try:
            for statement, params in statements:
                ids = compiled(statement, dialect).run(driver, params)
        except Exception:
            if self._own is not None and not self.autocommit:
                driver.rollback()
            raise
        if self._own is None:
            self.session.commit()
        elif not self.autocommit:
            driver.commit()
        return set(ids)


def log_outcome(row: Message, values: Outcome) -> None:
    """One log line per outcome worth reading (not every ``sent``)."""
    state = values["state"]
    if state == DeliveryState.SENT and not log.isEnabledFor(logging.DEBUG):
        return  # ten thousand "sent" lines say less than the counts at the end of a batch
    level = logging.INFO if state in (DeliveryState.SENT, DeliveryState.QUEUED) else logging.WARNING
    log.log(
        level,
        "outbound message %s (%s) %s",
        row.id,
        row.channel,
        state,
        extra={"message_id": row.id, "state": str(state), "error": values.get("error")},
    )


@functools.cache
def step_statement(columns: tuple[str, ...], *, mark: bool) -> Any:
    """The one statement of a per-message step, built once per shape: record an outcome that
    sets ``columns`` on row ``r_id``, and/or (``mark``) move row ``m_id`` from claimed to
    sending, counting the attempt. Only the columns an outcome changes are set: each column
    set costs index writes."""
    if not columns:
        return (
            sa.update(TABLE)
            .where(_ours(), _claimed("m_id"))
            .values(state=DeliveryState.SENDING, attempts=TABLE.c.attempts + 1)
            .returning(TABLE.c.id)
        )
    if not mark:
        return (
            sa.update(TABLE)
            .where(_ours(), _handed_over("r_id"))
            .values({name: _param(name) for name in columns})
            .returning(TABLE.c.id)
        )
    # Both rows in one statement: each column takes the value for the row it is on.
    recorded = TABLE.c.id == sa.bindparam("r_id")
    values: dict[str, Any] = {
        name: sa.case((recorded, _param(name)), else_=TABLE.c[name]) for name in columns
    }
    sending = sa.literal(DeliveryState.SENDING, TABLE.c.state.type)
    values["state"] = sa.case((recorded, _param("state")), else_=sending)
    values["attempts"] = sa.case((recorded, TABLE.c.attempts), else_=TABLE.c.attempts + 1)
    return (
        sa.update(TABLE)
        .where(
            # The id list first, so that SQLite looks the two rows up by primary key.
            TABLE.c.id.in_([sa.bindparam("r_id"), sa.bindparam("m_id")]),
            _ours(),
            sa.or_(_handed_over("r_id"), _claimed("m_id")),
        )
        .values(values)
        .returning(TABLE.c.id)
    )


@functools.cache
def renew_statement() -> Any:
    """Extend the lease of every row of the claim still waiting or being handed over."""
    return (
        sa.update(TABLE)
        .where(leased(), _ours())
        .values(lease_until=sa.bindparam("lease_until", type_=TABLE.c.lease_until.type))
        .returning(TABLE.c.id)
    )


@functools.cache
def release_statement() -> Any:
    """Put the claim's rows never started back in the queue (not an attempt)."""
    return (
        sa.update(TABLE)
        .where(leased(), _ours(), TABLE.c.state == DeliveryState.CLAIMED)
        .values(
            state=DeliveryState.QUEUED,
            claim_token=None,
            lease_until=None,
            next_attempt_at=sa.bindparam("next_attempt_at", type_=TABLE.c.next_attempt_at.type),
        )
        .returning(TABLE.c.id)
    )


def _param(name: str) -> Any:
    return sa.bindparam(f"r_{name}", type_=TABLE.c[name].type)


def _ours() -> Any:
    # Core statements: the organisation is filtered here, explicitly.
    return sa.and_(
        TABLE.c.organisation_id == sa.bindparam("g_org"),
        TABLE.c.claim_token == sa.bindparam("g_token"),
    )


def _claimed(key: str) -> Any:
    return sa.and_(TABLE.c.id == sa.bindparam(key), TABLE.c.state == DeliveryState.CLAIMED)


def _handed_over(key: str) -> Any:
    # Two comparisons rather than IN: an IN list is expanded anew at every execution.
    state = TABLE.c.state
    return sa.and_(
        TABLE.c.id == sa.bindparam(key),
        sa.or_(state == DeliveryState.SENDING, state == DeliveryState.UNKNOWN),
    )
