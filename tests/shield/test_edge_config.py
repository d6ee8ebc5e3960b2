"""The nginx edge's config, rendered from settings and the crawler list: what it maps, what it never
mentions, and that nginx itself accepts it (when installed)."""

import shutil
import subprocess

import pytest

from atelier.media import signed_media
from atelier.protection.shield import edge
from atelier.protection.shield.models import CrawlerAgent
from tests import s3_stand_in

pytestmark = pytest.mark.django_db
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def test_a_hostile_crawler_token_never_reaches_the_config(tmp_path, isolated_media):
    CrawlerAgent.objects.create(token='evil"; } server { listen 9; } #')
    CrawlerAgent.objects.create(token="Meta-ExternalAgent 2")
    edge.edge_config_write(edge_dir=tmp_path)
    crawler_map = (tmp_path / "ai-crawlers.map").read_text()
    assert "evil" not in crawler_map and "listen 9" not in crawler_map
    # The same lower-cased tokens, matched as product tokens, as the app's own check (shield.crawlers).
    assert '(?:meta\\-externalagent\\ 2)(?=$|[\\s/;,()+])" 1;' in crawler_map
    assert '"~*(?:^|(?<=[\\s(;,+]))(?:gptbot)(?=$|[\\s/;,()+])" 1;' in crawler_map  # the migration's list
    assert "(?:googlebot)" not in crawler_map and "(?:applebot)" in crawler_map  # allowed engines are not refused


def test_local_media_maps_only_the_public_folder_and_carries_the_media_key_not_the_secret(
    settings, tmp_path, isolated_media
):
    main = edge.edge_config_write(edge_dir=tmp_path / "edge").read_text()
    public = settings.STORAGES["default"]["OPTIONS"]["location"]
    originals = settings.STORAGES["originals"]["OPTIONS"]["location"]
    assert f"alias {public}/;" in main
    assert originals not in main
    assert signed_media.media_url_key() in main
    assert settings.SECRET_KEY not in main
    assert oct((tmp_path / "edge" / "atelier.conf").stat().st_mode & 0o777) == "0o600"
    if shutil.which(NGINX):
        checked = subprocess.run(  # noqa: S603
            [NGINX, "-t", "-q", "-p", str(tmp_path / "edge"), "-c", str(tmp_path / "edge" / "atelier.conf")],
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stderr


def test_with_s3_the_edge_proxies_the_public_prefix_of_the_public_bucket_only(settings, tmp_path):
    s3_stand_in.use_s3_storages(
        settings, endpoint="http://127.0.0.1:9", bucket="art-public", media_root=tmp_path,
        AWS_PRIVATE_BUCKET_NAME="art-private",
    )  # fmt: skip
    main = edge.edge_config_write(edge_dir=tmp_path / "edge").read_text()
    assert "proxy_pass http://atelier_object_store/art-public/public/;" in main
    assert "art-private" not in main
    assert "server 127.0.0.1:9;" in main
