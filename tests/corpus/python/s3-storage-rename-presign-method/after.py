"""Object storage on S3 for user uploads."""

import mimetypes
from pathlib import PurePosixPath

import boto3
from botocore.exceptions import ClientError


class S3Storage:
    def __init__(self, bucket: str, prefix: str = "uploads", region: str = "eu-west-1") -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = boto3.client("s3", region_name=region)

    def key_for(self, name: str) -> str:
        return str(PurePosixPath(self.prefix) / name)

    def save(self, name: str, data: bytes) -> str:
        key = self.key_for(name)
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        return key

    def exists(self, name: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key_for(name))
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "404":
                return False
            raise
        return True

    def presigned_url(self, name: str, expires: int = 3600) -> str:
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self.key_for(name)},
            ExpiresIn=expires,
        )

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key_for(name))
