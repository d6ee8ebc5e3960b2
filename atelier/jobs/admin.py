"""Moderating jobs: reports per job, take-down and restore with a logged reason."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import render

from atelier.jobs import services
from atelier.jobs.models import Application, Job, JobReport, ModerationEntry, SavedSearch


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class JobReportInline(admin.TabularInline):
    model = JobReport
    extra = 0
    readonly_fields = ["reporter", "reason", "details", "created_at"]
    can_delete = False


class ModerationEntryInline(admin.TabularInline):
    model = ModerationEntry
    extra = 0
    readonly_fields = ["moderator", "action", "reason", "created_at"]
    can_delete = False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["title", "studio", "status", "report_count", "created_at", "expires_at"]
    list_filter = ["status", "employment_type", "location_mode", "reports__reason"]
    search_fields = ["title", "studio__handle"]
    list_select_related = ["studio"]
    raw_id_fields = ["studio"]
    readonly_fields = ["description_html", "created_at", "updated_at", "closed_at", "removed_at"]
    inlines = [JobReportInline, ModerationEntryInline]
    actions = ["take_down", "restore"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(report_total=Count("reports", distinct=True))

    @admin.display(description="Reports", ordering="report_total")
    def report_count(self, job):
        return job.report_total

    def _with_reason(self, request, queryset, *, action: str, verb: str, run):
        """Ask for the reason first (it goes in the log), then act on every selected job."""
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for job in queryset:
                try:
                    run(job=job, moderator=request.user, reason=form.cleaned_data["reason"])
                except ValidationError as error:
                    self.message_user(request, f"{job}: {' '.join(error.messages)}", messages.ERROR)
            self.message_user(request, f"{queryset.count()} job(s) {verb}.")
            return None
        context = {**self.admin_site.each_context(request), "jobs": queryset, "form": form, "action": action}
        context["title"] = f"{verb.capitalize()}: give a reason"
        return render(request, "admin/jobs/reason.html", context)

    @admin.action(description="Take down (with a reason, logged)")
    def take_down(self, request, queryset):
        return self._with_reason(request, queryset, action="take_down", verb="taken down", run=services.job_take_down)

    @admin.action(description="Restore (with a reason, logged)")
    def restore(self, request, queryset):
        return self._with_reason(request, queryset, action="restore", verb="restored", run=services.job_restore)


@admin.register(JobReport)
class JobReportAdmin(admin.ModelAdmin):
    list_display = ["job", "reason", "reporter", "created_at"]
    list_filter = ["reason"]
    raw_id_fields = ["job", "reporter"]


@admin.register(ModerationEntry)
class ModerationEntryAdmin(admin.ModelAdmin):
    list_display = ["job", "action", "moderator", "created_at"]
    readonly_fields = ["job", "action", "moderator", "reason", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(Application)
admin.site.register(SavedSearch)
