"""Day 2, going on from Day 1's walk: a deploy that fails under API blips rolls back and is watched,
the README's rollback and migration commands work, a teardown asks first and leaves everything when
the answer is "no" or `terraform init` fails, and then deletes in order; capacity has a path."""

from __future__ import annotations

import re

import pytest
from guide import console_commands, readme_section
from workflow_run import deploy_command, rollback_command, workflows

DIGEST_B = "sha256:" + "b" * 64


def image_of(walk, env="staging") -> str:
    deployment = walk.kube[env].objects[f"/apis/apps/v1/namespaces/{walk.slug}/deployments/{walk.slug}"]
    return deployment["spec"]["template"]["spec"]["containers"][0]["image"]


def readme_day2(walk) -> dict[str, list[str]]:
    commands = [c.split() for c in console_commands(readme_section(walk.project, "Day 2"))]
    return {
        " ".join(words[1:2] + words[words.index("--env") + 1 : words.index("--env") + 2]): words for words in commands
    }


def effects(output: str) -> list[str]:
    """The changes a task printed (`» kind: what`), in order (a question's prompt may precede one on its line)."""
    return re.findall(r"» (.+)", output)


def test_day2_walk(day1):
    if day1.answers["production_aws_account_id"] != day1.answers["aws_account_id"]:
        pytest.skip("Day 2 is walked on the default bake only: the same tasks, and the suite's time is short")
    assert day1.failure is None, day1.failure
    fake, before = day1.kube["staging"], image_of(day1)
    workflow = workflows(day1)["deploy.yml"]
    documented = readme_day2(day1)
    assert set(documented) == {"rollback staging", "db.migrate staging", "destroy staging", "destroy production"}

    # A deploy that fails its rollout while the API answers 503s and a 429: rolled back, and watched.
    fake.rollout_ok = False
    fake.burst(503, 2)
    fake.burst(429, 1, retry_after="0")
    failed = day1.invoke("day 2, failed deploy", deploy_command(workflow, "staging", "day 2", DIGEST_B), check=False)
    fake.rollout_ok = True
    assert failed.returncode == 1
    assert "Kubernetes API: HTTP 503" in failed.output
    assert "Kubernetes API: HTTP 429" in failed.output
    revision = re.search(
        r"rolled back to revision (\d+), the last one that passed its smoke test, which is healthy", failed.output
    )
    assert revision, failed.output[-800:]
    assert f"rollout of Deployment {day1.slug}/{day1.slug} back to revision {revision.group(1)}" in failed.output
    assert image_of(day1) == before
    # The job's own fallback then finds nothing to undo.
    fallback = day1.invoke("day 2, the job's rollback step", rollback_command(workflow, "staging"))
    assert "Nothing to do" in fallback.output

    # The README's rollback and migration commands.
    assert day1.invoke("README Day 2", documented["rollback staging"]).returncode == 0
    migrated = day1.invoke("README Day 2", documented["db.migrate staging"])
    assert f"kube: apply Job {day1.slug}/{day1.slug}-migrate" in migrated.output
    assert image_of(day1) == before

    # A teardown answered "no", then one whose `terraform init` fails: nothing leaves.
    fake.objects["/api/v1/namespaces/ingress/services/edge"] = {
        "kind": "Service",
        "metadata": {"name": "edge", "namespace": "ingress"},
        "spec": {"type": "LoadBalancer"},
    }
    objects, applies = dict(fake.objects), [c for c in day1.terraform_calls() if c[1] == "apply"]
    refused = day1.invoke("README Day 2, answered no", documented["destroy staging"], answer="no\n", check=False)
    assert refused.returncode == 1
    assert "Not destroyed: nothing was deleted (answer with staging, or pass --confirm staging)." in refused.output
    broken = day1.invoke(
        "day 2, init fails",
        [*documented["destroy staging"], "--confirm", "staging"],
        check=False,
        REHEARSAL_FAIL_INIT="1",
    )
    assert broken.returncode == 1
    assert "`terraform init` failed" in broken.output
    assert fake.objects == objects
    assert [c for c in day1.terraform_calls() if c[1] == "apply"] == applies
    state = day1.aws("staging", "s3").list_objects_v2(Bucket=f"{day1.slug}-tfstate-{day1.accounts['staging']}")
    assert "staging/terraform.tfstate" in [o["Key"] for o in state.get("Contents", [])]

    # Answered with the environment's name: load balancers, then the namespace, then Terraform.
    destroyed = day1.invoke("README Day 2, answered staging", documented["destroy staging"], answer="staging\n")
    changes = [line for line in effects(destroyed.output) if " init " not in line and " plan " not in line]
    assert changes[:4] == [
        "kube: delete Service ingress/edge (type LoadBalancer)",
        f"kube: delete Namespace {day1.slug}",
        "wait: Service ingress/edge (type LoadBalancer) to be gone",
        f"wait: Namespace {day1.slug} to be gone",
    ]
    assert changes[4].startswith("run: terraform -chdir=") and " apply " in changes[4]
    assert len(changes) == 5
    assert f"/api/v1/namespaces/{day1.slug}" not in fake.objects
    state = day1.aws("staging", "s3").list_objects_v2(Bucket=f"{day1.slug}-tfstate-{day1.accounts['staging']}")
    assert "staging/terraform.tfstate" not in [o["Key"] for o in state.get("Contents", [])]


def test_capacity_has_a_documented_path(day1):
    """The README's scale-up path names things that exist, and Day 1 installed the node autoscaler."""
    assert day1.failure is None, day1.failure
    text = readme_section(day1.project, "Day 2")
    assert "node_max_size" in text and "hpa-bounds.yaml" in text
    for env in ("staging", "production"):
        tfvars = (day1.project / "terraform" / "environments" / env / "terraform.tfvars").read_text()
        sizes = dict(re.findall(r"^(node_(?:min|max)_size)\s*=\s*(\d+)", tfvars, re.MULTILINE))
        assert int(sizes["node_max_size"]) > int(sizes["node_min_size"]), env
        assert (day1.project / "k8s" / "overlays" / env / "hpa-bounds.yaml").is_file()
    autoscaler = "/apis/apps/v1/namespaces/kube-system/deployments/cluster-autoscaler"
    assert autoscaler in day1.kube["production"].objects
