"""Sphinx configuration of the Moa documentation (furo theme, MyST Markdown, autodoc)."""

from __future__ import annotations

import django
from django.conf import settings

project = "Moa"
author = "The Moa developers"
copyright = "2026, The Moa developers"

extensions = ["myst_parser", "sphinx.ext.autodoc"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "Moa"
# No intersphinx: the docs build offline (CI reaches package registries only).

# autodoc imports the packages, and their models need an app registry: the least
# settings that let every public module import. Nothing touches a database.
settings.configure(
    INSTALLED_APPS=[
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "moa_ops",
        "moa_accounts",
        "moa_signup",
        "moa_queries",
        "moa_mindmap",
    ],
    AUTH_USER_MODEL="moa_accounts.User",
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    USE_TZ=True,
)
django.setup()

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True}
# Type hints go in the description, where an unresolvable one is plain text rather
# than a broken link in the signature.
autodoc_typehints = "description"
# Without intersphinx (above) no type outside these docs can be linked, so nitpicky
# mode (-n) would report every annotation naming one. Ignore exactly those: the
# standard library's, Django's, Channels', asgiref's and django-health-check's, and
# the short names autodoc cannot qualify: imports made for annotations only (under
# TYPE_CHECKING), django-health-check's exception as its docstrings name it, and
# ``ParsedOp`` in ``registry.parse_op``'s return annotation. Any other broken
# reference to a Moa object still fails the build.
_FOREIGN_MODULES = (
    r"(_?asyncio|_thread|collections|contextlib|contextvars|datetime|pathlib|types|typing)"
    r"|django|channels|asgiref|health_check"
)
_ANNOTATION_ONLY_NAMES = (
    r"Action|ASGIApp|GetResponse|HealthCheck|HealthCheck\.get_result|HealthCheckResult"
    r"|HttpRequest|HttpResponseBase|Model|ParsedOp|Prefetch|ServiceUnavailable|StrOrPromise"
    r"|_StrPromise|URLPattern"
    r"|moa_queries\.query\._T"
)
nitpick_ignore_regex = [
    (r"py:(class|meth|exc|obj)", rf"({_FOREIGN_MODULES})(\..+)?"),
    (r"py:(class|meth)", _ANNOTATION_ONLY_NAMES),
]
