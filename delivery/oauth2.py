"""The OAuth 2.0 token for AUTH XOAUTH2, fetched exactly as the platform fetches it.

Microsoft 365 and custom providers: the client-credentials grant (client ID + secret).
Google Workspace: a service account's JWT-bearer assertion, impersonating the mailbox.
The requests are authlib's over httpx (async, so the conversation's deadline and Ctrl-C cancel
them), with the SMTP side's trust store and MAILGW_CA_FILE. A refused request becomes a Failure
naming the cause in plain words and the fix; the token and the secrets never leave this module
except as the token handed to AUTH and the forms the transcript must mask.
"""

from __future__ import annotations

import dataclasses
import email.utils
import re
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from mailgw.config.errors import ConfigError
from mailgw.config.model import OAuth2Provider, Settings
from mailgw.config.presets import oauth2_endpoint
from mailgw.config.secrets import read_client_secret, read_service_account
from mailgw.delivery.errors import ConfigInvalid
from mailgw.delivery.results import Category, Failure
from mailgw.delivery.tls import CA_FILE_ENV, client_context_off_loop
from mailgw.i18n import N_, _

JWT_BEARER = "jwt_bearer"
SET_SECRET = "mailgw set-secret"
CLOCK_SKEW_SECONDS = 300  # what Entra ID and Google tolerate
CLOCK_FIX = N_("set the clock right and keep it so (`timedatectl set-ntp true`, or chrony)")


@dataclass(frozen=True)
class TokenRequest:
    """One token request: where, for what, and with which secret (never in a repr)."""

    provider: OAuth2Provider
    grant: str  # client_credentials | jwt_bearer
    token_url: str
    scope: str
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    issuer: str = ""  # jwt_bearer: the service account's client_email
    private_key: str = field(default="", repr=False)
    subject: str = ""  # jwt_bearer: the mailbox the token acts for
    subject_key: str = "smtp.auth.username"  # the key that names that mailbox

    @property
    def endpoint_host(self) -> str:
        return urlsplit(self.token_url).hostname or self.token_url

    def secrets(self) -> list[str]:
        """What must never be shown: the client secret and the key's base64 body lines."""
        lines = [line for line in self.private_key.splitlines() if len(line) > 16]
        return [s for s in (self.client_secret, *lines) if s]


@dataclass(frozen=True)
class Token:
    """An access token; only its lifetime is ever shown."""

    access_token: str = field(repr=False)
    expires_in: int | None
    token_type: str


