"""Forms of the approval screens: parsing only; every rule is checked by the services."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from audit.exceptions import ValidationFailed
from audit.validators import validate_text, validate_title
from documents.models import Retention
from workflow.authority.models import Category
from workflow.engine.forms import YenField
from workflow.proposals import services
from workflow.proposals.drafting_models import ProposalTemplate
from workflow.proposals.models import Proposal

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def split_usernames(value: str) -> list[str]:
    """User names typed in one field, separated by commas (also 、，) or spaces; each once."""
    names = re.split(r"[\s,、，]+", unicodedata.normalize("NFKC", value or ""))
    return list(dict.fromkeys(name for name in names if name))


class PeopleField(forms.MultipleChoiceField):
    """User names ticked from a list. The list is only what the page offers: any name is
    accepted here and resolved (or refused, by name) in the form's clean."""

    def valid_value(self, value) -> bool:
        return True


def _people(usernames: list[str]) -> list:
    """Active people by user name; unknown or inactive ones are a field error naming them."""
    if not usernames:
        return []
    try:
        return services.reviewers_by_username(usernames)
    except ValidationFailed as exc:
        raise ValidationError(exc.message, code="unknown") from None


class RoutePreviewForm(forms.Form):
    """What the route depends on: the category, the amount and the drafter's optional
    reviewers (extra 回議 approvers, extra 合議 parties)."""

    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.order_by("sort_order", "code"),
        to_field_name="code",
        empty_label=None,
    )
    amount = YenField(
        label=_("Amount (yen)"),
        required=False,
        min_value=0,
        error_messages={"invalid": _("Enter the amount as a whole number of yen.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    extra_approvers = forms.CharField(
        label=_("Additional approvers (回議)"),
        required=False,
        max_length=2000,
        help_text=_(
            "User names, separated by commas or spaces. They approve after the steps the "
            "authority rules require, which always stay on the route."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    extra_consultees = PeopleField(
        label=_("Additional consultations (合議)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, consult_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["extra_consultees"].choices = list(consult_choices)

    def clean_extra_approvers(self) -> list:
        return _people(split_usernames(self.cleaned_data["extra_approvers"]))

    def clean_extra_consultees(self) -> list:
        return _people(list(dict.fromkeys(self.cleaned_data["extra_consultees"])))

    def reviewers(self) -> dict:
        """The optional reviewers as the services take them (people, in order)."""
        return {
            "extra_approvers": self.cleaned_data["extra_approvers"],
            "extra_consultees": self.cleaned_data["extra_consultees"],
        }


class ProposalForm(RoutePreviewForm):
    """A new (or changed) draft proposal."""

    title = forms.CharField(
        label=_("Title"),
        max_length=Proposal._meta.get_field("title").max_length,
        validators=[validate_title],
    )
    body = forms.CharField(
        label=_("Body"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        validators=[validate_text],
    )

    letter_body = forms.CharField(
        label=_("Letter body (施行文書)"),
        required=False,
        help_text=_("What the outgoing letter says, if one is issued after the decision."),
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[validate_text],
    )
    due_on = forms.DateField(
        label=_("Due by (処理期限)"),
        required=False,
        help_text=_("By when you need the decision; approvers see it in their inbox."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    binder_title = forms.CharField(
        label=_("Binder (簿冊)"),
        required=False,
        max_length=Proposal._meta.get_field("binder_title").max_length,
        help_text=_(
            "Once decided, the proposal is filed in this binder of your division (created for "
            "the fiscal year when missing). Leave empty to file it by hand."
        ),
    )
    retention_years = forms.TypedChoiceField(
        label=_("Retention period (保存年限)"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *Retention.choices],
    )
    template = forms.ModelChoiceField(
        queryset=ProposalTemplate.objects.filter(is_active=True),
        required=False,
        widget=forms.HiddenInput,
    )

    field_order = (
        "title",
        "category",
        "amount",
        "body",
        "letter_body",
        "due_on",
        "binder_title",
        "retention_years",
        "extra_approvers",
        "extra_consultees",
    )

    def service_data(self, *, editing: bool = False) -> dict:
        data = self.cleaned_data
        fields = {
            "title": data["title"],
            "body": data["body"],
            "category": data["category"].code,
            "amount": data["amount"],
            "letter_body": data["letter_body"],
            "due_on": data["due_on"],
            "binder_title": data["binder_title"],
            "retention_years": data["retention_years"],
            **self.reviewers(),
        }
        if not editing:
            fields["template"] = data["template"]
        return fields

    @staticmethod
    def initial_from(template: ProposalTemplate) -> dict:
        """A new proposal pre-filled from a 起案 template."""
        body = "\n\n".join(part for part in (template.inquiry, template.body_skeleton) if part)
        return {
            "title": template.title_pattern,
            "category": template.category.code,
            "body": body,
            "letter_body": template.letter_body,
            "binder_title": template.binder_title,
            "retention_years": template.retention_years,
            "template": template.pk,
        }


class CirculationForm(forms.Form):
    """A 供覧: what to read and who reads it (picked colleagues and/or typed user names)."""

    title = forms.CharField(
        label=_("Title"),
        max_length=Proposal._meta.get_field("title").max_length,
        validators=[validate_title],
    )
    body = forms.CharField(
        label=_("Body"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        validators=[validate_text],
    )
    picked = forms.MultipleChoiceField(
        label=_("Colleagues in your department"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    others = forms.CharField(
        label=_("Other recipients (user names)"),
        required=False,
        help_text=_("Separate user names with commas or spaces."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )

    def __init__(self, *args, colleagues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["picked"].choices = [
            (
                post.person.user.get_username(),
                f"{post.person.display_name}（{post.unit.name} {post.position.title}）",
            )
            for post in colleagues
        ]

    def recipients(self) -> list[str]:
        """The chosen user names, picked first, without repeats."""
        names = [*self.cleaned_data["picked"], *split_usernames(self.cleaned_data["others"])]
        return list(dict.fromkeys(name for name in names if name))


class TaskActionForm(forms.Form):
    """The comment of an approval, a send-back (required there, by the service) or a rejection."""

    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, validators=[validate_text]
    )


class DelegationForm(forms.Form):
    """A deputy (代決) for a period; the service checks the person and the period."""

    deputy = forms.CharField(
        label=_("Deputy (name or user name)"),
        max_length=150,
        help_text=_("Type a name (e.g. 近藤) and choose from the suggestions."),
        widget=forms.TextInput(
            attrs={
                "list": "colleagues",
                "autocomplete": "off",
                # Suggestions from the whole directory as one types (htmx).
                "hx-get": reverse_lazy("workflow:people-options"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#colleagues",
                "hx-swap": "innerHTML",
            }
        ),
    )
    start = forms.DateTimeField(
        label=_("Starts at"),
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    end = forms.DateTimeField(
        label=_("Ends at"),
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


class AbsenceForm(DelegationForm):
    """An absence (不在): whose (me, or a member of the 課 I head), when, why, and optionally the
    deputy who acts for them meanwhile (代決)."""

    person = forms.TypedChoiceField(label=_("Who is away"), coerce=int)
    note = forms.CharField(label=_("Reason"), max_length=200, required=False)

    field_order = ["person", "start", "end", "note", "deputy"]

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = people
        self.fields["deputy"].required = False
        self.fields["deputy"].help_text = _(
            "Optional. While you are away this person acts for you (代決); you review it after."
        )
