"""test-send, probe, detect: the live SMTP checks. The delivery layer is imported lazily."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import click

from mailgw.commands.common import (
    EXIT_CANNOT_RUN,
    EXIT_PROBLEMS,
    Context,
    Interrupted,
    emit_json,
    fail,
    is_termination,
    pass_context,
)
from mailgw.commands.receive_cmds import (
    check_receipt,
    receive_options,
    refuse_unreadable_mailbox,
)
from mailgw.config import store
from mailgw.delivery.kinds import KINDS
from mailgw.i18n import LANGUAGES, N_, _

if TYPE_CHECKING:
    from mailgw.config.model import Settings
    from mailgw.delivery.detect import Candidate, DetectReport, PortReport
    from mailgw.delivery.results import Progress, SendResult
    from mailgw.delivery.tls import TlsInfo

T = TypeVar("T")


def register(group: click.Group) -> None:
    for command in (test_send, probe, token, detect):
        group.add_command(command)


@click.command("test-send")
@click.option(
    "--to", "to", required=True, metavar="ADDR", help=N_("Recipient of the test message.")
)
@click.option("--kind", type=click.Choice(KINDS), default="test", show_default=True)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    help=N_("Language of the message (default: the language mailgw runs in)."),
)
@click.option("--transcript", is_flag=True, help=N_("Print the SMTP dialogue (password masked)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@receive_options
@pass_context
def test_send(
    ctx: Context,
    to: str,
    kind: str,
    lang: str | None,
    transcript: bool,
    as_json: bool,
    receive: bool,
    **options: Any,
) -> None:
    """Send a sample message through the configured server, as the platform would."""
    from mailgw.delivery import smtp
    from mailgw.delivery.errors import MessageInvalid
    from mailgw.delivery.messages import build_message
    from mailgw.delivery.results import Progress

    settings = store.load(ctx.config_path).settings
    smtp.prefetch_tls(settings)
    try:
        message = build_message(settings, kind, to, lang=lang)
    except MessageInvalid as exc:
        fail(str(exc))
    if receive:
        refuse_unreadable_mailbox(settings, as_json)  # before a mail nobody could verify
    progress = Progress()
    result = _run_live(smtp.send(settings, message, progress=progress), progress)
    if not (receive and result.ok):
        _finish(result, as_json=as_json, transcript=transcript)
        return
    if not as_json:
        _print_result(result, transcript)
    check_receipt(settings, result.test_id, result.as_dict(), {"as_json": as_json, **options})


@click.command()
@click.option("--transcript", is_flag=True, help=N_("Print the SMTP dialogue (password masked)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@pass_context
def probe(ctx: Context, transcript: bool, as_json: bool) -> None:
    """Connect, TLS, EHLO and log in to the configured server, then quit without sending."""
    from mailgw.delivery import smtp

    _check(ctx, smtp.probe, as_json=as_json, transcript=transcript)


@click.command()
@click.option("--transcript", is_flag=True, help=N_("Print the token request (secrets masked)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@pass_context
def token(ctx: Context, transcript: bool, as_json: bool) -> None:
    """Get an OAuth 2.0 token as the platform would, without contacting the SMTP server."""
    from mailgw.delivery import smtp

    _check(ctx, smtp.token_check, as_json=as_json, transcript=transcript)


def _check(ctx: Context, check: Any, *, as_json: bool, transcript: bool) -> None:
    """A live check of the saved settings that sends nothing (probe, token)."""
    from mailgw.delivery import smtp
    from mailgw.delivery.results import Progress

    settings = store.load(ctx.config_path).settings
    if check is smtp.probe:
        smtp.prefetch_tls(settings)
    progress = Progress()
    result = _run_live(check(settings, progress=progress), progress)
    _finish(result, as_json=as_json, transcript=transcript)


def _run_live(work: Coroutine[Any, Any, T], progress: Progress | None = None) -> T:
    """Run network work; Ctrl-C cancels it (the connection is closed) and exits 130."""
    try:
        import asyncio  # here, not at the top: every command would pay for it

        return asyncio.run(work)
    except KeyboardInterrupt as exc:  # the one interrupt rule (mailgw.cli) says the rest
        from mailgw.delivery.results import stage_label

        record = progress.result if progress is not None else None
        where = (
            _(" during {stage}").format(stage=stage_label(record.stage))
            if record is not None
            else ""
        )
        detail = _("{where}; the connection was closed").format(where=where)
        raise Interrupted(detail, terminated=is_termination(exc)) from None


def _finish(result: SendResult, *, as_json: bool, transcript: bool) -> None:
    if as_json:
        emit_json(result.as_dict())
    else:
        _print_result(result, transcript)
    if result.category is not None:
        _exit(EXIT_CANNOT_RUN if result.category.value == "config_invalid" else EXIT_PROBLEMS)


def _exit(code: int) -> None:
    """Exit with `code`."""
    # SystemExit, not ctx.exit(): in non-standalone mode click returns ctx.exit's code from
    # main(), and mailgw.cli.run does not pass it on.
    raise SystemExit(code)


def _print_result(result: SendResult, transcript: bool) -> None:
    from mailgw.delivery.results import stage_label

    if result.host:
        click.echo(
            _("server: {host} port {port}, security {security}").format(
                host=result.host, port=result.port, security=result.security
            )
        )
    for stage in result.stages:
        mark = "✓" if stage.ok else "✗"
        click.echo(f"  {mark} {stage_label(stage.name):<18}{stage.ms:8.1f} ms")
    if result.tls:
        _print_tls(result.tls)
    if result.server and result.server.auth_mechanisms:
        click.echo(
            _("AUTH offered: {auth_mechanisms}").format(
                auth_mechanisms=" ".join(result.server.auth_mechanisms)
            )
        )
    if transcript:
        click.echo(_("transcript:"))
        for line in result.transcript:
            click.echo(f"  {line}")
    for warning in result.warnings:
        click.echo(_("warning: {warning}").format(warning=warning))
    if result.ok:
        test_id = (
            _(" (X-Mailgw-Test-Id: {test_id})").format(test_id=result.test_id)
            if result.test_id
            else ""
        )
        click.echo(f"ok: {result.message}{test_id}")
    else:
        category = result.category.value if result.category else "failed"
        click.echo(
            _("failed at {stage} [{category}]: {message}").format(
                stage=stage_label(result.stage), category=category, message=result.message
            )
        )
        click.echo(_("fix: {fix}").format(fix=result.shell_fix()))


def _print_tls(tls: TlsInfo) -> None:
    from mailgw.delivery.tls import summary

    click.echo(summary(tls))
    click.echo(_("  subject:  {subject}").format(subject=tls.subject))
    self_signed = _("  (self-signed)") if tls.self_signed else ""
    click.echo(
        _("  issuer:   {issuer}{self_signed}").format(issuer=tls.issuer, self_signed=self_signed)
    )
    click.echo(_("  names:    {value}").format(value=", ".join(tls.sans) or _("(none)")))
    expiry = _("  EXPIRED") if tls.expired else ""
    click.echo(
        _("  valid:    {not_before} to {not_after}{expiry}").format(
            not_before=tls.not_before, not_after=tls.not_after, expiry=expiry
        )
    )
    click.echo(
        _("  host name matches: {value}").format(value=_("yes") if tls.hostname_match else _("NO"))
    )
    click.echo(
        _("  SHA-256:  {fingerprint_sha256}").format(fingerprint_sha256=tls.fingerprint_sha256)
    )


@click.command()
@click.argument("host", required=False)
@click.option(
    "--apply", "apply_", is_flag=True, help=N_("Save the recommended host, port, security.")
)
@click.option(
    "--pin",
    is_flag=True,
    help=N_(
        "With --apply: if the recommended port's certificate is not valid, "
        "trust exactly the certificate seen (saved as smtp.tls_fingerprint)."
    ),
)
@click.option(
    "--allow-downgrade",
    is_flag=True,
    help=N_(
        "With --apply: accept a recommendation without TLS when smtp.security is ssl or "
        "starttls (mail would then go in clear)."
    ),
)
@click.option(
    "--ports",
    default="465:ssl,587:starttls,25:starttls",
    show_default=True,
    help=N_("Ports to probe, each PORT[:ssl|starttls]."),
)
@click.option(
    "--timeout", type=float, default=10.0, show_default=True, help=N_("Seconds per port.")
)
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@pass_context
def detect(
    ctx: Context,
    host: str | None,
    apply_: bool,
    pin: bool,
    allow_downgrade: bool,
    ports: str,
    timeout: float,
    as_json: bool,
) -> None:
    """Probe a server's submission ports at once and recommend the best (default: smtp.host)."""
    from mailgw.delivery import detect as detection
    from mailgw.delivery.target import helo_name

    if pin and not apply_:
        fail(_("--pin only works with --apply"))
    if allow_downgrade and not apply_:
        fail(_("--allow-downgrade only works with --apply"))
    loaded = store.load(ctx.config_path)
    host = (host or loaded.settings.smtp.host).strip()
    if not host:
        fail(_("no host given and smtp.host is empty; run: mailgw detect HOST"))
    candidates = parse_ports(ports)
    report = _run_live(
        detection.detect(
            host, candidates=candidates, timeout=timeout, helo_name=helo_name(loaded.settings)
        )
    )
    configured = loaded.settings.smtp.security
    best = report.recommended
    weaker = best is not None and detection.is_downgrade(configured, best.security)
    if as_json:
        emit_json({**report.as_dict(), "weaker_than_configured": weaker})
    else:
        _print_report(report, weaker=weaker)
        _warn_without_xoauth2(loaded.settings, best)
    if best is None:
        _exit(EXIT_PROBLEMS)
    if weaker and not allow_downgrade:
        click.echo(_refused_downgrade(detection.downgrade_risk(best.port, configured)), err=True)
        _exit(EXIT_PROBLEMS)
    if apply_:
        _apply(ctx, host, best, pin=pin, allow_downgrade=allow_downgrade)


