from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms

from moa_mindmap.models import Mindmap

if TYPE_CHECKING:
    BaseModelForm = forms.ModelForm[Mindmap]
else:
    BaseModelForm = forms.ModelForm


class MindmapForm(BaseModelForm):
    class Meta:
        model = Mindmap
        fields = ["title"]
