"""A stand-in `terraform` for the rehearsal: it records every command line and plays what the real
one would leave behind in AWS (moto), so the next step finds it — or does not.

- `init -backend-config=bucket=B` fails, as Terraform does, when B does not exist in the account the
  caller is signed in to; REHEARSAL_FAIL_INIT=1 makes every init fail.
- `plan -out=F` saves its flags in F and exits 2 (changes present). With a domain and no Route 53
  zone (REHEARSAL_CERTIFICATES), the plan creates the certificates and validations that wait for
  hand-made records, as the real plan would; a full apply of such a plan fails — the deadlock of a
  one-step first apply — while an apply of `-target`ed certificates writes only their records.
- `apply F` in terraform/bootstrap creates the state bucket the bootstrap Terraform names
  (REHEARSAL_BOOTSTRAP_BUCKETS: workspace → bucket) and GitHub's OIDC provider unless the plan said it
  exists — moto refuses a second one, as IAM does; in an environment root it writes the state object
  with the root's declared outputs (REHEARSAL_OUTPUTS) and creates the EKS cluster; a destroy plan
  deletes them.
- `show -json F` prints the plan's `resource_changes`; `output -json NAME` prints NAME from the state.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REGION = os.environ["AWS_DEFAULT_REGION"]


def record(argv: list[str]) -> None:
    with open(os.environ["REHEARSAL_TERRAFORM_LOG"], "a") as log:
        log.write(json.dumps(argv) + "\n")


def flags(argv: list[str], name: str) -> list[str]:
    return [a.split("=", 1)[1] for a in argv if a.startswith(f"-{name}=")]


def memory(directory: Path) -> Path:
    return directory / ".terraform" / "rehearsal.json"


def remembered(directory: Path) -> dict:
    path = memory(directory)
    return json.loads(path.read_text()) if path.exists() else {}


def remember(directory: Path, **facts: object) -> None:
    path = memory(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(remembered(directory) | facts))


def fail(message: str) -> None:
    print(f"Error: {message}", file=sys.stderr)
    sys.exit(1)


def aws(service: str):
    import boto3  # only the commands that touch AWS pay for importing it

    return boto3.client(service)


def init(directory: Path, argv: list[str]) -> None:
    if os.environ.get("REHEARSAL_FAIL_INIT") == "1":
        fail("Failed to get existing workspaces: RequestError: send request failed (injected)")
    backend = dict(value.split("=", 1) for value in flags(argv, "backend-config"))
    if backend:
        s3 = aws("s3")
        if backend["bucket"] not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
            fail(f'Failed to get existing workspaces: S3 bucket "{backend["bucket"]}" does not exist.')
    remember(directory, backend=backend)


def apply(directory: Path, plan_file: str) -> None:
    plan = json.loads(Path(plan_file).read_text())
    if directory.name == "bootstrap":
        apply_bootstrap(directory, plan)
    else:
        apply_environment(directory, plan)
    print("Apply complete!")


def apply_bootstrap(directory: Path, plan: dict) -> None:
    workspace = remembered(directory).get("workspace")
    buckets = json.loads(os.environ["REHEARSAL_BOOTSTRAP_BUCKETS"])
    if workspace not in buckets:
        fail(f"bootstrap applied in workspace {workspace!r}, not one named after an account ({', '.join(buckets)})")
    s3 = aws("s3")
    if buckets[workspace] not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        where = {} if REGION == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": REGION}}
        s3.create_bucket(Bucket=buckets[workspace], **where)
    if "github_oidc_provider_exists=true" not in plan["var"]:
        iam = aws("iam")
        try:
            iam.create_open_id_connect_provider(
                Url="https://token.actions.githubusercontent.com",
                ClientIDList=["sts.amazonaws.com"],
                ThumbprintList=["a" * 40],
            )
        except iam.exceptions.EntityAlreadyExistsException as error:
            fail(f"creating IAM OIDC Provider: {error}")


def certificate_changes(directory: Path) -> list[dict]:
    """What a plan shows for certificates awaiting hand-made records (REHEARSAL_CERTIFICATES: env →
    addresses): their creation, until a targeted apply made them; their validation, until a full one."""
    addresses = json.loads(os.environ.get("REHEARSAL_CERTIFICATES", "{}")).get(directory.name, [])
    facts, changes = remembered(directory), []
    for address in [] if facts.get("validated") else addresses:
        module, kind, name = address.rsplit(".", 2)
        wait = {"validation_record_fqdns": None}
        if not facts.get("certificates"):
            changes.append(change(module, kind, name, {}))
        changes.append(change(module, "aws_acm_certificate_validation", name, wait))
    return changes


def change(module: str, kind: str, name: str, after: dict) -> dict:
    return {
        "address": f"{module}.{kind}.{name}[0]",
        "module_address": module,
        "type": kind,
        "name": name,
        "change": {"actions": ["create"], "after": after, "after_unknown": {}},
    }


RECORD = {"name": "_rehearsal.example.", "type": "CNAME", "value": "_rehearsal.acm-validations.aws."}


def apply_environment(directory: Path, plan: dict) -> None:
    backend = remembered(directory)["backend"]
    env = directory.name
    outputs = json.loads(Path(os.environ["REHEARSAL_OUTPUTS"]).read_text())[env]
    s3, eks = aws("s3"), aws("eks")
    if plan["targets"]:  # the certificates alone: the state holds them and their records, nothing else
        assert all(t.split(".")[-2] == "aws_acm_certificate" for t in plan["targets"]), plan["targets"]
        remember(directory, certificates=True)
        state = {"version": 4, "serial": 1, "lineage": f"rehearsal-{env}", "resources": []}
        state["outputs"] = {"certificate_validation_records": {"value": [RECORD], "type": "list"}}
        s3.put_object(Bucket=backend["bucket"], Key=backend["key"], Body=json.dumps(state))
        return
    if any(c["type"] == "aws_acm_certificate" for c in plan["changes"]):
        fail("the apply waits for certificate validation records nobody could create yet (no zone, no records)")
    remember(directory, validated=True)
    if plan["destroy"]:
        s3.delete_object(Bucket=backend["bucket"], Key=backend["key"])
        if "cluster_name" in outputs:
            eks.delete_cluster(name=outputs["cluster_name"])
        return
    state = {
        "version": 4,
        "serial": 1,
        "lineage": f"rehearsal-{env}",
        "outputs": {name: {"value": value, "type": "string"} for name, value in outputs.items()},
        "resources": [],
    }
    s3.put_object(Bucket=backend["bucket"], Key=backend["key"], Body=json.dumps(state))
    if "cluster_name" in outputs and outputs["cluster_name"] not in eks.list_clusters()["clusters"]:
        eks.create_cluster(
            name=outputs["cluster_name"],
            version=os.environ["REHEARSAL_KUBERNETES_VERSION"],
            roleArn=f"arn:aws:iam::{outputs['cluster_arn'].split(':')[4]}:role/{outputs['cluster_name']}-cluster",
            resourcesVpcConfig={"subnetIds": ["subnet-rehearsal"]},
        )


def output(directory: Path, name: str) -> None:
    backend, s3 = remembered(directory)["backend"], aws("s3")
    try:
        outputs = json.loads(s3.get_object(Bucket=backend["bucket"], Key=backend["key"])["Body"].read())["outputs"]
    except s3.exceptions.NoSuchKey:
        outputs = {}
    if name not in outputs:
        fail(f'Output "{name}" not found')
    print(json.dumps(outputs[name]["value"]))


def main(argv: list[str]) -> None:
    record(argv)
    if argv[0].startswith("-chdir="):
        directory, argv = Path(argv[0].removeprefix("-chdir=")), argv[1:]
    else:
        directory = Path.cwd()
    command, rest = argv[0], argv[1:]
    if command == "init":
        init(directory, rest)
    elif command == "workspace":
        remember(directory, workspace=rest[-1])
    elif command == "plan":
        out = flags(rest, "out")[0]
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        plan = {"destroy": "-destroy" in rest, "var": flags(rest, "var"), "targets": flags(rest, "target")}
        plan["changes"] = certificate_changes(directory) if not plan["destroy"] else []
        Path(out).write_text(json.dumps(plan))
        sys.exit(2)
    elif command == "apply":
        apply(directory, rest[-1])
    elif command == "show":
        print(
            json.dumps({"format_version": "1.2", "resource_changes": json.loads(Path(rest[-1]).read_text())["changes"]})
        )
    elif command == "output":
        output(directory, rest[-1])
    elif command == "version":
        print(json.dumps({"terraform_version": "1.11.4"}) if "-json" in rest else "Terraform v1.11.4")
    else:
        fail(f"the rehearsal's stand-in does not play `terraform {command}`")


if __name__ == "__main__":
    main(sys.argv[1:])
