from django.contrib import admin
from django.utils import timezone

from surveys.builder_forms import PromiseHeld
from surveys.models import Choice, Invitation, Question, Response, Survey, Wave


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    # Questions are deleted from their own page, which refuses answered ones.
    can_delete = False
    fields = [
        "order",
        "text",
        "kind",
        "dimension",
        "required",
        "reverse_scored",
        "favourable_from",
        "likelihood_to_recommend",
        "overall_measure",
        "help_text",
    ]
    show_change_link = True


class WaveInline(admin.TabularInline):
    model = Wave
    extra = 0
    fields = ["label", "opens", "closes", "self_view_of"]
    fk_name = "survey"
    show_change_link = True


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    form = PromiseHeld  # the builder's rules for a survey's promise hold here too
    list_display = ["title", "slug", "anonymity", "min_group_size", "kiosk_mode"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [QuestionInline, WaveInline]


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 3
    fields = ["order", "label"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "survey", "order", "kind", "dimension", "required"]
    list_filter = ["survey", "kind", "dimension"]
    list_editable = ["order"]
    search_fields = ["text"]
    inlines = [ChoiceInline]

    # A question with answers is never deleted (their analysis needs it): the builder
    # retires it instead, and the answers keep pointing at it.
    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.answered)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # would delete answered questions with the rest
        return actions


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ["label", "survey", "opens", "closes", "self_view_of"]
    list_filter = ["survey"]
    filter_horizontal = ["audience"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are made by the invitations page and `send_invitations`;
    tokens exist only as hashes. The sealed address and link and a saved draft are never
    shown, not even encrypted."""

    list_display = ["id", "wave", "department", "sent_at", "answered", "used_at"]
    list_filter = ["wave", "answered"]
    # used_at stays empty for anonymous surveys: they record only answered yes/no.
    readonly_fields = [
        "wave",
        "email_hash",
        "email",
        "token_hash",
        "department",
        "send_after",
        "sent_at",
        "bounced",
        "opted_out",
        "reminders_sent",
        "last_reminded_at",
        "answered",
        "used_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Responses can be looked at by superusers, never edited: they are what people said."""

    list_display = ["id", "wave", "department", "department_self_reported", "submitted_on", "source"]
    list_filter = ["wave__survey", "wave", "source"]
    fields = [
        "wave",
        "respondent_key",
        "department",
        "department_self_reported",
        "submitted_on",
        "source",
        "invitation",
    ]
    readonly_fields = fields

    @admin.display(description="submitted", ordering="submitted")
    def submitted_on(self, obj: Response) -> str:
        """Anonymous responses show the date only: nothing finer is stored or shown."""
        moment = timezone.localtime(obj.submitted)
        if obj.wave.survey.anonymity == Survey.ANONYMOUS:
            return f"{moment:%Y-%m-%d}"
        return f"{moment:%Y-%m-%d %H:%M}"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("wave__survey", "department")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser
