"""The CI examples, the composite action and the pre-commit hooks: they parse, their `reconcile` lines are
accepted by the CLI's own parser, and they do what docs promise (OIDC, no secrets, saved plan applied).

Nothing here talks to Azure: command lines are parsed with click (tests/docs/shell.py), not executed,
except the pre-commit hook, whose command is offline by nature and runs as pre-commit would run it.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli import cli
from tests.docs.shell import parse_reconcile, reconcile_commands

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "ci"
GITHUB = EXAMPLES / "github"
PIPELINES = EXAMPLES / "azure-pipelines"
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
YAML_FILES = sorted([*EXAMPLES.rglob("*.yml"), *EXAMPLES.rglob("*.yaml"), ACTION, HOOKS])
# The files that call reconcile with concrete arguments (the action runs whatever its caller passes).
WORKFLOWS = sorted([*EXAMPLES.rglob("*.yml"), *EXAMPLES.rglob("*.yaml")])


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _is_action(uses: str) -> bool:
    return uses == "./" or bool(re.fullmatch(r"[\w.-]+/gallery-reconciler@[\w./-]+", uses))


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def scripts(doc: Any) -> list[str]:
    """Every shell script of a GitHub workflow, composite action or Azure pipeline."""
    found = []
    for node in _walk(doc):
        for key in ("run", "script", "bash"):
            if isinstance(node.get(key), str):
                found.append(node[key])
        inputs = node.get("inputs")
        if isinstance(inputs, dict) and isinstance(inputs.get("inlineScript"), str):
            found.append(inputs["inlineScript"])
    return found


def action_invocations(doc: Any) -> list[list[str]]:
    """`reconcile COMMAND ARGS` for every step that uses this repository's action, as the action runs it."""
    found = []
    for node in _walk(doc):
        if isinstance(node.get("uses"), str) and _is_action(node["uses"]):
            given = node.get("with") or {}
            found.append([str(given["command"]), *shlex.split(str(given.get("args", "")))])
    return found


def all_reconcile_commands(path: Path) -> list[list[str]]:
    doc = load(path)
    commands = [cmd for script in scripts(doc) for cmd in reconcile_commands(script)]
    return commands + action_invocations(doc)


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_parses_as_yaml(path: Path) -> None:
    assert load(path), f"{path} is empty"


def test_the_examples_contain_reconcile_commands() -> None:
    per_file = {p.name: [cmd[0] for cmd in all_reconcile_commands(p)] for p in WORKFLOWS}
    assert per_file == {
        "reconcile-plan.yml": ["validate", "plan"],
        "reconcile-apply.yml": ["apply"],
        "azure-pipelines.yml": ["validate", "plan", "apply"],
    }


@pytest.mark.parametrize(
    "command",
    [cmd for p in WORKFLOWS for cmd in all_reconcile_commands(p)],
    ids=lambda c: " ".join(c),
)
def test_every_reconcile_command_is_accepted_by_the_cli(command: list[str]) -> None:
    ctx = parse_reconcile(command)
    assert ctx.command.name in {"validate", "plan", "apply", "status"}


def test_the_parser_check_rejects_what_the_cli_rejects() -> None:
    for bad in (["plan", "--markdwn", "m/"], ["apply", "--parallelism", "0", "m/"], ["plan"], ["plan-it", "m/"]):
        with pytest.raises(click.UsageError):
            parse_reconcile(bad)
        assert CliRunner().invoke(cli, bad).exit_code == 1


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job["steps"]


def test_pull_request_workflow_plans_with_oidc_and_posts_the_plan() -> None:
    doc = load(GITHUB / "reconcile-plan.yml")
    assert "pull_request" in doc[True]  # PyYAML reads the key `on` as True
    assert doc["permissions"]["id-token"] == "write" and doc["permissions"]["pull-requests"] == "write"
    steps = _steps(doc["jobs"]["plan"])
    login = next(s for s in steps if str(s.get("uses", "")).startswith("azure/login@"))
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}  # OIDC: no client secret
    plan = next(s for s in steps if s.get("id") == "plan")
    args = shlex.split(plan["with"]["args"])
    assert plan["with"]["command"] == "plan" and "--markdown" in args and args[args.index("--out") + 1] == "plan.json"
    assert plan["with"]["summary"] == "true"  # the action appends its output to $GITHUB_STEP_SUMMARY
    comment = next(s for s in steps if "gh api" in s.get("run", ""))
    assert "<!-- reconcile-plan -->" in comment["run"] and "PATCH" in comment["run"]  # one comment, updated
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "plan.json" and upload["with"]["name"] == "reconcile-plan"
    assert "AZURE_SUBSCRIPTION_ID" in doc["jobs"]["plan"]["env"]  # otherwise reconcile plans the emulator


