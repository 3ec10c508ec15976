"""Post a plan as one comment on the Azure Repos pull request of this run, or update the one posted before.

    python pr_comment.py plan.md

Standard library only, so the pipeline needs nothing but Python. Reads the predefined pipeline variables
(SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECTID, BUILD_REPOSITORY_ID, SYSTEM_PULLREQUEST_PULLREQUESTID) and
SYSTEM_ACCESSTOKEN, which the step must map explicitly (`env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)`);
the project's build service needs "Contribute to pull requests". The comment is found again by a marker
on its first line. Azure DevOps REST API 7.1, Pull Request Threads: List, Create; Pull Request Thread
Comments: Update.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

MARKER = "<!-- reconcile-plan -->"
API = "api-version=7.1"
LIMIT = 60_000  # characters of the plan kept; the rest is cut with a note
THREAD_CLOSED = "closed"  # informational: never blocks a "resolve all comments" policy


class CommentError(RuntimeError):
    """A request Azure DevOps refused, or missing pipeline variables; the message says which."""


def _request(method: str, url: str, token: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
    except urllib.error.HTTPError as err:
        raise CommentError(f"{method} {url.split('?')[0]} answered {err.code} {err.reason}") from None
    return json.loads(text) if text else None


def comment_text(plan_markdown: str) -> str:
    """The comment: the marker, then the plan, cut to LIMIT characters."""
    if len(plan_markdown) > LIMIT:
        plan_markdown = plan_markdown[:LIMIT] + "\n\n… (cut: the whole plan is in the run's summary tab)\n"
    return f"{MARKER}\n{plan_markdown}"


def upsert(base: str, token: str, content: str) -> str:
    """Update the thread that starts with MARKER, or create one; returns "updated" or "created".

    `base` is .../_apis/git/repositories/{repository}/pullRequests/{id}.
    """
    threads = _request("GET", f"{base}/threads?{API}", token) or {}
    for thread in threads.get("value", []):
        comments = thread.get("comments") or []
        if comments and str(comments[0].get("content", "")).startswith(MARKER):
            url = f"{base}/threads/{thread['id']}/comments/{comments[0]['id']}?{API}"
            _request("PATCH", url, token, {"content": content})
            return "updated"
    body = {"comments": [{"parentCommentId": 0, "content": content, "commentType": "text"}], "status": THREAD_CLOSED}
    _request("POST", f"{base}/threads?{API}", token, body)
    return "created"


def main(argv: list[str], env: dict[str, str]) -> int:
    if len(argv) != 1:
        print("usage: pr_comment.py PLAN_MARKDOWN_FILE", file=sys.stderr)
        return 2
    if env.get("BUILD_REPOSITORY_PROVIDER", "TfsGit") != "TfsGit":
        print("##vso[task.logissue type=warning]pr_comment.py comments on Azure Repos pull requests only")
        return 0
    names = ("SYSTEM_COLLECTIONURI", "SYSTEM_TEAMPROJECTID", "BUILD_REPOSITORY_ID", "SYSTEM_PULLREQUEST_PULLREQUESTID")
    missing = [name for name in (*names, "SYSTEM_ACCESSTOKEN") if not env.get(name)]
    if missing:
        print(f"pr_comment.py: not set: {', '.join(missing)} (map SYSTEM_ACCESSTOKEN in the step)", file=sys.stderr)
        return 1
    collection, project, repository, pull_request = (env[name] for name in names)
    base = f"{collection.rstrip('/')}/{project}/_apis/git/repositories/{repository}/pullRequests/{pull_request}"
    try:
        plan = Path(argv[0]).read_text(encoding="utf-8")
        outcome = upsert(base, env["SYSTEM_ACCESSTOKEN"], comment_text(plan))
    except (OSError, CommentError) as err:
        print(f"pr_comment.py: {err}", file=sys.stderr)
        return 1
    print(f"plan comment {outcome} on pull request {pull_request}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], dict(os.environ)))
