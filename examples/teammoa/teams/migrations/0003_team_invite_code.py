"""Give every team a join code: add the column, fill existing rows, then make it unique."""

from django.db import migrations, models

import teams.models


def fill_invite_codes(apps, schema_editor):
    Team = apps.get_model("teams", "Team")
    for team in Team.objects.filter(invite_code__isnull=True):
        team.invite_code = teams.models.new_invite_code()
        team.save(update_fields=["invite_code"])


class Migration(migrations.Migration):

    dependencies = [
        ("teams", "0002_team_mindmap"),
    ]

    operations = [
        migrations.AddField(
            model_name="team",
            name="invite_code",
            field=models.CharField(editable=False, max_length=32, null=True, verbose_name="join code"),
        ),
        migrations.RunPython(fill_invite_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="team",
            name="invite_code",
            field=models.CharField(
                default=teams.models.new_invite_code,
                editable=False,
                max_length=32,
                unique=True,
                verbose_name="join code",
            ),
        ),
        migrations.AlterField(
            model_name="team",
            name="name",
            field=models.CharField(max_length=100, verbose_name="name"),
        ),
    ]
