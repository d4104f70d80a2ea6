"""Publishes releases and their assets on GitHub."""

import os
from pathlib import Path

import requests

API = "https://api.github.com"


class ReleaseError(RuntimeError):
    pass


def _token() -> str:
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        raise ReleaseError("GITHUB_TOKEN is not set")
    return token


def _headers() -> dict[str, str]:
    return {
        "Authorization": f"Bearer {_token()}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }


def create_release(repo: str, tag: str, notes: str, draft: bool = True) -> dict:
    response = requests.post(
        f"{API}/repos/{repo}/releases",
        json={"tag_name": tag, "name": tag, "body": notes, "draft": draft},
        headers=_headers(),
        timeout=30,
    )
    if response.status_code != 201:
        raise ReleaseError(f"creating release {tag} failed: {response.status_code}")
    return response.json()


def upload_asset(release: dict, path: Path) -> None:
    upload_url = release["upload_url"].split("{", 1)[0]
    with path.open("rb") as fh:
        response = requests.post(
            upload_url,
            params={"name": path.name},
            data=fh,
            headers={**_headers(), "Content-Type": "application/octet-stream"},
            timeout=300,
        )
    response.raise_for_status()
