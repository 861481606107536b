"""SPF record syntax on open-ended input: only SpfSyntaxError, never a crash."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailgw.delivery.spf_terms import (
    MacroContext,
    SpfSyntaxError,
    check_macro_string,
    expand,
    parse_record,
)

TERMS = st.sampled_from(
    [
        "a",
        "mx",
        "ptr",
        "all",
        "-all",
        "~all",
        "ip4:192.0.2.0/24",
        "ip6:2001:db8::/32",
        "include:%{d}",
        "exists:%{ir}.%{v}.x.test",
        "redirect=r.test",
        "exp=%{l}.t.test",
        "a:x.test/24//64",
        "%",
        "=",
        ":",
        "/",
        "a/33",
        "ip4:300.1.1.1",
        "foo=bar%{q}",
        "x",
    ]
)
CONTEXT = MacroContext(
    ipaddress.ip_address("192.0.2.1"), "j.doe@example.test", "example.test", "mail.example.test"
)


@given(st.lists(TERMS | st.text(max_size=12), max_size=8))
def test_any_record_parses_or_raises_a_syntax_error(words: list[str]) -> None:
    try:
        record = parse_record("v=spf1 " + " ".join(words))
    except SpfSyntaxError:
        return
    modifiers = (record.redirect, record.exp, *record.unknown_modifiers)
    assert all(term.name for term in record.directives + tuple(filter(None, modifiers)))


@given(st.text(alphabet="%{}slodiphvcrtSLOD0123r.-+,/_=ax", max_size=20))
def test_a_macro_string_that_checks_expands(text: str) -> None:
    try:
        check_macro_string(text, text, "slodiphvcrt")
    except SpfSyntaxError:
        return
    assert "%{" not in expand(text, CONTEXT, explanation=True)


@pytest.mark.parametrize(
    ("macro", "expanded"),
    [
        ("%{s}", "j.doe@example.test"),
        ("%{o}", "example.test"),
        ("%{d4}", "example.test"),
        ("%{d1r}", "example"),
        ("%{ir}.%{v}._spf.%{d2}", "1.2.0.192.in-addr._spf.example.test"),
        ("%{lr-}", "j.doe"),
        ("%{l1r.}", "j"),
        ("%%%_%-", "% %20"),
        ("%{L}", "j.doe"),
    ],
)
def test_rfc_7208_macro_examples(macro: str, expanded: str) -> None:
    assert expand(macro, CONTEXT) == expanded
