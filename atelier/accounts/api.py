"""Profile endpoints of the JSON API (mobile clients). Input and output schemas are separate types."""

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from atelier.accounts.models import Profile, ProfileImage
from atelier.accounts.selectors import profile_for_page
from atelier.core.api_schemas import error_responses

router = Router(tags=["profiles"])


class ImageOut(Schema):
    src: str
    srcset: str
    width: int
    height: int
    placeholder_colour: str

    @staticmethod
    def from_image(image: ProfileImage | None) -> "ImageOut | None":
        if image is None:
            return None
        return ImageOut(
            src=image.src,
            srcset=image.srcset,
            width=image.renditions["width"],
            height=image.renditions["height"],
            placeholder_colour=image.placeholder_colour,
        )


class ProfileOut(Schema):
    handle: str
    account_type: str
    display_name: str
    headline: str
    bio_html: str
    location: str
    website: str
    social_links: list[str]
    skills: list[str]
    software: list[str]
    open_to_work: bool
    hiring: bool
    avatar: ImageOut | None
    banner: ImageOut | None

    @staticmethod
    def from_profile(profile: Profile) -> "ProfileOut":
        return ProfileOut(
            handle=profile.user.handle,
            account_type=profile.user.account_type,
            display_name=profile.name,
            headline=profile.headline,
            bio_html=profile.bio_html,
            location=profile.location,
            website=profile.website,
            social_links=profile.social_links,
            skills=profile.skills,
            software=profile.software,
            open_to_work=profile.open_to_work,
            hiring=profile.hiring,
            avatar=ImageOut.from_image(profile.avatar),
            banner=ImageOut.from_image(profile.banner),
        )


class MeOut(Schema):
    handle: str
    email: str
    email_verified: bool
    profile: ProfileOut


@router.get("/profiles/{handle}", response={200: ProfileOut, **error_responses(404)}, summary="A public profile")
def profile_detail(request: HttpRequest, handle: str):
    return ProfileOut.from_profile(profile_for_page(handle=handle))


@router.get("/me", response={200: MeOut, **error_responses(401)}, auth=django_auth, summary="The signed-in account")
def me(request: HttpRequest):
    profile = profile_for_page(handle=request.user.handle)
    return MeOut(
        handle=request.user.handle,
        email=request.user.email,
        email_verified=request.user.email_verified,
        profile=ProfileOut.from_profile(profile),
    )
