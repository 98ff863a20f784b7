"""Artifacts in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2), for workers on
several hosts.

Each worker keeps writing into its local artifacts folder, which becomes a cache: a file
written under it is uploaded when its URI is made (`s3://bucket/prefix/<reel>/<name>`), and
a file read by URI is fetched into the same place. An upload becomes visible whole or not at
all, so a reader never sees half a file; a download goes to a temporary name and is renamed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urlparse

from activities.errors import bad_input

ETAG_SUFFIX = ".etag"  # beside a fetched file: the object version it holds


class S3Artifacts:
    def __init__(self, url: str, cache: Path, endpoint: str = "") -> None:
        import boto3
        from botocore.config import Config

        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise bad_input(f"data.artifacts {url!r}: expected s3://bucket[/prefix]")
        self.bucket, self.prefix = parsed.netloc, parsed.path.strip("/")
        self.cache = cache.resolve()
        # Temporal retries the activity: the client's own retries stay few and quick.
        self.client = boto3.client("s3", endpoint_url=endpoint or None,
                                   config=Config(retries={"max_attempts": 3, "mode": "standard"}))

    def _key(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def upload(self, path: Path) -> str | None:
        """Upload a file of the cache; its s3:// URI, or None for a file outside the cache."""
        try:
            relative = path.resolve().relative_to(self.cache).as_posix()
        except ValueError:
            return None
        key = self._key(relative)
        self.client.upload_file(str(path), self.bucket, key)
        return f"s3://{self.bucket}/{key}"

    def fetch(self, uri: str) -> Path:
        """The local copy of an s3:// URI, downloaded unless the cache holds this version."""
        parsed = urlparse(uri)
        key = parsed.path.lstrip("/")
        if parsed.netloc != self.bucket or not key.startswith(self.prefix):
            raise bad_input(f"artifact {uri}: not in the configured store s3://{self.bucket}/"
                            f"{self.prefix}")
        from botocore.exceptions import ClientError

        try:
            etag = self.client.head_object(Bucket=self.bucket, Key=key)["ETag"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise bad_input(f"artifact {uri} does not exist") from None
            raise
        local = self.cache / key[len(self.prefix):].lstrip("/")
        marker = local.with_name(local.name + ETAG_SUFFIX)
        if local.is_file() and marker.is_file() and marker.read_text() == etag:
            return local
        local.parent.mkdir(parents=True, exist_ok=True)
        partial = local.with_name(f".{local.name}.{os.getpid()}.part")
        self.client.download_file(self.bucket, key, str(partial))
        os.replace(partial, local)
        marker.write_text(etag)
        return local

    def prune(self, older_than_s: float) -> int:
        """Delete objects and cached files older than `older_than_s`; how many went."""
        cutoff = time.time() - older_than_s
        removed = 0
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else "")
        for page in pages:
            old = [{"Key": o["Key"]} for o in page.get("Contents", [])
                   if o["LastModified"].timestamp() < cutoff]
            if old:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": old})
                removed += len(old)
        for path in self.cache.rglob("*"):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
