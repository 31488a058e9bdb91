"""Every route, walked from the URLconf, against one declared table of who may open it.

A route added without a line in ROUTES fails `test_every_route_is_declared`, so no page
escapes the access rules the day it is added (Zulip's test_urls.py idea). Each route
also declares the query parameters it reads and their type, so hostile values can be
fed to all of them.
"""

from dataclasses import dataclass, field
from datetime import date

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conversations.models import Action, Note, Person, ThemeMerge
from perception.models import Department, Theme
from perception.roles import (
    ADMINISTER_SITE,
    CODE_COMMENTS,
    EXPORT_RAW_RESPONSES,
    LOG_CONVERSATIONS,
    MANAGE_SURVEYS,
    SEND_MONTHLY_REPORT,
    VIEW_RESULTS,
)
from reports.models import MonthlyReport
from surveys.models import ImportUpload, Question
from tests.factories import add_question, make_conversation, make_survey, make_user, make_wave

pytestmark = pytest.mark.django_db

PUBLIC = "public"

# Who holds each permission. Declared here, independently of the migration that grants
# them, so a wrong grant fails. "raw exporter" is a person given that one permission.
WHO_MAY = {
    VIEW_RESULTS: {"viewer", "listener", "manager", "administrator", "superuser"},
    LOG_CONVERSATIONS: {"listener", "superuser"},
    CODE_COMMENTS: {"listener", "superuser"},
    MANAGE_SURVEYS: {"manager", "superuser"},
    SEND_MONTHLY_REPORT: {"manager", "superuser"},
    EXPORT_RAW_RESPONSES: {"raw exporter", "superuser"},
    ADMINISTER_SITE: {"administrator", "superuser"},
}
PERSONAS = [
    "anonymous",
    "no role",
    "viewer",
    "listener",
    "manager",
    "raw exporter",
    "administrator",
    "superuser",
]

# Query parameter types, for hostile values.
INT, TEXT, SLUG = "int", "text", "slug"


@dataclass(frozen=True)
class Route:
    permission: str
    args: tuple = ()  # names of objects in the `objects` fixture, or literal strings
    query: dict = field(default_factory=dict)  # parameter -> type
    method: str = "get"
    ok: tuple = (200,)  # what a permitted persona gets


DASHBOARD_QUERY = {"survey": SLUG, "from": TEXT, "to": TEXT, "department": TEXT}

