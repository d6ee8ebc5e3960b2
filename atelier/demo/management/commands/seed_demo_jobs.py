"""`manage.py seed_demo_jobs`: the demo studio's open jobs and one artist's application.

Run after the other demo commands (bin/serve runs them all). Idempotent: does nothing once the demo
studio has a job. Everything goes through the same services as the site.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from atelier.accounts.models import AccountType, User
from atelier.jobs import services
from atelier.jobs.choices import (
    ApplyMethod,
    Currency,
    Discipline,
    EmploymentType,
    LocationMode,
    SalaryPeriod,
    Seniority,
)
from atelier.jobs.models import Job
from atelier.posts.models import Post

STUDIO = "lanternfish_games"
APPLICANT = "ines_ortega"
AI_STATEMENT = (
    "Every asset in Tidewake is made by people. We don't use generative AI for art, writing or voices, "
    "and we don't train anything on our artists' work."
)

JOBS = [
    {
        "title": "2D environment artist",
        "location_mode": LocationMode.REMOTE,
        "country": "PT",
        "city": "",
        "employment_type": EmploymentType.FULL_TIME,
        "seniority": Seniority.MID,
        "disciplines": [Discipline.ENVIRONMENT_ART, Discipline.CONCEPT_ART],
        "software": ["Photoshop", "Krita"],
        "salary_min": 38000,
        "salary_max": 46000,
        "salary_currency": Currency.EUR,
        "salary_period": SalaryPeriod.YEAR,
        "description": "Paint the coastlines, caves and lighthouses of **Tidewake**.\n\n"
        "- Keyframes and in-game backgrounds, hand-painted\n- Work with our art director in EU time zones\n\n"
        "Show us environments with strong light and mood.",
        "apply_method": ApplyMethod.SITE,
        "days": 28,
    },
    {
        "title": "Technical animator",
        "location_mode": LocationMode.HYBRID,
        "country": "PT",
        "city": "Lisbon",
        "employment_type": EmploymentType.CONTRACT,
        "seniority": Seniority.SENIOR,
        "disciplines": [Discipline.ANIMATION, Discipline.RIGGING],
        "software": ["Spine", "Unity", "Blender"],
        "salary_min": 350,
        "salary_max": 450,
        "salary_currency": Currency.EUR,
        "salary_period": SalaryPeriod.DAY,
        "description": "Rig and animate our characters in Spine, and build the tools that bring them into Unity.",
        "apply_method": ApplyMethod.SITE,
        "days": 12,
    },
    {
        "title": "Character design internship",
        "location_mode": LocationMode.ONSITE,
        "country": "PT",
        "city": "Lisbon",
        "employment_type": EmploymentType.INTERNSHIP,
        "seniority": Seniority.ENTRY,
        "disciplines": [Discipline.CHARACTER_DESIGN],
        "software": ["Procreate", "Photoshop"],
        "salary_min": None,
        "salary_max": None,
        "salary_currency": "",
        "salary_period": "",
        "description": "Three paid months in our studio designing the island's inhabitants with our lead artist.",
        "apply_method": ApplyMethod.EMAIL,
        "apply_email": "jobs@lanternfish.example.com",
        "days": 40,
    },
]


class Command(BaseCommand):
    help = "Post the demo studio's jobs and one application (once)."

    def handle(self, *args, **options):
        studio = User.objects.filter(handle=STUDIO, account_type=AccountType.STUDIO).first()
        if studio is None or Job.objects.filter(studio=studio).exists():
            self.stdout.write("Demo jobs: nothing to do.")
            return
        jobs = []
        for spec in JOBS:
            data = {key: value for key, value in spec.items() if key != "days"}
            data.setdefault("apply_url", "")
            data.setdefault("apply_email", "")
            data["ai_statement"] = AI_STATEMENT
            data["expires_at"] = (timezone.now() + timedelta(days=spec["days"])).date()
            jobs.append(services.job_save(studio=studio, data=data))
        applicant = User.objects.filter(handle=APPLICANT).first()
        pieces = (
            list(Post.objects.public().filter(author=applicant).values_list("pk", flat=True)[:3]) if applicant else []
        )
        if pieces:
            services.application_create(
                job=jobs[0],
                applicant=applicant,
                note="I paint coastal light every day, and Tidewake's lighthouse keeper speaks to me. "
                "Three environments I'm proud of are attached.",
                post_ids=pieces,
            )
        self.stdout.write(f"Demo jobs: {len(jobs)} jobs, {1 if pieces else 0} application.")
