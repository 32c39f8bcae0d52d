from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from moa_signup.forms import PasswordResetForm
from moa_signup.views import PasswordResetView

urlpatterns = [
    path("signup/", include("moa_signup.urls")),
    path("moa/password_reset/", PasswordResetView.as_view(), name="moa_password_reset"),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    path("", include("django.contrib.auth.urls")),
]
