"""Job posts by studios, artists' applications with portfolio pieces, reports, moderation and saved searches."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField

from atelier.jobs.choices import (
    ApplicationStatus,
    ApplyMethod,
    Currency,
    EmploymentType,
    JobStatus,
    LocationMode,
    ReportReason,
    SalaryPeriod,
    Seniority,
)

DEFAULT_LIFETIME = timedelta(days=30)


def default_expiry():
    return timezone.now() + DEFAULT_LIFETIME


class JobQuerySet(models.QuerySet):
    def open(self) -> "JobQuerySet":
        """What the list shows: open, not taken down, not past its expiry (even before the
        periodic task has closed it)."""
        return self.filter(status=JobStatus.OPEN, expires_at__gt=timezone.now())


class Job(models.Model):
    studio = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    title = models.CharField(max_length=120)
    location_mode = models.CharField(max_length=10, choices=LocationMode.choices)
    country = CountryField(blank=True, help_text="Where the work is, or the country a remote hire must live in.")
    city = models.CharField(max_length=80, blank=True)
    employment_type = models.CharField(max_length=12, choices=EmploymentType.choices)
    seniority = models.CharField(max_length=10, choices=Seniority.choices)
    disciplines = models.JSONField(default=list)
    software = models.JSONField(default=list, blank=True)
    salary_min = models.PositiveIntegerField(null=True, blank=True)
    salary_max = models.PositiveIntegerField(null=True, blank=True)
    salary_currency = models.CharField(max_length=3, choices=Currency.choices, blank=True)
    salary_period = models.CharField(max_length=8, choices=SalaryPeriod.choices, blank=True)
    description = models.TextField(max_length=10000)
    description_html = models.TextField(editable=False, blank=True)
    apply_method = models.CharField(max_length=6, choices=ApplyMethod.choices, default=ApplyMethod.SITE)
    apply_url = models.URLField(max_length=300, blank=True)
    apply_email = models.EmailField(blank=True)
    ai_statement = models.TextField(
        "statement on generative AI", max_length=2000, help_text="How the studio does and does not use generative AI."
    )
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(default=default_expiry)
    closed_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["status", "-created_at", "-id"], name="jobs_open_newest"),
            models.Index(fields=["status", "expires_at", "id"], name="jobs_open_closing"),
            models.Index(fields=["studio", "-created_at"], name="jobs_by_studio"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(salary_min__isnull=True)
                | models.Q(salary_max__isnull=True)
                | models.Q(salary_min__lte=models.F("salary_max")),
                name="jobs_salary_range_ordered",
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("jobs:detail", kwargs={"job_id": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status == JobStatus.OPEN and self.expires_at > timezone.now()

    @property
    def states_pay(self) -> bool:
        return self.salary_min is not None or self.salary_max is not None

    @property
    def pay_text(self) -> str:
        """ "USD 50,000–70,000 per year", "from EUR 300 per day", "" when not stated."""
        if not self.states_pay:
            return ""
        low, high, currency = self.salary_min, self.salary_max, self.salary_currency
        if low is not None and high is not None:
            text = f"{currency} {low:,}" if low == high else f"{currency} {low:,}–{high:,}"
        elif low is not None:
            text = f"from {currency} {low:,}"
        else:
            text = f"up to {currency} {high:,}"
        return f"{text} {self.get_salary_period_display()}".strip()

    @property
    def place_text(self) -> str:
        where = ", ".join(part for part in (self.city, self.country.name if self.country else "") if part)
        mode = self.get_location_mode_display()
        return f"{mode} · {where}" if where else mode

    def discipline_labels(self) -> list[str]:
        from atelier.jobs.choices import Discipline

        labels = dict(Discipline.choices)
        return [labels.get(code, code) for code in self.disciplines]


class Application(models.Model):
    """An artist's in-site application: a note and up to MAX_PIECES of their own visible posts."""

    MAX_PIECES = 10

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="applications")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_applications")
    note = models.TextField(max_length=3000)
    status = models.CharField(max_length=12, choices=ApplicationStatus.choices, default=ApplicationStatus.NEW)
    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "applicant"], name="jobs_apply_once")]
        indexes = [models.Index(fields=["applicant", "-created_at"], name="jobs_applications_mine")]

    def __str__(self):
        return f"{self.applicant_id} → job {self.job_id}"


class ApplicationPiece(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="pieces")
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["application", "post"], name="jobs_piece_once")]

    def __str__(self):
        return f"post {self.post_id} in application {self.application_id}"


class JobReport(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=16, choices=ReportReason.choices)
    details = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "reporter"], name="jobs_report_once")]

    def __str__(self):
        return f"{self.get_reason_display()} — job {self.job_id}"


class ModerationEntry(models.Model):
    """The log of what moderators did to a job, with their reason: who, when, why."""

    class Action(models.TextChoices):
        TAKE_DOWN = "take_down", "Taken down"
        RESTORE = "restore", "Restored"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="moderation_log")
    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "moderation log"

    def __str__(self):
        return f"{self.get_action_display()}: job {self.job_id}"


class SavedSearch(models.Model):
    """A person's jobs filter, mailed to them when new jobs match (`alerts.saved_search_alerts_send`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_job_searches")
    name = models.CharField(max_length=80)
    query = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    last_alerted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name
