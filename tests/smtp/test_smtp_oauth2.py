"""OAuth 2.0 sign-in (AUTH XOAUTH2) end to end: a real token endpoint over HTTPS on 127.0.0.1
and an aiosmtpd server that takes only the tokens that endpoint issued."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest

from mailgw.config.model import Settings
from mailgw.delivery import smtp
from mailgw.delivery.messages import build_message
from mailgw.delivery.results import Category, SendResult
from tests.smtp.conftest import RECIPIENT
from tests.support.oauth_server import CLIENT_SECRET, JWT_BEARER, TOKEN_SENTINEL_PREFIX, Authority
from tests.support.ports import free_port
from tests.support.smtpserver import smtp_server

MakeOAuth = Callable[..., Settings]


def _send(settings: Settings, ca_file: str) -> SendResult:
    message = build_message(settings, "test", RECIPIENT)
    return asyncio.run(smtp.send(settings, message, ca_file=ca_file))


def _assert_no_secret(result: SendResult, authority: Authority) -> None:
    """Neither the client secret, the key, nor any token (raw or in XOAUTH2's base64) shows."""
    shown = json.dumps(result.as_dict()) + repr(result)
    assert CLIENT_SECRET not in shown
    assert TOKEN_SENTINEL_PREFIX not in shown
    import base64

    for token in authority.issued:
        assert base64.b64encode(f"auth=Bearer {token}".encode())[:12].decode() not in shown
    pem = authority.service_account_json("x")
    for line in json.loads(pem)["private_key"].splitlines()[1:-1]:
        assert line not in shown


@pytest.mark.parametrize("security", ["starttls", "ssl"])
@pytest.mark.parametrize("provider", ["microsoft", "google"])
def test_send_signs_in_with_a_token_from_the_endpoint(
    make_oauth_settings: MakeOAuth, authority: Authority, good_cert, ca_file, security, provider
) -> None:
    with smtp_server(security, cert=good_cert, oauth=authority) as server:
        settings = make_oauth_settings(server.port, security, provider)
        result = _send(settings, ca_file)
    assert result.ok, result.message
    names = [stage.name for stage in result.stages]
    assert names[0] == "token" and "auth" in names and names[-1] == "quit"
    assert names == smtp.planned_stages(settings)
    assert server.recorder.logins == [f"{settings.smtp.auth.username}:ok"]
    assert len(server.recorder.messages) == 1
    grant = "client_credentials" if provider == "microsoft" else JWT_BEARER
    assert authority.requests == [grant]
    transcript = "\n".join(str(line) for line in result.transcript)
    assert "AUTH XOAUTH2 ********" in transcript and "token: got a Bearer token" in transcript
    _assert_no_secret(result, authority)


def test_wrong_client_secret_is_named_and_the_smtp_server_is_never_dialled(
    make_oauth_settings: MakeOAuth, authority: Authority, good_cert, ca_file
) -> None:
    with smtp_server("starttls", cert=good_cert, oauth=authority) as server:
        settings = make_oauth_settings(server.port, "starttls")
        authority.client_secret = "the-secret-was-rotated"  # the file holds the old one
        result = _send(settings, ca_file)
    assert (result.stage, result.category) == ("token", Category.TOKEN_REFUSED)
    assert "AADSTS7000215" in result.message and "Certificates & secrets" in result.fix
    assert result.command == "mailgw set-secret"
    assert server.recorder.commands == [] and not result.connected
    _assert_no_secret(result, authority)


@pytest.mark.parametrize(
    ("change", "code", "fix_says"),
    [
        ({"tenant": "contoso.onmicrosoft.com"}, "AADSTS90002", "Directory (tenant) ID"),
        ({"client_id": "00000000-0000-0000-0000-000000000000"}, "AADSTS700016", "client) ID"),
        ({"scope": "https://outlook.office365.com/SMTP.Send"}, "AADSTS1002012", ".default"),
    ],
)
def test_each_entra_refusal_gets_its_own_fix(
    make_oauth_settings: MakeOAuth, authority, endpoint, ca_file, change, code, fix_says
) -> None:
    settings = make_oauth_settings(free_port(), "starttls", **change)
    result = _send(settings, ca_file)
    assert (result.stage, result.category) == ("token", Category.TOKEN_REFUSED)
    assert code in result.message and fix_says in result.fix
    _assert_no_secret(result, authority)


def test_missing_consent_is_refused_by_the_server_with_the_permission_to_grant(
    make_oauth_settings: MakeOAuth, authority: Authority, good_cert, ca_file
) -> None:
    authority.consented = False  # Entra issues a token without SMTP.SendAsApp; Exchange says no
    with smtp_server("starttls", cert=good_cert, oauth=authority) as server:
        result = _send(make_oauth_settings(server.port, "starttls"), ca_file)
    assert (result.stage, result.category) == ("auth", Category.AUTH_FAILED)
    assert "5.7.3" in result.message and "SMTP.SendAsApp" in result.fix
    assert "Grant admin consent" in result.fix and server.recorder.messages == []
    _assert_no_secret(result, authority)


@pytest.mark.parametrize("trouble", ["expired", "wrong_audience"])
def test_a_token_the_server_does_not_take_is_auth_failed(
    make_oauth_settings: MakeOAuth, authority: Authority, good_cert, ca_file, trouble
) -> None:
    extra = {}
    if trouble == "expired":
        authority.issue_expired = True
    else:  # a Graph token: issued fine, but not for Exchange
        extra = {"scope": "https://graph.microsoft.com/.default"}
    with smtp_server("ssl", cert=good_cert, oauth=authority) as server:
        result = _send(make_oauth_settings(server.port, "ssl", **extra), ca_file)
    assert (result.stage, result.category) == ("auth", Category.AUTH_FAILED)
    assert "refused the OAuth 2.0 token" in result.message
    assert server.recorder.logins[-1].endswith(":refused")
    _assert_no_secret(result, authority)


def test_google_without_domain_wide_delegation_says_where_to_grant_it(
    make_oauth_settings: MakeOAuth, authority: Authority, good_cert, ca_file
) -> None:
    authority.delegated = False
    result = _send(make_oauth_settings(free_port(), "ssl", "google"), ca_file)
    assert (result.stage, result.category) == ("token", Category.TOKEN_REFUSED)
    assert "unauthorized_client" in result.message and "domain-wide delegation" in result.fix
    assert "https://mail.google.com/" in result.fix
    _assert_no_secret(result, authority)


def test_google_mailbox_outside_the_domain_names_the_username(
    make_oauth_settings: MakeOAuth, authority: Authority, ca_file
) -> None:
    settings = make_oauth_settings(free_port(), "ssl", "google")
    settings.smtp.auth.username = "someone@elsewhere.example"
    result = _send(settings, ca_file)
    assert result.category == Category.TOKEN_REFUSED
    assert "smtp.auth.username" in result.fix and "someone@elsewhere.example" in result.fix


def test_a_skewed_clock_is_named_from_the_endpoints_date(
    make_oauth_settings: MakeOAuth, authority: Authority, ca_file
) -> None:
    authority.clock_offset = -3600  # the endpoint's clock is an hour behind ours
    authority.force_error = (
        400,
        {"error": "invalid_client", "error_description": "AADSTS700024: Client assertion is "
         "not within its valid time range."},
    )  # fmt: skip
    result = _send(make_oauth_settings(free_port(), "starttls"), ca_file)
    assert result.category == Category.TOKEN_REFUSED
    # the Date header counts whole seconds: 3600 or 3601 s, depending on when the second ticked
    assert re.search(r"clock is 360[01] s ahead", result.message) and "timedatectl" in result.fix


def test_endpoint_down_is_unreachable_with_the_host_and_port(
    make_oauth_settings: MakeOAuth, ca_file
) -> None:
    port = free_port()
    url = f"https://127.0.0.1:{port}/{{tenant}}/oauth2/v2.0/token"
    result = _send(make_oauth_settings(free_port(), "starttls", token_url=url), ca_file)
    assert (result.stage, result.category) == ("token", Category.TOKEN_UNREACHABLE)
    assert "127.0.0.1" in result.message and f"port {port}" in result.fix


def test_endpoint_slow_past_the_deadline_ends_inside_it(
    make_oauth_settings: MakeOAuth, authority: Authority, ca_file
) -> None:
    authority.hold = threading.Event()  # every request waits until the endpoint stops
    settings = make_oauth_settings(free_port(), "starttls")
    settings.smtp.timeout = 1.0
    result = _send(settings, ca_file)
    assert (result.stage, result.category) == ("token", Category.TOKEN_UNREACHABLE)
    assert "gave no token within 1 s" in result.message
    assert result.stages and result.stages[0].name == "token" and not result.stages[0].ok


def test_an_untrusted_endpoint_certificate_is_its_own_category(
    make_oauth_settings: MakeOAuth, authority: Authority, unknown_ca_cert, ca_file
) -> None:
    from tests.support.oauth_server import token_endpoint

    with token_endpoint(authority, unknown_ca_cert) as rogue:
        url = rogue.microsoft_url
        settings = make_oauth_settings(free_port(), "starttls", token_url=url)
        result = _send(settings, ca_file)
    assert result.category == Category.TOKEN_CERTIFICATE
    assert "MAILGW_CA_FILE" in result.fix and authority.bodies == []  # no secret was posted


def test_a_server_without_xoauth2_says_so(
    make_oauth_settings: MakeOAuth, authority: Authority, good_cert, ca_file
) -> None:
    with smtp_server("starttls", cert=good_cert) as server:  # no oauth: PLAIN/LOGIN only
        result = _send(make_oauth_settings(server.port, "starttls"), ca_file)
    assert result.category == Category.AUTH_UNAVAILABLE
    assert "XOAUTH2" in result.message and "smtp.auth.method" in result.fix


def test_token_check_runs_only_the_token_stage(
    make_oauth_settings: MakeOAuth, authority: Authority, good_cert, ca_file
) -> None:
    with smtp_server("starttls", cert=good_cert, oauth=authority) as server:
        settings = make_oauth_settings(server.port, "starttls")
        result = asyncio.run(smtp.token_check(settings, ca_file=ca_file))
    assert result.ok and [s.name for s in result.stages] == ["token"]
    assert "127.0.0.1 issued a token" in result.message
    assert server.recorder.commands == []
    _assert_no_secret(result, authority)


def test_cancelling_during_the_token_stage_keeps_the_record(
    make_oauth_settings: MakeOAuth, authority: Authority, ca_file
) -> None:
    authority.hold = threading.Event()
    settings = make_oauth_settings(free_port(), "starttls")
    progress = smtp.Progress()

    async def main() -> Any:
        task = asyncio.create_task(
            smtp.send(settings, build_message(settings, "test", RECIPIENT), ca_file=ca_file,
                      progress=progress)
        )  # fmt: skip
        while not authority.bodies:  # the request reached the endpoint: cancel mid-token
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert progress.result is not None and progress.result.category == Category.CANCELLED
    assert progress.result.stage == "token"


@pytest.mark.parametrize(
    ("code", "error", "fix_says", "command"),
    [
        (65001, "invalid_grant", "SMTP.SendAsApp", ""),
        (500011, "invalid_resource", "Grant admin consent", ""),
        (7000222, "invalid_client", "Certificates & secrets", "mailgw set-secret"),
        (700016, "unauthorized_client", "Application (client) ID", ""),
        (900023, "invalid_request", "Directory (tenant) ID", ""),
    ],
)
def test_entra_codes_are_named_in_plain_words(
    make_oauth_settings: MakeOAuth, authority: Authority, ca_file, code, error, fix_says, command
) -> None:
    text = f"AADSTS{code}: something Entra says. Trace ID: 0"
    authority.force_error = (400, {"error": error, "error_description": text})
    result = _send(make_oauth_settings(free_port(), "starttls"), ca_file)
    assert (result.stage, result.category) == ("token", Category.TOKEN_REFUSED)
    assert f"AADSTS{code}" in result.message and fix_says in result.fix
    assert result.command == command


def test_an_endpoint_error_page_is_not_read_as_a_token(
    make_oauth_settings: MakeOAuth, authority: Authority, ca_file
) -> None:
    authority.force_error = (503, {"message": "maintenance"})
    result = _send(make_oauth_settings(free_port(), "starttls"), ca_file)
    assert result.category == Category.TOKEN_REFUSED and "HTTP 503" in result.message
