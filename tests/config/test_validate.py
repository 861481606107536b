"""Every error and warning of the issue, with the key it names and its severity."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailgw.config.model import Gateway, Security, Settings
from mailgw.config.validate import Severity, errors, validate

E, W = Severity.ERROR, Severity.WARNING


def custom(**smtp: object) -> Settings:
    settings = Settings()
    settings.smtp.gateway = Gateway.CUSTOM
    settings.smtp.host = "mail.example.com"
    for name, value in smtp.items():
        setattr(settings.smtp, name, value)
    return settings


def with_login(settings: Settings, password: str = "pw", username: str = "u") -> Settings:
    settings.smtp.auth.enabled = True
    settings.smtp.auth.username = username
    settings.smtp.auth.password = password
    return settings


def found(settings: Settings, config_path: Path | None = None) -> set[tuple[str, Severity]]:
    return {(p.key, p.severity) for p in validate(settings, config_path)}


def test_defaults_are_clean() -> None:
    assert validate(Settings()) == []


def test_a_good_custom_server_is_clean() -> None:
    assert validate(with_login(custom())) == []


@pytest.mark.parametrize(
    "host", ["bad..host", "-lead.example", "under_score.example", "a b", "x" * 64]
)
def test_bad_host_name_is_an_error(host: str) -> None:
    assert ("smtp.host", E) in found(custom(host=host))


@pytest.mark.parametrize("host", ["mail.example.com", "127.0.0.1", "::1", "[::1]", "localhost"])
def test_good_hosts_pass(host: str) -> None:
    assert found(custom(host=host)) == set()


def test_custom_gateway_without_host_is_an_error() -> None:
    problems = validate(custom(host=""))
    assert [(p.key, p.severity) for p in problems] == [("smtp.host", E)]
    assert "host" in problems[0].message


@pytest.mark.parametrize("port", [0, -1, 65536, 100000])
def test_port_out_of_range_is_an_error(port: int) -> None:
    assert ("smtp.port", E) in found(custom(port=port))


@pytest.mark.parametrize("address", ["", "no-at-sign", "a@", "@b.example", "a b@c.example"])
def test_invalid_email_address_is_an_error(address: str) -> None:
    settings = Settings()
    settings.email.from_address = address
    assert ("email.from_address", E) in found(settings)


@pytest.mark.parametrize("bad", ["\r", "\n", "\0", "\r\nBcc: victim@example.com"])
@pytest.mark.parametrize(
    "key", ["email.from_address", "email.from_name", "smtp.helo_name", "smtp.host"]
)
def test_header_injection_is_an_error(key: str, bad: str) -> None:
    settings = custom()
    table, name = key.split(".")
    obj = settings.email if table == "email" else settings.smtp
    setattr(obj, name, f"x{bad}y.example.com")
    problems = [p for p in validate(settings) if p.key == key]
    assert problems and problems[0].severity == E
    assert "line breaks" in problems[0].message


def test_signature_may_span_lines() -> None:
    settings = Settings()
    settings.email.signature = "Regards,\nThe fleet team\r\n"
    assert validate(settings) == []


def test_login_without_username_or_password_is_an_error() -> None:
    settings = custom()
    settings.smtp.auth.enabled = True
    assert {("smtp.auth.username", E), ("smtp.auth.password", E)} <= found(settings)
    problem = next(p for p in validate(settings) if p.key == "smtp.auth.password")
    assert "set-password" in problem.for_command  # a command says how to fix it from a shell
    assert "mailgw" not in problem.message  # the console shows it under its Password field


def test_trust_all_is_a_warning() -> None:
    problems = validate(custom(trust_all=True))
    assert [(p.key, p.severity) for p in problems] == [("smtp.trust_all", W)]
    assert errors(problems) == []


def test_trust_all_without_tls_warns_that_it_does_nothing() -> None:
    problems = validate(custom(trust_all=True, security=Security.NONE, port=25, host="localhost"))
    assert [(p.key, p.severity) for p in problems] == [("smtp.trust_all", W)]
    assert "no effect" in problems[0].message


@pytest.mark.parametrize(("security", "port"), [(Security.STARTTLS, 465), (Security.SSL, 587)])
def test_port_that_does_not_match_the_security_is_a_warning(security: Security, port: int) -> None:
    assert found(custom(security=security, port=port)) == {("smtp.port", W)}


@pytest.mark.parametrize(
    ("security", "port"),
    [(Security.SSL, 465), (Security.STARTTLS, 587), (Security.STARTTLS, 2525), (Security.NONE, 25)],
)
def test_matching_or_unusual_ports_do_not_warn(security: Security, port: int) -> None:
    assert found(custom(security=security, port=port, host="127.0.0.1")) == set()


def test_sender_domain_differing_from_login_domain_is_a_warning() -> None:
    settings = with_login(custom(), username="fleet@provider.example")
    settings.email.from_address = "alerts@company.example"
    assert found(settings) == {("email.from_address", W)}
    settings.email.from_address = "alerts@provider.example"
    assert found(settings) == set()


def test_plaintext_login_to_a_remote_host_is_an_error() -> None:
    settings = with_login(custom(security=Security.NONE, port=25))
    problems = [p for p in validate(settings) if p.key == "smtp.security"]
    assert [p.severity for p in problems] == [E]
    assert "smtp.allow_plaintext_auth" in problems[0].message


def test_plaintext_login_with_the_opt_in_is_a_warning() -> None:
    settings = with_login(custom(security=Security.NONE, port=25, allow_plaintext_auth=True))
    assert found(settings) == {("smtp.security", W)}


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost", "LOCALHOST."])
def test_plaintext_login_to_loopback_is_fine(host: str) -> None:
    assert found(with_login(custom(host=host, security=Security.NONE, port=25))) == set()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1"])
def test_plaintext_without_login_to_this_machine_is_fine(host: str) -> None:
    assert found(custom(security=Security.NONE, port=25, host=host)) == set()


def test_plaintext_to_another_host_warns_that_mail_crosses_in_clear() -> None:
    problems = validate(custom(security=Security.NONE, port=25))
    assert [(p.key, p.severity) for p in problems] == [("smtp.security", W)]
    assert "mail.example.com" in problems[0].message and "unencrypted" in problems[0].message


@pytest.mark.parametrize("timeout", [0.0, 0.5, -3.0, float("nan"), float("inf")])
def test_timeout_must_be_a_finite_number_of_seconds(timeout: float) -> None:
    assert found(custom(timeout=timeout)) == {("smtp.timeout", E)}


def test_fingerprint_must_be_sha256_hex() -> None:
    assert ("smtp.tls_fingerprint", E) in found(custom(tls_fingerprint="abc"))
    good = ":".join(["AB"] * 32)
    assert found(custom(tls_fingerprint=good)) == set()


def test_newer_schema_version_is_an_error() -> None:
    settings = Settings()
    settings.schema_version = 2
    assert found(settings) == {("schema_version", E)}


def test_sender_domain_fields_are_checked() -> None:
    settings = Settings()
    settings.sender_domain.domain = "not a domain"
    settings.sender_domain.verification_key = "has space"
    settings.sender_domain.dkim_selectors = ["mte1", "bad selector"]
    assert found(settings) == {
        ("sender_domain.domain", E),
        ("sender_domain.verification_key", E),
        ("sender_domain.dkim_selectors", E),
    }


def test_errors_come_first() -> None:
    settings = with_login(custom(trust_all=True, port=70000))
    severities = [p.severity for p in validate(settings)]
    assert severities == sorted(severities, key=lambda s: s != E)
    assert E in severities and W in severities


# ------------------------------------------------ where the password sits (issue 7)


def _file(tmp_path: Path, name: str, mode: int, text: str = "pw\n") -> Path:
    path = tmp_path / name
    path.write_text(text)
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize(
    ("mode", "expected"), [(0o600, None), (0o640, W), (0o644, E), (0o604, E), (0o400, None)]
)
def test_inline_password_in_a_readable_config(
    tmp_path: Path, mode: int, expected: Severity | None
) -> None:
    config = _file(tmp_path, "email-gateway.toml", mode, "")
    problems = [p for p in validate(with_login(custom()), config) if p.key == "smtp.auth.password"]
    assert [p.severity for p in problems] == ([expected] if expected else [])
    if expected:
        assert f"chmod 600 {config}" in problems[0].message


@pytest.mark.parametrize(("mode", "expected"), [(0o600, None), (0o640, W), (0o644, E), (0o604, E)])
def test_readable_password_file(tmp_path: Path, mode: int, expected: Severity | None) -> None:
    secret = _file(tmp_path, "smtp.secret", mode)
    settings = with_login(custom(), password="")
    settings.smtp.auth.password_file = str(secret)
    problems = [p for p in validate(settings) if p.key == "smtp.auth.password_file"]
    assert [p.severity for p in problems] == ([expected] if expected else [])
    if expected:
        assert f"chmod 600 {secret}" in problems[0].message


def test_password_readability_is_checked_even_with_login_off(tmp_path: Path) -> None:
    config = _file(tmp_path, "email-gateway.toml", 0o644, "")
    settings = Settings()
    settings.smtp.auth.password = "pw"
    assert found(settings, config) == {("smtp.auth.password", E)}


def test_missing_password_file_is_an_error_naming_it(tmp_path: Path) -> None:
    settings = with_login(custom(), password="")
    settings.smtp.auth.password_file = str(tmp_path / "nope.secret")
    problems = [p for p in validate(settings) if p.key == "smtp.auth.password_file"]
    assert [p.severity for p in problems] == [E]
    assert str(tmp_path / "nope.secret") in problems[0].message


def test_empty_password_file_is_an_error(tmp_path: Path) -> None:
    settings = with_login(custom(), password="")
    settings.smtp.auth.password_file = str(_file(tmp_path, "empty.secret", 0o600, ""))
    assert found(settings) == {("smtp.auth.password_file", E)}


def test_password_file_that_is_a_folder_is_an_error(tmp_path: Path) -> None:
    settings = with_login(custom(), password="")
    settings.smtp.auth.password_file = str(tmp_path)
    problems = [p for p in validate(settings) if p.key == "smtp.auth.password_file"]
    assert [p.severity for p in problems] == [E]
    assert str(tmp_path) in problems[0].message


def test_problem_as_dict_is_the_json_shape() -> None:
    problem = validate(custom(host=""))[0]
    assert problem.as_dict() == {
        "key": "smtp.host",
        "severity": "error",
        "message": problem.message,
    }


def test_unknown_provider_preset_is_a_warning_listing_the_known_ones() -> None:
    problems = validate(custom(provider="gmial"))
    assert [(p.key, p.severity) for p in problems] == [("smtp.provider", W)]
    assert "gmail" in problems[0].message
    assert validate(custom(provider="gmail")) == []


def test_a_host_with_spaces_around_it_is_an_error() -> None:
    assert ("smtp.host", E) in found(custom(host=" mail.example.com"))


def test_set_strips_spaces_except_in_the_signature() -> None:
    from mailgw.config.schema import parse_value

    assert parse_value("smtp.host", " mail.example.com ") == "mail.example.com"
    assert parse_value("email.signature", "  -- \nFleet ") == "  -- \nFleet "
