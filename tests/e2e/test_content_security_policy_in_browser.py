"""The Content-Security-Policy holds in a real browser: the pages people use most load,
draw and work with it enforced, and nothing on them is blocked (other browser tests
bypass the policy only to inject axe-core)."""

import pytest
from django.utils import timezone

from conversations import demo as listening_demo
from reports import demo as report_demo
from surveys import demo
from tests.e2e.conftest import DESKTOP, sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/", "/dashboard/?survey=it-service", "/dashboard/monthly/", "/conversations/", "/capture/"]


@pytest.fixture
def organisation():
    user = make_user("boss", "Managers")
    user.groups.add(*make_user("helper", "Listeners").groups.all())
    demo.build(timezone.now())
    listening_demo.build(timezone.localdate(), facilitator=user)
    report_demo.build()


def test_nothing_is_blocked_by_the_policy(live_server, browser, organisation):
    context = browser.new_context(viewport=DESKTOP)  # the policy enforced
    page = context.new_page()
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(f"{page.url}: {message.text[:60]}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: blocked.append(str(error)))
    page.goto(f"{live_server.url}/s/it-service/")
    assert page.get_by_role("button").last.is_visible()
    sign_in(page, live_server, "boss")
    for path in PAGES:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert "content-security-policy" in {h.lower() for h in response.headers}, path
        page.wait_for_load_state("load")
    charts = page.goto(f"{live_server.url}/dashboard/?survey=it-service")
    assert charts.status == 200
    assert blocked == []
    context.close()
