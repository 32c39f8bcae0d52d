from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from moa_mindmap.exports import MAX_IMPORT_BYTES
from moa_mindmap.models import Mindmap

if TYPE_CHECKING:
    BaseModelForm = forms.ModelForm[Mindmap]
else:
    BaseModelForm = forms.ModelForm


class MindmapForm(BaseModelForm):
    class Meta:
        model = Mindmap
        fields = ["title"]


class MindmapImportForm(forms.Form):
    """A JSON export to create a new mindmap from, and its title."""

    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(label=_("JSON export"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file may be at most %(limit)s bytes."),
                code="too_large",
                params={"limit": MAX_IMPORT_BYTES},
            )
        return upload
