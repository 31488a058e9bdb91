"""The address a request came from, as far as the deployment's proxies can be trusted."""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with ``TRUSTED_PROXY_HOPS = n`` the n-th
    address from the right of X-Forwarded-For.

    Each trusted proxy appends the address it saw, so the n-th from the right is the one
    the outermost trusted proxy saw; anything further left was written by the client and
    can be forged. A shorter header than expected gives its leftmost (trusted) entry.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_HOPS
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if not forwarded:
        return remote
    return forwarded[-hops] if len(forwarded) >= hops else forwarded[0]