class TokenFailed(Exception):
    """The token could not be had; `failure` says why and what to do."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def mailbox_token_request(settings: Settings) -> TokenRequest:
    """The same app's request for the receiving mailbox (`receive.auth.method = oauth2`):
    Google's token then acts for `receive.username`; a Microsoft app token serves any mailbox
    the app was granted."""
    return dataclasses.replace(
        token_request(settings),
        subject=settings.receive.username.strip(),
        subject_key="receive.username",
    )


def token_request(settings: Settings) -> TokenRequest:
    """The request `settings` make; raises ConfigInvalid when a secret file cannot be read."""
    oauth2, username = settings.smtp.auth.oauth2, settings.smtp.auth.username
    endpoint = oauth2_endpoint(oauth2.provider.value)
    scope = oauth2.scope.strip() or endpoint.scope
    try:
        if endpoint.grant == JWT_BEARER:
            account = read_service_account(oauth2.service_account_file)
            url = oauth2.token_url.strip() or account.token_uri or endpoint.token_url
            return TokenRequest(
                oauth2.provider, endpoint.grant, url, scope,
                issuer=account.client_email, private_key=account.private_key, subject=username,
            )  # fmt: skip
        secret = read_client_secret(oauth2.client_secret_file)
    except ConfigError as exc:
        raise ConfigInvalid(str(exc)) from None
    template = oauth2.token_url.strip() or endpoint.token_url
    url = template.replace("{tenant}", quote(oauth2.tenant.strip(), safe=""))
    return TokenRequest(
        oauth2.provider, endpoint.grant, url, scope,
        client_id=oauth2.client_id.strip(), client_secret=secret,
    )  # fmt: skip


async def fetch_token(request: TokenRequest, *, ca_file: str | None = None) -> Token:
    """The token, or TokenFailed. Never retries: a refused secret stays refused."""
    context = await client_context_off_loop(verify=True, ca_file=ca_file)
    seen: dict[str, Any] = {}
    try:
        data = await _post(request, context, seen)
    except Exception as exc:  # authlib and httpx raise many kinds; each is classified
        raise TokenFailed(classify(exc, request, seen)) from None
    token = str(data.get("access_token", ""))
    if not token:
        raise TokenFailed(_no_token(request))
    expires = data.get("expires_in")
    return Token(token, int(expires) if str(expires).isdigit() else None, _token_type(data))


def _token_type(data: dict[str, Any]) -> str:
    return str(data.get("token_type", "Bearer"))


async def _post(request: TokenRequest, context: ssl.SSLContext, seen: dict[str, Any]) -> Any:
    # imported here: httpx and authlib cost start-up time that only an OAuth login needs
    from authlib.integrations.httpx_client import AsyncAssertionClient, AsyncOAuth2Client

    async def remember(response: Any) -> None:  # the Date header tells a skewed clock apart
        seen["date"], seen["status"] = response.headers.get("date", ""), response.status_code

    common = {
        "verify": context,
        "timeout": None,  # the conversation's deadline bounds the request
        "event_hooks": {"response": [remember]},
    }
    if request.grant == JWT_BEARER:
        async with AsyncAssertionClient(
            token_endpoint=request.token_url,
            issuer=request.issuer,
            subject=request.subject,
            audience=request.token_url,
            claims={"scope": request.scope},
            key=_rsa_key(request.private_key),
            header={"alg": "RS256"},
            **common,
        ) as client:
            return await client.refresh_token()
    async with AsyncOAuth2Client(
        client_id=request.client_id,
        client_secret=request.client_secret,
        scope=request.scope,
        token_endpoint_auth_method="client_secret_post",
        **common,
    ) as client:
        return await client.fetch_token(request.token_url, grant_type="client_credentials")


def _rsa_key(pem: str) -> Any:
    """The service account's key as joserfc's RSA key: authlib warns about a bare PEM string."""
    from joserfc.jwk import RSAKey

    return RSAKey.import_key(pem)


# ---------------------------------------------------------------- what a refusal means


def classify(exc: BaseException, request: TokenRequest, seen: dict[str, Any]) -> Failure:
    """The failure a token request's exception means, with the fix."""
    certificate = _certificate_error(exc)
    if certificate is not None:
        return _certificate(certificate, request)
    error = getattr(exc, "error", None)
    if isinstance(error, str):  # authlib's OAuthError: the endpoint answered with an error
        description = str(getattr(exc, "description", "") or "")
        return _refused(error, description, request, _skew(seen.get("date", "")))
    name = type(exc).__name__
    if name in {"ConnectError", "ConnectTimeout", "ReadError", "RemoteProtocolError"} or isinstance(
        exc, OSError
    ):
        return _unreachable(request, _reason(exc))
    if name == "HTTPStatusError":
        status = seen.get("status", "?")
        message = _("the token endpoint {host} answered HTTP {status} without a token")
        return Failure(
            Category.TOKEN_REFUSED,
            message.format(host=request.endpoint_host, status=status),
            _("the provider may be down: try again later; check smtp.auth.oauth2.token_url"),
        )
    if isinstance(exc, (KeyError, ValueError)):  # a key authlib could not sign with
        return _bad_key(request, str(exc))
    return _unreachable(request, f"{name}: {exc}")


