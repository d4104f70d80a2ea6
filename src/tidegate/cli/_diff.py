"""`tidegate diff`: the semantic diff of a git range or of a patch applied to a directory."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tidegate.cli._console import emit, read_input
from tidegate.errors import UsageError

MAX_PATCH_BYTES = 256 * 1024 * 1024


class DiffFormat(StrEnum):
    """Output formats of `tidegate diff`."""

    text = "text"
    json = "json"


def diff(
    base: Annotated[
        str | None, typer.Option("--base", help="Base revision (commit, branch, tag).")
    ] = None,
    head: Annotated[
        str | None, typer.Option("--head", help="Head revision [default: HEAD with --base].")
    ] = None,
    patch: Annotated[
        str | None,
        typer.Option(
            "--patch", help="A unified diff to apply to the files of --repo (`-` reads stdin)."
        ),
    ] = None,
    repo: Annotated[
        Path, typer.Option("--repo", help="The repository or directory the diff is about.")
    ] = Path("."),
    output: Annotated[
        DiffFormat, typer.Option("--format", help="text (a reviewer's summary) or json.")
    ] = DiffFormat.text,
    max_file_bytes: Annotated[
        int,
        typer.Option(
            "--max-file-bytes",
            min=1,
            help="Files larger than this are reported as file.too_large, not analysed.",
        ),
    ] = 1 << 20,
) -> None:
    """Describe what a patch changes, by kind, with evidence (docs/change-kinds.md).

    Either --base REV [--head REV] (a git range of --repo) or --patch FILE (a unified diff
    applied to the files under --repo). Files that cannot be analysed (binary, too large,
    unsupported language, syntax errors) are reported as such, never as "no change".
    """
    from tidegate.diff import Options, diff_git, diff_patch_in_directory
    from tidegate.diff.render import render_text

    if (base is None) == (patch is None):
        raise UsageError("give either --base REV [--head REV] or --patch FILE")
    if head is not None and base is None:
        raise UsageError("--head needs --base")
    if not repo.is_dir():
        raise UsageError(f"--repo {repo}: not a directory")
    options = Options(max_file_bytes=max_file_bytes)
    if patch is not None:
        data = read_input(patch, "patch", MAX_PATCH_BYTES)
        text = data.decode("utf-8", "surrogateescape")
        result = diff_patch_in_directory(
            text, repo, options, source="stdin" if patch == "-" else patch
        )
    else:
        assert base is not None
        result = diff_git(repo, base, head or "HEAD", options)
    if output is DiffFormat.json:
        emit(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        emit(render_text(result))
