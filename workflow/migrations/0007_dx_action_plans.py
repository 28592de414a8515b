"""DX action plans (workflow/dx/): plans, the DX settings row and the plans' history.

On PostgreSQL a trigger refuses UPDATE and DELETE of history rows, as for proposals (0005).
"""

import django.db.models.deletion
from django.db import migrations, models


FUNCTION = "workflow_dxdecision_append_only"
TRIGGER = "workflow_dxdecision_append_only"
TABLE = "workflow_dxdecision"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'DX action plan history is append-only: % of row #% refused',
                TG_OP, OLD.id
                USING HINT = 'History entries can only be added (see docs/workflow-engine.md).';
        END;
        $$
        """,
        params=None,  # the % above are RAISE placeholders, not psycopg's
    )
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('directory', '0002_default_ranks'),
        ('viewflow', '0015_task_scheduled'),
        ('workflow', '0006_decision_approved_ahead'),
    ]

    operations = [
        migrations.CreateModel(
            name='ActionPlan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('goal', models.TextField(verbose_name='goal')),
                ('estimated_cost', models.PositiveBigIntegerField(verbose_name='estimated cost (yen)')),
                ('technology', models.TextField(verbose_name='technology')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('in_review', 'In review'), ('returned', 'Returned'), ('approved', 'Approved'), ('reporting', 'Reporting results'), ('completed', 'Completed'), ('cancelled', 'Cancelled')], default='draft', max_length=20, verbose_name='status')),
                ('round', models.PositiveIntegerField(default=0, verbose_name='round')),
                ('report_due_on', models.DateField(blank=True, null=True, verbose_name='results report due on')),
                ('results', models.TextField(blank=True, verbose_name='results (効果検証)')),
                ('submitted_at', models.DateTimeField(blank=True, null=True, verbose_name='submitted at')),
                ('reviewed_at', models.DateTimeField(blank=True, null=True, verbose_name='reviewed at')),
                ('approved_at', models.DateTimeField(blank=True, null=True, verbose_name='approved at')),
                ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('committee_group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='auth.group', verbose_name='DX committee group')),
                ('drafter', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='directory.person', verbose_name='drafter')),
                ('owning_unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='directory.orgunit', verbose_name='owning unit')),
                ('process', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='viewflow.process', verbose_name='process')),
                ('secretariat_unit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='directory.orgunit', verbose_name='DX secretariat unit')),
            ],
            options={
                'verbose_name': 'DX action plan',
                'verbose_name_plural': 'DX action plans',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='DXDecision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('round', models.PositiveIntegerField(verbose_name='round')),
                ('action', models.CharField(choices=[('created', 'Created'), ('updated', 'Updated'), ('submitted', 'Submitted'), ('claimed', 'Claimed'), ('reviewed', 'Reviewed by the secretariat'), ('sent_back', 'Sent back'), ('approved', 'Approved by the committee'), ('report_saved', 'Results saved'), ('completed', 'Results reported'), ('cancelled', 'Cancelled')], max_length=20, verbose_name='action')),
                ('comment', models.TextField(blank=True, verbose_name='comment')),
                ('is_cost_ok', models.BooleanField(blank=True, null=True, verbose_name='cost review passed')),
                ('cost_comment', models.TextField(blank=True, verbose_name='cost review comment')),
                ('is_technology_ok', models.BooleanField(blank=True, null=True, verbose_name='technical review passed')),
                ('technology_comment', models.TextField(blank=True, verbose_name='technical review comment')),
                ('at', models.DateTimeField(verbose_name='at')),
                ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='directory.person', verbose_name='actor')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='workflow.actionplan', verbose_name='DX action plan')),
                ('task', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='viewflow.task', verbose_name='task')),
            ],
            options={
                'verbose_name': 'DX action plan history entry',
                'verbose_name_plural': 'DX action plan history',
                'ordering': ['plan', 'at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='DXSettings',
            fields=[
                ('key', models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ('committee_group', models.ForeignKey(blank=True, help_text='Empty: the group named DX推進委員会.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='auth.group', verbose_name='DX committee group')),
                ('secretariat_unit', models.ForeignKey(blank=True, help_text='Empty: the unit named デジタル推進課, else DX推進係.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='directory.orgunit', verbose_name='DX secretariat unit')),
            ],
            options={
                'verbose_name': 'DX settings',
                'verbose_name_plural': 'DX settings',
            },
        ),
        migrations.AddIndex(
            model_name='actionplan',
            index=models.Index(fields=['owning_unit', 'status'], name='workflow_ac_owning__e23835_idx'),
        ),
        migrations.AddIndex(
            model_name='actionplan',
            index=models.Index(fields=['status', 'report_due_on'], name='workflow_ac_status_ef5af5_idx'),
        ),
        migrations.AddIndex(
            model_name='dxdecision',
            index=models.Index(fields=['plan', 'at'], name='workflow_dx_plan_id_1984ab_idx'),
        ),
        migrations.AddConstraint(
            model_name='dxsettings',
            constraint=models.CheckConstraint(condition=models.Q(('key', 1)), name='workflow_dxsettings_one'),
        ),
        migrations.RunPython(create_trigger, drop_trigger, elidable=False),
    ]
