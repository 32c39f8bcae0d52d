"""Sphinx configuration of the Moa documentation (furo theme, MyST Markdown, autodoc)."""

from __future__ import annotations

import tempfile
import zlib
from pathlib import Path

import django
from django.conf import settings

project = "Moa"
author = "The Moa developers"
copyright = "2026, The Moa developers"

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.intersphinx"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "Moa"

# Intersphinx to Django's and Python's documentation, built offline (CI reaches package
# registries only): the objects these docs name are listed in inventories/*.txt, and each
# list is written as an objects.inv here instead of being downloaded. A reader's link goes
# to the real page.
INVENTORIES = Path(__file__).parent / "inventories"


def write_inventory(table: Path, project: str, version: str) -> str:
    """Write ``table`` (name, role, page#anchor per line) as a Sphinx objects.inv file."""
    entries = []
    for line in table.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, role, uri = line.split()
            entries.append(f"{name} py:{role} 1 {uri} -\n")
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    target = Path(tempfile.mkdtemp(prefix="moa-docs-")) / f"{table.stem}.inv"
    target.write_bytes(header.encode() + zlib.compress("".join(entries).encode()))
    return str(target)


intersphinx_mapping = {
    "django": (
        "https://docs.djangoproject.com/en/5.2/",
        write_inventory(INVENTORIES / "django.txt", "Django", "5.2"),
    ),
    "python": (
        "https://docs.python.org/3/",
        write_inventory(INVENTORIES / "python.txt", "Python", "3"),
    ),
}

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
# Nitpicky mode (-n) reports every annotation naming a type that neither these docs nor
# the inventories above hold. Ignore exactly those: private stdlib names (``_asyncio``,
# ``_thread``), ``typing``, Channels', asgiref's and django-health-check's (no inventory
# here lists them), Django's undocumented classes, and the short names autodoc
# cannot qualify: imports made for annotations only (under TYPE_CHECKING),
# django-health-check's exception as its docstrings name it, and ``ParsedOp`` in
# ``registry.parse_op``'s return annotation. Any other broken reference fails the build,
# a Django or standard library one included: add it to its inventory list.
_FOREIGN_MODULES = r"_asyncio|_thread|typing|channels|asgiref|health_check"
_FOREIGN_NAMES = r"django\.http\.response\.HttpResponseBase|django\.urls\.resolvers\.URLPattern"
_ANNOTATION_ONLY_NAMES = (
    r"Action|ASGIApp|GetResponse|HealthCheck|HealthCheck\.get_result|HealthCheckResult"
    r"|HttpRequest|HttpResponseBase|Model|ParsedOp|Prefetch|ServiceUnavailable|StrOrPromise"
    r"|_StrPromise|URLPattern"
    r"|moa_queries\.query\._T"
)
nitpick_ignore_regex = [
    (r"py:(class|meth|exc|obj)", rf"({_FOREIGN_MODULES})(\..+)?"),
    (r"py:(class|meth|exc|obj)", _FOREIGN_NAMES),
    (r"py:(class|meth)", _ANNOTATION_ONLY_NAMES),
]
