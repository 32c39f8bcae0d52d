"""Settings of moa-signup's benchmarks (``python -m signup.register``, ``bench_resend.py``).

``DATABASE_URL`` picks the database (SQLite in memory without it). Mail goes over SMTP
to 127.0.0.1; each benchmark points the default mailer at its own SMTP server's port
(``moa_testsupport.mailserver.send_mail_to``).
"""

from __future__ import annotations

import dj_database_url
import django

SECRET_KEY = "moa-signup-benchmarks"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
USE_TZ = True
ROOT_URLCONF = "signup.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "moa_signup",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {"default": dj_database_url.config(default="sqlite://:memory:")}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Hashing would hide the difference the benchmarks measure.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

SMTP = "django.core.mail.backends.smtp.EmailBackend"
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": SMTP, "OPTIONS": {"host": "127.0.0.1", "timeout": 5}}}
else:
    EMAIL_BACKEND = SMTP
    EMAIL_HOST = "127.0.0.1"
    EMAIL_TIMEOUT = 5
DEFAULT_FROM_EMAIL = "noreply@example.com"
MOA_SIGNUP_SITE_URL = "https://bench.example.com"
