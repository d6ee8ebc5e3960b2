"""The fixed vocabularies of a job post: shown in forms and filters, stored as short codes."""

from django.db import models


class Discipline(models.TextChoices):
    CONCEPT_ART = "concept_art", "Concept art"
    ILLUSTRATION = "illustration", "Illustration"
    CHARACTER_DESIGN = "character_design", "Character design"
    ENVIRONMENT_ART = "environment_art", "Environment art"
    MODELLING_3D = "3d_modelling", "3D modelling"
    TEXTURING = "texturing", "Texturing and look development"
    ANIMATION = "animation", "Animation"
    RIGGING = "rigging", "Rigging"
    VFX = "vfx", "VFX"
    STORYBOARD = "storyboard", "Storyboarding"
    COMICS = "comics", "Comics"
    UI_UX = "ui_ux", "UI/UX"
    ART_DIRECTION = "art_direction", "Art direction"


class EmploymentType(models.TextChoices):
    FULL_TIME = "full_time", "Full-time"
    PART_TIME = "part_time", "Part-time"
    CONTRACT = "contract", "Contract"
    FREELANCE = "freelance", "Freelance"
    INTERNSHIP = "internship", "Internship"


class Seniority(models.TextChoices):
    ENTRY = "entry", "Entry level"
    JUNIOR = "junior", "Junior"
    MID = "mid", "Mid-level"
    SENIOR = "senior", "Senior"
    LEAD = "lead", "Lead"


class LocationMode(models.TextChoices):
    ONSITE = "onsite", "On-site"
    HYBRID = "hybrid", "Hybrid"
    REMOTE = "remote", "Remote"


class SalaryPeriod(models.TextChoices):
    HOUR = "hour", "per hour"
    DAY = "day", "per day"
    MONTH = "month", "per month"
    YEAR = "year", "per year"
    PROJECT = "project", "per project"


class Currency(models.TextChoices):
    USD = "USD", "USD"
    EUR = "EUR", "EUR"
    GBP = "GBP", "GBP"
    CAD = "CAD", "CAD"
    AUD = "AUD", "AUD"
    NZD = "NZD", "NZD"
    JPY = "JPY", "JPY"
    KRW = "KRW", "KRW"
    CNY = "CNY", "CNY"
    INR = "INR", "INR"
    BRL = "BRL", "BRL"
    MXN = "MXN", "MXN"
    CHF = "CHF", "CHF"
    SEK = "SEK", "SEK"
    NOK = "NOK", "NOK"
    DKK = "DKK", "DKK"
    PLN = "PLN", "PLN"
    SGD = "SGD", "SGD"


class ApplyMethod(models.TextChoices):
    SITE = "site", "Apply on Atelier with your portfolio"
    URL = "url", "Apply on the studio's website"
    EMAIL = "email", "Apply by email"


class JobStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    REMOVED = "removed", "Taken down"


class ApplicationStatus(models.TextChoices):
    NEW = "new", "New"
    SHORTLISTED = "shortlisted", "Shortlisted"
    DECLINED = "declined", "Declined"


class ReportReason(models.TextChoices):
    SCAM = "scam", "Scam or fake job"
    UNPAID = "unpaid", "Unpaid work presented as a job"
    AI_REPLACEMENT = "ai_replacement", "Replacing artists with generative AI"
    OTHER = "other", "Something else"
