"""DMARC records (RFC 7489): tag parsing, policy discovery, merging, and identifier alignment.

One parser for every front. It reads the record as receivers do (section 6.3): only `v=DMARC1`
first and a valid `p=` (and `sp=`, section 6.6.3 step 6) make a record; any other tag that is
unknown or malformed is discarded with its default, so it is a problem to report, never a
reason to replace the policy.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailgw.i18n import _

if TYPE_CHECKING:
    from mailgw.delivery.resolver import LookupResult

POLICIES = ("none", "quarantine", "reject")
KNOWN_TAGS = ("v", "p", "sp", "np", "adkim", "aspf", "pct", "rua", "ruf", "fo", "rf", "ri", "t")
REPORT_TAGS = ("rua", "ruf")
# ABNF (RFC 7489 6.4): tag *WSP "=" *WSP value, tags separated by *WSP ";" *WSP
_WSP = "[ \t]*"
_VERSION = re.compile(rf"^{_WSP}[vV]{_WSP}={_WSP}DMARC1{_WSP}(;|$)")
_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ] (RFC 7489 6.4; URI per RFC 3986)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s,!;]+(![0-9]+[kmgtKMGT]?)?$")


class DmarcError(ValueError):
    """The record has no usable policy: receivers apply no DMARC (or p=none) with it."""


@dataclass(frozen=True)
class TagProblem:
    """A tag receivers discard (RFC 7489 6.3): what is wrong with it and how to fix it."""

    tag: str
    message: str
    fix: str


@dataclass(frozen=True)
class DmarcRecord:
    text: str
    tags: dict[str, str]  # the tags receivers use: names lower case, policies lower case
    problems: tuple[TagProblem, ...] = field(default=())

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(p.message for p in self.problems)

    @property
    def policy(self) -> str:
        return self.tags["p"]

    @property
    def subdomain_policy(self) -> str:
        """sp=, which defaults to p= (RFC 7489 6.3)."""
        return self.tags.get("sp", self.policy)

    @property
    def adkim(self) -> str:
        return self.tags.get("adkim", "r")

    @property
    def aspf(self) -> str:
        return self.tags.get("aspf", "r")

    def report_uris(self, tag: str) -> list[str]:
        return [u for u in (p.strip() for p in self.tags.get(tag, "").split(",")) if u]


def is_dmarc(text: str) -> bool:
    """A TXT value that is a DMARC record (starts with v=DMARC1, RFC 7489 6.6.3 step 4)."""
    return _VERSION.match(text) is not None


def opening_problem(text: str) -> str:
    """Why `text` does not open as a DMARC record: it may start right and miss the `;`."""
    if re.match(r"^v\s*=\s*DMARC1\b", text):
        return _('v=DMARC1 must be followed by ";" before the next tag: v=DMARC1; p=none;')
    return _("the record must start with v=DMARC1")


def split_tags(text: str) -> tuple[list[tuple[str, str]], list[TagProblem]]:
    """(name, value) pairs in order, names lower case; parts that are no tag=value as problems."""
    pairs: list[tuple[str, str]] = []
    problems: list[TagProblem] = []
    for part in text.split(";"):
        part = part.strip(" \t")
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip(" \t")
        if not sep or not _TAG_NAME.fullmatch(name):
            problems.append(
                TagProblem(
                    part,
                    _("{part!r} is not a tag=value pair; receivers ignore it").format(part=part),
                    _("Remove {part!r} from the record.").format(part=part),
                )
            )
            continue
        pairs.append((name.lower(), value.strip(" \t")))
    return pairs, problems


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse a DMARC record; DmarcError only when no usable policy is left."""
    if not is_dmarc(text):
        raise DmarcError(opening_problem(text.strip()))
    pairs, problems = split_tags(text)
    tags: dict[str, str] = {}
    for name, value in pairs:
        if name in tags:
            problems.append(_duplicate(name))
        else:
            tags[name] = value
    if "p" not in tags:
        raise DmarcError(_("the policy tag p= is missing (none, quarantine or reject)"))
    for name in ("p", "sp"):
        if name in tags and tags[name].lower() not in POLICIES:
            raise DmarcError(
                _("{name}={value} is not one of none, quarantine, reject").format(
                    name=name, value=tags[name]
                )
            )
        if name in tags:
            tags[name] = tags[name].lower()
    kept: dict[str, str] = {}
    for name, value in tags.items():
        problem = _tag_problem(name, value)
        if problem is None:
            kept[name] = value.lower() if name in ("np", "adkim", "aspf") else value
        else:
            problems.append(problem)
    return DmarcRecord(text, kept, tuple(problems))


