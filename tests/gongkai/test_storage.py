"""The storage layer against both backends: a local folder and a real S3 endpoint (moto's server)."""

import urllib.error
import urllib.request

import pytest

from gongkai.settings import Settings
from gongkai.storage import get_json, open_storage, put_json


def test_put_get_list_delete(any_settings: Settings) -> None:
    storage = open_storage(any_settings)
    put_json(storage.private, "registry/abc.json", {"status": "pending", "名称": "关于某事的通知"})
    storage.private.put("staging/abc/原件.docx", b"\x00binary")
    assert get_json(storage.private, "registry/abc.json")["名称"] == "关于某事的通知"
    assert storage.private.get("staging/abc/原件.docx") == b"\x00binary"
    assert storage.private.keys("staging/") == ["staging/abc/原件.docx"]
    assert storage.private.exists("registry/abc.json") and not storage.public.exists("registry/abc.json")
    storage.private.delete("registry/abc.json")
    with pytest.raises(KeyError):
        storage.private.get("registry/abc.json")


def test_buckets_are_separate(any_settings: Settings) -> None:
    storage = open_storage(any_settings)
    storage.public.put("items/x/content.txt", "正文".encode())
    assert storage.private.keys() == [] and storage.public.keys() == ["items/x/content.txt"]


def test_local_keys_cannot_escape_the_bucket(local_settings: Settings) -> None:
    storage = open_storage(local_settings)
    with pytest.raises(ValueError):
        storage.public.put("../gongkai-private/registry/evil.json", b"{}")


def test_s3_public_bucket_gets_an_anonymous_read_policy_and_the_private_none(s3_settings: Settings) -> None:
    from minio import Minio

    storage = open_storage(s3_settings)
    client = Minio(s3_settings.s3_endpoint, access_key="testing", secret_key="testing", secure=False,
                   region="us-east-1")
    policy = client.get_bucket_policy(s3_settings.public_bucket)
    assert '"s3:GetObject"' in policy and s3_settings.public_bucket in policy
    with pytest.raises(Exception, match="NoSuchBucketPolicy"):
        client.get_bucket_policy(s3_settings.private_bucket)
    storage.private.put("staging/a.txt", b"secret")
    link = storage.private.link("staging/a.txt")  # a presigned link works without credentials
    with urllib.request.urlopen(link) as response:
        assert response.read() == b"secret"
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(link.split("?")[0])