ROUTES = {
    "surveys:personal_link": Route(PUBLIC, ("a-token-nobody-has",), ok=(404,)),
    "surveys:open_link": Route(PUBLIC, ("it-service",), ok=(404,)),  # no wave yet
    "surveys:thanks": Route(PUBLIC, ("it-service",)),
    "surveys:opt_out": Route(PUBLIC, ("not-a-signed-link",), ok=(404,)),
    "surveys:import_upload": Route(MANAGE_SURVEYS),
    "surveys:import_mapping": Route(MANAGE_SURVEYS, ("upload",), ok=(200, 404)),  # one's own uploads only
    "surveys:import_status": Route(MANAGE_SURVEYS, ("upload",), ok=(200, 404)),  # one's own uploads only
    "surveys:coding": Route(
        CODE_COMMENTS, query={"survey": SLUG, "wave": INT, "answer": INT, "skipped": INT}
    ),
    "surveys:coding_unskip": Route(CODE_COMMENTS, method="post", ok=(400,)),  # names no comment
    "surveys:coding_bulk": Route(CODE_COMMENTS, query={"survey": SLUG, "wave": INT, "page": INT}),
    "password_reset_confirm": Route(PUBLIC, ("MQ", "a-token-nobody-has")),  # says the link no longer works
    "password_reset_complete": Route(PUBLIC),
    "administration:index": Route(ADMINISTER_SITE),
    "administration:staff": Route(ADMINISTER_SITE, query={"page": INT}),
    "administration:staff_invite": Route(ADMINISTER_SITE),
    "administration:staff_member": Route(ADMINISTER_SITE, ("staff_member",)),
    "administration:staff_active": Route(ADMINISTER_SITE, ("staff_member",), method="post", ok=(302,)),
    # The target has a password already: refused with a message, back to their page.
    "administration:staff_reinvite": Route(ADMINISTER_SITE, ("staff_member",), method="post", ok=(302,)),
    "administration:departments": Route(ADMINISTER_SITE),
    "administration:department_new": Route(ADMINISTER_SITE),
    "administration:department_edit": Route(ADMINISTER_SITE, ("department",)),
    # The first permitted persona deletes it; the next finds it gone.
    "administration:department_delete": Route(ADMINISTER_SITE, ("department",), method="post", ok=(302, 404)),
    "administration:site_settings": Route(ADMINISTER_SITE),
    "conversations:people_import": Route(LOG_CONVERSATIONS),
    "surveys:builder_list": Route(MANAGE_SURVEYS, query={"page": INT}),
    "surveys:survey_new": Route(MANAGE_SURVEYS),
    # The builder's pages of one survey: its owners (and superusers) only; others get 404.
    "surveys:builder": Route(MANAGE_SURVEYS, ("built",)),
    "surveys:survey_settings": Route(MANAGE_SURVEYS, ("built",)),
    "surveys:survey_publish": Route(MANAGE_SURVEYS, ("built",), method="post", ok=(302, 400)),
    "surveys:survey_share": Route(MANAGE_SURVEYS, ("built",), method="post", ok=(400,)),  # names nobody
    "surveys:survey_preview": Route(MANAGE_SURVEYS, ("built",), query={"lang": TEXT}),
    "surveys:question_new": Route(MANAGE_SURVEYS, ("built",), query={"kind": TEXT}),
    "surveys:question_edit": Route(MANAGE_SURVEYS, ("built", "question")),
    # Names no direction.
    "surveys:question_move": Route(MANAGE_SURVEYS, ("built", "question"), method="post", ok=(400,)),
    "surveys:question_remove": Route(MANAGE_SURVEYS, ("built", "question")),
    "surveys:wave_new": Route(MANAGE_SURVEYS, ("built",)),
    "surveys:wave": Route(MANAGE_SURVEYS, ("built", "wave")),
    # Creates the wave's IT self-view wave (once) and goes to its page.
    "surveys:wave_self_view": Route(MANAGE_SURVEYS, ("built", "wave"), method="post", ok=(302,)),
    "surveys:wave_qr": Route(MANAGE_SURVEYS, ("built", "wave")),
    "surveys:wave_flyer": Route(MANAGE_SURVEYS, ("built", "wave")),
    # Managers see only the waves of surveys they own (superusers: all).
    "surveys:wave_invitations": Route(MANAGE_SURVEYS, ("built", "wave")),
    "surveys:wave_invitations_new": Route(MANAGE_SURVEYS, ("built", "wave")),
    "surveys:wave_reminders": Route(MANAGE_SURVEYS, ("built", "wave"), method="post", ok=(400,)),
    "conversations:people": Route(VIEW_RESULTS, query={"q": TEXT, "department": INT, "influence": TEXT}),
    "conversations:person_new": Route(LOG_CONVERSATIONS),
    "conversations:person_edit": Route(LOG_CONVERSATIONS, ("person",)),
    "conversations:person_erase": Route(LOG_CONVERSATIONS, ("person",)),
    "conversations:conversations": Route(VIEW_RESULTS, query={"department": INT, "kind": TEXT, "page": INT}),
    "conversations:conversation_new": Route(LOG_CONVERSATIONS),
    "conversations:conversation": Route(VIEW_RESULTS, ("conversation",)),
    "conversations:conversation_edit": Route(LOG_CONVERSATIONS, ("conversation",)),
    "conversations:note_add": Route(LOG_CONVERSATIONS, ("conversation",), method="post", ok=(400,)),
    "conversations:note_edit": Route(LOG_CONVERSATIONS, ("conversation", "note")),
    "conversations:note_delete": Route(LOG_CONVERSATIONS, ("conversation", "note")),
    "conversations:capture": Route(LOG_CONVERSATIONS),
    "conversations:themes": Route(VIEW_RESULTS),
    "conversations:theme_new": Route(LOG_CONVERSATIONS),
    "conversations:theme_merge": Route(LOG_CONVERSATIONS, method="post", ok=(302,)),
    "conversations:theme_merge_undo": Route(LOG_CONVERSATIONS, ("merge",), method="post", ok=(302,)),
    "conversations:codebook_import": Route(LOG_CONVERSATIONS),
    "conversations:codebook_export": Route(VIEW_RESULTS),
    "conversations:theme": Route(VIEW_RESULTS, ("theme",), query={"page": INT}),
    "conversations:theme_edit": Route(LOG_CONVERSATIONS, ("theme",)),
    "conversations:actions": Route(VIEW_RESULTS, query={"status": TEXT, "page": INT}),
    "conversations:action_new": Route(LOG_CONVERSATIONS),
    "conversations:action_edit": Route(LOG_CONVERSATIONS, ("action",)),
    "reports:home": Route(VIEW_RESULTS),
    "reports:coverage": Route(VIEW_RESULTS),
    "reports:dashboard": Route(VIEW_RESULTS, query=DASHBOARD_QUERY),
    "reports:how_to_read": Route(VIEW_RESULTS),
    "reports:chart": Route(VIEW_RESULTS, query=DASHBOARD_QUERY | {"measure": TEXT}, ok=(200, 404)),
    "reports:theme": Route(VIEW_RESULTS, ("theme",), query=DASHBOARD_QUERY | {"page": INT}),
    "reports:gap": Route(VIEW_RESULTS, query={"survey": SLUG}, ok=(200, 404)),
    "reports:gap_chart": Route(VIEW_RESULTS, query={"survey": SLUG}, ok=(200, 404)),
    "reports:drivers": Route(VIEW_RESULTS, query={"survey": SLUG, "wave": TEXT}, ok=(200, 404)),
    "reports:drivers_chart": Route(VIEW_RESULTS, query={"survey": SLUG, "wave": TEXT}, ok=(200, 404)),
    "reports:export_csv": Route(VIEW_RESULTS, query=DASHBOARD_QUERY),
    "reports:export_xlsx": Route(VIEW_RESULTS, query=DASHBOARD_QUERY),
    "reports:responses_csv": Route(EXPORT_RAW_RESPONSES, query={"survey": SLUG}, ok=(200, 404)),
    "reports:responses_xlsx": Route(EXPORT_RAW_RESPONSES, query={"survey": SLUG}, ok=(200, 404)),
    "reports:actions_impact": Route(VIEW_RESULTS, query={"survey": SLUG}, ok=(200, 404)),
    "reports:action_impact_chart": Route(
        VIEW_RESULTS, ("action",), query={"survey": SLUG, "measure": TEXT}, ok=(200, 404)
    ),
    "reports:monthly": Route(SEND_MONTHLY_REPORT, query={"month": TEXT}),
    "reports:monthly_send": Route(SEND_MONTHLY_REPORT),
    "reports:monthly_test": Route(SEND_MONTHLY_REPORT, method="post", ok=(302,)),
    "reports:monthly_history": Route(SEND_MONTHLY_REPORT),
    "reports:monthly_report": Route(SEND_MONTHLY_REPORT, ("monthly_report",)),
    "reports:monthly_settings": Route(SEND_MONTHLY_REPORT),
    "reports:service_metrics": Route(SEND_MONTHLY_REPORT),
}
# Routes with their own guard: Django's admin (staff sign-in and model permissions) and
# the sign-in pages themselves.
OWN_GUARD = {"login", "logout"}
HOSTILE = ["abc", "-1", "0", "99999999999999999999", "' OR 1=1 --", "<script>x</script>", "%00", "é" * 300]