def _duplicate(name: str) -> TagProblem:
    return TagProblem(
        name,
        _("tag {name}= appears twice; receivers read the first").format(name=name),
        _("Keep one {name}= tag.").format(name=name),
    )


def _tag_problem(name: str, value: str) -> TagProblem | None:
    """Why receivers discard this optional tag, or None when they use it."""
    if name not in KNOWN_TAGS:
        return TagProblem(
            name,
            _("unknown tag {name}= is ignored").format(name=name),
            _("Remove {name}= (not a DMARC tag).").format(name=name),
        )
    checks = {
        "np": (value.lower() in POLICIES, _("{name}={value} is not none, quarantine or reject")),
        "adkim": (
            value.lower() in ("r", "s"),
            _("{name}={value} must be r (relaxed) or s (strict)"),
        ),
        "aspf": (
            value.lower() in ("r", "s"),
            _("{name}={value} must be r (relaxed) or s (strict)"),
        ),
        "pct": (
            value.isascii() and value.isdigit() and 0 <= int(value) <= 100,
            _("{name}={value} is not a whole number from 0 to 100"),
        ),
        "ri": (value.isascii() and value.isdigit(), _("{name}={value} is not a number of seconds")),
        "fo": (
            re.fullmatch(r"[01ds]([ \t]*:[ \t]*[01ds])*", value) is not None,
            _("{name}={value} must be 0, 1, d or s (joined by :)"),
        ),
        "rf": (re.fullmatch(r"[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)*", value) is not None, ""),
        "t": (value.lower() in ("y", "n"), _("{name}={value} must be y or n")),
    }
    if name in REPORT_TAGS:
        return _uri_problem(name, value)
    valid, message = checks.get(name, (True, ""))
    if valid:
        return None
    message = message or _("{name}={value} is malformed")
    return TagProblem(
        name,
        message.format(name=name, value=value) + _("; receivers ignore it and use the default"),
        _("Correct {name}= or remove it; p= stays as it is.").format(name=name),
    )


def _uri_problem(name: str, value: str) -> TagProblem | None:
    uris = [u.strip(" \t") for u in value.split(",")]
    bad = [u for u in uris if not _URI.match(u)]
    if not bad and all(u.lower().startswith("mailto:") for u in uris):
        return None
    if bad:
        message = _("{name}= holds {uri!r}, which is not a URI (mailto:...)").format(
            name=name, uri=bad[0]
        )
    else:
        message = _("{name}= names a URI that is not mailto: (receivers need not send there)")
        message = message.format(name=name)
    return TagProblem(
        name,
        message,
        _("Write {name}=mailto:address (comma-separated for several).").format(name=name),
    )


def repaired(text: str, default: str) -> str:
    """The record receivers would read, with what they discard removed; a broken p= or sp=
    becomes the default policy (what receivers apply today: RFC 7489 6.6.3 step 6)."""
    pairs, _problems = split_tags(text) if is_dmarc(text) else ([], [])
    policy = parse_dmarc(default).policy
    tags: dict[str, str] = {}
    for name, value in pairs:
        if name in tags or name == "v":
            continue
        if name in ("p", "sp") and value.lower() not in POLICIES:
            if name == "p":
                tags["p"] = policy
            continue
        if name in ("p", "sp") or _tag_problem(name, value) is None:
            tags[name] = value.lower() if name in ("p", "sp") else value
    tags.setdefault("p", policy)
    return _compose(tags)


def _compose(tags: dict[str, str]) -> str:
    order = ["p", "sp", *(n for n in tags if n not in ("v", "p", "sp"))]
    return "v=DMARC1; " + " ".join(f"{n}={tags[n]};" for n in order if n in tags)


