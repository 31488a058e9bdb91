"""Who may do what: permissions, and the roles (groups) made of them.

Every staff view names the permission it needs with ``permission_required``; roles are
Django groups holding those permissions (created by a data migration), so an
administrator can also grant one permission to one person. Superusers hold them all.

| permission             | Viewers | Listeners | Managers |
|------------------------|---------|-----------|----------|
| view_results           | yes     | yes       | yes      |
| log_conversations      |         | yes       |          |
| code_comments          |         | yes       |          |
| manage_surveys         |         |           | yes      |
| send_monthly_report    |         |           | yes      |
| export_raw_responses   |         |           |          |

Raw responses are granted to nobody by default: an administrator gives that
permission to the few people who need it.
"""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.contrib.auth.decorators import permission_required as django_permission_required

VIEW_RESULTS = "perception.view_results"
LOG_CONVERSATIONS = "perception.log_conversations"
CODE_COMMENTS = "perception.code_comments"
MANAGE_SURVEYS = "perception.manage_surveys"
SEND_MONTHLY_REPORT = "perception.send_monthly_report"
EXPORT_RAW_RESPONSES = "perception.export_raw_responses"

LISTENERS = "Listeners"
VIEWERS = "Viewers"
MANAGERS = "Managers"

# The permissions (codenames) each role's group holds; the migration that creates them
# keeps its own copy, as migrations must.
ROLE_PERMISSIONS = {
    VIEWERS: ["view_results"],
    LISTENERS: ["view_results", "log_conversations", "code_comments"],
    MANAGERS: ["view_results", "manage_surveys", "send_monthly_report"],
}


def permission_required(permission: str) -> Callable:
    """Signed-out visitors go to the sign-in page; signed-in people without the
    permission get 403."""

    def decorator(view: Callable) -> Callable:
        return login_required(django_permission_required(permission, raise_exception=True)(view))

    return decorator
