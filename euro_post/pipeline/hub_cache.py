"""What a stage read from the Hugging Face hub, as the local hub cache records it.

    fetched(stage_references(recipe, "sft"))
    # [{"field": "stages.sft.init_from", "kind": "model", "repo_id": "org/name",
    #   "revision": "main", "commit": "0123...abcd"}]

The runner writes this into each stage's stage.json under `hub`. It reads the cache's own
records (refs and snapshots), never the network. Kept apart from euro_post/pipeline/network.py,
which the CLI imports before huggingface_hub may be: this module imports it.
"""

from __future__ import annotations

import re
from pathlib import Path

from huggingface_hub import scan_cache_dir
from huggingface_hub.errors import CacheNotFound

from euro_post.pipeline.network import HubReference


def fetched(references: list[HubReference], cache_dir: str | Path | None = None) -> list[dict]:
    """Repo id, revision and cached commit of each reference (`commit` None where the cache
    holds no revision of it). lm-eval tasks are listed by name: lm-eval picks their datasets."""
    if not references:
        return []
    repos = _cached_repos(cache_dir)
    records = []
    for ref in references:
        record = {"field": ref.field, "kind": ref.kind, "repo_id": ref.repo_id}
        if ref.kind != "lm-eval task":
            record["revision"] = ref.revision or "main"
            record["commit"] = _commit(repos.get((ref.kind, ref.repo_id)), record["revision"])
        records.append(record)
    return records


def _cached_repos(cache_dir) -> dict:
    """{(kind, repo id): cached repo} from the local hub cache; empty when there is none."""
    try:
        info = scan_cache_dir(cache_dir)
    except CacheNotFound:
        return {}
    return {(repo.repo_type, repo.repo_id): repo for repo in info.repos}


def _commit(repo, revision: str) -> str | None:
    if repo is None:
        return None
    if re.fullmatch(r"[0-9a-f]{40}", revision):
        return revision if any(r.commit_hash == revision for r in repo.revisions) else None
    if revision in repo.refs:
        return repo.refs[revision].commit_hash
    # datasets downloads by commit hash and may leave no ref: a single cached revision is the one.
    commits = {r.commit_hash for r in repo.revisions}
    return commits.pop() if len(commits) == 1 else None
