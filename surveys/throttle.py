"""The burst limit on open survey links: at most so many submissions per client address
in a window, sized so an office behind one address can still answer.

The address is kept only as a keyed hash, only in the cache, and only for the window:
never in the database, never in the clear.
"""

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from perception.lib.client import client_address


def burst_cache_key(address: str) -> str:
    """The cache key for one address: an HMAC with the server secret, so the cache's
    contents do not tell whose addresses they were."""
    digest = hmac.new(
        settings.RESPONDENT_KEY_SECRET.encode(), b"open-link-burst:" + address.encode(), hashlib.sha256
    ).hexdigest()
    return f"open-link-burst:{digest}"


def open_link_submission_allowed(request: HttpRequest) -> bool:
    """Count one open-link submission from the request's address; False once the address
    has used up its submissions for the current window."""
    key = burst_cache_key(client_address(request))
    window = settings.OPEN_LINK_BURST_WINDOW_SECONDS
    # add() starts a window only when none is running; incr() then counts atomically in
    # shared caches (Redis), so parallel requests cannot all slip under the limit.
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add() and incr()
        cache.add(key, 1, timeout=window)
        count = 1
    return count <= settings.OPEN_LINK_BURST_LIMIT
