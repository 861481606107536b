"""SPF record syntax (RFC 7208 sections 4.6, 5, 6, 7): parsing terms and expanding macros."""

from __future__ import annotations

import ipaddress
import re
import time
import urllib.parse
from dataclasses import dataclass, field

from mailgw.i18n import _

MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
# Terms that cost a DNS lookup (RFC 7208 4.6.4): counted against the limit of 10.
LOOKUP_TERMS = ("include", "a", "mx", "ptr", "exists", "redirect")
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}

_MODIFIER = re.compile(r"^([A-Za-z][A-Za-z0-9_.\-]*)=(.*)$", re.S)
_MACRO = re.compile(r"%\{([A-Za-z])([0-9]*)(r?)([.\-+,/_=]*)\}", re.I)
_TOPLABEL = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9]+$|^[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9]$")
_DOMAIN_LETTERS = "slodiphv"
_EXP_LETTERS = _DOMAIN_LETTERS + "crt"


class SpfSyntaxError(ValueError):
    """The record breaks the SPF grammar: evaluation ends in permerror."""


@dataclass(frozen=True)
class Term:
    """One directive (qualifier + mechanism) or modifier of an SPF record."""

    text: str
    name: str  # mechanism or modifier name, lower case
    qualifier: str = "+"
    value: str = ""  # domain-spec / network / modifier value ("" when absent)
    cidr4: int | None = None
    cidr6: int | None = None
    modifier: bool = False

    @property
    def result(self) -> str:
        return QUALIFIERS[self.qualifier]

    @property
    def costs_lookup(self) -> bool:
        return self.name in LOOKUP_TERMS

    @property
    def passes_everyone(self) -> bool:
        """`+all`, or a pass for every address (`ip4:0.0.0.0/0`, `ip6:::/0`): anyone may send."""
        if self.qualifier != "+":
            return False
        return self.name == "all" or (
            (self.name == "ip4" and self.cidr4 == 0) or (self.name == "ip6" and self.cidr6 == 0)
        )


@dataclass(frozen=True)
class SpfRecord:
    """A parsed `v=spf1` record."""

    text: str
    directives: tuple[Term, ...] = ()
    redirect: Term | None = None
    exp: Term | None = None
    unknown_modifiers: tuple[Term, ...] = field(default=())

    @property
    def all_term(self) -> Term | None:
        return next((t for t in self.directives if t.name == "all"), None)

    @property
    def effective(self) -> tuple[Term, ...]:
        """The directives evaluation can reach: up to and including the first `all`."""
        ends = [i for i, t in enumerate(self.directives) if t.name == "all"]
        return self.directives[: ends[0] + 1] if ends else self.directives


def is_spf(text: str) -> bool:
    """Whether a TXT value is an SPF record (`v=spf1` then a space or nothing)."""
    return text[:6].lower() == "v=spf1" and (len(text) == 6 or text[6] == " ")


def parse_record(text: str) -> SpfRecord:
    """Parse a whole record; any syntax error anywhere raises SpfSyntaxError."""
    if not is_spf(text):
        raise SpfSyntaxError(_("the record does not start with v=spf1"))
    directives: list[Term] = []
    modifiers: dict[str, Term] = {}
    unknown: list[Term] = []
    for word in text[6:].split(" "):
        if not word:
            continue
        term = parse_term(word)
        if not term.modifier:
            directives.append(term)
        elif term.name in ("redirect", "exp"):
            if term.name in modifiers:
                raise SpfSyntaxError(_("{name}= appears more than once").format(name=term.name))
            modifiers[term.name] = term
        else:
            unknown.append(term)
    return SpfRecord(
        text, tuple(directives), modifiers.get("redirect"), modifiers.get("exp"), tuple(unknown)
    )