def _refused_downgrade(risk: str) -> str:
    return _(
        "mailgw: not recommended: {risk}. Check the network path; to send in clear anyway, "
        "run again with --apply --allow-downgrade"
    ).format(risk=risk)


def _warn_without_xoauth2(settings: Settings, best: PortReport | None) -> None:
    """detect logs in to nothing; with an OAuth 2.0 login, say when XOAUTH2 is not offered."""
    from mailgw.config.validate import uses_oauth2

    offered = best.server.auth_mechanisms if best and best.server else ()
    if best is not None and uses_oauth2(settings) and "XOAUTH2" not in offered:
        click.echo(
            _(
                "warning: port {port} does not offer AUTH XOAUTH2, which smtp.auth.method = "
                "oauth2 needs"
            ).format(port=best.port)
        )


def parse_ports(spec: str) -> list[Candidate]:
    """`--ports` / `--detect-ports`: PORT[:ssl|starttls],... as detect candidates."""
    from mailgw.config.model import Security
    from mailgw.delivery.detect import Candidate

    candidates = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        port_text, _colon, security = item.partition(":")
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            fail(_("--ports: {item!r} is not PORT[:ssl|starttls]").format(item=item))
        port = int(port_text)
        default = "ssl" if port == 465 else "starttls"
        if (security or default) not in ("ssl", "starttls"):
            fail(_("--ports: security in {item!r} must be ssl or starttls").format(item=item))
        candidates.append(Candidate(port, Security(security or default)))
    if not candidates:
        fail(_("--ports lists no port"))
    return candidates


