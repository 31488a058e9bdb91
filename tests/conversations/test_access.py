"""Every staff page needs sign-in and the right role; the public survey pages need neither."""

import pytest
from django.urls import reverse

from conversations.models import Action, Person
from perception.models import Theme
from tests.factories import make_conversation, make_user

pytestmark = pytest.mark.django_db

VIEW = "Viewers"
LISTEN = "Listeners"


@pytest.fixture
def objects():
    theme = Theme.objects.create(name="Wi-Fi")
    return {
        "person": Person.objects.create(name="Ana"),
        "conversation": make_conversation(),
        "theme": theme,
        "action": Action.objects.create(title="Fix Wi-Fi"),
    }


def staff_urls(objects) -> list[tuple[str, str]]:
    """(url, least role that may open it) for every staff page."""
    pk = {name: obj.pk for name, obj in objects.items()}
    return [
        (reverse("home"), VIEW),
        (reverse("conversations:people"), VIEW),
        (reverse("conversations:person_new"), LISTEN),
        (reverse("conversations:person_edit", args=[pk["person"]]), LISTEN),
        (reverse("conversations:person_erase", args=[pk["person"]]), LISTEN),
        (reverse("conversations:conversations"), VIEW),
        (reverse("conversations:conversation_new"), LISTEN),
        (reverse("conversations:conversation", args=[pk["conversation"]]), VIEW),
        (reverse("conversations:conversation_edit", args=[pk["conversation"]]), LISTEN),
        (reverse("conversations:capture"), LISTEN),
        (reverse("conversations:coding"), LISTEN),
        (reverse("conversations:themes"), VIEW),
        (reverse("conversations:theme_new"), LISTEN),
        (reverse("conversations:codebook_import"), LISTEN),
        (reverse("conversations:codebook_export"), VIEW),
        (reverse("conversations:theme", args=[pk["theme"]]), VIEW),
        (reverse("conversations:theme_edit", args=[pk["theme"]]), LISTEN),
        (reverse("conversations:coverage"), VIEW),
        (reverse("conversations:actions"), VIEW),
        (reverse("conversations:action_new"), LISTEN),
        (reverse("conversations:action_edit", args=[pk["action"]]), LISTEN),
    ]


POST_ONLY = [
    ("conversations:note_add", "conversation", LISTEN),
    ("conversations:theme_merge", None, LISTEN),
]


def test_every_staff_url_needs_sign_in_then_the_role(client, objects):
    no_role = make_user("nobody")
    viewer = make_user("viewer", VIEW)
    listener = make_user("listener", LISTEN)
    for url, role in staff_urls(objects):
        client.logout()
        signed_out = client.get(url)
        assert signed_out.status_code == 302 and signed_out["Location"].startswith("/accounts/login/"), url
        client.force_login(no_role)
        assert client.get(url).status_code == 403, url
        client.force_login(viewer)
        assert client.get(url).status_code == (200 if role == VIEW else 403), url
        client.force_login(listener)
        assert client.get(url).status_code == 200, url


def test_post_only_staff_urls_need_the_listener_role(client, objects):
    viewer = make_user("viewer", VIEW)
    for name, arg, _ in POST_ONLY:
        url = reverse(name, args=[objects[arg].pk] if arg else [])
        assert client.post(url).status_code == 302  # to sign-in
        client.force_login(viewer)
        assert client.post(url).status_code == 403
        client.logout()


def test_superusers_can_open_every_staff_page(admin_client, objects):
    for url, _ in staff_urls(objects):
        assert admin_client.get(url).status_code == 200, url


def test_public_survey_pages_need_no_account(client):
    assert client.get("/s/it-service/").status_code in {200, 403, 404, 410}
    assert client.get("/s/it-service/").status_code != 302


def test_signed_in_without_a_role_sees_a_clear_403(client):
    client.force_login(make_user("nobody"))
    page = client.get(reverse("conversations:coverage"))
    assert page.status_code == 403
    assert "Your account does not have the role this page needs" in page.content.decode()


def test_login_page_is_styled_and_signs_in(client):
    make_user("ana", VIEW)
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and "Sign in to Perception" in page.content.decode()
    signed_in = client.post("/accounts/login/", {"username": "ana", "password": "a-long-test-password"})
    assert signed_in.status_code == 302
    assert client.get("/").status_code == 200