def parse_term(word: str) -> Term:
    modifier = _MODIFIER.match(word)
    if modifier:
        name, value = modifier.group(1).lower(), modifier.group(2)
        if name in ("redirect", "exp"):
            check_domain_spec(value, word)
        else:
            check_macro_string(value, word, _EXP_LETTERS)
        return Term(word, name, value=value, modifier=True)
    qualifier = "+"
    body = word
    if body[:1] in QUALIFIERS:
        qualifier, body = body[0], body[1:]
    name, sep, rest = _split_mechanism(body)
    name = name.lower()
    if name not in MECHANISMS:
        raise SpfSyntaxError(_("unknown mechanism {word!r}").format(word=word))
    return _mechanism(word, qualifier, name, sep, rest)


def _split_mechanism(body: str) -> tuple[str, str, str]:
    match = re.match(r"^([A-Za-z0-9]*)([:/]?)(.*)$", body, re.S)
    assert match is not None
    return match.group(1), match.group(2), match.group(3)


def _mechanism(word: str, qualifier: str, name: str, sep: str, rest: str) -> Term:
    if rest and not sep:
        raise SpfSyntaxError(_("unknown mechanism {word!r}").format(word=word))
    if name == "all":
        if sep:
            raise SpfSyntaxError(_("{word!r}: all takes no argument").format(word=word))
        return Term(word, name, qualifier)
    if name in ("ip4", "ip6"):
        if sep != ":":
            raise SpfSyntaxError(
                _("{word!r}: {name} needs an address").format(word=word, name=name)
            )
        return _ip_term(word, qualifier, name, rest)
    if name in ("include", "exists"):
        if sep != ":" or not rest:
            raise SpfSyntaxError(_("{word!r}: {name} needs a domain").format(word=word, name=name))
        check_domain_spec(rest, word)
        return Term(word, name, qualifier, rest)
    if name == "ptr":
        if sep == "/" or (sep == ":" and not rest):
            raise SpfSyntaxError(_("{word!r}: bad ptr argument").format(word=word))
        if rest:
            check_domain_spec(rest, word)
        return Term(word, name, qualifier, rest)
    return _a_or_mx(word, qualifier, name, sep, rest)


def _a_or_mx(word: str, qualifier: str, name: str, sep: str, rest: str) -> Term:
    text = rest if sep == ":" else sep + rest
    cidr4, cidr6 = 32, 128
    match = re.search(r"//([0-9]+)$", text)
    if match:
        cidr6 = _cidr(match.group(1), 128, word)
        text = text[: match.start()]
    match = re.search(r"/([0-9]+)$", text)
    if match:
        cidr4 = _cidr(match.group(1), 32, word)
        text = text[: match.start()]
    if sep == ":":
        if not text:
            raise SpfSyntaxError(_("{word!r}: empty domain").format(word=word))
        check_domain_spec(text, word)
    elif text:
        raise SpfSyntaxError(_("{word!r}: bad {name} argument").format(word=word, name=name))
    return Term(word, name, qualifier, text, cidr4, cidr6)


def _cidr(text: str, limit: int, word: str) -> int:
    if not re.match(r"^(0|[1-9][0-9]{0,2})$", text) or int(text) > limit:
        raise SpfSyntaxError(_("{word!r}: bad prefix length /{text}").format(word=word, text=text))
    return int(text)


def _ip_term(word: str, qualifier: str, name: str, rest: str) -> Term:
    address, slash, prefix = rest.partition("/")
    limit = 32 if name == "ip4" else 128
    length = _cidr(prefix, limit, word) if slash else limit
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise SpfSyntaxError(
            _("{word!r}: {address!r} is not an address").format(word=word, address=address)
        ) from None
    if ip.version != (4 if name == "ip4" else 6):
        raise SpfSyntaxError(_("{word!r}: wrong address family").format(word=word))
    if name == "ip4":
        return Term(word, name, qualifier, address, cidr4=length)
    return Term(word, name, qualifier, address, cidr6=length)


