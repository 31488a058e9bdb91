from django.http import HttpRequest

from perception.models import SiteSettings
from perception.roles import can_listen, can_manage, can_view


def site(request: HttpRequest) -> dict:
    """Site settings (organisation name, contact line) and the user's roles, for every page."""
    user = getattr(request, "user", None)
    return {
        "site": SiteSettings.load(),
        "can_view": bool(user) and can_view(user),
        "can_listen": bool(user) and can_listen(user),
        "can_manage": bool(user) and can_manage(user),
    }