def test_merge_workflow_applies_the_reviewed_plan_file() -> None:
    doc = load(GITHUB / "reconcile-apply.yml")
    assert doc[True]["push"]["branches"] == ["main"]
    job = doc["jobs"]["apply"]
    assert job["environment"] == "gallery-production" and doc["permissions"]["id-token"] == "write"
    steps = _steps(job)
    find = next(s for s in steps if s.get("id") == "reviewed")
    assert "gh run list --workflow reconcile-plan.yml" in find["run"]
    download = next(s for s in steps if str(s.get("uses", "")).startswith("actions/download-artifact@"))
    assert download["with"]["name"] == "reconcile-plan"
    assert download["with"]["run-id"] == "${{ steps.reviewed.outputs.run-id }}"
    applies = [c for c in action_invocations(doc) if c[0] == "apply"]
    assert len(applies) == 1 and applies[0][-1] == "plan.json"  # the saved plan, never the manifests
    ctx = parse_reconcile(applies[0])
    assert ctx.params["paths"] == ("plan.json",) and not ctx.params["auto_approve"]


def test_azure_pipeline_plans_then_applies_the_approved_plan_with_a_service_connection() -> None:
    doc = load(PIPELINES / "azure-pipelines.yml")
    plan_stage, apply_stage = doc["stages"]
    plan_steps = plan_stage["jobs"][0]["steps"]
    cli_tasks = [s for s in plan_steps if s.get("task") == "AzureCLI@2"]
    assert cli_tasks and all(t["inputs"]["azureSubscription"] == "$(serviceConnection)" for t in cli_tasks)
    plan_script = cli_tasks[0]["inputs"]["inlineScript"]
    assert "##vso[task.uploadsummary]" in plan_script and "AZURE_SUBSCRIPTION_ID" in plan_script
    assert any(c[0] == "plan" and "--markdown" in c and "--out" in c for c in reconcile_commands(plan_script))
    comment = next(s for s in plan_steps if "pr_comment.py" in s.get("script", ""))
    assert "PullRequest" in comment["condition"] and comment["env"]["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)"
    deployment = apply_stage["jobs"][0]
    assert deployment["environment"] == "gallery-production"  # approvals are checks on the environment
    deploy_steps = deployment["strategy"]["runOnce"]["deploy"]["steps"]
    apply_task = next(s for s in deploy_steps if s.get("task") == "AzureCLI@2")
    [apply_cmd] = reconcile_commands(apply_task["inputs"]["inlineScript"])
    assert apply_cmd[0] == "apply" and apply_cmd[-1].endswith("reconcile-plan/plan.json")
    assert "refs/heads/main" in apply_stage["condition"]


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_secrets_in_the_examples(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"secrets\.[A-Za-z_]", text), "a GitHub secret is referenced"
    assert "client-secret" not in text and "AZURE_CLIENT_SECRET" not in text


def test_action_installs_from_its_own_checkout_and_runs_the_command() -> None:
    doc = load(ACTION)
    assert doc["runs"]["using"] == "composite"
    assert set(doc["inputs"]) >= {"command", "args", "summary"}
    run = doc["runs"]["steps"][-1]
    assert run["env"]["RECONCILE_COMMAND"] == "${{ inputs.command }}"  # inputs reach the shell as env, not code
    assert "${{" not in run["run"]
    install = doc["runs"]["steps"][1]["run"]
    assert '"$GITHUB_ACTION_PATH"' in install


def _run_action_script(tmp_path: Path, command: str, args: str, fake_exit: int) -> tuple[int, str, str]:
    """The action's run step under bash, with `reconcile` replaced by a stub that prints and exits as told."""
    doc = load(ACTION)
    step = doc["runs"]["steps"][-1]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    stub = bin_dir / "reconcile"
    stub.write_text(f'#!/usr/bin/env bash\necho "### plan of $*"\nexit {fake_exit}\n', encoding="utf-8")
    stub.chmod(0o755)
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RECONCILE_COMMAND": command,
        "RECONCILE_ARGS": args,
        "RECONCILE_SUMMARY": "true",
    }
    done = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, check=False)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
    assert Path(outputs["output-file"]).read_text() == done.stdout
    return done.returncode, summary.read_text() if summary.exists() else "", outputs["exit-code"]


