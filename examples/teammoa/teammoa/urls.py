"""URL configuration."""

from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView
from moa_accounts.forms import AdminAuthenticationForm
from moa_accounts.views import LoginView
from moa_signup.forms import PasswordResetForm

# A throttled login says so ("Too many failed logins"), in the admin too.
admin.site.login_form = AdminAuthenticationForm

urlpatterns = [
    # health/live/, health/ready/ and health/ for load balancers and containers.
    path("", include("moa_ops.urls")),
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    # moa-signup's form keeps the emailed reset link on one line (Django 6.1).
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    # Log in (answers 429 while failed logins are throttled), log out and password
    # reset (Django's views, the project's templates).
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Sign up, activate by email, resend the activation email (moa-signup).
    path("signup/", include("moa_signup.urls")),
    # The mindmap list and editor; their WebSocket is routed in routing.py.
    path("mindmap/", include("moa_mindmap.urls")),
    # DJANGO_ADMIN_URL, "admin/" unless set (settings/base.py).
    path(settings.ADMIN_URL, admin.site.urls),
]

# Uploads, while DEBUG is on (runserver); in production nginx serves them.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if "debug_toolbar" in settings.INSTALLED_APPS:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
