"""receive-check and test-send --receive: the receiving mailbox proves a send arrived signed."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import click

from mailgw.commands.common import (
    EXIT_CANNOT_RUN,
    EXIT_PROBLEMS,
    Context,
    Interrupted,
    emit_json,
    is_termination,
    pass_context,
)
from mailgw.commands.domain_cmds import resolver_config, resolver_options
from mailgw.config import store
from mailgw.i18n import N_, _

if TYPE_CHECKING:
    from mailgw.config.model import Settings
    from mailgw.delivery.mailbox import MailboxFailed, Session
    from mailgw.delivery.receipt import Receipt
    from mailgw.delivery.results import Stage

LOGIN_SECONDS = 30.0  # receive-check's deadline


def register(group: click.Group) -> None:
    group.add_command(receive_check)


@click.command("receive-check")
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@pass_context
def receive_check(ctx: Context, as_json: bool) -> None:
    """Log in to the receiving mailbox ([receive]) and list its folders; nothing is sent."""
    from mailgw.delivery.mailbox import MailboxFailed, close, open_mailbox

    settings = store.load(ctx.config_path).settings
    try:
        session = _interruptible(lambda: open_mailbox(settings, time.monotonic() + LOGIN_SECONDS))
    except MailboxFailed as exc:
        _failed(exc, as_json, {})
    close(session)
    data = {"ok": True, "folders": session.folders, "idle": session.idle, **_stages(session)}
    if as_json:
        emit_json(data)
        return
    _print_stages(session)
    click.echo(
        _("ok: logged in to {host}; folders searched: {folders}").format(
            host=settings.receive.host, folders=", ".join(session.folders)
        )
    )


def receive_options(func: Any) -> Any:
    """test-send's options for the receipt check."""
    func = resolver_options(func)
    func = click.option(
        "--delete", is_flag=True, help=N_("Delete the received copy afterwards (opt-in).")
    )(func)
    func = click.option(
        "--wait",
        type=click.FloatRange(1, 3600),
        default=None,
        help=N_(
            "With --receive: seconds to wait for the copy, login included (default: "
            "receive.wait, 120)."
        ),
    )(func)
    return click.option(
        "--receive",
        is_flag=True,
        help=N_("Then find the copy in the [receive] mailbox and verify its DKIM signature."),
    )(func)


def refuse_unreadable_mailbox(settings: Settings, as_json: bool) -> None:
    """Exit 2 before sending when no mailbox could be read afterwards."""
    from mailgw.delivery.mailbox import unusable

    problem = unusable(settings)
    if problem is not None:
        _failed(problem, as_json, {})


def check_receipt(
    settings: Settings, test_id: str, sent: dict[str, Any], options: dict[str, Any]
) -> None:
    """After a send: wait for the copy, judge it, print, and exit 0 / 1 / 2 (130 / 143)."""
    from mailgw.delivery.mailbox import MailboxFailed
    from mailgw.delivery.receipt_check import prove_receipt

    as_json = options["as_json"]
    config = resolver_config(options["nameservers"], options["timeout"], lambda: settings)
    try:
        run = _interruptible(
            lambda: prove_receipt(
                settings,
                test_id,
                wait=options["wait"] or settings.receive.wait,
                resolver=config,
                delete=options["delete"],
                on_stage=None if as_json else _print_stage,
                on_wait=None if as_json else _progress,
            )
        )
    except MailboxFailed as exc:
        _failed(exc, as_json, sent)
    if as_json:
        stages = {"stages": [s.as_dict() for s in run.stages],
                  "connection": [s.as_dict() for s in run.connection]}  # fmt: skip
        emit_json({**sent, "received": {**run.receipt.as_dict(), **stages}})
    else:
        _print_receipt(run.receipt)
    if not run.receipt.proven:
        raise SystemExit(EXIT_PROBLEMS)


def _print_stage(stage: Stage) -> None:
    from mailgw.delivery.results import ReceiptStageName, stage_label

    if stage.name != ReceiptStageName.MAILBOX_LOGIN:  # the progress line is on that row
        click.echo("\r" + " " * 40 + "\r", nl=False, err=True)
    mark = "✓" if stage.ok else "✗"
    click.echo(f"  {mark} {stage_label(stage.name):<14}{stage.ms:8.1f} ms")


def _progress(seconds: float) -> None:
    click.echo("\r" + _("waiting for the copy… {seconds:.0f} s").format(seconds=seconds),
               nl=False, err=True)  # fmt: skip


def _interruptible(work: Any) -> Any:
    """Ctrl-C or SIGTERM: the connection is closed on the way out, then the one interrupt
    rule of every command (one line, 130 or 143)."""
    try:
        return work()
    except KeyboardInterrupt as exc:
        detail = _("; the mailbox connection was closed")
        raise Interrupted(detail, terminated=is_termination(exc)) from None


def _stages(session: Session) -> dict[str, Any]:
    return {"stages": [s.as_dict() for s in session.stages]}


def _print_stages(session: Session) -> None:
    for stage in session.stages:
        click.echo(f"  ✓ {stage.name:<12}{stage.ms:8.1f} ms")


def _failed(exc: MailboxFailed, as_json: bool, sent: dict[str, Any]) -> None:
    from mailgw.delivery.receipt_text import mailbox_failure_lines

    if as_json:
        failure = {"found": False, "category": exc.category, "message": exc.message,
                   "fix": exc.fix}  # fmt: skip
        emit_json({**sent, "received": failure} if sent else {"ok": False, **failure})
    else:
        click.echo("\n".join(mailbox_failure_lines(exc)))
    raise SystemExit(EXIT_CANNOT_RUN)


def _print_receipt(receipt: Receipt) -> None:
    from mailgw.delivery.receipt_text import receipt_lines

    click.echo("\n".join(receipt_lines(receipt)))
