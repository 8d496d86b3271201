"""The image's signature: cosign's argv and identity, the ECR login it gets, a failure in one sentence."""

import json
from pathlib import Path

import pytest
from conftest import make_config, run_results
from invoke import Exit, MockContext, Result

from tasks._images import cosign_argv, pushed_digest, signer_identity, verify_signature
from tasks.effects import Effects
from tasks.environment import project as project_of

REFERENCE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/svc@sha256:" + "a" * 64


def test_the_signer_is_this_repositorys_deploy_workflow_on_main():
    assert signer_identity("example-org/svc") == (
        "https://github.com/example-org/svc/.github/workflows/deploy.yml@refs/heads/main"
    )


def test_cosign_argv(project):
    p = project_of(MockContext(config=make_config(project)))
    assert cosign_argv(p, REFERENCE) == [
        "cosign",
        "verify",
        "--certificate-identity",
        f"https://github.com/{p.github_repository}/.github/workflows/deploy.yml@refs/heads/main",
        "--certificate-oidc-issuer",
        "https://token.actions.githubusercontent.com",
        REFERENCE,
    ]


@pytest.mark.parametrize(
    ("exited", "message"),
    [
        (127, "cosign is not on PATH: install it (https://docs.sigstore.dev/cosign/system_config/installation/)."),
        (1, f"The signature of {REFERENCE} does not verify as signed by https://github.com/"),
    ],
)
def test_verification_failures_are_one_sentence(aws, project, exited, message):
    ctx = MockContext(
        config=make_config(project), run=run_results({"cosign ": Result(exited=exited, stderr="no match")})
    )
    p = project_of(ctx)
    name, digest = REFERENCE.split("@")
    with pytest.raises(Exit) as error:
        verify_signature(Effects(ctx), p, aws, name, digest)
    assert error.value.message.startswith(message)


def test_cosign_gets_a_docker_config_for_the_registry(aws, project):
    seen = {}

    def cosign(command, **kwargs):
        seen["config"] = json.loads((Path(kwargs["env"]["DOCKER_CONFIG"]) / "config.json").read_text())
        return Result("")

    ctx = MockContext(config=make_config(project), run={})
    ctx.run = cosign
    name, digest = REFERENCE.split("@")
    verify_signature(Effects(ctx), project_of(MockContext(config=make_config(project))), aws, name, digest)
    assert list(seen["config"]["auths"]) == ["123456789012.dkr.ecr.us-east-1.amazonaws.com"]


def test_pushed_digest_of_a_missing_image_is_a_sentence(aws):
    aws.client("ecr").create_repository(repositoryName="svc")
    with pytest.raises(Exit) as error:
        pushed_digest(aws, "123456789012.dkr.ecr.us-east-1.amazonaws.com/svc", "nope")
    assert error.value.message == (
        "ECR has no image svc:nope: let the deploy workflow build it, or pass --image sha256:…."
    )
