from __future__ import annotations

from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "queries.pages"
    label = "bench_pages"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "moa-queries benchmark pages"
