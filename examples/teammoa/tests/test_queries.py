"""moa-queries: N+1 queries fail these tests, and lists run in constant queries."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from moa_queries import NPlusOneError, assert_constant_queries

from tests.factories import UserFactory


def permission_names(request: HttpRequest) -> HttpResponse:
    """Load each permission's content type on its own: an N+1 on purpose."""
    permissions = Permission.objects.all()[:5]
    return HttpResponse(", ".join(f"{p.content_type.app_label}.{p.codename}" for p in permissions))


urlpatterns = [path("permission-names/", permission_names)]


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_n_plus_one_in_a_view_fails_the_test(client):
    """The test settings run NPlusOneMiddleware in raise mode, naming the relation."""
    with pytest.raises(NPlusOneError, match=r"Permission\.content_type is loaded one row"):
        client.get("/permission-names/")


def make_users(count: int) -> None:
    UserFactory.create_batch(count)


@pytest.mark.django_db
def test_user_admin_list_runs_a_constant_number_of_queries(admin_client):
    """Twenty users cost the admin's user list no more queries than one."""
    url = reverse("admin:moa_accounts_user_changelist")

    counts = assert_constant_queries(make_users, lambda: admin_client.get(url), sizes=(1, 5, 20))
    response = admin_client.get(url)

    assert response.status_code == 200
    assert counts[0] == counts[-1]
