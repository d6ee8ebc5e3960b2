"""An X (Twitter) archive: `data/tweets.js` (older: `data/tweet.js`, big ones add `tweets-part1.js`...).

Each file is JavaScript, `window.YTD.tweets.part0 = [ {"tweet": {...}}, ... ]`: the JSON starts after
the first `=`. Media files sit in `data/tweets_media/` named `<tweet id>-<file name of media_url>`
(videos get their own name after the id, so they are matched by the id prefix). Tweets with images
or videos become posts; replies, retweets and text-only tweets are counted and skipped.
"""

import json
import posixpath
import re
from datetime import datetime

from atelier.portability.archives import ArchiveRefused, SafeZip
from atelier.portability.scanning import FoundWork, Scan, refuse_wrong_kind

_TWEET_FILES = re.compile(r"^data/(tweets?)(-part\d+)?\.js$")
_MEDIA_DIR = "data/tweets_media/"
_LINK = re.compile(r"\s*https://t\.co/\w+\s*$")


def _parse_js(text: str, name: str) -> list:
    head, sep, body = text.partition("=")
    if not sep or "window.YTD" not in head:
        raise ArchiveRefused("%(name)s is not an X archive data file.", code="bad_tweets_js", params={"name": name})
    try:
        data = json.loads(body.strip().rstrip(";"))
    except json.JSONDecodeError:
        raise ArchiveRefused(
            "%(name)s is damaged: its data is not JSON.", code="bad_tweets_js", params={"name": name}
        ) from None
    return data if isinstance(data, list) else []


def _when(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return None


def _files_for(tweet: dict, tweet_id: str, media_by_tweet: dict[str, list[str]]) -> list[dict]:
    extended = tweet.get("extended_entities") or tweet.get("entities") or {}
    media = extended.get("media") if isinstance(extended, dict) else None
    files = []
    present = media_by_tweet.get(tweet_id, [])
    for entry in media if isinstance(media, list) else []:
        if not isinstance(entry, dict):
            continue
        kind = entry.get("type", "photo")
        url = entry.get("media_url_https") or entry.get("media_url") or ""
        alt = entry.get("ext_alt_text") if isinstance(entry.get("ext_alt_text"), str) else ""
        if kind == "photo" and isinstance(url, str) and url:
            files.append({"name": f"{_MEDIA_DIR}{tweet_id}-{posixpath.basename(url)}", "alt": alt})
        else:  # video and animated_gif: an .mp4 named by X, after the id
            videos = [name for name in present if name.lower().endswith(".mp4")]
            name = videos[0] if videos else f"{_MEDIA_DIR}{tweet_id}-video.mp4"
            if all(file["name"] != name for file in files):
                files.append({"name": name, "alt": alt})
    return files


def scan(archive: SafeZip) -> Scan:
    names = list(archive.names())
    tweet_files = sorted(name for name in names if _TWEET_FILES.match(name))
    if not tweet_files:
        refuse_wrong_kind(archive, "an X (Twitter) archive", "data/tweets.js")
    media_by_tweet: dict[str, list[str]] = {}
    for name in names:
        if name.startswith(_MEDIA_DIR):
            media_by_tweet.setdefault(name[len(_MEDIA_DIR) :].split("-", 1)[0], []).append(name)
    works: list[FoundWork] = []
    skipped = {"replies": 0, "retweets": 0, "text-only posts": 0}
    for file_name in tweet_files:
        for entry in _parse_js(archive.read_text(file_name), file_name):
            tweet = entry.get("tweet", entry) if isinstance(entry, dict) else None
            if not isinstance(tweet, dict):
                continue
            text = tweet.get("full_text") or tweet.get("text") or ""
            text = text if isinstance(text, str) else ""
            if tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id"):
                skipped["replies"] += 1
                continue
            if text.startswith("RT @"):
                skipped["retweets"] += 1
                continue
            tweet_id = str(tweet.get("id_str") or tweet.get("id") or "")
            files = _files_for(tweet, tweet_id, media_by_tweet) if tweet_id.isdigit() else []
            if not files:
                skipped["text-only posts"] += 1
                continue
            when = _when(tweet.get("created_at"))
            caption = _LINK.sub("", text).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
            kind = "carousel" if len(files) > 1 else ("video" if files[0]["name"].endswith(".mp4") else "photo")
            work = FoundWork(source_id=f"x:{tweet_id}", kind=kind, taken_at=when, caption=caption[:5000], files=files)
            if when is None:
                work.problem = "This post has no date we can read."
            works.append(work)
    works.sort(key=lambda work: work.taken_at.timestamp() if work.taken_at else 0, reverse=True)
    return Scan(works=works, skipped={key: count for key, count in skipped.items() if count})
