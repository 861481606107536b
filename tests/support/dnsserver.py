"""A small authoritative DNS server on loopback, for tests and benchmarks.

Serves a zone held in memory over UDP and TCP on the same port, from a background thread running
its own asyncio loop. Knobs for the cases tests need: names that never answer or SERVFAIL, a
server-wide SERVFAIL or silence, an added delay per answer (server-wide, or held longer for some
names), and truncation of UDP answers larger than the client's buffer (so resolvers must retry
over TCP). `events` records when each query arrived and each answer left, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

DEFAULT_TTL = 300


def txt(value: str) -> str:
    """A TXT rdata in presentation form: escaped and split into strings of at most 255 bytes."""
    raw = value.encode("utf-8")
    chunks = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
    return " ".join('"' + _escape(chunk) + '"' for chunk in chunks)


def _escape(chunk: bytes) -> str:
    out = []
    for byte in chunk:
        if byte in (0x22, 0x5C):  # quote, backslash
            out.append("\\" + chr(byte))
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return "".join(out)


@dataclass
class Zone:
    """Records by (name, type): presentation-form rdata strings, as in a zone file."""

    records: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    ttls: dict[tuple[str, str], int] = field(default_factory=dict)
    silent_names: set[str] = field(default_factory=set)  # queries for these get no answer
    servfail_names: set[str] = field(default_factory=set)
    servfail_questions: set[tuple[str, str]] = field(default_factory=set)  # (name., TYPE) only
    # these answer the types they hold and never answer any other type (a half-broken server)
    silent_for_other_types: set[str] = field(default_factory=set)
    held: dict[str, float] = field(default_factory=dict)  # name -> seconds its answers wait
    serial: int = 1

    def add(self, name: str, rdtype: str, *values: str, ttl: int = DEFAULT_TTL) -> Zone:
        key = (_norm(name), rdtype.upper())
        self.records.setdefault(key, []).extend(values)
        self.ttls[key] = ttl
        return self

    def add_txt(self, name: str, *values: str, ttl: int = DEFAULT_TTL) -> Zone:
        return self.add(name, "TXT", *(txt(value) for value in values), ttl=ttl)

    def remove(self, name: str, rdtype: str) -> None:
        self.records.pop((_norm(name), rdtype.upper()), None)

    def names(self) -> set[str]:
        return {name for name, _ in self.records}


def _norm(name: str) -> str:
    """The name as the server sees it in a question (escaped like dnspython's to_text)."""
    plain = name.lower().rstrip(".") + "."
    try:
        return dns.name.from_text(plain).to_text().lower()
    except dns.exception.DNSException:  # e.g. a label over 63 bytes: never asked for anyway
        return plain


class LoopbackDNSServer:
    """Authoritative answers from a Zone, on host:port (port 0 picks a free one)."""

    def __init__(
        self,
        zone: Zone | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        delay: float = 0.0,
    ) -> None:
        self.zone = zone or Zone()
        self.host = host
        self.requested_port = port
        self.delay = delay
        self.servfail_all = False
        self.silent = False
        self.truncate_tcp = False  # answer over TCP too with TC and nothing in it (broken server)
        self.queries: list[tuple[str, str, str]] = []  # (transport, name, type)
        # (time.monotonic(), "query" | "answer", name, type): the order things happened in
        self.events: list[tuple[float, str, str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.port = 0

    # ------------------------------------------------------------ lifecycle

    def start(self) -> LoopbackDNSServer:
        self._thread = threading.Thread(target=self._run, name="loopback-dns", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("loopback DNS server did not start within 10 s")
        if self._error:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread:
            self._thread.join(10)

    def __enter__(self) -> LoopbackDNSServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def nameserver(self) -> str:
        """As `--nameserver` takes it: IP:PORT."""
        return f"{self.host}:{self.port}"

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # surfaced to start()
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        udp_sock, tcp_sock = _bind_pair(self.host, self.requested_port)
        self.port = udp_sock.getsockname()[1]
        transport, _ = await self._loop.create_datagram_endpoint(
            lambda: _UdpProtocol(self), sock=udp_sock
        )
        server = await asyncio.start_server(self._handle_tcp, sock=tcp_sock)
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            transport.close()
            server.close()
            with contextlib.suppress(Exception):
                await server.wait_closed()

    # ------------------------------------------------------------ answering

    async def answer(self, wire: bytes, transport: str) -> bytes | None:
        """The wire answer to a query, or None when this query must go unanswered."""
        try:
            query = dns.message.from_wire(wire)
        except Exception:
            return None
        question = query.question[0] if query.question else None
        if question is None:
            return None
        qname = question.name.to_text().lower()
        qtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((transport, qname, qtype))
        self.events.append((time.monotonic(), "query", qname, qtype))
        if self.silent or qname in self.zone.silent_names:
            return None
        if qname in self.zone.silent_for_other_types and (qname, qtype) not in self.zone.records:
            return None
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            delay = self.zone.held.get(qname.rstrip("."), self.delay)
            if delay:
                await asyncio.sleep(delay)
        finally:
            self.in_flight -= 1
        response = self._response(query, qname, qtype)
        data = response.to_wire()
        limit = max(512, query.payload) if query.edns >= 0 else 512
        if (transport == "udp" and len(data) > limit) or (transport == "tcp" and self.truncate_tcp):
            response = dns.message.make_response(query)
            response.flags |= dns.flags.TC | dns.flags.AA
            data = response.to_wire()
        self.events.append((time.monotonic(), "answer", qname, qtype))  # sent right after this
        return data

    def _response(self, query: dns.message.Message, qname: str, qtype: str) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        zone = self.zone
        failing = qname in zone.servfail_names or (qname, qtype) in zone.servfail_questions
        if self.servfail_all or failing:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        name, seen = qname, set()
        while True:
            rrset = self._rrset(name, qtype)
            if rrset is not None:
                response.answer.append(rrset)
                return response
            cname = self._rrset(name, "CNAME") if qtype != "CNAME" else None
            if cname is None or name in seen:
                break
            seen.add(name)
            response.answer.append(cname)
            name = cname[0].target.to_text().lower()  # type: ignore[attr-defined]
        if not response.answer and not self._exists(name):
            response.set_rcode(dns.rcode.NXDOMAIN)
        response.authority.append(self._soa(name))
        return response

    def _rrset(self, name: str, rdtype: str) -> dns.rrset.RRset | None:
        values = self.zone.records.get((name, rdtype))
        if not values:
            return None
        ttl = self.zone.ttls.get((name, rdtype), DEFAULT_TTL)
        return dns.rrset.from_text_list(name, ttl, dns.rdataclass.IN, rdtype, values)

    def _exists(self, name: str) -> bool:
        """A name exists if it has records or is an empty non-terminal above one that does."""
        return any(owner == name or owner.endswith("." + name) for owner in self.zone.names())

    def _soa(self, name: str) -> dns.rrset.RRset:
        labels = name.rstrip(".").split(".")
        apex = ".".join(labels[-2:]) + "." if len(labels) >= 2 else name
        text = f"ns.{apex} hostmaster.{apex} {self.zone.serial} 3600 600 86400 60"
        return dns.rrset.from_text(apex, 60, dns.rdataclass.IN, "SOA", text)

    async def _handle_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                header = await reader.readexactly(2)
                wire = await reader.readexactly(struct.unpack("!H", header)[0])
                data = await self.answer(wire, "tcp")
                if data is None:
                    continue
                writer.write(struct.pack("!H", len(data)) + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: LoopbackDNSServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.ensure_future(self._reply(data, addr))
        self.tasks.add(task)  # answered concurrently, so a delay does not serialise queries
        task.add_done_callback(self.tasks.discard)

    async def _reply(self, data: bytes, addr: tuple[str, int]) -> None:
        answer = await self.server.answer(data, "udp")
        if answer is not None and self.transport is not None:
            self.transport.sendto(answer, addr)


def _bind_pair(host: str, port: int) -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket on the same port (retrying when port 0 picks a taken TCP port)."""
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((host, port))
        chosen = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, chosen))
        except OSError:
            udp.close()
            tcp.close()
            if port:
                raise
            continue
        tcp.listen(16)
        udp.setblocking(False)
        tcp.setblocking(False)
        return udp, tcp
    raise RuntimeError(f"no free port pair on {host}")


@contextlib.contextmanager
def serving(zone: Zone, **options: object) -> Iterator[LoopbackDNSServer]:
    """`with serving(zone) as server:` a started server, stopped afterwards."""
    server = LoopbackDNSServer(zone, **options)  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()


def zone_from(entries: Iterable[tuple[str, str, str]]) -> Zone:
    """A Zone from (name, type, presentation rdata) triples."""
    zone = Zone()
    for name, rdtype, value in entries:
        zone.add(name, rdtype, value)
    return zone
