from django.http import HttpRequest

from perception.models import SiteSettings
from perception.roles import (
    ADMINISTER_SITE,
    CODE_COMMENTS,
    LOG_CONVERSATIONS,
    MANAGE_SURVEYS,
    SEND_MONTHLY_REPORT,
    VIEW_RESULTS,
)


def site(request: HttpRequest) -> dict:
    """Site settings (organisation name, contact line) and what the user may do, for every page."""
    user = getattr(request, "user", None)
    # Nobody grants permissions to visitors who are not signed in, so the respondent pages
    # (most of the traffic) skip asking every authentication backend seven times.
    signed_in = bool(user) and user.is_authenticated

    def may(permission: str) -> bool:
        return signed_in and user.has_perm(permission)

    return {
        "site": SiteSettings.for_request(request),
        "can_view": may(VIEW_RESULTS),
        "can_listen": may(LOG_CONVERSATIONS),
        "can_code": may(CODE_COMMENTS),
        "can_manage": may(MANAGE_SURVEYS) or may(SEND_MONTHLY_REPORT),
        "can_manage_surveys": may(MANAGE_SURVEYS),
        "can_send_report": may(SEND_MONTHLY_REPORT),
        "can_administer": may(ADMINISTER_SITE),
    }
