"""Settings of moa-signup, read from ``django.conf.settings`` on every access."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

# MOA_SIGNUP_TASK_RETRY_DELAYS_S unset: retried after 1, 5, 30 and 120 minutes.
DEFAULT_TASK_RETRY_DELAYS_S = (60, 300, 1800, 7200)

# The settings that must be positive integers (system check moa_signup.E002).
POSITIVE_INTEGERS = (
    "MOA_SIGNUP_ACTIVATION_DAYS",
    "MOA_SIGNUP_RESEND_PER_ADDRESS",
    "MOA_SIGNUP_RESEND_PER_IP",
    "MOA_SIGNUP_RESEND_WINDOW_S",
    "MOA_SIGNUP_SIGNUP_PER_ADDRESS",
    "MOA_SIGNUP_SIGNUP_PER_IP",
    "MOA_SIGNUP_SIGNUP_WINDOW_S",
    "MOA_SIGNUP_PASSWORD_RESET_PER_ADDRESS",
    "MOA_SIGNUP_PASSWORD_RESET_PER_IP",
    "MOA_SIGNUP_PASSWORD_RESET_WINDOW_S",
)


class Settings:
    """One typed property per ``MOA_SIGNUP_*`` setting, with its default beside it."""

    @property
    def MOA_SIGNUP_ACTIVATION_DAYS(self) -> int:
        """Days an activation link stays valid (the purge command's window too)."""
        return getattr(settings, "MOA_SIGNUP_ACTIVATION_DAYS", 3)

    @property
    def activation_window(self) -> timedelta:
        """``MOA_SIGNUP_ACTIVATION_DAYS`` as a duration."""
        return timedelta(days=self.MOA_SIGNUP_ACTIVATION_DAYS)

    @property
    def MOA_SIGNUP_LOGIN_AFTER_ACTIVATION(self) -> bool:
        """Whether activating an account also logs its user in."""
        return getattr(settings, "MOA_SIGNUP_LOGIN_AFTER_ACTIVATION", False)

    @property
    def MOA_SIGNUP_SITE_URL(self) -> str | None:
        """Scheme and host for activation links; ``None``: the request's own."""
        return getattr(settings, "MOA_SIGNUP_SITE_URL", None)

    @property
    def MOA_SIGNUP_FROM_EMAIL(self) -> str | None:
        """Sender of the activation email; ``None``: ``DEFAULT_FROM_EMAIL``."""
        return getattr(settings, "MOA_SIGNUP_FROM_EMAIL", None)

    @property
    def MOA_SIGNUP_RESEND_PER_ADDRESS(self) -> int:
        """Resend requests one email address may make per window."""
        return getattr(settings, "MOA_SIGNUP_RESEND_PER_ADDRESS", 3)

    @property
    def MOA_SIGNUP_RESEND_PER_IP(self) -> int:
        """Resend requests one client IP address may make per window."""
        return getattr(settings, "MOA_SIGNUP_RESEND_PER_IP", 20)

    @property
    def MOA_SIGNUP_RESEND_WINDOW_S(self) -> int:
        """Seconds over which resend requests are counted."""
        return getattr(settings, "MOA_SIGNUP_RESEND_WINDOW_S", 3600)

    @property
    def MOA_SIGNUP_SIGNUP_PER_ADDRESS(self) -> int:
        """Signup attempts with one email address per window."""
        return getattr(settings, "MOA_SIGNUP_SIGNUP_PER_ADDRESS", 5)

    @property
    def MOA_SIGNUP_SIGNUP_PER_IP(self) -> int:
        """Signup attempts one client IP address may make per window."""
        return getattr(settings, "MOA_SIGNUP_SIGNUP_PER_IP", 20)

    @property
    def MOA_SIGNUP_SIGNUP_WINDOW_S(self) -> int:
        """Seconds over which signup attempts are counted."""
        return getattr(settings, "MOA_SIGNUP_SIGNUP_WINDOW_S", 3600)

    @property
    def MOA_SIGNUP_PASSWORD_RESET_PER_ADDRESS(self) -> int:
        """Password reset requests for one email address per window."""
        return getattr(settings, "MOA_SIGNUP_PASSWORD_RESET_PER_ADDRESS", 3)

    @property
    def MOA_SIGNUP_PASSWORD_RESET_PER_IP(self) -> int:
        """Password reset requests one client IP address may make per window."""
        return getattr(settings, "MOA_SIGNUP_PASSWORD_RESET_PER_IP", 20)

    @property
    def MOA_SIGNUP_PASSWORD_RESET_WINDOW_S(self) -> int:
        """Seconds over which password reset requests are counted."""
        return getattr(settings, "MOA_SIGNUP_PASSWORD_RESET_WINDOW_S", 3600)

    @property
    def MOA_SIGNUP_CACHE(self) -> str:
        """Cache alias holding the rate-limit counters."""
        return getattr(settings, "MOA_SIGNUP_CACHE", "default")

    @property
    def MOA_SIGNUP_DELIVERY(self) -> str:
        """How signup sends the activation email: ``"inline"`` or ``"task"`` (queued).

        ``"inline"`` sends it inside the signup transaction (a failure rolls the
        account back); ``"task"`` queues it in that transaction with Django's
        tasks framework (``moa_signup.tasks``).
        """
        return getattr(settings, "MOA_SIGNUP_DELIVERY", "inline")

    @property
    def MOA_SIGNUP_TASK_BACKEND(self) -> str:
        """Alias in ``TASKS`` of the backend that queues activation emails."""
        return getattr(settings, "MOA_SIGNUP_TASK_BACKEND", "default")

    @property
    def MOA_SIGNUP_TASK_RETRY_DELAYS_S(self) -> tuple[int, ...]:
        """Seconds before each new attempt after a failed send (one attempt more than delays)."""
        delays = getattr(settings, "MOA_SIGNUP_TASK_RETRY_DELAYS_S", DEFAULT_TASK_RETRY_DELAYS_S)
        return tuple(delays)


app_settings = Settings()
