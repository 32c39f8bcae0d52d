"""Admin for soft-delete users: live/deleted filter, restore and hard-delete."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from moa_accounts.forms import AdminUserCreationForm, UserChangeForm
from moa_accounts.models import User


class LiveFilter(admin.SimpleListFilter):
    """Show live users unless the admin asks for deleted or all users."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("live", _("Live")), ("deleted", _("Deleted")), ("all", _("All"))]

    def choices(self, changelist: Any) -> Any:
        current = self.value() or "live"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value() or "live"
        if value == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        if value == "all":
            return queryset
        return queryset.filter(deleted_at__isnull=True)


class SoftDeleteUserAdmin(UserAdmin):  # type: ignore[type-arg]
    """``UserAdmin`` for ``AbstractSoftDeleteUser`` models.

    The change list shows live users by default and deleted ones on request,
    marked in the status column; lookups from other admins (raw-id popups and
    autocomplete) only ever offer live users. Deleting soft-deletes.
    """

    form = UserChangeForm
    add_form = AdminUserCreationForm
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "email_verified_at",
        "status",
    )
    list_filter = (LiveFilter, "is_staff", "is_superuser", "is_active", "groups")
    readonly_fields = ("deleted_at",)
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        (_("Account state"), {"fields": ("email_verified_at", "deleted_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2"),
            },
        ),
    )
    actions = ["restore_users", "hard_delete_users"]
    ordering = ("username", "pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        if self._is_lookup(request):
            return super().get_queryset(request)  # the default manager: live users
        return self.model.all_objects.all()  # type: ignore[no-any-return]

    def _is_lookup(self, request: HttpRequest) -> bool:
        match = request.resolver_match
        if match is not None and match.url_name == "autocomplete":
            return True
        return IS_POPUP_VAR in request.GET or TO_FIELD_VAR in request.GET

    @admin.display(description=_("status"), ordering="deleted_at")
    def status(self, obj: Any) -> str:
        if obj.deleted_at is None:
            return str(_("Live"))
        return format_html(
            '<strong class="moa-deleted">{}</strong>',
            _("Deleted %(when)s") % {"when": localize(obj.deleted_at)},
        )

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError:
            if request.method != "POST":
                raise
            # A concurrent request took the username or email between this
            # form's validation and its save; the database refused the row.
            # The transaction was rolled back: validating again now sees the
            # other user and shows a field error.
            return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Restore selected users"), permissions=["change"])
    def restore_users(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        restored = 0
        for user in queryset.filter(deleted_at__isnull=False):
            try:
                user.restore()
            except ValidationError as error:
                self.message_user(
                    request,
                    _("Could not restore %(user)s: %(reason)s")
                    % {"user": user.get_username(), "reason": " ".join(error.messages)},
                    messages.ERROR,
                )
            else:
                restored += 1
        if restored:
            self.message_user(
                request,
                ngettext("Restored %(count)d user.", "Restored %(count)d users.", restored)
                % {"count": restored},
                messages.SUCCESS,
            )

    @admin.action(
        description=_("Permanently delete selected deleted users"),
        permissions=["delete"],
    )
    def hard_delete_users(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        live = queryset.filter(deleted_at__isnull=True).count()
        if live:
            self.message_user(
                request,
                ngettext(
                    "Skipped %(count)d live user: delete it first.",
                    "Skipped %(count)d live users: delete them first.",
                    live,
                )
                % {"count": live},
                messages.WARNING,
            )
        deleted = queryset.filter(deleted_at__isnull=False)
        count = deleted.count()
        if count:
            deleted.hard_delete()  # type: ignore[attr-defined]
            self.message_user(
                request,
                ngettext(
                    "Permanently deleted %(count)d user.",
                    "Permanently deleted %(count)d users.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )


if not User._meta.swapped:
    admin.site.register(User, SoftDeleteUserAdmin)
