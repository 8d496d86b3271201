"""build and push: a clean tree only, command lines, ECR login from boto3's token (moto), the digest printed."""

import json

import pytest
from conftest import commands, make_config, run_results
from invoke import Exit, MockContext, Result

from tasks import docker
from tasks._images import dirty_files, platform_for
from tasks.docker import build_argv

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(autouse=True)
def docker_on_path(monkeypatch):
    monkeypatch.setattr("tasks.effects.shutil.which", lambda name: f"/usr/bin/{name}")


def context(project, dry=False, porcelain=""):
    results = run_results({"git rev-parse HEAD": SHA + "\n", "git status --porcelain": porcelain})
    return MockContext(config=make_config(project, dry), run=results)


def test_build_argv_tags_labels_and_build_args():
    argv = build_argv("repo:abc", {"PYTHON_VERSION": "3.12"}, revision="abc", platform="linux/amd64", context="/p")
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
        "/p",
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
def test_build_command(project, kwargs, tag, dry, capsys):
    ctx = context(project, dry)
    docker.build(ctx, **kwargs)
    p = ctx.config.project
    python_version = ctx.config.docker.build_args["PYTHON_VERSION"]
    line = (
        f"docker build --platform {platform_for(p.node_instance_type)} "
        f"--tag {p.registry_account_id}.dkr.ecr.{p.region}.amazonaws.com/{p.slug}:{tag} "
        f"--label org.opencontainers.image.revision={SHA} --build-arg PYTHON_VERSION={python_version} {project}"
    )
    assert commands(ctx) == ["git status --porcelain", "git rev-parse HEAD", *([] if dry else [line])]
    assert capsys.readouterr().out.strip() == f"» {'(dry run) ' if dry else ''}run: {line}"


def test_dirty_files_reads_porcelain_output():
    assert dirty_files(" M tasks/docker.py\n?? notes.txt\n") == ["tasks/docker.py", "notes.txt"]
    assert dirty_files("") == []


def test_a_dirty_tree_is_refused(project):
    ctx = context(project, porcelain=" M a.py\n M b.py\n?? c.txt\n?? d.txt\n")
    with pytest.raises(Exit) as error:
        docker.build(ctx)
    assert error.value.message == (
        "The working tree has uncommitted changes (a.py, b.py, c.txt and 1 more): commit or stash them first, "
        "because the image is tagged with the commit it was built from."
    )
    assert commands(ctx) == ["git status --porcelain"]


def test_git_sha_outside_a_repository_is_a_sentence(project):
    ctx = MockContext(config=make_config(project), run=run_results({"git rev-parse": Result(exited=128)}))
    with pytest.raises(Exit, match="Cannot read the git commit"):
        docker.build(ctx)


def test_push_logs_in_with_the_ecr_token_and_prints_the_digest(aws, project, capsys):
    ctx = context(project)
    p = ctx.config.project
    ecr = aws.client("ecr")
    ecr.create_repository(repositoryName=p.slug)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": "sha256:" + "1" * 64, "size": 1, "mediaType": "x"},
            "layers": [],
        }
    )
    pushed = ecr.put_image(repositoryName=p.slug, imageManifest=manifest, imageTag=SHA)
    digest = pushed["image"]["imageId"]["imageDigest"]
    docker.push(ctx)
    url = f"{p.registry_account_id}.dkr.ecr.{p.region}.amazonaws.com/{p.slug}"
    login = ctx.run.call_args_list[1]
    assert login.args[0].startswith("docker login --username AWS --password-stdin ")
    assert login.kwargs["in_stream"].getvalue()  # the password from the token goes through stdin only
    assert login.kwargs["in_stream"].getvalue() not in login.args[0]
    assert commands(ctx)[2] == f"docker push {url}:{SHA}"
    assert f"Pushed {url}@{digest}" in capsys.readouterr().out


@pytest.mark.parametrize("step", [docker.build, docker.push])
def test_missing_docker_is_one_sentence(project, monkeypatch, step):
    monkeypatch.setattr("tasks.effects.shutil.which", lambda name: None)
    ctx = context(project)
    with pytest.raises(Exit, match=r"^docker is not on PATH: install Docker"):
        step(ctx)
    assert commands(ctx) == []
