"""Forms of the DX action plan screens: parsing only; every rule is checked by the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.validators import validate_date_in_range, validate_text, validate_title
from workflow.dx.models import ActionPlan
from workflow.engine.forms import YenField

COMMENT_MAX_LENGTH = 2000


class ActionPlanForm(forms.Form):
    """A new (or changed) draft action plan."""

    title = forms.CharField(
        label=_("Title"),
        max_length=ActionPlan._meta.get_field("title").max_length,
        validators=[validate_title],
    )
    goal = forms.CharField(
        label=_("Goal"), widget=forms.Textarea(attrs={"rows": 4}), validators=[validate_text]
    )
    estimated_cost = YenField(
        label=_("Estimated cost (yen)"),
        min_value=0,
        error_messages={"invalid": _("Enter the amount as a whole number of yen.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    technology = forms.CharField(
        label=_("Technology"),
        help_text=_("The system, service or tool the plan uses."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    report_due_on = forms.DateField(
        label=_("Results report due on"),
        validators=[validate_date_in_range],
        help_text=_("A date after today, by which you report the results (効果検証)."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ReviewForm(forms.Form):
    """The secretariat's cost and technical reviews, for a pass or a send-back (差戻し)."""

    is_cost_ok = forms.BooleanField(label=_("The cost review is passed"), required=False)
    cost_comment = forms.CharField(
        label=_("Cost review comment"), required=False, max_length=COMMENT_MAX_LENGTH
    )
    is_technology_ok = forms.BooleanField(label=_("The technical review is passed"), required=False)
    technology_comment = forms.CharField(
        label=_("Technical review comment"), required=False, max_length=COMMENT_MAX_LENGTH
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=COMMENT_MAX_LENGTH)


class ApproveForm(forms.Form):
    """The committee's approval: a comment and, optionally, another report due date."""

    comment = forms.CharField(label=_("Comment"), required=False, max_length=COMMENT_MAX_LENGTH)
    report_due_on = forms.DateField(
        label=_("Results report due on"), required=False, validators=[validate_date_in_range]
    )


class ReportForm(forms.Form):
    """The results report (効果検証): saved as a draft or sent as final."""

    results = forms.CharField(label=_("Results (効果検証)"), required=False, max_length=20000)


class CommentForm(forms.Form):
    comment = forms.CharField(required=False, max_length=COMMENT_MAX_LENGTH)