def _certificate_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _certificate(exc: ssl.SSLCertVerificationError, request: TokenRequest) -> Failure:
    message = _(
        "the token endpoint {host} presented a certificate this machine does not trust: {reason}"
    )
    fix = _(
        "a proxy that inspects TLS needs its CA in the file named by ${env}; "
        "smtp.trust_all and the pinned certificate never apply to the token endpoint"
    )
    reason = exc.verify_message or str(exc)
    return Failure(
        Category.TOKEN_CERTIFICATE,
        message.format(host=request.endpoint_host, reason=reason),
        fix.format(env=CA_FILE_ENV),
    )


def _unreachable(request: TokenRequest, reason: str) -> Failure:
    message = _("cannot reach the token endpoint {host}: {reason}")
    fix = _(
        "this machine must reach {host} on port {port} (HTTPS): check the firewall, and set "
        "HTTPS_PROXY when the way out is a proxy"
    )
    port = urlsplit(request.token_url).port or 443
    return Failure(
        Category.TOKEN_UNREACHABLE,
        message.format(host=request.endpoint_host, reason=reason),
        fix.format(host=request.endpoint_host, port=port),
    )


def token_timeout(request: TokenRequest, timeout: float) -> Failure:
    """The overall deadline passed while the token endpoint was still being asked."""
    message = _("the token endpoint {host} gave no token within {timeout:g} s")
    fix = _("this machine must reach {host} (HTTPS); when it does but slowly, raise smtp.timeout")
    host = request.endpoint_host
    return Failure(
        Category.TOKEN_UNREACHABLE,
        message.format(host=host, timeout=timeout),
        fix.format(host=host),
    )


