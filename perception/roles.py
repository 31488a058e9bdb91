"""Who may do what: permissions, and the roles (groups) made of them.

Every staff view names the permission it needs with ``permission_required``; roles are
Django groups holding those permissions (created by a data migration), so an
administrator can also grant one permission to one person. Superusers hold them all.

| permission             | Viewers | Listeners | Managers | Administrators |
|------------------------|---------|-----------|----------|----------------|
| view_results           | yes     | yes       | yes      | yes            |
| log_conversations      |         | yes       |          |                |
| code_comments          |         | yes       |          |                |
| manage_surveys         |         |           | yes      |                |
| send_monthly_report    |         |           | yes      |                |
| export_raw_responses   |         |           |          |                |
| administer_site        |         |           |          | yes            |

Raw responses are granted to nobody by default: an administrator gives that
permission to the few people who need it. Administrators invite staff and give them
roles, keep the department tree and edit site settings on the Administration pages;
they hold no other power by that role (give them another role as well where they need
it). The Django admin stays for superusers.
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
ADMINISTER_SITE = "perception.administer_site"

LISTENERS = "Listeners"
VIEWERS = "Viewers"
MANAGERS = "Managers"
ADMINISTRATORS = "Administrators"

# The permissions (codenames) each role's group holds; the migration that creates them
# keeps its own copy, as migrations must.
ROLE_PERMISSIONS = {
    VIEWERS: ["view_results"],
    LISTENERS: ["view_results", "log_conversations", "code_comments"],
    MANAGERS: ["view_results", "manage_surveys", "send_monthly_report"],
    ADMINISTRATORS: ["view_results", "administer_site"],
}


def permission_required(permission: str) -> Callable:
    """Signed-out visitors go to the sign-in page; signed-in people without the
    permission get 403."""

    def decorator(view: Callable) -> Callable:
        return login_required(django_permission_required(permission, raise_exception=True)(view))

    return decorator
