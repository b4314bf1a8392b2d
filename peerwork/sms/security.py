"""Twilio request signatures, checked against the URL Twilio actually called."""

from __future__ import annotations

from twilio.request_validator import RequestValidator


def public_url(request, public_base_url: str | None) -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path + query, or the request's own URL.

    Behind a proxy, the request's own URL is right only when ProxyFix is set
    up with the correct number of hops; PUBLIC_BASE_URL removes the guesswork.
    """
    if public_base_url:
        query = request.query_string.decode("latin-1")
        return public_base_url.rstrip("/") + request.path + (f"?{query}" if query else "")
    return request.url


def signature_is_valid(request, *, auth_token: str | None, public_base_url: str | None) -> bool:
    """True when X-Twilio-Signature matches this request's URL and form fields."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not auth_token or not signature:
        return False
    validator = RequestValidator(auth_token)
    return validator.validate(public_url(request, public_base_url), request.form, signature)
