"""Error reports (the mail to ADMINS for each 500) hide the credentials inside URLs too."""

from __future__ import annotations

from teammoa.error_reports import ErrorReportFilter

HIDDEN = ErrorReportFilter.cleansed_substitute


def test_the_password_inside_a_url_is_hidden():
    """DATABASE_URL is named like nothing secret, but carries the database's password."""
    report = ErrorReportFilter()

    assert report.cleanse_setting("DATABASE_URL", "postgres://app:s3cret@db:5432/app") == (
        f"postgres://{HIDDEN}@db:5432/app"
    )
    caches = {"default": {"LOCATION": "redis://:s3cret@cache:6379/0", "TIMEOUT": 300}}
    assert report.cleanse_setting("CACHES", caches) == {
        "default": {"LOCATION": f"redis://{HIDDEN}@cache:6379/0", "TIMEOUT": 300}
    }
    hosts = [{"address": "rediss://user:s3cret@cache:6379/0"}]
    assert "s3cret" not in str(report.cleanse_setting("CHANNEL_LAYERS", hosts))


def test_settings_named_like_secrets_stay_hidden_and_the_rest_shown():
    report = ErrorReportFilter()

    assert report.cleanse_setting("SECRET_KEY", "s3cret") == HIDDEN
    assert report.cleanse_setting("SENTRY_DSN", "https://key@o1.ingest.sentry.io/2") == HIDDEN
    assert report.cleanse_setting("STATIC_URL", "static/") == "static/"
    assert report.cleanse_setting("ALLOWED_HOSTS", ["example.com"]) == ["example.com"]
    assert report.cleanse_setting("CSRF_TRUSTED_ORIGINS", ["https://example.com"]) == [
        "https://example.com"
    ]
