"""Forms of the teams app: create a team, join one by its code."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from teams.models import Team


class TeamForm(forms.ModelForm):
    """Name a new team."""

    class Meta:
        model = Team
        fields = ["name"]
        labels = {"name": _("Team name")}


class JoinForm(forms.Form):
    """Take the join code a team's host shared."""

    # Long enough for a pasted invite link, which holds the code.
    code = forms.CharField(label=_("Join code"), max_length=300, strip=True)

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        # Someone may paste the whole invite link instead of the code.
        code = code.rstrip("/").rsplit("/", 1)[-1]
        if not Team.objects.without_defaults().filter(invite_code=code).exists():
            raise forms.ValidationError(
                _("No team has this join code. Check it with the team's host."), code="unknown"
            )
        return code
