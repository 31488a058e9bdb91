"""Roles as Django groups: Listeners log and code what IT hears; Viewers read;
Managers also set up and send the monthly report.

Listeners and Managers can do everything Viewers can. Superusers can do everything.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

LISTENERS = "Listeners"
VIEWERS = "Viewers"
MANAGERS = "Managers"


def _groups(user) -> set[str]:
    # Cached on the user object: templates and views ask more than once per request.
    if not hasattr(user, "_perception_groups"):
        user._perception_groups = set(user.groups.values_list("name", flat=True))
    return user._perception_groups


def can_listen(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or LISTENERS in _groups(user))


def can_manage(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or MANAGERS in _groups(user))


def can_view(user) -> bool:
    return (
        can_listen(user)
        or can_manage(user)
        or (user.is_authenticated and user.is_active and VIEWERS in _groups(user))
    )


def _role_required(check: Callable) -> Callable:
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


viewer_required = _role_required(can_view)
listener_required = _role_required(can_listen)
manager_required = _role_required(can_manage)