def walk(patterns, namespace: str = "") -> list[str]:
    """Every named route under ``patterns``, as namespace:name."""
    names = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"route {pattern.pattern} has no name, so it cannot be declared"
            names.append(namespace + pattern.name)
    return names


@pytest.fixture
def personas() -> dict[str, User | None]:
    people = {
        "anonymous": None,
        "no role": make_user("nobody"),
        "viewer": make_user("viewer", "Viewers"),
        "listener": make_user("listener", "Listeners"),
        "manager": make_user("manager", "Managers"),
        "administrator": make_user("administrator", "Administrators"),
        "raw exporter": make_user("exporter"),
        "superuser": User.objects.create_superuser("root", "root@example.org", "a-long-test-password"),
    }
    people["raw exporter"].user_permissions.add(Permission.objects.get(codename="export_raw_responses"))
    return people


@pytest.fixture
def objects(personas) -> dict:
    built = make_survey("built")  # the survey the builder's routes open; the manager owns it
    built.owners.add(personas["manager"])
    return {
        "person": Person.objects.create(name="Ana"),
        "staff_member": make_user("someone", "Viewers"),
        "department": Department.objects.create(name="Facilities"),
        "conversation": (conversation := make_conversation()),
        "note": Note.objects.create(conversation=conversation, text="Wi-Fi drops"),
        "merge": ThemeMerge.objects.create(source_name="Gone"),
        "theme": Theme.objects.create(name="Wi-Fi"),
        "action": Action.objects.create(title="Fix Wi-Fi"),
        "monthly_report": MonthlyReport.objects.create(
            period=date(2026, 10, 1), subject="IT in October", body_text="Hello", body_html="<p>Hello</p>"
        ),
        "question": add_question(built, Question.RATING_5),
        "wave": make_wave(built),
        "upload": ImportUpload.objects.create(
            data=b"Rating\n4\n", filename="a.csv", slug="new-survey", created_by=personas["manager"]
        ),
    }


