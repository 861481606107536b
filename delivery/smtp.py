"""The one send path: a test send, a probe and (later) the TUI all talk to the server through it.

A conversation runs stage by stage (resolve, connect, TLS, certificate, EHLO, AUTH, MAIL FROM,
RCPT TO, DATA, QUIT), each timed and reported through `on_stage`, under one overall deadline
(`smtp.timeout`). Security is never weaker than configured: `ssl` is TLS from the first byte,
`starttls` is required (no plain-text fallback), `none` never upgrades. Failures come back as a
classified `SendResult`, never as an exception. Cancelling the task closes the connection and
raises CancelledError as asyncio expects; pass a `Progress` to keep the partial record (its
`result` then has category `cancelled`).
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

from mailgw.config.model import Gateway, Security, Settings
from mailgw.config.presets import PlatformGateway
from mailgw.delivery import failures, oauth2
from mailgw.delivery.conversation import TRUST_ALL_WARNING, Abort, Conversation, OnStage
from mailgw.delivery.errors import ConfigInvalid
from mailgw.delivery.hosts import Resolver
from mailgw.delivery.messages import check_message
from mailgw.delivery.results import Category, Failure, Progress, SendResult, StageName
from mailgw.delivery.target import Target, target_for
from mailgw.delivery.tls import prefetch_context
from mailgw.i18n import _


async def send(
    settings: Settings,
    message: EmailMessage,
    *,
    on_stage: OnStage | None = None,
    resolver: Resolver | None = None,
    ca_file: str | None = None,
    gateway: PlatformGateway | None = None,
    progress: Progress | None = None,
) -> SendResult:
    """Send `message` through the configured server, exactly as the platform would."""
    return await _converse(settings, message, on_stage, resolver, ca_file, gateway, progress)


async def probe(
    settings: Settings,
    *,
    on_stage: OnStage | None = None,
    resolver: Resolver | None = None,
    ca_file: str | None = None,
    gateway: PlatformGateway | None = None,
    progress: Progress | None = None,
) -> SendResult:
    """Connect, TLS, EHLO and AUTH as a send would, then QUIT without sending."""
    return await _converse(settings, None, on_stage, resolver, ca_file, gateway, progress)


async def probe_target(
    target: Target,
    *,
    on_stage: OnStage | None = None,
    resolver: Resolver | None = None,
    ca_file: str | None = None,
    progress: Progress | None = None,
) -> SendResult:
    """A probe of an explicit target (auto-detect uses it for each port)."""
    return await _run(target, None, on_stage, resolver, ca_file, progress)


async def token_check(
    settings: Settings,
    *,
    on_stage: OnStage | None = None,
    ca_file: str | None = None,
    progress: Progress | None = None,
) -> SendResult:
    """Only the token stage of an OAuth 2.0 login: "Get a token", without the SMTP server."""
    try:
        target = target_for(settings)
    except ConfigInvalid as exc:
        return _config_invalid(exc, progress)
    if target.oauth2 is None:
        message = _("the login does not use OAuth 2.0 (smtp.auth.method = oauth2)")
        return _config_invalid(ConfigInvalid(message), progress)
    return await _run(target, None, on_stage, None, ca_file, progress, token_only=True)


def prefetch_tls(settings: Settings, ca_file: str | None = None) -> None:
    """Start building the TLS context a send of `settings` will use, now, in a thread beside
    the validation and message building that come first. A hint: a wrong guess costs time."""
    smtp = settings.smtp
    if smtp.gateway == Gateway.CUSTOM and smtp.security == Security.NONE:
        return
    trusting = smtp.gateway == Gateway.CUSTOM and (smtp.trust_all or bool(smtp.tls_fingerprint))
    prefetch_context(verify=not trusting, ca_file=ca_file)


def planned_stages(settings: Settings, *, sending: bool = True) -> list[str]:
    """The stages a successful send (or probe) of `settings` goes through, for a timeline."""
    try:
        target = target_for(settings)
    except ConfigInvalid:
        return []
    return stages_for(target, sending=sending)


def stages_for(target: Target, *, sending: bool = True) -> list[str]:
    """The stage names, in order, that a conversation with `target` runs when all goes well."""
    names = [StageName.TOKEN] if target.oauth2 else []
    names += [StageName.RESOLVE, StageName.CONNECT]
    secured = [StageName.TLS, StageName.CERTIFICATE]
    if target.security == Security.SSL:
        names += [*secured, StageName.EHLO]
    elif target.security == Security.STARTTLS:
        names += [StageName.EHLO, *secured, StageName.EHLO]
    else:
        names.append(StageName.EHLO)
    if target.auth:
        names.append(StageName.AUTH)
    if sending:
        names += [StageName.MAIL_FROM, StageName.RCPT_TO, StageName.DATA]
    return [name.value for name in [*names, StageName.QUIT]]


async def _converse(
    settings: Settings,
    message: EmailMessage | None,
    on_stage: OnStage | None,
    resolver: Resolver | None,
    ca_file: str | None,
    gateway: PlatformGateway | None,
    progress: Progress | None,
) -> SendResult:
    try:
        target = target_for(settings, gateway)
        if message is not None:
            check_message(message)
    except ConfigInvalid as exc:
        return _config_invalid(exc, progress)
    return await _run(target, message, on_stage, resolver, ca_file, progress)


def _config_invalid(exc: ConfigInvalid, progress: Progress | None) -> SendResult:
    result = SendResult(
        ok=False,
        stage="config",
        category=Category.CONFIG_INVALID,
        message=str(exc),
        fix=_("fix the setting named above"),
        command="mailgw check",
    )
    if progress is not None:
        progress.result = result
    return result


async def _run(
    target: Target,
    message: EmailMessage | None,
    on_stage: OnStage | None,
    resolver: Resolver | None,
    ca_file: str | None,
    progress: Progress | None,
    *,
    token_only: bool = False,
) -> SendResult:
    progress = progress or Progress()
    conversation = Conversation(
        target, on_stage=on_stage, resolver=resolver, ca_file=ca_file, progress=progress
    )
    run = conversation.run_token_only() if token_only else conversation.run(message)
    try:
        await asyncio.wait_for(run, timeout=target.timeout)
    except Abort as abort:
        conversation.failure = abort.failure
    except asyncio.TimeoutError:
        conversation.failure = conversation.failure or _deadline(conversation)
    except asyncio.CancelledError:  # keep the record, then let the caller's cancel go on
        conversation.failure = failures.cancelled(conversation.current)
        raise
    finally:
        conversation.close()
        result = progress.result = conversation.result()
        if message is not None:
            result.test_id = str(message.get("X-Mailgw-Test-Id", ""))
    return result


def _deadline(conversation: Conversation) -> Failure:
    target = conversation.target
    if conversation.current == StageName.TOKEN and target.oauth2 is not None:
        return oauth2.token_timeout(target.oauth2, target.timeout)
    return failures.timeout(
        target, conversation.current, conversation.tried, bool(conversation.connected)
    )


__all__ = [
    "TRUST_ALL_WARNING",
    "OnStage",
    "Progress",
    "planned_stages",
    "prefetch_tls",
    "probe",
    "probe_target",
    "send",
    "stages_for",
    "token_check",
]
