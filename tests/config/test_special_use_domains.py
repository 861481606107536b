"""Special-use and internal domains (RFC 6761, RFC 8375, customary .internal/.lan): a sender
such as alerts@corp.local is a warning, never an error, in the one validation every front uses;
only a malformed address is an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailgw.config import store
from mailgw.config.editing import EditSession
from mailgw.config.model import Settings
from mailgw.config.validate import INTERNAL_SUFFIXES, Severity, address_problems, validate
from mailgw.delivery.setup_flow import TEST_RECIPIENT, check_answer, steps

INTERNAL = ["alerts@fleetco.test", "alerts@corp.local", "a@x.internal", "a@nas.lan"]
INTERNAL += ["a@router.home.arpa", "a@box.localdomain"]
MALFORMED = ["alerts@@fleetco.test", "alerts fleetco.test", "a b@corp.local", "a@-x.lan", "a@.test"]


def _sender(address: str) -> list[tuple[str, Severity]]:
    settings = Settings()
    settings.email.from_address = address
    return [(p.key, p.severity) for p in validate(settings)]


@pytest.mark.parametrize("address", INTERNAL)
def test_an_internal_sender_domain_is_a_warning_that_says_who_it_reaches(address: str) -> None:
    assert _sender(address) == [("email.from_address", Severity.WARNING)]
    (problem,) = address_problems("email.from_address", address)
    assert "inside that network" in problem.message


@pytest.mark.parametrize("address", MALFORMED)
def test_a_malformed_address_stays_an_error(address: str) -> None:
    assert _sender(address) == [("email.from_address", Severity.ERROR)]


# "--" in the third and fourth places is reserved for A-labels (RFC 5891 §4.2.3.1): not well formed
LABEL = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True).filter(
    lambda label: label[2:4] != "--"
)


@given(LABEL, LABEL, st.sampled_from(INTERNAL_SUFFIXES))
def test_every_well_formed_address_under_an_internal_suffix_is_only_a_warning(
    local: str, host: str, suffix: str
) -> None:
    problems = address_problems("k", f"{local}@{host}.{suffix}")
    assert [p.severity for p in problems] == [Severity.WARNING]


def test_saving_an_internal_sender_is_not_blocked(config_path: Path) -> None:
    session = EditSession.open(config_path)
    session.set_text("email.from_address", "alerts@fleetco.test")
    assert session.blocking_problems() == []
    session.save()
    assert store.load(config_path).settings.email.from_address == "alerts@fleetco.test"


def test_the_wizard_takes_an_internal_test_recipient_with_a_warning() -> None:
    step = steps()[-1]
    problems = check_answer(step, TEST_RECIPIENT, "ops@corp.local", Settings(), {})
    assert [p.severity for p in problems] == [Severity.WARNING]
    bad = check_answer(step, TEST_RECIPIENT, "ops@@corp.local", Settings(), {})
    assert [p.severity for p in bad] == [Severity.ERROR]
