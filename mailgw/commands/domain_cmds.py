"""records, dns, spf, dkim-verify: the sender domain from the command line.

The engines live in mailgw.delivery; they (and dnspython, dkimpy) are imported inside each
command so that other commands start fast.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any, TypeVar

import click

from mailgw.commands.common import (
    EXIT_CANNOT_RUN,
    EXIT_OK,
    EXIT_PROBLEMS,
    Context,
    emit_json,
    fail,
    pass_context,
)
from mailgw.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from mailgw.config.model import Settings
    from mailgw.delivery.dkim import DkimReport
    from mailgw.delivery.domain import DomainReport
    from mailgw.delivery.records import Record
    from mailgw.delivery.resolver import ResolverConfig

    T = TypeVar("T")


def register(group: click.Group) -> None:
    for command in (records, dns, spf, dkim_verify):
        group.add_command(command)


def resolver_options(func: Any) -> Any:
    func = click.option(
        "--timeout",
        type=click.FloatRange(0.1, 120),
        default=5.0,
        show_default=True,
        help=N_("Seconds to wait for each DNS answer."),
    )(func)
    return click.option(
        "--nameserver",
        "nameservers",
        multiple=True,
        metavar="IP[:PORT]",
        help=N_(
            "Resolver to ask (repeatable); default: $MAILGW_NAMESERVERS, else "
            "dns.nameservers, else the system's."
        ),
    )(func)


def resolver_config(
    flags: tuple[str, ...],
    timeout: float,
    configured: Callable[[], Settings],
    **extra: Any,
) -> ResolverConfig:
    """The resolver by the rule every front shares (--nameserver wins); the config is read only
    when no --nameserver is given."""
    import os

    from mailgw.delivery.resolver import DnsConfigError, ResolverConfig, choose_nameservers

    try:
        listed = configured().dns.nameservers if not flags else []
        servers = choose_nameservers(flags, listed, os.environ)
    except DnsConfigError as exc:
        fail(str(exc))
    return ResolverConfig(nameservers=servers, timeout=timeout, **extra)


def _settings(ctx: Context) -> Settings:
    from mailgw.config import store

    return store.load(ctx.config_path).settings


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run an engine coroutine, turning its typed errors into one line and exit 2."""
    import asyncio  # here, not at the top: every command would pay for it

    try:
        return asyncio.run(coroutine)
    except ValueError as exc:  # the engines' typed errors are ValueErrors
        if isinstance(exc, _engine_errors()):
            fail(str(exc))
        raise


def _engine_errors() -> tuple[type[ValueError], ...]:
    """Imported only when one is raised: `dns` would otherwise load the DKIM engine for it."""
    from mailgw.delivery.dkim import MessageError
    from mailgw.delivery.resolver import DnsConfigError
    from mailgw.delivery.sender import SenderDomainError
    from mailgw.delivery.spf import SpfInputError

    return DnsConfigError, SenderDomainError, SpfInputError, MessageError


def _exit(code: int) -> None:
    if code != EXIT_OK:
        sys.exit(code)


# ------------------------------------------------------------------ records


