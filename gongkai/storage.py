"""Object storage: a public bucket (approved 主动公开 items and the catalogue only) and a private one.

Two backends with the same keys: any S3 endpoint through the `minio` SDK (MinIO in docker-compose),
and a local folder (the embedded default, so the main job runs with no object store). Object
metadata stays ASCII: S3 user metadata cannot carry Chinese, so everything readable is in the
objects themselves (UTF-8 JSON).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from minio import Minio

    from gongkai.settings import Settings


class ObjectStore(Protocol):
    bucket: str

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...
    def create(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> bool: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def keys(self, prefix: str = "") -> list[str]: ...
    def versions(self, prefix: str = "") -> dict[str, str]: ...  # key → a tag that changes on every rewrite
    def delete(self, key: str) -> None: ...
    def link(self, key: str) -> str: ...


def json_bytes(value: Any) -> bytes:
    """The one JSON form of every object gongkai writes: UTF-8, Chinese as is, keys sorted (deterministic)."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode()


def put_json(store: ObjectStore, key: str, value: Any) -> None:
    store.put(key, json_bytes(value), "application/json; charset=utf-8")


def get_json(store: ObjectStore, key: str) -> Any:
    return json.loads(store.get(key))


class LocalStore:
    """A folder per bucket. Writes go to a temporary file first, so a reader never sees half an object.

    The public bucket's files are world-readable (0644: the web server that serves them runs as another
    user); the private bucket's folder is closed to everyone but gongkai's user (0700)."""

    def __init__(self, root: Path, bucket: str, link_base: str | None = None, public: bool = False) -> None:
        self.bucket = bucket
        self.root = (root / bucket).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755 if public else 0o700)
        self.mode = 0o644 if public else 0o600
        self.link_base = link_base  # an HTTP server for this folder (gongkai up starts one), else file:// links

    def path(self, key: str) -> Path:
        """The file behind `key`; a key that would leave the bucket's folder is refused."""
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or key.endswith("/"):
            raise ValueError(f"invalid object key {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path, temporary = self._written_beside(key, data)
        os.replace(temporary, path)

    def create(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> bool:
        """Write only if no object has this key (atomic: a hard link fails if the name exists); False if it did."""
        path, temporary = self._written_beside(key, data)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        finally:
            os.unlink(temporary)
        return True

    def _written_beside(self, key: str, data: bytes) -> tuple[Path, str]:
        """`data` in a temporary file next to the key's file, for an atomic rename or link into place."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                os.fchmod(stream.fileno(), self.mode)
        except BaseException:
            os.unlink(temporary)  # a full disk leaves no half-written part behind
            raise
        return path, temporary

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(f"{self.bucket}/{key}") from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def keys(self, prefix: str = "") -> list[str]:
        # walk only the prefix's folder: a listing of index-numbers/2026/ must not visit every item of the bucket
        start = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not start.resolve().is_relative_to(self.root) or not start.is_dir():
            return []
        found = (path.relative_to(self.root).as_posix() for path in start.rglob("*")
                 if path.is_file() and not path.name.startswith(".part-"))
        return sorted(key for key in found if key.startswith(prefix))

    def versions(self, prefix: str = "") -> dict[str, str]:
        """Inode, modification time and size: every write renames a new file into place."""
        found = {}
        for key in self.keys(prefix):
            try:
                status = self.path(key).stat()
            except FileNotFoundError:  # deleted since the listing
                continue
            found[key] = f"{status.st_ino}-{status.st_mtime_ns}-{status.st_size}"
        return found

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def link(self, key: str) -> str:
        if self.link_base:
            return f"{self.link_base}/{urllib.parse.quote(key)}"
        return self.path(key).as_uri()


class S3Store:
    """One bucket of an S3 endpoint, through the minio SDK."""

    def __init__(self, client: Minio, bucket: str, public: bool, link_lifetime: timedelta = timedelta(days=7)) -> None:
        self.bucket = bucket
        self._client = client
        self._link_lifetime = link_lifetime
        if not client.bucket_exists(bucket):
            client.make_bucket(bucket)
        if public:
            # anonymous read of objects, nothing else: no listing, no writes
            client.set_bucket_policy(bucket, json.dumps(_anonymous_read_policy(bucket)))

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self._client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type)

    def create(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> bool:
        """Conditional PUT (If-None-Match: *, S3 and MinIO): False when the key already exists."""
        from minio.error import S3Error

        try:  # put_object would turn If-None-Match into user metadata, hence the raw request
            self._client._execute("PUT", self.bucket, key, body=data,
                                  headers={"Content-Type": content_type, "If-None-Match": "*"})
        except S3Error as error:
            if error.code in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise
        return True

    def get(self, key: str) -> bytes:
        with _missing_as_key_error(self.bucket, key):
            response = self._client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def exists(self, key: str) -> bool:
        try:
            with _missing_as_key_error(self.bucket, key):
                self._client.stat_object(self.bucket, key)
        except KeyError:
            return False
        return True

    def keys(self, prefix: str = "") -> list[str]:
        return sorted(item.object_name for item in self._client.list_objects(self.bucket, prefix=prefix, recursive=True))

    def versions(self, prefix: str = "") -> dict[str, str]:
        """The ETags of one listing: no object is read."""
        return {item.object_name: item.etag
                for item in self._client.list_objects(self.bucket, prefix=prefix, recursive=True)}

    def delete(self, key: str) -> None:
        self._client.remove_object(self.bucket, key)

    def link(self, key: str) -> str:
        return self._client.presigned_get_object(self.bucket, key, expires=self._link_lifetime)


@contextmanager
def _missing_as_key_error(bucket: str, key: str) -> Iterator[None]:
    from minio.error import S3Error

    try:
        yield
    except S3Error as error:
        if error.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
            raise KeyError(f"{bucket}/{key}") from None
        raise


def _anonymous_read_policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"],
                       "Resource": [f"arn:aws:s3:::{bucket}/*"]}],
    }


@dataclass
class Storage:
    public: ObjectStore
    private: ObjectStore


def open_storage(settings: Settings) -> Storage:
    if settings.storage == "local":
        root = settings.data_dir / "storage"
        return Storage(LocalStore(root, settings.public_bucket, public=True),
                       LocalStore(root, settings.private_bucket, f"http://127.0.0.1:{settings.review_files_port}"))
    from minio import Minio

    client = Minio(settings.s3_endpoint, access_key=settings.s3_access_key,
                   secret_key=settings.s3_secret_key.get_secret_value(), secure=settings.s3_secure,
                   region=settings.s3_region)
    return Storage(S3Store(client, settings.public_bucket, public=True),
                   S3Store(client, settings.private_bucket, public=False,
                           link_lifetime=timedelta(hours=settings.review_link_hours)))
