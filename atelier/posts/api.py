"""Post endpoints of the JSON API (mobile clients): the same visibility rule as the pages."""

from django.http import HttpRequest
from ninja import Router, Schema

from atelier.accounts.selectors import profile_for_page
from atelier.core.api_schemas import error_responses
from atelier.core.html import render_user_markdown
from atelier.media.models import MediaItem
from atelier.posts.models import Post
from atelier.posts.selectors import post_for_page, posts_for_profile

router = Router(tags=["posts"])


class SizeOut(Schema):
    url: str
    width: int
    height: int


class PictureOut(Schema):
    """A cover or thumbnail: WebP sizes (AVIF beside them where made) and a placeholder colour."""

    sizes: list[SizeOut]
    avif_sizes: list[SizeOut]
    colour: str
    animated_webp: str
    animated_mp4: str


class EmbedOut(Schema):
    provider: str
    player_url: str
    page_url: str


class ItemOut(Schema):
    kind: str
    width: int
    height: int
    alt_text: str
    colour: str
    sizes: list[SizeOut]
    video_url: str
    duration_seconds: float | None
    animated_webp: str
    animated_mp4: str
    embed: EmbedOut | None


class PostSummaryOut(Schema):
    id: int
    title: str
    author: str
    published_at: str | None
    is_mature: bool
    thumbnail: PictureOut | None
    cover: PictureOut | None


class PostOut(PostSummaryOut):
    description_html: str
    medium: str
    category: str
    tags: list[str]
    software: list[str]
    made_with_ai: bool
    items: list[ItemOut]


def _sizes(storage_url, sizes: list[dict], key: str = "name") -> list[SizeOut]:
    return [SizeOut(url=storage_url(size[key]), width=size["w"], height=size["h"]) for size in sizes if size.get(key)]


def _picture(post: Post, kind: str) -> PictureOut | None:
    built = post.covers.get(kind)
    if not built or not built.get("sizes"):
        return None
    url = post.file_url
    picture = getattr(post, kind)
    return PictureOut(
        sizes=_sizes(url, built["sizes"]),
        avif_sizes=_sizes(url, built["sizes"], "avif"),
        colour=picture["colour"],
        animated_webp=picture["animated_webp"],
        animated_mp4=picture["animated_mp4"],
    )


def _item(item: MediaItem) -> ItemOut:
    embed = item.embed_info
    return ItemOut(
        kind=item.kind,
        width=item.width,
        height=item.height,
        alt_text=item.alt_text,
        colour=item.colour,
        sizes=[SizeOut(url=item.public_url(size["name"]), width=size["w"], height=size["h"]) for size in item.sizes],
        video_url=item.video_url,
        duration_seconds=item.duration_seconds,
        animated_webp=item.animated_webp_url,
        animated_mp4=item.animated_mp4_url,
        embed=EmbedOut(provider=embed.provider, player_url=embed.player_url, page_url=embed.canonical_url)
        if embed
        else None,
    )


def _summary_fields(post: Post) -> dict:
    return {
        "id": post.pk,
        "title": str(post),
        "author": post.author.handle,
        "published_at": post.published_at.isoformat() if post.published_at else None,
        "is_mature": post.is_mature,
        "thumbnail": _picture(post, "thumbnail"),
        "cover": _picture(post, "cover"),
    }


@router.get(
    "/posts/{post_id}", response={200: PostOut, **error_responses(404, 422)}, summary="A post its viewer may see"
)
def post_detail(request: HttpRequest, post_id: int):
    post = post_for_page(post_id=post_id, viewer=request.user)
    return PostOut(
        **_summary_fields(post),
        description_html=render_user_markdown(post.description),
        medium=post.medium,
        category=post.category,
        tags=[tag.name for tag in post.tags.all()],
        software=post.software,
        made_with_ai=post.made_with_ai,
        items=[_item(item) for item in post.items.all()],
    )


@router.get(
    "/profiles/{handle}/posts",
    response={200: list[PostSummaryOut], **error_responses(404)},
    summary="A portfolio, newest first",
)
def profile_posts(request: HttpRequest, handle: str):
    profile = profile_for_page(handle=handle)
    posts = posts_for_profile(author=profile.user, viewer=request.user)
    for post in posts:
        post.author = profile.user  # one author for the whole list: no query per post
    return [PostSummaryOut(**_summary_fields(post)) for post in posts]
