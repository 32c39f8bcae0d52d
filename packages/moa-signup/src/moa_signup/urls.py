"""URLs of moa-signup: ``path("signup/", include("moa_signup.urls"))``."""

from __future__ import annotations

from django.urls import path

from moa_signup import views

app_name = "moa_signup"

urlpatterns = [
    path("", views.SignupView.as_view(), name="signup"),
    path("done/", views.SignupDoneView.as_view(), name="signup_done"),
    path(
        "activate/complete/",
        views.ActivationCompleteView.as_view(),
        name="activation_complete",
    ),
    path("activate/<str:uidb64>/<str:token>/", views.ActivationView.as_view(), name="activate"),
    path("resend/", views.ResendView.as_view(), name="resend"),
    path("resend/done/", views.ResendDoneView.as_view(), name="resend_done"),
]
