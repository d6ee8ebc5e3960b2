"""The admin shows moderation as a record; decisions are made on the review pages, where they are
logged and told to the author, so the log here is read-only."""

from django.contrib import admin

from atelier.moderation.models import AIReport, Decision, ReviewCase, Strike


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReviewCase)
class ReviewCaseAdmin(ReadOnlyAdmin):
    list_display = ("post", "status", "labelled", "flag_score", "report_count", "appealed_at", "opened_at")
    list_filter = ("status", "labelled")
    list_select_related = ("post",)


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ("case", "action", "moderator", "strike", "created_at", "note")
    list_filter = ("action", "strike")
    list_select_related = ("case__post", "moderator")


@admin.register(Strike)
class StrikeAdmin(ReadOnlyAdmin):
    list_display = ("user", "decision", "created_at")
    list_select_related = ("user", "decision")


@admin.register(AIReport)
class AIReportAdmin(ReadOnlyAdmin):
    list_display = ("post", "reporter", "created_at", "note")
    list_select_related = ("post", "reporter")
