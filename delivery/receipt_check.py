"""Send and verify receipt, after the send, for every front: log in to the [receive] mailbox,
wait for the copy of this send, fetch it, judge it, and (opt-in) delete it.

Each step is a stage of its own (`ReceiptStageName`), reported through `on_stage` as it ends,
so the command's lines and the console's timeline are the same run. The IMAP calls block:
the command runs this in its main thread (Ctrl-C interrupts it), the console in a thread,
stopping it with `ReceiptStop` (the socket is shut, so a blocked read ends at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mailgw.config.model import Settings
from mailgw.delivery.mailbox import (
    MailboxCancelled,
    MailboxFailed,
    Session,
    close,
    delete_copy,
    fetch_copy,
    open_mailbox,
    wait_for_copy,
)
from mailgw.delivery.receipt import Receipt, examine, not_found
from mailgw.delivery.resolver import ResolverConfig
from mailgw.delivery.results import ReceiptStageName, Stage

OnStage = Callable[[Stage], None]


class ReceiptStop:
    """Stops a receipt check running in another thread: the console's Esc."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._session: Session | None = None

    def attach(self, session: Session) -> None:
        self._session = session
        if self.is_set():
            self._shut()

    def set(self) -> None:
        self._event.set()
        self._shut()

    def is_set(self) -> bool:
        return self._event.is_set()

    def _shut(self) -> None:
        if self._session is not None:
            with contextlib.suppress(OSError):
                self._session.client.socket().shutdown(socket.SHUT_RDWR)


@dataclass
class ReceiptRun:
    """What a receipt check found, with its stages and the mailbox's connection steps."""

    receipt: Receipt
    stages: list[Stage] = field(default_factory=list)
    connection: list[Stage] = field(default_factory=list)  # token, connect, tls, login
    folders: list[str] = field(default_factory=list)


@dataclass
class _Clock:
    on_stage: OnStage | None
    stages: list[Stage] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def end(self, name: ReceiptStageName, ok: bool) -> None:
        stage = Stage(name.value, ok, (time.monotonic() - self.started) * 1000)
        self.stages.append(stage)
        if self.on_stage is not None:
            self.on_stage(stage)
        self.started = time.monotonic()


def prove_receipt(
    settings: Settings,
    test_id: str,
    *,
    wait: float,
    resolver: ResolverConfig,
    delete: bool = False,
    on_stage: OnStage | None = None,
    on_wait: Callable[[float], None] | None = None,
    stop: ReceiptStop | None = None,
) -> ReceiptRun:
    """The receipt of the send `test_id`, within `wait` seconds, login included.

    Raises MailboxFailed when the mailbox cannot be read (after its failed stage is reported)
    and MailboxCancelled when `stop` was set."""
    begun = time.monotonic()
    deadline = begun + wait
    clock = _Clock(on_stage)
    try:
        session = open_mailbox(settings, deadline)
    except MailboxFailed:
        clock.end(ReceiptStageName.MAILBOX_LOGIN, False)
        raise
    try:
        if stop is not None:
            stop.attach(session)
        clock.end(ReceiptStageName.MAILBOX_LOGIN, True)
        run = _find_and_judge(session, settings, test_id, deadline, begun, resolver, clock,
                              on_wait, stop, delete=delete)  # fmt: skip
    except OSError:
        if stop is not None and stop.is_set():
            raise MailboxCancelled() from None
        raise
    finally:
        close(session)
    return run


def _find_and_judge(
    session: Session,
    settings: Settings,
    test_id: str,
    deadline: float,
    begun: float,
    resolver: ResolverConfig,
    clock: _Clock,
    on_wait: Callable[[float], None] | None,
    stop: ReceiptStop | None,
    *,
    delete: bool,
) -> ReceiptRun:
    stopped = stop.is_set if stop is not None else (lambda: False)
    where = wait_for_copy(session, test_id, deadline, on_wait, stopped)
    run = ReceiptRun(not_found(deadline - begun, session.folders), connection=session.stages,
                     folders=session.folders)  # fmt: skip
    clock.end(ReceiptStageName.WAITING, where is not None)
    if where is None:
        run.stages = clock.stages
        return run
    copy = fetch_copy(session, where, deadline)
    clock.end(ReceiptStageName.FOUND, True)
    run.receipt = asyncio.run(examine(copy.raw, copy.folder, time.monotonic() - begun, resolver))
    clock.end(ReceiptStageName.VERIFIED, run.receipt.proven)
    if delete:
        delete_copy(session, copy)
    run.stages = clock.stages
    return run
