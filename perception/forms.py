"""Form fields every app uses to pick themes from the one codebook."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from perception.lib import published_figures
from perception.models import MIN_GROUP_SIZE_FLOOR, Department, SiteSettings, Theme
from perception.services import role_groups


class ThemeChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=Theme.objects.order_by("name"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            error_messages={
                "invalid_choice": "Choose themes from the codebook.",
                "invalid_pk_value": "Choose themes from the codebook.",
            },
            **kwargs,
        )


def clean_new_theme(value: str) -> str:
    """A new theme's name must not repeat an existing one, whatever its case."""
    name = " ".join(value.split())
    if name and Theme.objects.filter(name__iexact=name).exists():
        existing = Theme.objects.get(name__iexact=name).name
        raise forms.ValidationError(
            f"A theme called “{existing}” already exists; tick it in the list instead."
        )
    return name


# -- Administration -------------------------------------------------------------------


class RolesField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=role_groups(),
            widget=forms.CheckboxSelectMultiple,
            help_text=(
                "Viewers read results; Listeners log conversations and code comments; Managers build "
                "surveys and send the monthly report; Administrators manage staff, departments and "
                "site settings."
            ),
            error_messages={
                "invalid_choice": "Choose roles from the list.",
                "invalid_pk_value": "Choose roles from the list.",
            },
            **kwargs,
        )


class StaffInviteForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=150,
        error_messages={
            "required": "Enter the address the invitation goes to.",
            "invalid": "Enter a whole email address, like name@example.org.",
        },
    )
    name = forms.CharField(label="Name (optional)", max_length=150, required=False)
    roles = RolesField(
        label="Roles",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].error_messages["required"] = "Choose at least one role."

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists():
            raise forms.ValidationError(
                "Someone with this address already has an account; change their roles instead."
            )
        return email


class StaffRolesForm(forms.Form):
    roles = RolesField(label="Roles", required=False)


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "parent"]
        labels = {"parent": "Part of (optional)"}
        error_messages = {"parent": {"invalid_choice": "Choose a department from the list."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].empty_label = "Nothing: a top-level department"
        self.fields["name"].error_messages["required"] = "Give the department a name."

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        clash = Department.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).first()
        if clash:
            raise forms.ValidationError(f"A department called “{clash.name}” already exists.")
        return name

    def clean_parent(self):
        parent = self.cleaned_data["parent"]
        if parent is not None and self.instance.pk:
            if parent.pk == self.instance.pk or self.instance in parent.ancestors():
                raise forms.ValidationError(
                    "A department cannot sit under itself or under one of its own sub-departments."
                )
        return parent


class SiteSettingsForm(forms.ModelForm):
    class Meta:
        model = SiteSettings
        fields = [
            "organisation_name",
            "it_team_name",
            "contact_line",
            "min_group_size",
            "free_text_retention_months",
        ]
        labels = {"contact_line": "Contact line", "it_team_name": "IT team name"}
        help_texts = {
            "contact_line": (
                "Name, email and phone people can contact about IT: shown on surveys, pages and reports."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What the figures were cut with until now; lowering it is checked against this.
        self.saved_min_group_size = SiteSettings.load().min_group_size
        field = self.fields["min_group_size"]
        field.error_messages["min_value"] = (
            f"The minimum group size cannot be below {MIN_GROUP_SIZE_FLOOR}: smaller groups would let "
            "people work out who said what."
        )
        field.error_messages["required"] = "Enter the minimum group size (a whole number, at least 3)."
        field.widget.attrs["min"] = MIN_GROUP_SIZE_FLOOR

    def clean_min_group_size(self) -> int:
        size = self.cleaned_data["min_group_size"]
        if size < self.saved_min_group_size and published_figures.any_published():
            raise forms.ValidationError(
                f"People have already answered under the promise of groups of at least "
                f"{self.saved_min_group_size}. Lowering the minimum now could show a group they were "
                "promised would stay hidden, so it can only be raised."
            )
        return size
