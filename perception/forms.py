"""Form fields every app uses to pick themes from the one codebook."""

from django import forms

from perception.models import Theme


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