def merge_records(texts: Iterable[str], default: str) -> str:
    """One record from several published at one name (an RRset has no order): the strongest
    policies, strict alignment if any asks for it, and every report destination of them all."""
    records = [parse_dmarc(repaired(t, default)) for t in sorted(set(texts))]
    base = max(records, key=lambda r: (strength(r.policy), strength(r.subdomain_policy)))
    tags = dict(base.tags)
    tags["p"] = max((r.policy for r in records), key=strength)
    sp = max((r.subdomain_policy for r in records), key=strength)
    tags.pop("sp", None)
    if sp != tags["p"]:
        tags["sp"] = sp
    for name in ("adkim", "aspf"):
        if any(r.tags.get(name) == "s" for r in records):
            tags[name] = "s"
    pcts = [int(r.tags.get("pct", "100")) for r in records]
    if max(pcts) < 100:
        tags["pct"] = str(max(pcts))
    else:
        tags.pop("pct", None)
    for name in REPORT_TAGS:
        uris = list(dict.fromkeys(u for r in records for u in r.report_uris(name)))
        if uris:
            tags[name] = ",".join(uris)
    return _compose(tags)


def strength(policy: str) -> int:
    return POLICIES.index(policy)


def stricter_or_equal(policy: str, than: str) -> bool:
    return strength(policy) >= strength(than)


def external_destinations(record: DmarcRecord, domain: str) -> list[tuple[str, str]]:
    """(uri, authorisation name) for each report destination outside `domain`'s organisational
    domain: RFC 7489 7.1 asks the destination to publish <domain>._report._dmarc.<host>."""
    own = organizational_domain(domain)
    out = []
    for tag in REPORT_TAGS:
        for uri in record.report_uris(tag):
            if not uri.lower().startswith("mailto:"):
                continue
            host = uri.split("!", 1)[0].rpartition("@")[2].strip().lower().rstrip(".")
            if host and organizational_domain(host) != own:
                out.append((uri, f"{domain}._report._dmarc.{host}"))
    return list(dict.fromkeys(out))


@functools.cache
def _suffix_list() -> object:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


async def load_suffix_list() -> None:
    """Load the public suffix list in a thread (~40 ms once), so no event loop waits on it."""
    if not _suffix_list.cache_info().currsize:
        await asyncio.to_thread(_suffix_list)


def organizational_domain(domain: str) -> str:
    """The registrable domain (public suffix + one label), as DMARC's relaxed mode uses it."""
    domain = domain.lower().rstrip(".")
    private = _suffix_list().privatesuffix(domain)  # type: ignore[attr-defined]
    return private or domain


def own_record_name(from_domain: str) -> str:
    """The first place receivers look, known without the public suffix list."""
    return f"_dmarc.{from_domain}"


def record_names(from_domain: str) -> list[str]:
    """Where receivers look: _dmarc at the From domain, then at its organisational domain."""
    org = organizational_domain(from_domain)
    names = [own_record_name(from_domain)]
    return names + ([f"_dmarc.{org}"] if org != from_domain else [])


@dataclass(frozen=True)
class Discovery:
    """Which DMARC record applies to a From domain (RFC 7489 6.6.3) and where it lives."""

    from_domain: str
    owner: str  # the _dmarc name whose answer decides
    answer: LookupResult
    texts: tuple[str, ...]  # the DMARC records at `owner` (one, unless the domain has a bug)
    organizational: bool  # found at the organisational domain: sp= applies to the From domain

    def policy_of(self, record: DmarcRecord) -> str:
        return record.subdomain_policy if self.organizational else record.policy

    @property
    def policy_tag(self) -> str:
        return "sp" if self.organizational else "p"


def discover(from_domain: str, answers: Mapping[str, LookupResult]) -> Discovery:
    """The From domain's own record, else (no DMARC record there: nothing, or only other TXT
    such as a wildcard's) the organisational domain's. `answers` are TXT per record_names()."""
    names = record_names(from_domain)
    own = answers[names[0]]
    texts = tuple(t for t in own.records if is_dmarc(t))
    if own.failed or texts or len(names) == 1:
        return Discovery(from_domain, names[0], own, texts, False)
    org = answers[names[1]]
    org_texts = tuple(t for t in org.records if is_dmarc(t))
    if not org_texts and not org.failed:
        return Discovery(from_domain, names[0], own, texts, False)
    return Discovery(from_domain, names[1], org, org_texts, True)


def aligned(identifier: str, from_domain: str, mode: str) -> bool:
    """Whether an authenticated domain (DKIM d= or SPF) aligns with the From domain."""
    identifier, from_domain = identifier.lower().rstrip("."), from_domain.lower().rstrip(".")
    if mode == "s":
        return identifier == from_domain
    return organizational_domain(identifier) == organizational_domain(from_domain)