@click.command()
@click.option("--domain", help=N_("Domain to publish for (default: the configured sender domain)."))
@resolver_options
@click.option("--offline", is_flag=True, help=N_("Do not look up the current records."))
@click.option("--table", "as_table", is_flag=True, help=N_("Print a table instead of zone lines."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@pass_context
def records(
    ctx: Context,
    domain: str | None,
    nameservers: tuple[str, ...],
    timeout: float,
    offline: bool,
    as_table: bool,
    as_json: bool,
) -> None:
    """The DNS records to publish for the sender domain (merged with the current ones)."""
    from mailgw.delivery.records import propose_records

    settings = _settings(ctx)
    config = (
        None
        if offline
        else resolver_config(nameservers, timeout, lambda: settings, check_authoritative=False)
    )
    proposal = _run(propose_records(settings, resolver_config=config, domain=domain))
    for note in proposal.notes:
        click.echo(_("note: {note}").format(note=note), err=True)
    for problem in proposal.problems:
        click.echo(_("problem: {problem}").format(problem=problem), err=True)
    if as_json:
        emit_json([record.as_dict() for record in proposal.records])
    elif as_table:
        _print_table(proposal.records)
    else:
        _print_zone(proposal.records)
    placeholders = any(record.placeholder for record in proposal.records)
    _exit(EXIT_PROBLEMS if proposal.problems or placeholders else EXIT_OK)


def _print_zone(records: list[Record]) -> None:
    for record in records:
        click.echo(f"; {record.purpose}" + (f" ({record.note})" if record.note else ""))
        click.echo(record.zone_line())


def _print_table(records: list[Record]) -> None:
    rows = [(_("NAME"), _("TYPE"), _("VALUE"), _("PURPOSE"))]
    rows += [(r.name, r.type, r.value, r.purpose) for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(3)]
        click.echo("  ".join([*cells, row[3]]))


# ------------------------------------------------------------------ dns


@click.command()
@click.option("--domain", help=N_("Domain to check (default: the configured sender domain)."))
@resolver_options
@click.option(
    "--watch",
    type=click.IntRange(1, 86400),
    metavar="N",
    help=N_("Re-check every N seconds until everything is ok (Ctrl-C stops)."),
)
@click.option(
    "--authoritative-port",
    type=click.IntRange(1, 65535),
    default=53,
    show_default=True,
    help=N_("Port the domain's own name servers are asked on (propagation check)."),
)
@click.option("--no-authoritative", is_flag=True, help=N_("Skip asking the authoritative servers."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@pass_context
def dns(
    ctx: Context,
    domain: str | None,
    nameservers: tuple[str, ...],
    timeout: float,
    watch: int | None,
    authoritative_port: int,
    no_authoritative: bool,
    as_json: bool,
) -> None:
    """Check the sender domain's DNS records live (SPF, DKIM, DMARC, verification, MX)."""
    from mailgw.delivery.domain import check_domain

    settings = _settings(ctx)
    config = resolver_config(
        nameservers,
        timeout,
        lambda: settings,
        authoritative_port=authoritative_port,
        check_authoritative=not no_authoritative,
    )
    while True:
        report = _run(check_domain(settings, resolver_config=config, domain=domain))
        if as_json:
            data = report.as_dict()
            click.echo(json.dumps(data) if watch else json.dumps(data, indent=2))
        else:
            _print_report(report)
        if not watch or report.ok:
            break
        click.echo(_("-- re-checking in {watch} s (Ctrl-C to stop)").format(watch=watch), err=True)
        time.sleep(watch)
    _exit(EXIT_OK if report.ok else EXIT_PROBLEMS)


def _print_report(report: DomainReport) -> None:
    click.echo(f"{report.domain}")
    for finding in report.findings:
        click.echo(
            f"  {finding.status.mark} {finding.check:<14} {finding.status.value:<8} {finding.title}"
        )
        if finding.status.value == "ok":
            continue
        for label, text in ((_("found"), finding.found), (_("expected"), finding.expected)):
            if text:
                click.echo(f"      {label}: {text}")
        if finding.fix:
            click.echo(_("      fix: {fix}").format(fix=finding.fix))
    for note in report.notes:
        click.echo(_("note: {note}").format(note=note), err=True)


# ------------------------------------------------------------------ spf


@click.command()
@click.option("--ip", required=True, help=N_("The sending client's IP address."))
@click.option("--sender", required=True, help=N_("MAIL FROM address (empty: postmaster@HELO)."))
@click.option("--helo", default="", help=N_("HELO/EHLO name of the client."))
@resolver_options
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@pass_context
def spf(
    ctx: Context,
    ip: str,
    sender: str,
    helo: str,
    nameservers: tuple[str, ...],
    timeout: float,
    as_json: bool,
) -> None:
    """Evaluate SPF (RFC 7208 check_host) for a client IP and sender."""
    from mailgw.delivery.spf import LOOKUP_LIMIT, evaluate_spf

    config = resolver_config(nameservers, timeout, lambda: _settings(ctx))
    result = _run(evaluate_spf(ip, sender, helo, resolver=config))
    if as_json:
        emit_json(result.as_dict())
    else:
        click.echo(f"{result.result}: {result.explanation}")
        click.echo(_("domain: {value}").format(value=result.domain or "-"))
        lookups = _("lookups: {lookups} (limit {lookup_limit})").format(
            lookups=result.lookups, lookup_limit=LOOKUP_LIMIT
        )
        click.echo(
            _("{lookups}, void lookups: {void_lookups}").format(
                lookups=lookups, void_lookups=result.void_lookups
            )
        )
    if result.result == "temperror":
        _exit(EXIT_CANNOT_RUN)
    _exit(EXIT_OK if result.result == "pass" else EXIT_PROBLEMS)


# ------------------------------------------------------------------ dkim-verify


@click.command("dkim-verify")
@click.argument("source", type=click.File("rb"), metavar="FILE|-")
@resolver_options
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@pass_context
def dkim_verify(
    ctx: Context, source: Any, nameservers: tuple[str, ...], timeout: float, as_json: bool
) -> None:
    """Verify every DKIM signature of a received message (.eml, or "-" for pasted text)."""
    from mailgw.delivery.dkim import MessageError, read_message, verify_message

    try:
        raw = read_message(source)  # a file over the limit is refused before it is read
    except MessageError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(_("cannot read the message: {value}").format(value=exc.strerror or exc))
    config = resolver_config(nameservers, timeout, lambda: _settings(ctx))
    report = _run(verify_message(raw, resolver=config))
    if as_json:
        emit_json(report.as_dict())
    else:
        _print_dkim(report)
    _exit(EXIT_OK if report.ok else EXIT_PROBLEMS)


def _print_dkim(report: DkimReport) -> None:
    from_domain = report.from_domain or _("(no From header)")
    click.echo(_("From domain: {from_domain}").format(from_domain=from_domain))
    if not report.signatures:
        click.echo(_("no DKIM-Signature in this message"))
    for sig in report.signatures:
        mark = "✓" if sig.result == "pass" else "✗" if sig.result in ("fail", "permerror") else "?"
        align = (
            _("aligned with From")
            if sig.aligned
            else _("not aligned with {from_domain}").format(from_domain=report.from_domain)
        )
        size = _(", {key_bits}-bit key").format(key_bits=sig.key_bits) if sig.key_bits else ""
        testing = _(", testing (t=y)") if sig.testing else ""
        click.echo(
            _(
                "{mark} signature {value}: d={domain} s={selector} a={algorithm}: "
                "{result}{size}{testing}; {align}"
            ).format(
                mark=mark,
                value=sig.index + 1,
                domain=sig.domain,
                selector=sig.selector,
                algorithm=sig.algorithm,
                result=sig.result,
                size=size,
                testing=testing,
                align=align,
            )
        )
        click.echo(f"    {sig.why}")
    for item in report.authentication_results:
        extra = " ".join(f"{k}={v}" for k, v in item.properties.items())
        click.echo(
            _("receiver {authserv_id}: {method}={result} {extra}")
            .format(
                authserv_id=item.authserv_id, method=item.method, result=item.result, extra=extra
            )
            .rstrip()
        )
    passed = [s for s in report.signatures if s.result == "pass"]
    if report.signatures:
        aligned = any(s.aligned for s in passed)
        verdict = _("an aligned signature passes") if aligned else _("no aligned signature passes")
        click.echo(
            ngettext(
                "{passed} of {signatures} signature passes; {verdict}",
                "{passed} of {signatures} signatures pass; {verdict}",
                len(report.signatures),
            ).format(passed=len(passed), signatures=len(report.signatures), verdict=verdict)
        )
    for problem in report.problems:
        click.echo(_("note: {problem}").format(problem=problem), err=True)
