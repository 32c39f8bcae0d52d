"""Messages ship in English and Korean."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from moa_accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "username_taken", "email_taken"),
    [
        (
            "en",
            "A user with that username already exists.",
            "A user with that email address already exists.",
        ),
        (
            "ko",
            "해당 사용자 이름은 이미 존재합니다.",
            "해당 이메일 주소를 사용하는 사용자가 이미 존재합니다.",
        ),
    ],
)
def test_violation_messages_are_translated(
    make_user: Callable[..., User], language: str, username_taken: str, email_taken: str
) -> None:
    make_user("alice", "alice@example.com")
    with translation.override(language):
        with pytest.raises(ValidationError) as by_name:
            make_user("alice", "other@example.com")
        with pytest.raises(ValidationError) as by_email:
            make_user("bob", "ALICE@example.com")
        assert by_name.value.message_dict == {"username": [username_taken]}
        assert by_email.value.message_dict == {"email": [email_taken]}


def test_admin_labels_are_translated() -> None:
    with translation.override("ko"):
        assert str(User._meta.get_field("email_verified_at").verbose_name) == "이메일 인증 시각"
        from django.apps import apps

        assert str(apps.get_app_config("moa_accounts").verbose_name) == "Moa 계정"


def test_lookalike_and_throttle_messages_are_translated(make_user: Callable[..., User]) -> None:
    from moa_accounts.forms import TOO_MANY_FAILED_LOGINS

    make_user("jun", "jun@example.com")
    with translation.override("ko"):
        with pytest.raises(ValidationError) as caught:
            make_user("\u0458un", "other@example.com")
        assert caught.value.message_dict == {
            "username": ["같아 보이는 사용자 이름을 가진 사용자가 이미 있습니다."]
        }
        assert (
            str(TOO_MANY_FAILED_LOGINS)
            == "로그인 실패가 너무 많습니다. 몇 분 후에 다시 시도해 주세요."
        )