def check_macro_string(text: str, word: str, letters: str = _DOMAIN_LETTERS) -> None:
    """Raise SpfSyntaxError unless every % starts a valid macro with an allowed letter."""
    i = 0
    while i < len(text):
        char = text[i]
        if char == "%":
            nxt = text[i + 1 : i + 2]
            if nxt in ("%", "_", "-"):
                i += 2
                continue
            match = _MACRO.match(text, i)
            if not match:
                raise SpfSyntaxError(
                    _("{word!r}: bad macro at {text!r}").format(word=word, text=text[i:])
                )
            if match.group(1).lower() not in letters or match.group(2) == "0":
                raise SpfSyntaxError(
                    _("{word!r}: macro {group!r} not allowed here").format(
                        word=word, group=match.group(0)
                    )
                )
            i = match.end()
            continue
        if not 0x21 <= ord(char) <= 0x7E:
            raise SpfSyntaxError(
                _("{word!r}: character {char!r} not allowed").format(word=word, char=char)
            )
        i += 1


def check_domain_spec(text: str, word: str) -> None:
    """A domain-spec: a macro-string ending in a macro or in "." toplabel ["."]."""
    check_macro_string(text, word)
    if re.search(r"(%\{[^}]*\}|%%|%_|%-)$", text):
        return
    labels = text[:-1].split(".") if text.endswith(".") else text.split(".")
    if len(labels) < 2 or not _TOPLABEL.match(labels[-1]):
        raise SpfSyntaxError(
            _("{word!r}: {text!r} does not end in a valid top-level label").format(
                word=word, text=text
            )
        )


@dataclass(frozen=True)
class MacroContext:
    """The values macros expand to (RFC 7208 7.3)."""

    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    sender: str
    domain: str
    helo: str
    validated_name: str = "unknown"  # %{p}, filled in lazily by the evaluator
    receiver: str = "unknown"

    @property
    def local_part(self) -> str:
        return self.sender.rpartition("@")[0] or "postmaster"

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2]

    def letter(self, letter: str) -> str:
        ip = self.ip
        values = {
            "s": self.sender,
            "l": self.local_part,
            "o": self.sender_domain,
            "d": self.domain,
            "h": self.helo,
            "p": self.validated_name,
            "v": "in-addr" if ip.version == 4 else "ip6",
            "c": str(ip),
            "r": self.receiver,
            "t": str(int(time.time())),
        }
        if letter == "i":
            return str(ip) if ip.version == 4 else ".".join(f"{int(ip):032X}")
        return values[letter]


def expand(text: str, context: MacroContext, *, explanation: bool = False) -> str:
    """Expand the macros of a macro-string (syntax already checked)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "%":
            out.append(text[i])
            i += 1
            continue
        nxt = text[i + 1 : i + 2]
        if nxt in ("%", "_", "-"):
            out.append({"%": "%", "_": " ", "-": "%20"}[nxt])
            i += 2
            continue
        match = _MACRO.match(text, i)
        if match is None:
            raise SpfSyntaxError(_("bad macro at {text!r}").format(text=text[i:]))
        out.append(_expand_one(match, context, explanation))
        i = match.end()
    return "".join(out)


def _expand_one(match: re.Match[str], context: MacroContext, explanation: bool) -> str:
    letter, digits, reverse, delimiters = match.groups()
    allowed = _EXP_LETTERS if explanation else _DOMAIN_LETTERS
    if letter.lower() not in allowed:
        raise SpfSyntaxError(_("macro {group!r} not allowed here").format(group=match.group(0)))
    value = context.letter(letter.lower())
    parts = re.split("[" + re.escape(delimiters or ".") + "]", value)
    if reverse:
        parts.reverse()
    if digits:
        if int(digits) == 0:
            raise SpfSyntaxError(_("macro {group!r}: zero parts").format(group=match.group(0)))
        parts = parts[-int(digits) :]
    result = ".".join(parts)
    if letter.isupper():
        result = urllib.parse.quote(result, safe="-._~")
    return result


def truncate_domain(name: str) -> str:
    """Drop labels from the left until the name fits in 253 characters (RFC 7208 7.3)."""
    name = name.rstrip(".")
    while len(name) > 253 and "." in name:
        name = name.split(".", 1)[1]
    return name
