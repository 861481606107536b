"""Auto-detect: probe the usual submission ports of a host at once and recommend the best."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mailgw.config.model import Gateway, Security
from mailgw.delivery.errors import DeliveryError
from mailgw.delivery.hosts import Resolver, resolve_host
from mailgw.delivery.pinning import pin_values
from mailgw.delivery.results import Category, SendResult, ServerInfo
from mailgw.delivery.smtp import probe_target
from mailgw.delivery.target import Target
from mailgw.delivery.tls import TlsInfo
from mailgw.i18n import _, ngettext


@dataclass(frozen=True)
class Candidate:
    """A port to try and the security to try it with (starttls also notices plain servers)."""

    port: int
    security: Security


DEFAULT_CANDIDATES = (
    Candidate(465, Security.SSL),
    Candidate(587, Security.STARTTLS),
    Candidate(25, Security.STARTTLS),
)


def typed_first(candidates: Sequence[Candidate], port: int, security: Security) -> list[Candidate]:
    """The port on screen first (with its security; starttls also notices a plain server),
    then the other candidates; a port that is not a port is left out."""
    if not 1 <= port <= 65535:
        return list(candidates)
    typed = Candidate(port, security if security == Security.SSL else Security.STARTTLS)
    return [typed, *(c for c in candidates if c.port != port)]


@dataclass
class PortReport:
    """What one port offers; `security` is what works there ("" when nothing does)."""

    port: int
    tried: Security
    security: str = ""
    reachable: bool = False
    tls: TlsInfo | None = None
    certificate_valid: bool | None = None
    certificate_problem: str = ""
    server: ServerInfo | None = None
    category: Category | None = None
    message: str = ""

    @property
    def works(self) -> bool:
        return bool(self.security)

    def rank(self) -> int:
        """Lower is better: implicit TLS, then STARTTLS, valid certificates first, plain last."""
        order = {"ssl": 0, "starttls": 1}.get(self.security, 4)
        return order + (2 if self.certificate_valid is False else 0)

    def as_dict(self) -> dict[str, Any]:
        server = self.server
        return {
            "port": self.port,
            "tried": self.tried.value,
            "security": self.security or None,
            "reachable": self.reachable,
            "tls": self.tls.as_dict() if self.tls else None,
            "certificate_valid": self.certificate_valid,
            "certificate_problem": self.certificate_problem,
            "auth_mechanisms": list(server.auth_mechanisms) if server else [],
            "size": server.size if server else None,
            "starttls": server.starttls if server else False,
            "category": self.category.value if self.category else None,
            "message": self.message,
        }


@dataclass
class DetectReport:
    host: str
    ports: list[PortReport] = field(default_factory=list)

    @property
    def recommended(self) -> PortReport | None:
        working = [report for report in self.ports if report.works]
        return min(working, key=lambda r: (r.rank(), r.port), default=None)

    def nothing_works(self) -> str:
        """Why no port can be recommended, blaming the network only when nothing connected."""
        connected = [str(report.port) for report in self.ports if report.reachable]
        if connected:
            took = ngettext(
                "No port works, though port {ports} took a connection: see each port's reason.",
                "No port works, though ports {ports} took a connection: see each port's reason.",
                len(connected),
            )
            return took.format(ports=", ".join(connected))
        if self.ports and all(report.category == Category.DNS for report in self.ports):
            return _("The host name {host} does not resolve: check it for typos.").format(
                host=self.host
            )
        return _("No port took a connection: check the host name and the outbound firewall.")

    def as_dict(self) -> dict[str, Any]:
        best = self.recommended
        return {
            "host": self.host,
            "ok": best is not None,
            "recommended": {"port": best.port, "security": best.security} if best else None,
            "ports": [report.as_dict() for report in self.ports],
        }


async def detect(
    host: str,
    *,
    candidates: Sequence[Candidate] = DEFAULT_CANDIDATES,
    timeout: float = 10.0,
    helo_name: str = "",
    resolver: Resolver | None = None,
    ca_file: str | None = None,
    on_result: Callable[[PortReport], None] | None = None,
    progress: DetectReport | None = None,
) -> DetectReport:
    """Probe every candidate port of `host` concurrently, each within `timeout` seconds.

    Cancelling the task stops every probe and raises CancelledError; a `progress` report passed
    in then holds the ports that finished, and the others as `cancelled`.
    """
    report = progress if progress is not None else DetectReport(host)
    base = Target(
        host=host,
        port=0,
        security=Security.NONE,
        timeout=timeout,
        helo_name=helo_name or socket.gethostname() or "localhost",
    )
    lookup = _resolve_once(resolver)

    async def check(candidate: Candidate) -> PortReport:
        target = dataclasses.replace(base, port=candidate.port, security=candidate.security)
        port_report = await _check(target, lookup, ca_file)
        if on_result is not None:
            on_result(port_report)
        return port_report

    tasks = {asyncio.ensure_future(check(c)): c for c in candidates}
    try:
        await asyncio.wait(list(tasks))
    except asyncio.CancelledError:  # like send(): stop every probe, keep the record, re-raise
        for task in tasks:
            task.cancel()
        await asyncio.wait(list(tasks))
        raise
    finally:
        report.ports = sorted((_outcome(t, c) for t, c in tasks.items()), key=lambda r: r.port)
    return report


def _outcome(task: asyncio.Task[PortReport], candidate: Candidate) -> PortReport:
    if task.done() and not task.cancelled():
        return task.result()
    return PortReport(
        candidate.port,
        candidate.security,
        category=Category.CANCELLED,
        message=_("cancelled before this port answered"),
    )


async def _check(target: Target, resolver: Resolver, ca_file: str | None) -> PortReport:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + target.timeout
    result = await probe_target(target, resolver=resolver, ca_file=ca_file)
    report = PortReport(target.port, target.security, tls=result.tls, server=result.server)
    report.reachable = result.connected
    if result.ok:
        report.security = target.security.value
        report.certificate_valid = True if result.tls else None
    elif result.category == Category.STARTTLS_UNAVAILABLE:
        report.security = Security.NONE.value
    elif result.category == Category.CERTIFICATE:
        report.certificate_valid, report.certificate_problem = False, result.message
        await _check_unverified(report, target, deadline - loop.time(), resolver, ca_file)
    _note_failure(report, result)
    return report


async def _check_unverified(
    report: PortReport, target: Target, left: float, resolver: Resolver, ca_file: str | None
) -> None:
    """What the port offers past its certificate, within what is left of the port's budget."""
    if left <= 0:
        return
    retry = dataclasses.replace(target, trust_all=True, timeout=left)
    again = await probe_target(retry, resolver=resolver, ca_file=ca_file)
    if again.ok:
        report.security, report.server = target.security.value, again.server


