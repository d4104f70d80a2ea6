"""Uploads finished exports to S3."""

import logging
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

log = logging.getLogger(__name__)

# Exports larger than this are uploaded in parts by boto3.
MULTIPART_THRESHOLD = 67_108_864


class ExportUploader:
    def __init__(self, bucket: str, prefix: str = "exports/") -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.client = boto3.client("s3")
        self.failed: list[Path] = []

    def key_for(self, path: Path) -> str:
        # keys are flat: the prefix plus the file name
        return f"{self.prefix}{path.name}"

    def already_uploaded(self, path: Path) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key_for(path))
        except ClientError:
            return False
        return True

    def upload(self, path: Path) -> None:
        # TODO: set a content type
        self.client.upload_file(str(path), self.bucket, self.key_for(path))
        log.info("uploaded %s", path.name)

    def upload_all(self, directory: Path) -> int:
        count = 0
        for path in sorted(directory.glob("*.csv.gz")):
            if self.already_uploaded(path):
                continue
            self.upload(path)
            count += 1
        return count
