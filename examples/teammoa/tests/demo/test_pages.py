"""Every page a visitor reaches shares the demo's layout; error pages say why and where to go."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import permission_denied
from moa_mindmap.models import Mindmap

pytestmark = pytest.mark.django_db

NAV = 'class="site-nav"'
FAVICON = '<link rel="icon" href="/static/teammoa/favicon.svg" type="image/svg+xml">'
STYLESHEET = '<link rel="stylesheet" href="/static/teammoa/demo.css">'


def assert_layout(page: str) -> None:
    """Assert ``page`` is in the demo's layout: nav with its links, favicon, stylesheet."""
    assert NAV in page
    assert FAVICON in page
    assert STYLESHEET in page
    assert ">Teams</a>" in page
    assert ">Mindmaps</a>" in page
    assert "<style" not in page  # a strict CSP may come: no inline styles


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/teams/",
        "/accounts/login/",
        "/accounts/logout/",
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/done/",
        "/accounts/reset/MQ/not-a-token/",
        "/signup/",
        "/signup/done/",
        "/signup/activate/complete/",
        "/signup/resend/",
        "/signup/resend/done/",
    ],
)
def test_anonymous_pages_use_the_layout(client: Client, path: str) -> None:
    """Each page an anonymous visitor can open renders in the demo's layout."""
    response = client.get(path, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert_layout(page)
    assert ">Log in</a>" in page
    assert ">Sign up</a>" in page


def test_activation_pages_use_the_layout(client: Client) -> None:
    """The activation confirm page and a failed link render in the demo's layout."""
    client.post(
        "/signup/",
        {
            "username": "newcomer",
            "email": "newcomer@example.com",
            "password1": "a-long-demo-passphrase",
            "password2": "a-long-demo-passphrase",
        },
    )
    [message] = mail.outbox
    link = re.search(r"http://testserver(/signup/activate/\S+/)", message.body)
    assert link is not None
    confirm = client.get(link.group(1))
    assert_layout(confirm.content.decode())
    assert "Activate my account</button>" in confirm.content.decode()
    failed = client.get("/signup/activate/MQ/not-a-token/")
    assert failed.status_code == 400
    assert_layout(failed.content.decode())


def test_member_pages_use_the_layout(client: Client) -> None:
    """The mindmap list and editor keep their blocks inside the demo's layout."""
    user = get_user_model().objects.create_user("minji", "minji@example.com", "pass-phrase-77")
    mindmap = Mindmap.objects.create(title="Plans", owner=user)
    client.force_login(user)
    for path in ("/mindmap/", mindmap.get_absolute_url(), "/teams/new/", "/teams/join/"):
        page = client.get(path).content.decode()
        assert_layout(page)
        assert "Signed in as minji" in page
        assert "Sign out</button>" in page
    editor = client.get(mindmap.get_absolute_url()).content.decode()
    assert '<body class="mm-editor-page">' in editor
    assert 'id="mm-editor"' in editor
    assert '<link rel="stylesheet" href="/static/moa_mindmap/mindmap.css">' in editor
    assert editor.index("moa_mindmap/mindmap.css") < editor.index("teammoa/demo.css")
    assert "<title>Plans · TeamMoa</title>" in editor


def test_nav_links_the_mindmap_list(client: Client) -> None:
    """The mindmap list is one click from every page."""
    assert f'href="{reverse("moa_mindmap:list")}"' in client.get("/").content.decode()


def test_favicon_ico_points_to_the_svg(client: Client) -> None:
    """/favicon.ico answers (browsers ask for it) with the icon every page links."""
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/teammoa/favicon.svg"


def test_404_page_says_why_and_where_to_go(client: Client) -> None:
    """An unknown path gets the demo's 404 page: the path, the reason and links onward."""
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert_layout(page)
    assert "<h1>Page not found</h1>" in page
    assert "<code>/no-such-page/</code>" in page
    assert 'href="/teams/"' in page


def test_403_page_says_why_and_where_to_go(client: Client) -> None:
    """Someone else's mindmap answers 403 with the reason and how to get access."""
    user_model = get_user_model()
    owner = user_model.objects.create_user("jun", "jun@example.com", "pass-phrase-77")
    visitor = user_model.objects.create_user("minji", "minji@example.com", "pass-phrase-77")
    mindmap = Mindmap.objects.create(title="Backend plans", owner=owner)
    client.force_login(visitor)
    response = client.get(mindmap.get_absolute_url())
    assert response.status_code == 403
    page = response.content.decode()
    assert_layout(page)
    assert "You may not view this mindmap." in page
    assert "host for an invite link" in page
    assert 'href="/teams/join/"' in page


def test_403_page_offers_log_in_to_a_visitor() -> None:
    """A signed-out visitor refused a page is offered to log in and come back."""
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    page = permission_denied(request, PermissionDenied()).content.decode()
    assert "Your account does not have access to it." in page
    assert 'href="/accounts/login/?next=/somewhere/"' in page


def test_500_page_renders_without_a_request() -> None:
    """Django renders 500.html with an empty context: it still shows the layout."""
    page = render_to_string("500.html")
    assert_layout(page)
    assert "Something went wrong on our side" in page


def test_csrf_failure_page_says_what_to_do() -> None:
    """A form sent without its CSRF token gets the demo's page, not Django's bare one."""
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    page = response.content.decode()
    assert_layout(page)
    assert "Go back, reload the page and send the form again." in page
