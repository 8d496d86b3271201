"""cluster.setup (namespace + Cluster Autoscaler per Kubernetes minor) and tunnel (SSM port forward + kubeconfig)."""

import json
from urllib.parse import urlparse

import pytest
import yaml
from cluster_fixture import cluster  # noqa: F401  (the fixture)
from conftest import REGION, ROOT, SLUG, commands, make_config, put_state
from invoke import Exit, MockContext, Result

from tasks import cluster as cluster_tasks
from tasks.cluster import AUTOSCALER_RELEASES, autoscaler_image, port_forward_argv, tunnel_kubeconfig

CLUSTER = {
    "name": f"{SLUG}-staging",
    "endpoint": "https://ABCDEF0123456789.gr7.us-east-1.eks.amazonaws.com",
    "certificateAuthority": {"data": "Q0EtREFUQQ=="},
    "version": "1.34",
}


@pytest.mark.parametrize(("version", "tag"), [("1.33", "v1.33.5"), ("1.34", "v1.34.4"), ("1.35", "v1.35.1")])
def test_the_autoscaler_release_follows_the_clusters_minor(version, tag):
    assert autoscaler_image(version) == {
        "name": "cluster-autoscaler",
        "newName": "registry.k8s.io/autoscaling/cluster-autoscaler",
        "newTag": tag,
    }
    assert autoscaler_image(f"{version}.7")["newTag"] == tag  # a patch version reads as its minor


def test_an_unlisted_minor_is_a_sentence():
    with pytest.raises(Exit) as error:
        autoscaler_image("1.40")
    assert error.value.message == (
        "No Cluster Autoscaler release is listed for Kubernetes 1.40: add the newest v1.40.x to AUTOSCALER_RELEASES "
        "in tasks/cluster.py (https://github.com/kubernetes/autoscaler/releases)."
    )


def test_the_committed_autoscaler_image_is_the_tables_for_the_answered_version():
    namespace = yaml.safe_load((ROOT / "k8s" / "cluster" / "base" / "namespace.yaml").read_text())
    answered = namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"].removeprefix("v")
    component = ROOT / "k8s" / "cluster" / "components" / "cluster-autoscaler" / "kustomization.yaml"
    (entry,) = yaml.safe_load(component.read_text())["images"]
    assert entry == autoscaler_image(answered)
    assert answered in AUTOSCALER_RELEASES


def test_tunnel_kubeconfig_points_at_the_forwarded_port_and_checks_the_endpoints_name():
    assert tunnel_kubeconfig(CLUSTER, 8443, "us-east-1") == {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": f"{SLUG}-staging",
                "cluster": {
                    "server": "https://127.0.0.1:8443",
                    "certificate-authority-data": "Q0EtREFUQQ==",
                    # host names compare without case (RFC 6125); urllib gives them in lower case
                    "tls-server-name": "abcdef0123456789.gr7.us-east-1.eks.amazonaws.com",
                },
            }
        ],
        "users": [
            {
                "name": f"{SLUG}-staging",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            f"{SLUG}-staging",
                            "--region",
                            "us-east-1",
                            "--output",
                            "json",
                        ],
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
        "contexts": [{"name": f"{SLUG}-staging", "context": {"cluster": f"{SLUG}-staging", "user": f"{SLUG}-staging"}}],
        "current-context": f"{SLUG}-staging",
    }


def test_port_forward_argv():
    assert port_forward_argv("i-0123456789abcdef0", "abc.eks.amazonaws.com", 8443, "eu-west-1") == [
        "aws",
        "ssm",
        "start-session",
        "--region",
        "eu-west-1",
        "--target",
        "i-0123456789abcdef0",
        "--document-name",
        "AWS-StartPortForwardingSessionToRemoteHost",
        "--parameters",
        '{"host":["abc.eks.amazonaws.com"],"portNumber":["443"],"localPortNumber":["8443"]}',
    ]