def _note_failure(report: PortReport, result: SendResult) -> None:
    if not result.ok:
        report.category, report.message = result.category, result.message


def _resolve_once(resolver: Resolver | None) -> Resolver:
    """One lookup shared by every port's probe."""
    pending: dict[str, asyncio.Task[list[str]]] = {}

    async def resolve(host: str) -> list[str]:
        if host not in pending:
            pending[host] = asyncio.ensure_future(resolve_host(host, resolver))
        return list(await asyncio.shield(pending[host]))

    return resolve


class CertificateNotTrusted(DeliveryError):
    """A recommendation whose certificate does not verify: only a pin makes it usable."""

    def __init__(self, port: int, problem: str, fingerprint: str) -> None:
        self.port, self.problem, self.fingerprint = port, problem, fingerprint
        super().__init__(
            _("the certificate on port {port} is not valid ({problem})").format(
                port=port, problem=problem
            )
        )


def recommended_values(
    host: str,
    best: PortReport,
    *,
    pin: bool = False,
    configured: Security | str = Security.NONE,
    allow_downgrade: bool = False,
) -> dict[str, Any]:
    """The settings a detect result gives, for the editing layer to apply in every front.

    A certificate that does not verify is taken only when pinned, because mail could not be
    sent with it otherwise; plain text where `configured` is TLS only when `allow_downgrade`
    says the admin accepted the risk (WeakerSecurity otherwise: one stripped STARTTLS must not
    turn every later mail into clear text). Another host's pin and trust_all go by the editing
    layer's rule.
    """
    if is_downgrade(configured, best.security) and not allow_downgrade:
        raise WeakerSecurity(best.port, Security(configured))
    fingerprint = best.tls.fingerprint_sha256 if best.tls else ""
    if best.certificate_valid is False and not (pin and fingerprint):
        raise CertificateNotTrusted(best.port, best.certificate_problem, fingerprint)
    values: dict[str, Any] = {
        "smtp.gateway": Gateway.CUSTOM.value,
        "smtp.host": host,
        "smtp.port": best.port,
        "smtp.security": Security(best.security).value,
    }
    if best.certificate_valid is False:
        values.update(pin_values(fingerprint))
    return values


class WeakerSecurity(DeliveryError):
    """The recommendation sends in clear where TLS is configured: only an explicit yes takes it."""

    def __init__(self, port: int, configured: Security) -> None:
        self.port, self.configured = port, configured
        super().__init__(downgrade_risk(port, configured))


def is_downgrade(configured: Security | str, offered: str) -> bool:
    """True when `offered` is weaker than `configured`: plain text where TLS was set."""
    return (
        bool(offered)
        and Security(offered) == Security.NONE
        and Security(configured) != Security.NONE
    )


def downgrade_risk(port: int, configured: Security | str) -> str:
    """The risk of taking plain text where TLS was configured, in one sentence for every front."""
    return _(
        "no port offered TLS, so the recommendation (port {port}, security none) is weaker than "
        "the configured {configured}: a machine on the path may have removed STARTTLS from the "
        "server's answer, and all later mail would go in clear"
    ).format(port=port, configured=Security(configured).value)
