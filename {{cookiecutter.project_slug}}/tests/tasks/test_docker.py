"""build and push: command lines, ECR login from boto3's token (against moto), the digest printed."""

import json
import re

import pytest
from conftest import commands
from invoke import Exit, Result

from tasks import docker
from tasks.docker import build_argv, ecr_repository_url, platform_for

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(autouse=True)
def docker_on_path(monkeypatch):
    monkeypatch.setattr("tasks.env.shutil.which", lambda name: f"/usr/bin/{name}")


@pytest.fixture
def context_with_sha(mock_context):
    def make(dry=False):
        return mock_context(dry=dry, run={"git rev-parse HEAD": Result(SHA + "\n"), re.compile(".*"): Result("")})

    return make


def test_ecr_repository_url():
    assert ecr_repository_url("123456789012", "eu-west-1", "svc") == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/svc"


def test_build_argv_tags_labels_and_build_args():
    argv = build_argv("repo:abc", {"PYTHON_VERSION": "3.12"}, revision="abc", platform="linux/amd64")
    assert argv == [
        "docker",
        "build",
        "--platform",
        "linux/amd64",
        "--tag",
        "repo:abc",
        "--label",
        "org.opencontainers.image.revision=abc",
        "--build-arg",
        "PYTHON_VERSION=3.12",
        ".",
    ]


@pytest.mark.parametrize(
    ("instance_type", "platform"),
    [
        ("t3.medium", "linux/amd64"),
        ("m5a.large", "linux/amd64"),
        ("t4g.medium", "linux/arm64"),
        ("m7g.xlarge", "linux/arm64"),
        ("c8gd.large", "linux/arm64"),
        ("g5.xlarge", "linux/amd64"),
        ("c6gn.large", "linux/arm64"),
        ("inf2.xlarge", "linux/amd64"),
    ],
)
def test_platform_follows_the_node_instance_type(instance_type, platform):
    assert platform_for(instance_type) == platform


@pytest.mark.parametrize(("kwargs", "tag"), [({}, SHA), ({"tag": "try-1"}, "try-1")])
@pytest.mark.parametrize("dry", [False, True])
def test_build_command(context_with_sha, kwargs, tag, dry):
    context = context_with_sha(dry=dry)
    docker.build(context, **kwargs)
    p = context.config.project
    python_version = context.config.docker.build_args["PYTHON_VERSION"]
    platform = platform_for(p.node_instance_type)
    assert commands(context)[-1] == (
        f"docker build --platform {platform} --tag {p.account_id}.dkr.ecr.{p.region}.amazonaws.com/{p.slug}:{tag} "
        f"--label org.opencontainers.image.revision={SHA} --build-arg PYTHON_VERSION={python_version} ."
    )


def test_git_sha_outside_a_repository_is_a_sentence(mock_context):
    with pytest.raises(Exit, match="Cannot read the git commit"):
        docker.git_sha(mock_context(run=Result(exited=128)))


def test_push_dry_run_touches_no_aws(context_with_sha, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: any AWS call would fail
    context = context_with_sha(dry=True)
    docker.push(context)
    url = docker.repository(context)
    assert commands(context)[1:] == [
        f"docker login --username AWS --password-stdin {url.split('/')[0]}",
        f"docker push {url}:{SHA}",
    ]
    assert f"Pushed {url}@<digest of {SHA}>" in capsys.readouterr().out


def test_push_logs_in_with_the_ecr_token_and_prints_the_digest(aws, context_with_sha, capsys):
    context = context_with_sha()
    slug = context.config.project.slug
    ecr = aws.client("ecr")
    ecr.create_repository(repositoryName=slug)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": "sha256:" + "1" * 64, "size": 1, "mediaType": "x"},
            "layers": [],
        }
    )
    digest = ecr.put_image(repositoryName=slug, imageManifest=manifest, imageTag=SHA)["image"]["imageId"]["imageDigest"]
    docker.push(context)
    url = docker.repository(context)
    login = context.run.call_args_list[1]
    assert login.args[0] == f"docker login --username AWS --password-stdin {url.split('/')[0]}"
    assert login.kwargs["in_stream"].getvalue()  # the password from the token goes through stdin only
    assert login.kwargs["in_stream"].getvalue() not in login.args[0]
    assert commands(context)[2] == f"docker push {url}:{SHA}"
    assert f"Pushed {url}@{digest}" in capsys.readouterr().out


def test_pushed_digest_of_a_missing_image_is_a_sentence(aws, mock_context):
    context = mock_context()
    aws.client("ecr").create_repository(repositoryName=context.config.project.slug)
    with pytest.raises(Exit, match=r"ECR has no image .*:nope: run `invoke build push` first"):
        docker.pushed_digest(context, docker.repository(context), "nope")


@pytest.mark.parametrize("step", [docker.build, docker.push])
def test_missing_docker_is_one_sentence(context_with_sha, monkeypatch, step):
    monkeypatch.setattr("tasks.env.shutil.which", lambda name: None)
    context = context_with_sha()
    with pytest.raises(Exit, match=r"^docker is not on PATH: install Docker"):
        step(context)
    assert commands(context) == []