def eks_cluster(aws, name, version="1.34"):
    role = aws.client("iam").create_role(RoleName="eks", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws.client("eks").create_cluster(name=name, roleArn=role, resourcesVpcConfig={"subnetIds": []}, version=version)
    return aws.client("eks").describe_cluster(name=name)["cluster"]


def test_tunnel_writes_the_kubeconfig_then_forwards_in_the_foreground(aws, project, capsys):
    described = eks_cluster(aws, f"{SLUG}-staging")
    put_state(aws, {"cluster_name": f"{SLUG}-staging", "access_instance_id": "i-0123456789abcdef0"})
    ctx = MockContext(config=make_config(project), run=Result(exited=130))  # closed with Ctrl-C
    cluster_tasks.tunnel(ctx, env="staging", port="9443")
    written = project / ".cache" / "kubeconfig-staging"
    host = urlparse(described["endpoint"]).hostname
    assert yaml.safe_load(written.read_text()) == tunnel_kubeconfig(described, 9443, REGION)
    assert commands(ctx) == [
        "aws ssm start-session --region "
        f"{REGION} --target i-0123456789abcdef0 --document-name AWS-StartPortForwardingSessionToRemoteHost "
        "--parameters '"
        + json.dumps({"host": [host], "portNumber": ["443"], "localPortNumber": ["9443"]}, separators=(",", ":"))
        + "'"
    ]
    assert ctx.run.call_args.kwargs["pty"] is True
    assert f"`invoke status --env staging --kubeconfig {written}`" in capsys.readouterr().out


BAD_PORT = "is not a port this task can use: give a number from 1024 to 65535."


@pytest.mark.parametrize(
    ("outputs", "port", "message"),
    [
        (
            {"cluster_name": "c"},
            8443,
            "staging has no access instance: its API endpoint is public, so tasks reach it directly.",
        ),
        (
            {"cluster_name": "c", "access_instance_id": "i-1"},
            "80",
            "--port '80' is not a port this task can use: give a number from 1024 to 65535.",
        ),
        (
            {"cluster_name": "c", "access_instance_id": "i-1"},
            "https",
            "--port 'https' is not a port this task can use: give a number from 1024 to 65535.",
        ),
    ],
)
def test_tunnel_refusals_are_one_sentence(aws, project, outputs, port, message):
    put_state(aws, outputs)
    ctx = MockContext(config=make_config(project), run=Result(""))
    with pytest.raises(Exit) as error:
        cluster_tasks.tunnel(ctx, env="staging", port=port)
    assert error.value.message == message
    assert commands(ctx) == []


def test_a_failed_ssm_session_names_what_it_needs(aws, project):
    eks_cluster(aws, f"{SLUG}-staging")
    put_state(aws, {"cluster_name": f"{SLUG}-staging", "access_instance_id": "i-1"})
    ctx = MockContext(config=make_config(project), run=Result(exited=255))
    with pytest.raises(Exit) as error:
        cluster_tasks.tunnel(ctx, env="staging")
    assert error.value.message == (
        "The SSM session ended with exit code 255: the AWS CLI and its session-manager-plugin must be installed "
        "(`invoke doctor` checks both)."
    )


def test_setup_applies_the_namespace_and_the_autoscaler_for_the_running_version(cluster, aws, capsys):  # noqa: F811
    answered = yaml.safe_load((ROOT / "k8s" / "cluster" / "base" / "namespace.yaml").read_text())["metadata"]["labels"][
        "pod-security.kubernetes.io/enforce-version"
    ].removeprefix("v")
    running = next(version for version in AUTOSCALER_RELEASES if version != answered)  # e.g. after an upgrade
    eks_cluster(aws, f"{SLUG}-staging", running)
    del cluster.fake.objects[f"/api/v1/namespaces/{SLUG}"]
    cluster.fake.objects["/api/v1/namespaces/kube-system"] = {"kind": "Namespace", "metadata": {"name": "kube-system"}}
    cluster_tasks.setup(cluster.context(), env="staging", kubeconfig=cluster.kubeconfig)
    applied = cluster.applied()
    assert applied[:3] == [
        ("Namespace", SLUG),
        ("ClusterRole", "cluster-autoscaler"),
        ("ClusterRoleBinding", "cluster-autoscaler"),
    ]
    assert {kind for kind, _ in applied[3:]} == {"ServiceAccount", "Role", "RoleBinding", "Deployment"}
    managers = {r["query"]["fieldManager"][0] for r in cluster.fake.requests if r["method"] == "PATCH"}
    assert managers == {"invoke-cluster-setup"}
    autoscaler = cluster.fake.objects["/apis/apps/v1/namespaces/kube-system/deployments/cluster-autoscaler"]
    container = autoscaler["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"registry.k8s.io/autoscaling/cluster-autoscaler:{AUTOSCALER_RELEASES[running]}"
    assert (
        f"--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{SLUG}-staging"
        in container["command"]
    )
    assert "rollout of Deployment kube-system/cluster-autoscaler" in capsys.readouterr().out


def test_setup_of_a_cluster_only_environment_applies_the_namespace(cluster):  # noqa: F811
    del cluster.fake.objects[f"/api/v1/namespaces/{SLUG}"]
    cluster_tasks.setup(cluster.context(), env="e2e", kubeconfig=cluster.kubeconfig)
    assert cluster.applied() == [("Namespace", SLUG)]