def _print_report(report: DetectReport, *, weaker: bool) -> None:
    click.echo(_("host: {host}").format(host=report.host))
    for port in report.ports:
        _print_port(port.as_dict())
    best = report.recommended
    if best is None:
        click.echo(report.nothing_works())
    elif not weaker:  # a recommendation weaker than configured is refused on stderr
        click.echo(
            _("recommended: port {port}, security {security}").format(
                port=best.port, security=best.security
            )
        )
        if best.certificate_valid is False:
            click.echo(
                _("warning: {certificate_problem}; pin it with smtp.tls_fingerprint").format(
                    certificate_problem=best.certificate_problem
                )
            )


def _print_port(port: dict[str, Any]) -> None:
    if not port["security"]:
        click.echo(f"  ✗ {port['port']:>5}  {port['category']}: {port['message']}")
        return
    tls = port["tls"]
    cert = {True: _("certificate valid"), False: _("certificate NOT valid"), None: _("no TLS")}
    size = f", SIZE {port['size']}" if port["size"] else ""
    auth = " ".join(port["auth_mechanisms"]) or "none"
    click.echo(
        f"  ✓ {port['port']:>5}  {port['security']}, {cert[port['certificate_valid']]}, "
        f"AUTH {auth}{size}" + (f", TLS {tls['protocol']}" if tls else "")
    )
    if port["certificate_problem"]:
        click.echo(f"           {port['certificate_problem']}")
    if tls:
        click.echo(f"           SHA-256 {tls['fingerprint_sha256']}")


def _apply(ctx: Context, host: str, best: PortReport, *, pin: bool, allow_downgrade: bool) -> None:
    from mailgw.commands.config_cmds import save_edits
    from mailgw.config.editing import EditSession
    from mailgw.delivery.detect import CertificateNotTrusted, recommended_values

    session = EditSession.open_strict(ctx.config_path)
    try:
        values = recommended_values(
            host,
            best,
            pin=pin,
            configured=session.settings.smtp.security,
            allow_downgrade=allow_downgrade,
        )
        session.update(values)
    except CertificateNotTrusted as exc:
        click.echo(
            _(
                "mailgw: not saved: the certificate on port {port} is not valid "
                "({certificate_problem}), so mail could not be sent with it; if you "
                "trust this server, run again with --apply --pin to pin SHA-256 "
                "{value}"
            ).format(
                port=exc.port,
                certificate_problem=exc.problem,
                value=exc.fingerprint or "?",
            ),
            err=True,
        )
        _exit(EXIT_PROBLEMS)
    result = save_edits(ctx, session, force=False)
    if result is not None:
        click.echo(_("saved to {path}").format(path=result.path))
