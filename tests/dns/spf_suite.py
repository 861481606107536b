"""The RFC 7208 conformance suite (shared data, read in place) served from a loopback DNS server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.dnsserver import Zone, txt

SUITE_PATH = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "rfc7208-tests.yml"
ABSENT_REASON = (
    "the RFC 7208 conformance suite is not next to this checkout "
    "(expected ../shared/conformance/rfc7208-tests.yml relative to the repo root)"
)


@dataclass(frozen=True)
class SuiteCase:
    scenario: int
    name: str
    host: str
    mailfrom: str
    helo: str
    results: tuple[str, ...]
    explanation: str | None


def load_suite() -> list[dict[str, Any]]:
    import yaml

    with SUITE_PATH.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc]


def cases(scenarios: list[dict[str, Any]]) -> list[SuiteCase]:
    found = []
    for index, scenario in enumerate(scenarios):
        for name, test in scenario["tests"].items():
            expected = test["result"]
            results = tuple(expected) if isinstance(expected, list) else (expected,)
            found.append(
                SuiteCase(
                    index,
                    name,
                    str(test["host"]),
                    str(test.get("mailfrom", "")),
                    str(test.get("helo", "")),
                    results,
                    test.get("explanation"),
                )
            )
    return found


def zone_for(zonedata: dict[str, list[Any]]) -> Zone:
    """Zonedata as DNS: TIMEOUT = no answer for other types; SPF records double as TXT."""
    zone = Zone()
    for name, entries in (zonedata or {}).items():
        has_txt = any(isinstance(e, dict) and "TXT" in e for e in entries)
        for entry in entries:
            if entry == "TIMEOUT":  # as pyspf's driver: a timeout for the types not listed
                zone.silent_for_other_types.add(name.lower().rstrip(".") + ".")
                continue
            ((rdtype, value),) = entry.items()
            if rdtype == "TXT" and value == "NONE":
                continue  # the driver convention for "no TXT records here"
            if rdtype in ("TXT", "SPF"):
                rdata = _txt_rdata(value)
                zone.add(name, rdtype, rdata)
                if rdtype == "SPF" and not has_txt:
                    zone.add(name, "TXT", rdata)
            elif rdtype == "MX":
                preference, exchange = value
                zone.add(name, "MX", f"{preference} {exchange or '.'}".rstrip(".") + ".")
            elif rdtype in ("PTR", "CNAME"):
                zone.add(name, rdtype, value.rstrip(".") + ".")
            else:
                zone.add(name, rdtype, str(value))
    return zone


def _txt_rdata(value: str | list[str]) -> str:
    parts = value if isinstance(value, list) else [value]
    return " ".join(txt(part) for part in parts) or '""'  # no strings at all cannot be served
