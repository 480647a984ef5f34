"""OAuth bearer credentials for ksql-migrations' ``bearer.auth.*`` settings: one
client-credentials token, requested and checked as ksql's client does (Kafka's
``HttpJwtRetriever`` and ``ClientJwtValidator``)."""

from __future__ import annotations

import base64
import binascii
import json
import ssl
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from ksqlpy._errors import MigrationConfigError

__all__ = [
    "BEARER_CLIENT_ID",
    "BEARER_CLIENT_SECRET",
    "BEARER_EXPIRY_BUFFER",
    "BEARER_ISSUER",
    "BEARER_SCOPE",
    "BEARER_SCOPE_CLAIM",
    "BEARER_SUB_CLAIM",
    "BearerSettings",
    "fetch_token",
]

BEARER_ISSUER = "bearer.auth.issuer.endpoint.url"
BEARER_CLIENT_ID = "bearer.auth.client.id"
BEARER_CLIENT_SECRET = "bearer.auth.client.secret"
BEARER_SCOPE = "bearer.auth.scope"
BEARER_SCOPE_CLAIM = "bearer.auth.scope.claim.name"
BEARER_SUB_CLAIM = "bearer.auth.sub.claim.name"
BEARER_EXPIRY_BUFFER = "bearer.auth.cache.expiry.buffer.seconds"
TOKEN_TIMEOUT = 30.0  # seconds, at most, for the OAuth issuer


@dataclass(frozen=True, slots=True)
class BearerSettings:
    """OAuth client-credentials settings (``bearer.auth.*``)."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str = ""
    scope_claim: str = "scope"
    sub_claim: str = "sub"
    expiry_buffer: int = 300


def _token_failure(bearer: BearerSettings, problem: str, fix: str) -> MigrationConfigError:
    return MigrationConfigError(f"cannot get an OAuth token from {bearer.issuer}: {problem}; {fix}")


def fetch_token(bearer: BearerSettings, context: ssl.SSLContext | None, timeout: float) -> str:
    """One client-credentials token, requested the way Kafka's ``HttpJwtRetriever`` does."""
    import httpx

    body = "grant_type=client_credentials"
    if bearer.scope.strip():
        # Java's URLEncoder: '*' stays, '~' is escaped, space is '+'.
        body += "&scope=" + quote_plus(bearer.scope.strip(), safe="*").replace("~", "%7E")
    secret = f"{bearer.client_id}:{bearer.client_secret}".encode()
    headers = {
        "Authorization": "Basic " + base64.b64encode(secret).decode("ascii"),
        "Accept": "application/json",
        "Cache-Control": "no-cache",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    seconds = min(TOKEN_TIMEOUT, timeout)
    try:
        with httpx.Client(verify=context or True, timeout=seconds) as client:
            reply = client.post(bearer.issuer, content=body.encode("utf-8"), headers=headers)
    except httpx.TimeoutException as error:
        raise _token_failure(
            bearer, f"no answer within {seconds:g} s", f"check {BEARER_ISSUER}"
        ) from error
    except httpx.HTTPError as error:
        raise _token_failure(
            bearer, f"cannot reach it ({error or type(error).__name__})", f"check {BEARER_ISSUER}"
        ) from error
    if reply.status_code in (401, 403):
        raise _token_failure(
            bearer,
            f"it refused the client credentials (HTTP {reply.status_code})",
            f"check {BEARER_CLIENT_ID} and {BEARER_CLIENT_SECRET}",
        )
    if reply.status_code not in (200, 201):
        raise _token_failure(
            bearer, f"HTTP {reply.status_code}: {reply.text[:200]!r}", f"check {BEARER_ISSUER}"
        )
    try:
        answer = json.loads(reply.content)
    except ValueError:
        answer = None
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token.strip():
        raise _token_failure(
            bearer,
            f"its answer has no access_token: {reply.text[:200]!r}",
            f"check that {BEARER_ISSUER} is the token endpoint",
        )
    token = token.strip()
    _check_jwt(bearer, token)
    return token


def _check_jwt(bearer: BearerSettings, token: str) -> None:
    # ksql's client validates the token as a JWT before use (Kafka's ClientJwtValidator).
    parts = token.split(".")
    try:
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise ValueError("not three dot-separated parts")
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error) as error:
        raise _token_failure(
            bearer,
            f"the access_token is not a JWT ({error})",
            "ksql-migrations rejects it too; configure the identity provider to issue JWTs",
        ) from error
    if not isinstance(claims, dict):
        raise _token_failure(bearer, "the JWT payload is not an object", "check the provider")
    expiry = claims.get("exp")
    if not isinstance(expiry, int | float) or isinstance(expiry, bool) or expiry < 0:
        raise _token_failure(bearer, "the JWT has no valid 'exp' claim", "check the provider")
    subject = claims.get(bearer.sub_claim)
    if not isinstance(subject, str) or not subject.strip():
        raise _token_failure(
            bearer,
            f"the JWT has no {bearer.sub_claim!r} claim",
            f"set {BEARER_SUB_CLAIM} to the claim that names the client",
        )
