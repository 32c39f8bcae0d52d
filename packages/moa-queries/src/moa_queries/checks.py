"""System checks of moa-queries. Ids are stable; the docs list every one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model

from moa_queries.conf import NPLUSONE_MODES, app_settings
from moa_queries.query import DEFAULTS_ATTRIBUTE, query_defaults

# Every id, once: docs/reference/queries.md lists each (tests/test_checks.py asserts it).
UNKNOWN_MODE_ID = "moa_queries.E001"
BAD_WHITELIST_ID = "moa_queries.E002"
BAD_THRESHOLD_ID = "moa_queries.E003"
BAD_QUERY_DEFAULTS_ID = "moa_queries.E004"
RAISE_IN_PRODUCTION_ID = "moa_queries.W001"


def _checks_moa_queries(app_configs: Sequence[AppConfig] | None) -> bool:
    """Whether ``manage.py check`` asked about moa-queries' configuration."""
    return app_configs is None or any(config.name == "moa_queries" for config in app_configs)


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Validate the ``MOA_QUERIES_*`` settings, as ``conf`` reads them."""
    if not _checks_moa_queries(app_configs):
        return []
    errors: list[CheckMessage] = []
    mode = getattr(settings, "MOA_QUERIES_NPLUSONE_MODE", None)
    # conf resolves an unset mode from DEBUG; the raw value shows the typo.
    if app_settings.MOA_QUERIES_NPLUSONE_MODE not in NPLUSONE_MODES:
        errors.append(
            Error(
                f"MOA_QUERIES_NPLUSONE_MODE is {mode!r}, not a known mode.",
                hint="Set it to 'raise', 'warn', 'log' or 'off'.",
                id=UNKNOWN_MODE_ID,
            )
        )
    # The raw value: conf's list() would turn a dict or a string into a list.
    errors.extend(_check_whitelist(getattr(settings, "MOA_QUERIES_NPLUSONE_WHITELIST", [])))
    threshold: object = app_settings.MOA_QUERIES_REPEATED_QUERY_THRESHOLD
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 2
    ):
        errors.append(
            Error(
                f"MOA_QUERIES_REPEATED_QUERY_THRESHOLD is {threshold!r}.",
                hint="Set it to an int of 2 or more, or None to turn the check off.",
                id=BAD_THRESHOLD_ID,
            )
        )
    return errors


def _check_whitelist(entries: Any) -> list[CheckMessage]:
    hint = (
        'Use entries like {"model": "app_label.Model", "field": "name", "site": "app/views.py:*"}.'
    )
    if not isinstance(entries, list | tuple):
        return [
            Error(
                f"MOA_QUERIES_NPLUSONE_WHITELIST must be a list, not {entries!r}."[:79],
                hint=hint,
                id=BAD_WHITELIST_ID,
            )
        ]
    errors: list[CheckMessage] = []
    for entry in entries:
        problem = _whitelist_problem(entry)
        if problem:
            errors.append(Error(problem[:79], hint=hint, id=BAD_WHITELIST_ID))
    return errors


def _whitelist_problem(entry: Any) -> str | None:
    keys = {"model", "field", "site"}
    if not isinstance(entry, dict) or not entry or set(entry) - keys:
        return f"Whitelist entry {entry!r} is not a dict of model/field/site."
    if not all(isinstance(value, str) for value in entry.values()):
        return f"Whitelist entry {entry!r} has a value that is not a string."
    label = entry.get("model")
    if label is None:
        return None
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return f"Whitelist entry names an unknown model {label!r}."
    name = entry.get("field")
    if name is not None and not _has_relation(model, name):
        return f"Whitelist entry: {label} has no field or relation {name!r}."
    return None


def _has_relation(model: type[Model], name: str) -> bool:
    for field in model._meta.get_fields(include_hidden=True):
        names = {field.name, getattr(field, "attname", None)}
        accessor = getattr(field, "get_accessor_name", None)
        if accessor is not None:
            names.add(accessor())
        if name in names:
            return True
    return False


def check_query_defaults(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Check that each model's ``QueryDefaults`` names relations it has."""
    errors: list[CheckMessage] = []
    configs = app_configs or apps.get_app_configs()
    for config in configs:
        for model in config.get_models():
            if getattr(model, DEFAULTS_ATTRIBUTE, None) is None:
                continue
            errors.extend(_check_model_defaults(model))
    return errors


def _check_model_defaults(model: type[Model]) -> list[CheckMessage]:
    name = model._meta.label
    try:
        defaults = query_defaults(model)
    except TypeError:
        return [
            Error(
                f"{name}.{DEFAULTS_ATTRIBUTE} lists relations in a string.",
                hint='Use a tuple: select_related = ("host",).',
                obj=model,
                id=BAD_QUERY_DEFAULTS_ID,
            )
        ]
    errors: list[CheckMessage] = []
    for path in defaults.select_related:
        if not _valid_path(model, path, forward_only=True):
            errors.append(
                Error(
                    f"{name}.{DEFAULTS_ATTRIBUTE}.select_related: bad relation {path!r}.",
                    hint="List forward foreign keys or one-to-ones, as for select_related().",
                    obj=model,
                    id=BAD_QUERY_DEFAULTS_ID,
                )
            )
    for lookup in defaults.prefetch_related:
        path = lookup if isinstance(lookup, str) else getattr(lookup, "prefetch_through", "")
        if not isinstance(path, str) or not _valid_path(model, path, forward_only=False):
            errors.append(
                Error(
                    f"{name}.{DEFAULTS_ATTRIBUTE}.prefetch_related: bad lookup {path!r}.",
                    hint="List relations or Prefetch() objects, as for prefetch_related().",
                    obj=model,
                    id=BAD_QUERY_DEFAULTS_ID,
                )
            )
    return errors


def _valid_path(model: type[Model], path: str, *, forward_only: bool) -> bool:
    current: Any = model
    for part in path.split("__"):
        field = _relation(current, part)
        if field is None or not field.is_relation:
            return False
        if forward_only and not (field.many_to_one or field.one_to_one):
            return False
        current = field.related_model
        if current is None:  # a generic foreign key
            return not forward_only and part == path.split("__")[-1]
    return True


def _relation(model: type[Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        for field in model._meta.get_fields():
            accessor = getattr(field, "get_accessor_name", None)
            if accessor is not None and accessor() == name:
                return field
    return None


def check_raise_in_production(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Warn when a deployed site would turn N+1 queries into server errors."""
    if not _checks_moa_queries(app_configs) or app_settings.MOA_QUERIES_NPLUSONE_MODE != "raise":
        return []
    return [
        Warning(
            "MOA_QUERIES_NPLUSONE_MODE is 'raise': N+1 queries become 500 errors.",
            hint="Use 'log' in production and 'raise' only in tests.",
            id=RAISE_IN_PRODUCTION_ID,
        )
    ]
