from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from teams.views import TeamMindmapListView

from moa_accounts.forms import AdminAuthenticationForm
from moa_accounts.views import LoginView
from moa_signup.forms import PasswordResetForm
from teammoa import views

# A throttled login says so instead of "wrong password".
admin.site.login_form = AdminAuthenticationForm

urlpatterns = [
    path("", include("moa_ops.urls")),
    path("favicon.ico", views.favicon),
    path("admin/", admin.site.urls),
    # Before Django's auth URLs: a GET shows a sign-out button instead of 405.
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    # moa-signup's form keeps the emailed reset link on one line (Django 6.1).
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    # Before Django's auth URLs: too many failed logins are answered 429.
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("signup/", include("moa_signup.urls")),
    # Before moa-mindmap's URLs: the list also shows the mindmaps of the user's teams.
    path("mindmap/", TeamMindmapListView.as_view(), name="mindmap_list"),
    path("mindmap/", include("moa_mindmap.urls")),
    path("", include("teams.urls")),
]
