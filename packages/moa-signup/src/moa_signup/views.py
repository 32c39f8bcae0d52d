"""Signup, "check your inbox", activation, resend and password reset views."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from moa_signup.conf import app_settings
from moa_signup.exceptions import ActivationEmailError, ActivationLinkError, DuplicateUserError
from moa_signup.forms import PasswordResetForm, ResendForm, SignupForm
from moa_signup.services import SignupService
from moa_signup.throttling import allow_resend, allow_signup, client_ip
from moa_signup.tokens import TokenStatus

EMAIL_FAILED = _(
    "We could not send the activation email, so no account was created. "
    "Please try again in a few minutes."
)
TOO_MANY_REQUESTS = _("Too many requests. Please wait a while and try again.")
LINK_STATUS_CODES = {TokenStatus.INVALID: 400, TokenStatus.EXPIRED: 410, TokenStatus.USED: 409}


@method_decorator(
    [sensitive_post_parameters("password1", "password2"), csrf_protect, never_cache],
    name="dispatch",
)
class SignupView(FormView):  # type: ignore[type-arg]
    """Show the signup form; on success create the account and send the email.

    An email address that a live account already has gets the same answer as
    a new one ("check your inbox"); its owner gets an email saying someone
    tried to sign up with it. A taken username is a form error. Every attempt
    counts against the signup rate limits (per address and per client IP);
    over either, the form is shown again with status 429.
    """

    form_class = SignupForm
    template_name = "moa_signup/signup_form.html"
    success_url = reverse_lazy("moa_signup:signup_done")
    service_class = SignupService

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        valid = form.is_valid()
        # Invalid attempts count too: a taken username is an answer worth limiting.
        if not allow_signup(form.cleaned_data.get("email"), client_ip(request)):
            form.add_error(None, TOO_MANY_REQUESTS)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return self.form_valid(form) if valid else self.form_invalid(form)

    def form_valid(self, form: SignupForm) -> HttpResponse:
        service = self.service_class()
        signup = form.signup_kwargs
        try:
            try:
                service.register(**signup, request=self.request)
            except DuplicateUserError as exc:
                if exc.field != "email" or "email" not in form.fields:
                    form.add_error(exc.field if exc.field in form.fields else None, exc)
                    return self.form_invalid(form)
                # Answer as for a new address, at about the same cost: hash the
                # password as creating the account would, and send one email.
                make_password(signup["password"])
                service.notify_signup_attempt(signup["email"], request=self.request)
        except ActivationEmailError:
            form.add_error(None, EMAIL_FAILED)
            return self.render_to_response(self.get_context_data(form=form), status=503)
        return HttpResponseRedirect(self.get_success_url())


class SignupDoneView(TemplateView):
    """Tell the user to look for the activation email."""

    template_name = "moa_signup/signup_done.html"


@method_decorator([csrf_protect, never_cache], name="dispatch")
class ActivationView(TemplateView):
    """GET shows a confirm button; POST activates.

    Mail scanners fetch links in emails: a GET never changes anything.
    """

    template_name = "moa_signup/activation_confirm.html"
    failed_template_name = "moa_signup/activation_failed.html"
    service_class = SignupService

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.service_class().check_activation_link(kwargs["uidb64"], kwargs["token"])
        except ActivationLinkError as exc:
            return self.link_failed(exc.status)
        return self.referrer_same_origin(super().get(request, *args, **kwargs))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            user = self.service_class().activate(kwargs["uidb64"], kwargs["token"], request=request)
        except ActivationLinkError as exc:
            return self.link_failed(exc.status)
        if app_settings.MOA_SIGNUP_LOGIN_AFTER_ACTIVATION:
            login(request, cast(Any, user), backend=settings.AUTHENTICATION_BACKENDS[0])
            return HttpResponseRedirect(resolve_url(settings.LOGIN_REDIRECT_URL))
        return HttpResponseRedirect(reverse("moa_signup:activation_complete"))

    def link_failed(self, status: TokenStatus) -> HttpResponse:
        context = {
            "reason": status.value,
            "resend_url": reverse("moa_signup:resend"),
            "login_url": resolve_url(settings.LOGIN_URL),
        }
        response = self.response_class(
            request=self.request,
            template=[self.failed_template_name],
            context=context,
            status=LINK_STATUS_CODES[status],
        )
        return self.referrer_same_origin(response)

    @staticmethod
    def referrer_same_origin(response: HttpResponse) -> HttpResponse:
        # The URL holds the token: never send it to another site. "no-referrer"
        # would also make browsers send "Origin: null" with the page's own form,
        # which Django's CSRF check rejects; "same-origin" keeps both right.
        response["Referrer-Policy"] = "same-origin"
        return response


class ActivationCompleteView(TemplateView):
    """Say the account is active and point to the login page."""

    template_name = "moa_signup/activation_complete.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["login_url"] = resolve_url(settings.LOGIN_URL)
        return context


@method_decorator([csrf_protect, never_cache], name="dispatch")
class ResendView(FormView):  # type: ignore[type-arg]
    """Send a new activation link; answer the same whether or not the address exists.

    The request looks nothing up: the lookup of pending accounts and the email
    run in a background thread, started once the answer has been sent.
    """

    form_class = ResendForm
    template_name = "moa_signup/resend_form.html"
    success_url = reverse_lazy("moa_signup:resend_done")
    service_class = SignupService

    def form_valid(self, form: ResendForm) -> HttpResponse:
        email = form.cleaned_data["email"]
        if not allow_resend(email, client_ip(self.request)):
            form.add_error(None, TOO_MANY_REQUESTS)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        start = self.service_class().resend_starter(email, request=self.request)
        response = HttpResponseRedirect(self.get_success_url())
        # The lookup and the email start once the answer is sent (servers call close()
        # after the last byte), so they never delay it, whatever the address.
        close = response.close

        def close_then_start() -> None:
            close()
            start()

        response.close = close_then_start  # type: ignore[method-assign]
        return response


class ResendDoneView(TemplateView):
    """Say a link is on its way if the address has an account waiting."""

    template_name = "moa_signup/resend_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset view with ``PasswordResetForm``, answering 429 over a limit.

    The limits count the address whether or not an account has it, so a 429
    tells nothing about accounts; under them the answer is Django's.
    """

    form_class = PasswordResetForm

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:  # type: ignore[override]
        if not form.within_rate_limit(self.request):
            form.add_error(None, TOO_MANY_REQUESTS)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
