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

from mailgw.cli import (
    EXIT_CANNOT_RUN,
    EXIT_OK,
    EXIT_PROBLEMS,
    Context,
    emit_json,
    fail,
    pass_context,
)

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from mailgw.config.model import Settings
    from mailgw.delivery.dkim import DkimReport
    from mailgw.delivery.domain import DomainReport
    from mailgw.delivery.records import Record
    from mailgw.delivery.resolver import ResolverConfig

    T = TypeVar("T")


def register(group: click.Group) -> None:
    for command in (records, dns, spf, dkim_verify):
        group.add_command(command)


def _resolver_options(func: Any) -> Any:
    func = click.option(
        "--timeout",
        type=click.FloatRange(0.1, 120),
        default=5.0,
        show_default=True,
        help="Seconds to wait for each DNS answer.",
    )(func)
    return click.option(
        "--nameserver",
        "nameservers",
        multiple=True,
        metavar="IP[:PORT]",
        help="Resolver to ask (repeatable); default: the system's.",
    )(func)


def _config(nameservers: tuple[str, ...], timeout: float, **extra: Any) -> ResolverConfig:
    from mailgw.delivery.resolver import DnsConfigError, ResolverConfig, parse_nameserver

    try:
        for server in nameservers:
            parse_nameserver(server)
    except DnsConfigError as exc:
        fail(str(exc))
    return ResolverConfig(nameservers=tuple(nameservers), timeout=timeout, **extra)


def _settings(ctx: Context) -> Settings:
    from mailgw.config import store

    return store.load(ctx.config_path).settings


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run an engine coroutine, turning its typed errors into one line and exit 2."""
    from mailgw.delivery.dkim import MessageError
    from mailgw.delivery.resolver import DnsConfigError
    from mailgw.delivery.sender import SenderDomainError
    from mailgw.delivery.spf import SpfInputError

    try:
        import asyncio  # here, not at the top: every command would pay for it

        return asyncio.run(coroutine)
    except (DnsConfigError, SenderDomainError, SpfInputError, MessageError) as exc:
        fail(str(exc))


def _exit(code: int) -> None:
    if code != EXIT_OK:
        sys.exit(code)


# ------------------------------------------------------------------ records


@click.command()
@click.option("--domain", help="Domain to publish for (default: the configured sender domain).")
@_resolver_options
@click.option("--offline", is_flag=True, help="Do not look up the current records.")
@click.option("--table", "as_table", is_flag=True, help="Print a table instead of zone lines.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
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
    config = None if offline else _config(nameservers, timeout, check_authoritative=False)
    proposal = _run(propose_records(settings, resolver_config=config, domain=domain))
    for note in proposal.notes:
        click.echo(f"note: {note}", err=True)
    for problem in proposal.problems:
        click.echo(f"problem: {problem}", err=True)
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
    rows = [("NAME", "TYPE", "VALUE", "PURPOSE")]
    rows += [(r.name, r.type, r.value, r.purpose) for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(3)]
        click.echo("  ".join([*cells, row[3]]))


# ------------------------------------------------------------------ dns


@click.command()
@click.option("--domain", help="Domain to check (default: the configured sender domain).")
@_resolver_options
@click.option(
    "--watch",
    type=click.IntRange(1, 86400),
    metavar="N",
    help="Re-check every N seconds until everything is ok (Ctrl-C stops).",
)
@click.option(
    "--authoritative-port",
    type=click.IntRange(1, 65535),
    default=53,
    show_default=True,
    help="Port the domain's own name servers are asked on (propagation check).",
)
@click.option("--no-authoritative", is_flag=True, help="Skip asking the authoritative servers.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
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
    config = _config(
        nameservers,
        timeout,
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
        click.echo(f"-- re-checking in {watch} s (Ctrl-C to stop)", err=True)
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
        for label, text in (("found", finding.found), ("expected", finding.expected)):
            if text:
                click.echo(f"      {label}: {text}")
        if finding.fix:
            click.echo(f"      fix: {finding.fix}")
    for note in report.notes:
        click.echo(f"note: {note}", err=True)


# ------------------------------------------------------------------ spf


@click.command()
@click.option("--ip", required=True, help="The sending client's IP address.")
@click.option("--sender", required=True, help="MAIL FROM address (empty: postmaster@HELO).")
@click.option("--helo", default="", help="HELO/EHLO name of the client.")
@_resolver_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def spf(
    ip: str, sender: str, helo: str, nameservers: tuple[str, ...], timeout: float, as_json: bool
) -> None:
    """Evaluate SPF (RFC 7208 check_host) for a client IP and sender."""
    from mailgw.delivery.spf import LOOKUP_LIMIT, evaluate_spf

    config = _config(nameservers, timeout)
    result = _run(evaluate_spf(ip, sender, helo, resolver=config))
    if as_json:
        emit_json(result.as_dict())
    else:
        click.echo(f"{result.result}: {result.explanation}")
        click.echo(f"domain: {result.domain or '-'}")
        lookups = f"lookups: {result.lookups} (limit {LOOKUP_LIMIT})"
        click.echo(f"{lookups}, void lookups: {result.void_lookups}")
    if result.result == "temperror":
        _exit(EXIT_CANNOT_RUN)
    _exit(EXIT_OK if result.result == "pass" else EXIT_PROBLEMS)


# ------------------------------------------------------------------ dkim-verify


@click.command("dkim-verify")
@click.argument("source", type=click.File("rb"), metavar="FILE|-")
@_resolver_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def dkim_verify(source: Any, nameservers: tuple[str, ...], timeout: float, as_json: bool) -> None:
    """Verify every DKIM signature of a received message (.eml, or "-" for pasted text)."""
    from mailgw.delivery.dkim import verify_message

    try:
        raw = source.read()
    except OSError as exc:
        fail(f"cannot read the message: {exc.strerror or exc}")
    config = _config(nameservers, timeout)
    report = _run(verify_message(raw, resolver=config))
    if as_json:
        emit_json(report.as_dict())
    else:
        _print_dkim(report)
    _exit(EXIT_OK if report.ok else EXIT_PROBLEMS)


def _print_dkim(report: DkimReport) -> None:
    click.echo(f"From domain: {report.from_domain or '(no From header)'}")
    if not report.signatures:
        click.echo("no DKIM-Signature in this message")
    for sig in report.signatures:
        mark = "✓" if sig.result == "pass" else "✗" if sig.result in ("fail", "permerror") else "?"
        align = "aligned with From" if sig.aligned else f"not aligned with {report.from_domain}"
        size = f", {sig.key_bits}-bit key" if sig.key_bits else ""
        testing = ", testing (t=y)" if sig.testing else ""
        click.echo(
            f"{mark} signature {sig.index + 1}: d={sig.domain} s={sig.selector} "
            f"a={sig.algorithm}: {sig.result}{size}{testing}; {align}"
        )
        click.echo(f"    {sig.why}")
    for item in report.authentication_results:
        extra = " ".join(f"{k}={v}" for k, v in item.properties.items())
        click.echo(f"receiver {item.authserv_id}: {item.method}={item.result} {extra}".rstrip())
    passed = [s for s in report.signatures if s.result == "pass"]
    if report.signatures:
        aligned = any(s.aligned for s in passed)
        verdict = "an aligned signature passes" if aligned else "no aligned signature passes"
        click.echo(f"{len(passed)} of {len(report.signatures)} signatures pass; {verdict}")
    for problem in report.problems:
        click.echo(f"note: {problem}", err=True)