def _reason(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    text = str(exc) or (str(cause) if cause else "") or type(exc).__name__
    return re.sub(r"^\[Errno -?\d+\] ", "", text)


def _skew(date: str) -> float | None:
    """Seconds this machine's clock is ahead of the endpoint's (negative: behind)."""
    if not date:
        return None
    try:
        theirs = email.utils.parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return None
    return time.time() - theirs


def _no_token(request: TokenRequest) -> Failure:
    return Failure(
        Category.TOKEN_REFUSED,
        _("the token endpoint {host} answered without an access token").format(
            host=request.endpoint_host
        ),
        _("check smtp.auth.oauth2.token_url: it must be the provider's token endpoint"),
    )


def _bad_key(request: TokenRequest, reason: str) -> Failure:
    return Failure(
        Category.TOKEN_REFUSED,
        _("the service account key cannot sign a request: {reason}").format(reason=reason),
        _(
            "download a new JSON key for the service account (Google Cloud console > IAM > "
            "Service accounts > Keys) and point smtp.auth.oauth2.service_account_file at it"
        ),
    )


# Entra ID names its refusals by AADSTS code; Google's are read from error and description
_AADSTS = re.compile(r"AADSTS(\d+)")


def _refused(error: str, description: str, request: TokenRequest, skew: float | None) -> Failure:
    said = f"{error}: {description}" if description else error
    if skew is not None and abs(skew) > CLOCK_SKEW_SECONDS:
        return _clock(said, skew)
    code = _AADSTS.search(description)
    if code is not None:
        return _microsoft(code.group(1), said, request)
    if request.grant == JWT_BEARER:
        return _google(error, description, said, request)
    return _generic(error, said, request)


def _clock(said: str, skew: float) -> Failure:
    if skew > 0:
        message = _("this machine's clock is {seconds:.0f} s ahead of the endpoint's; {said}")
    else:
        message = _("this machine's clock is {seconds:.0f} s behind the endpoint's; {said}")
    return Failure(
        Category.TOKEN_REFUSED,
        message.format(seconds=abs(skew), said=said),
        _(CLOCK_FIX),
    )


def _microsoft(code: str, said: str, request: TokenRequest) -> Failure:
    refused = _("Microsoft refused the sign-in ({said})").format(said=said)
    if code in {"7000215", "7000222", "7000218"}:
        fix = _(
            "create a new client secret (Entra admin centre > App registrations > the app > "
            "Certificates & secrets), copy its Value (not the Secret ID) and store it"
        )
        return Failure(Category.TOKEN_REFUSED, refused, fix, SET_SECRET)
    if code in {"90002", "900023", "90013", "50059"}:
        fix = _(
            "set smtp.auth.oauth2.tenant to the Directory (tenant) ID shown on the app's "
            "Overview page, or to a domain of the tenant"
        )
        return Failure(Category.TOKEN_REFUSED, refused, fix)
    if code in {"700016", "7000112", "700038"}:
        fix = _(
            "set smtp.auth.oauth2.client_id to the Application (client) ID of an app "
            "registered in this tenant (the app's Overview page), and check the tenant"
        )
        return Failure(Category.TOKEN_REFUSED, refused, fix)
    if code in {"65001", "650057", "500011", "650056", "501051"}:
        return Failure(Category.TOKEN_REFUSED, refused, consent_fix())
    if code in {"70011", "1002012", "70000"}:
        fix = _(
            "the client-credentials grant asks for a resource's .default scope: clear "
            "smtp.auth.oauth2.scope to use https://outlook.office365.com/.default"
        )
        return Failure(Category.TOKEN_REFUSED, refused, fix)
    if code in {"700024", "700025"}:
        fix = _(CLOCK_FIX)
        return Failure(Category.TOKEN_REFUSED, refused, fix)
    return _generic("", said, request, refused)


def consent_fix() -> str:
    """What a Microsoft 365 app needs before Exchange takes its token (README has the steps)."""
    return _(
        "grant the app the permission: Entra admin centre > App registrations > the app > API "
        "permissions > Add a permission > APIs my organization uses > Office 365 Exchange "
        "Online > Application permissions > SMTP.SendAsApp, then Grant admin consent; and "
        "register its service principal in Exchange Online (New-ServicePrincipal, then "
        "Add-MailboxPermission for the mailbox)"
    )


def _google(error: str, description: str, said: str, request: TokenRequest) -> Failure:
    refused = _("Google refused the sign-in ({said})").format(said=said)
    lowered = description.lower()
    if error == "unauthorized_client":
        fix = _(
            "allow domain-wide delegation: Admin console > Security > Access and data control "
            "> API controls > Manage domain-wide delegation > Add new, with the service "
            "account's client ID and the scope {scope}"
        ).format(scope=request.scope)
        return Failure(Category.TOKEN_REFUSED, refused, fix)
    if "invalid email" in lowered or "user id" in lowered or "not found" in lowered:
        fix = _("set {key} to a mailbox of the Workspace domain ({subject} is not)")
        fix = fix.format(key=request.subject_key, subject=request.subject)
        return Failure(Category.TOKEN_REFUSED, refused, fix)
    if "signature" in lowered or error == "invalid_client":
        return dataclasses.replace(_bad_key(request, said), message=refused)
    if "iat" in lowered or "exp" in lowered or "timeframe" in lowered:
        fix = _(CLOCK_FIX)
        return Failure(Category.TOKEN_REFUSED, refused, fix)
    return _generic(error, said, request, refused)


def _generic(error: str, said: str, request: TokenRequest, message: str = "") -> Failure:
    message = message or _("the token endpoint {host} refused the request ({said})").format(
        host=request.endpoint_host, said=said
    )
    if error == "invalid_client":
        return Failure(
            Category.TOKEN_REFUSED,
            message,
            _("check smtp.auth.oauth2.client_id and the client secret"),
            SET_SECRET,
        )
    if error == "invalid_scope":
        fix = _("check smtp.auth.oauth2.scope against the provider's documentation")
        return Failure(Category.TOKEN_REFUSED, message, fix)
    fix = _("the provider's answer above says what it wants; fix that setting and retry")
    return Failure(Category.TOKEN_REFUSED, message, fix)
