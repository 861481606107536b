"""receive-check and test-send --receive: the receiving mailbox proves a send arrived signed."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import click

from mailgw.commands.common import (
    EXIT_CANNOT_RUN,
    EXIT_PROBLEMS,
    Context,
    emit_json,
    pass_context,
)
from mailgw.commands.domain_cmds import resolver_config, resolver_options
from mailgw.config import store
from mailgw.i18n import N_, _

if TYPE_CHECKING:
    from mailgw.config.model import Settings
    from mailgw.delivery.mailbox import MailboxFailed, Session
    from mailgw.delivery.receipt import Receipt
    from mailgw.delivery.resolver import ResolverConfig

EXIT_INTERRUPTED = 130
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
        default=120.0,
        show_default=True,
        help=N_("With --receive: seconds to wait for the copy, login included."),
    )(func)
    return click.option(
        "--receive",
        is_flag=True,
        help=N_("Then find the copy in the [receive] mailbox and verify its DKIM signature."),
    )(func)


def check_receipt(
    settings: Settings, test_id: str, sent: dict[str, Any], options: dict[str, Any]
) -> None:
    """After a send: wait for the copy, judge it, print, and exit 0 / 1 / 2 / 130."""
    from mailgw.delivery.mailbox import MailboxFailed, close

    as_json = options["as_json"]
    config = resolver_config(options["nameservers"], options["timeout"], lambda: settings)
    started = time.monotonic()
    deadline = started + options["wait"]
    try:
        receipt, session = _interruptible(
            lambda: _find(settings, test_id, deadline, started, config, options, as_json)
        )
    except MailboxFailed as exc:
        _failed(exc, as_json, sent)
    close(session)
    if as_json:
        emit_json({**sent, "received": {**receipt.as_dict(), **_stages(session)}})
    else:
        _print_receipt(receipt)
    if not receipt.proven:
        raise SystemExit(EXIT_PROBLEMS)


def _find(
    settings: Settings,
    test_id: str,
    deadline: float,
    started: float,
    config: ResolverConfig,
    options: dict[str, Any],
    as_json: bool,
) -> tuple[Receipt, Session]:
    import asyncio

    from mailgw.delivery.mailbox import delete_copy, open_mailbox, wait_for_copy
    from mailgw.delivery.receipt import examine, not_found

    session = open_mailbox(settings, deadline)
    if not as_json:
        _print_stages(session)
    copy = wait_for_copy(session, test_id, deadline, None if as_json else _progress)
    if not as_json:
        click.echo("\r" + " " * 40 + "\r", nl=False, err=True)
    if copy is None:
        return not_found(options["wait"], session.folders), session
    seconds = time.monotonic() - started
    receipt = asyncio.run(examine(copy.raw, copy.folder, seconds, config))
    if options["delete"]:
        delete_copy(session, copy)
    return receipt, session


def _progress(seconds: float) -> None:
    click.echo("\r" + _("waiting for the copy… {seconds:.0f} s").format(seconds=seconds),
               nl=False, err=True)  # fmt: skip


def _interruptible(work: Any) -> Any:
    """Ctrl-C closes the connection (the process ends) and exits 130."""
    try:
        return work()
    except KeyboardInterrupt:
        click.echo(_("mailgw: interrupted; the mailbox connection was closed"), err=True)
        raise SystemExit(EXIT_INTERRUPTED) from None


def _stages(session: Session) -> dict[str, Any]:
    return {"stages": [s.as_dict() for s in session.stages]}


def _print_stages(session: Session) -> None:
    for stage in session.stages:
        click.echo(f"  ✓ {stage.name:<12}{stage.ms:8.1f} ms")


def _failed(exc: MailboxFailed, as_json: bool, sent: dict[str, Any]) -> None:
    code = EXIT_CANNOT_RUN
    if as_json:
        failure = {"found": False, "category": exc.category, "message": exc.message,
                   "fix": exc.fix}  # fmt: skip
        emit_json({**sent, "received": failure} if sent else {"ok": False, **failure})
    else:
        click.echo(
            _("mailbox failed [{category}]: {message}").format(
                category=exc.category, message=exc.message
            )
        )
        click.echo(_("fix: {fix}").format(fix=exc.fix))
    raise SystemExit(code)


def _print_receipt(receipt: Receipt) -> None:
    if receipt.found:
        click.echo(
            _("found in {folder} after {seconds:.1f} s").format(
                folder=receipt.folder, seconds=receipt.seconds or 0
            )
        )
    for result in receipt.authentication_results:
        reason = f" ({result.reason})" if result.reason else ""
        click.echo(f"  {result.authserv_id}: {result.method}={result.result}{reason}")
    if receipt.ignored_results:
        click.echo(
            _("  ({count} Authentication-Results that arrived with the message ignored)").format(
                count=receipt.ignored_results
            )
        )
    for sig in receipt.dkim:
        aligned = _("aligned with From") if sig.aligned else _("not aligned with From")
        click.echo(
            _("  our DKIM check: d={domain} s={selector}: {result}, {aligned}").format(
                domain=sig.domain, selector=sig.selector, result=sig.result, aligned=aligned
            )
        )
    for hop in receipt.hops:
        delay = "?" if hop.delay_seconds is None else f"{hop.delay_seconds:g} s"
        tls = "TLS" if hop.tls else _("no TLS")
        click.echo(f"  hop {hop.from_host or '?'} -> {hop.by_host or '?'}: {delay}, {tls}")
    click.echo(receipt.verdict)
    if receipt.fix:
        click.echo(_("fix: {fix}").format(fix=receipt.fix))