def url_of(name: str, route: Route, objects: dict) -> str:
    args = [objects[a].pk if a in objects else a for a in route.args]
    return reverse(name, args=args)


def test_every_route_is_declared():
    walked = set(walk(get_resolver().url_patterns))
    assert walked - set(ROUTES) - OWN_GUARD == set(), "declare new routes in ROUTES"
    assert set(ROUTES) - walked == set(), "ROUTES names a route that no longer exists"


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_persona_gets_what_the_table_says(client, personas, objects, name):
    route = ROUTES[name]
    url = url_of(name, route, objects)
    for persona in PERSONAS:
        client.logout()
        if personas[persona] is not None:
            client.force_login(personas[persona])
        answer = getattr(client, route.method)(url)
        where = f"{name} as {persona}"
        if route.permission == PUBLIC:
            assert answer.status_code in route.ok, where
        elif persona == "anonymous":
            assert answer.status_code == 302, where
            assert answer["Location"].startswith(reverse("login")), where
        elif persona in WHO_MAY[route.permission]:
            assert answer.status_code in route.ok, where
        else:
            assert answer.status_code == 403, where


def test_the_admin_needs_a_staff_sign_in(client, personas):
    assert client.get("/admin/").status_code == 302
    client.force_login(personas["manager"])
    assert client.get("/admin/").status_code == 302  # not staff: back to the admin's sign-in
    client.force_login(personas["superuser"])
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("name", sorted(n for n, r in ROUTES.items() if r.query and r.method == "get"))
def test_hostile_query_values_never_give_a_server_error(client, personas, objects, name):
    route = ROUTES[name]
    url = url_of(name, route, objects)
    client.force_login(personas["superuser"])
    for parameter in route.query:
        for value in HOSTILE:
            answer = client.get(url, {parameter: value})
            assert answer.status_code < 500, f"{name}?{parameter}={value!r}"
