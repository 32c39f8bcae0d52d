"""Settings for moa-signup's tests; MOA_TEST_DB picks the database.

``tests.settings_accounts`` is the same project on moa_accounts.User.
"""

from __future__ import annotations

from pathlib import Path

import django

from moa_testsupport.databases import databases_from_env

SECRET_KEY = "moa-signup-tests"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "app.example.com", "127.0.0.1"]
USE_TZ = True
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "moa_signup",
    # The task backend of MOA_SIGNUP_DELIVERY = "task" (tests/test_tasks.py).
    "django_tasks_db",
]
# Django 6 has the tasks framework; Django 5.2 has it from the django-tasks backport.
if django.VERSION < (6, 0):
    INSTALLED_APPS.insert(-1, "django_tasks")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = databases_from_env("moa_signup")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "Korean")]
USE_I18N = True

# Each test that sends mail points the default mailer at its own SMTP server;
# a server process gets the port in an overlay (tests/test_server.py).
MAIL_TIMEOUT_S = 1
MAIL_PORT = 1
if django.VERSION >= (6, 1):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": MAIL_PORT, "timeout": MAIL_TIMEOUT_S},
        }
    }
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = MAIL_PORT
    EMAIL_TIMEOUT = MAIL_TIMEOUT_S
DEFAULT_FROM_EMAIL = "noreply@example.com"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/welcome/"
