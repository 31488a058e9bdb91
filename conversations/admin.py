from django.contrib import admin

from conversations.models import Action, Conversation, Note, Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "department", "influence", "is_influencer"]
    list_filter = ["influence", "is_influencer", "department"]
    search_fields = ["name", "email", "role"]


class NoteInline(admin.TabularInline):
    model = Note
    extra = 0
    fields = ["text", "person", "sentiment", "is_quote"]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "facilitator", "unnamed_participants"]
    list_filter = ["kind", "departments"]
    filter_horizontal = ["departments", "participants"]
    inlines = [NoteInline]


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "owner", "due", "done_on", "told_on"]
    list_filter = ["status"]
    filter_horizontal = ["themes"]