def test_action_script_passes_arguments_summary_and_exit_codes(tmp_path: Path) -> None:
    code, summary, exit_code = _run_action_script(tmp_path, "plan", "--markdown --out plan.json manifests/", 0)
    assert (code, exit_code) == (0, "0") and summary == "### plan of plan --markdown --out plan.json manifests/\n"
    code, _, exit_code = _run_action_script(tmp_path, "plan", "--detailed-exitcode manifests/", 2)
    assert (code, exit_code) == (0, "2")  # changes present is an outcome, not a failure
    code, _, exit_code = _run_action_script(tmp_path, "plan", "--detailed-exitcode manifests/", 3)
    assert (code, exit_code) == (0, "3")  # so is "only blocked changes"
    code, _, exit_code = _run_action_script(tmp_path, "plan", "manifests/", 1)
    assert (code, exit_code) == (1, "1")  # a plan Azure would refuse, or an error, fails the step
    code, _, exit_code = _run_action_script(tmp_path, "apply", "plan.json", 1)
    assert (code, exit_code) == (1, "1")


def test_pre_commit_hooks_run_reconcile_validate() -> None:
    hooks = {hook["id"]: hook for hook in load(HOOKS)}
    assert set(hooks) == {"reconcile-validate", "reconcile-validate-files"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["entry"] == "reconcile validate"
        parse_reconcile([*shlex.split(hook["entry"])[1:], *hook.get("args", []), "manifests/x.yaml"])
    assert hooks["reconcile-validate"]["pass_filenames"] is False
    assert hooks["reconcile-validate-files"]["pass_filenames"] is True


def _hook_argv(hook: dict[str, Any], files: list[str]) -> list[str]:
    """The command pre-commit runs for a hook: entry, args, then the matching files if it passes them."""
    matching = [f for f in files if re.search(hook["files"], f)]
    assert matching, "the hook would not run"
    return [*shlex.split(hook["entry"]), *hook.get("args", []), *(matching if hook["pass_filenames"] else [])]


def test_pre_commit_hook_validates_the_tree_of_a_changed_manifest(tmp_path: Path, monkeypatch: Any) -> None:
    hooks = {hook["id"]: hook for hook in load(HOOKS)}
    monkeypatch.chdir(ROOT)
    argv = _hook_argv(hooks["reconcile-validate"], ["manifests/full/staging/ubuntu.yaml", "README.md"])
    result = CliRunner().invoke(cli, argv[1:])
    assert result.exit_code == 0, result.output
    assert "Valid:" in result.output
    argv = _hook_argv(hooks["reconcile-validate-files"], ["manifests/quickstart/gallery.yaml"])
    result = CliRunner().invoke(cli, argv[1:])
    assert result.exit_code == 0, result.output
    broken = tmp_path / "manifests" / "gallery.yaml"
    broken.parent.mkdir()
    broken.write_text((ROOT / "manifests/quickstart/gallery.yaml").read_text().replace("osType: Linux", "osType: Lnux"))
    monkeypatch.chdir(tmp_path)
    argv = _hook_argv(hooks["reconcile-validate"], ["manifests/gallery.yaml"])
    result = CliRunner().invoke(cli, argv[1:])
    assert result.exit_code == 1
    assert "manifests/gallery.yaml:" in result.output and "osType" in result.output


# --- the Azure Repos comment script, against a stand-in for the Azure DevOps REST API -----------------


def _comment_module() -> Any:
    spec = importlib.util.spec_from_file_location("pr_comment", PIPELINES / "pr_comment.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _FakeDevOps(BaseHTTPRequestHandler):
    threads: list[dict[str, Any]] = []
    seen: list[tuple[str, str, str]] = []

    def _reply(self, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def do_GET(self) -> None:
        self.seen.append(("GET", self.path, self.headers["Authorization"]))
        self._reply({"value": self.threads, "count": len(self.threads)})

    def do_POST(self) -> None:
        self.seen.append(("POST", self.path, self.headers["Authorization"]))
        thread = {"id": 100 + len(self.threads), **self._body()}
        thread["comments"] = [{"id": 1, **thread["comments"][0]}]
        self.threads.append(thread)
        self._reply(thread)

    def do_PATCH(self) -> None:
        self.seen.append(("PATCH", self.path, self.headers["Authorization"]))
        tid = int(self.path.split("/threads/")[1].split("/")[0])
        thread = next(t for t in self.threads if t["id"] == tid)
        thread["comments"][0]["content"] = self._body()["content"]
        self._reply(thread["comments"][0])

    def log_message(self, *args: Any) -> None:
        return None


def test_pr_comment_creates_one_comment_then_updates_it(tmp_path: Path, capsys: Any) -> None:
    module = _comment_module()
    _FakeDevOps.threads = [{"id": 7, "comments": [{"id": 1, "content": "a reviewer's remark"}]}]
    _FakeDevOps.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeDevOps)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {
            "SYSTEM_COLLECTIONURI": f"http://127.0.0.1:{server.server_port}/org/",
            "SYSTEM_TEAMPROJECTID": "proj",
            "BUILD_REPOSITORY_ID": "repo",
            "SYSTEM_PULLREQUEST_PULLREQUESTID": "42",
            "SYSTEM_ACCESSTOKEN": "not-a-real-token",
        }
        plan = tmp_path / "plan.md"
        plan.write_text("### plan one\n")
        assert module.main([str(plan)], env) == 0
        plan.write_text("### plan two\n" + "x" * 70_000)
        assert module.main([str(plan)], env) == 0
    finally:
        server.shutdown()
    ours = [t for t in _FakeDevOps.threads if t["comments"][0]["content"].startswith("<!-- reconcile-plan -->")]
    assert len(ours) == 1 and ours[0]["status"] == "closed"
    content = ours[0]["comments"][0]["content"]
    assert content.startswith("<!-- reconcile-plan -->\n### plan two\n") and len(content) < 61_000
    assert _FakeDevOps.threads[0]["comments"][0]["content"] == "a reviewer's remark"
    assert [m for m, _, _ in _FakeDevOps.seen] == ["GET", "POST", "GET", "PATCH"]
    assert all(
        p.startswith("/org/proj/_apis/git/repositories/repo/pullRequests/42/threads") for _, p, _ in _FakeDevOps.seen
    )
    assert {auth for _, _, auth in _FakeDevOps.seen} == {"Bearer not-a-real-token"}
    out = capsys.readouterr()
    assert "not-a-real-token" not in out.out + out.err
    assert module.main([str(plan)], {**env, "SYSTEM_ACCESSTOKEN": ""}) == 1


@pytest.mark.e2e
def test_the_stale_plan_message_in_the_ci_readme_is_what_apply_prints(run: Any) -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    block = re.search(r"changes nothing and says why:\n\n```text\n(.*?)\n```", readme, re.S)
    assert block, "examples/ci/README.md no longer shows the stale-plan message"
    manifests = run.workdir / "manifests"
    manifests.mkdir()
    source = (ROOT / "manifests" / "quickstart" / "gallery.yaml").read_text(encoding="utf-8")
    (manifests / "gallery.yaml").write_text(source, encoding="utf-8")
    run("plan", "--out", "plan.json", "manifests/")
    (manifests / "gallery.yaml").write_text(source.replace("replicaCount: 2", "replicaCount: 3"), encoding="utf-8")
    output = run("apply", "plan.json", expect=1).output
    for line in block.group(1).splitlines():
        assert line in output, f"apply did not print {line!r}:\n{output}"
