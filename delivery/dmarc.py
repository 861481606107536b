"""DMARC records (RFC 7489): tag parsing, policy strength, and identifier alignment."""

from __future__ import annotations

import asyncio
import functools
import re
from dataclasses import dataclass, field

from mailgw.i18n import _

POLICIES = ("none", "quarantine", "reject")
KNOWN_TAGS = ("v", "p", "sp", "np", "adkim", "aspf", "pct", "rua", "ruf", "fo", "rf", "ri", "t")


class DmarcError(ValueError):
    """The record breaks the DMARC grammar; receivers ignore it."""


@dataclass(frozen=True)
class DmarcRecord:
    text: str
    tags: dict[str, str]
    warnings: tuple[str, ...] = field(default=())

    @property
    def policy(self) -> str:
        return self.tags["p"]

    @property
    def adkim(self) -> str:
        return self.tags.get("adkim", "r")

    @property
    def aspf(self) -> str:
        return self.tags.get("aspf", "r")


def is_dmarc(text: str) -> bool:
    return re.match(r"^v\s*=\s*DMARC1\s*(;|$)", text) is not None


def opening_problem(text: str) -> str:
    """Why `text` does not open as a DMARC record: it may start right and miss the `;`."""
    if re.match(r"^v\s*=\s*DMARC1\b", text):
        return _('v=DMARC1 must be followed by ";" before the next tag: v=DMARC1; p=none;')
    return _("the record must start with v=DMARC1")


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse `v=DMARC1; p=...; ...`; DmarcError says what is wrong."""
    parts = [part.strip() for part in text.strip().split(";")]
    tags: dict[str, str] = {}
    order: list[str] = []
    for part in parts:
        if not part:
            continue
        name, sep, value = part.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not sep or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise DmarcError(_("{part!r} is not a tag=value pair").format(part=part))
        if name in tags:
            raise DmarcError(_("tag {name} appears twice").format(name=name))
        tags[name] = value
        order.append(name)
    if not order or order[0] != "v" or tags["v"] != "DMARC1":
        raise DmarcError(opening_problem(text.strip()))
    if "p" not in tags:
        raise DmarcError(_("the policy tag p= is missing (none, quarantine or reject)"))
    _check_values(tags)
    unknown = tuple(
        _("unknown tag {name}= is ignored").format(name=name)
        for name in order
        if name not in KNOWN_TAGS
    )
    return DmarcRecord(text, tags, unknown)


def _check_values(tags: dict[str, str]) -> None:
    for name in ("p", "sp", "np"):
        if name in tags and tags[name].lower() not in POLICIES:
            raise DmarcError(
                _("{name}={value} is not one of none, quarantine, reject").format(
                    name=name, value=tags[name]
                )
            )
        if name in tags:
            tags[name] = tags[name].lower()
    for name in ("adkim", "aspf"):
        if name in tags and tags[name] not in ("r", "s"):
            raise DmarcError(
                _("{name}={value} must be r (relaxed) or s (strict)").format(
                    name=name, value=tags[name]
                )
            )
    if "pct" in tags and not (tags["pct"].isdigit() and 0 <= int(tags["pct"]) <= 100):
        raise DmarcError(
            _("pct={value} must be a whole number from 0 to 100").format(value=tags["pct"])
        )
    if "ri" in tags and not tags["ri"].isdigit():
        raise DmarcError(_("ri={value} must be a number of seconds").format(value=tags["ri"]))
    for name in ("rua", "ruf"):
        for uri in filter(None, (u.strip() for u in tags.get(name, "").split(","))):
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:", uri):
                raise DmarcError(
                    _("{name}= holds {uri!r}, which is not a URI (mailto:...)").format(
                        name=name, uri=uri
                    )
                )
    if "fo" in tags and not re.fullmatch(r"[01ds](:[01ds])*", tags["fo"]):
        raise DmarcError(
            _("fo={value} must be 0, 1, d or s (joined by :)").format(value=tags["fo"])
        )


def stricter_or_equal(policy: str, than: str) -> bool:
    return POLICIES.index(policy) >= POLICIES.index(than)


@functools.cache
def _suffix_list() -> object:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


async def load_suffix_list() -> None:
    """Load the public suffix list in a thread (~100 ms once), so no event loop waits on it."""
    await asyncio.to_thread(_suffix_list)


def organizational_domain(domain: str) -> str:
    """The registrable domain (public suffix + one label), as DMARC's relaxed mode uses it."""
    domain = domain.lower().rstrip(".")
    private = _suffix_list().privatesuffix(domain)  # type: ignore[attr-defined]
    return private or domain


def record_names(from_domain: str) -> list[str]:
    """Where receivers look: _dmarc at the From domain, then at its organisational domain."""
    org = organizational_domain(from_domain)
    names = [f"_dmarc.{from_domain}"]
    return names + ([f"_dmarc.{org}"] if org != from_domain else [])


def aligned(identifier: str, from_domain: str, mode: str) -> bool:
    """Whether an authenticated domain (DKIM d= or SPF) aligns with the From domain."""
    identifier, from_domain = identifier.lower().rstrip("."), from_domain.lower().rstrip(".")
    if mode == "s":
        return identifier == from_domain
    return organizational_domain(identifier) == organizational_domain(from_domain)
