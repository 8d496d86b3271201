"""AWS helpers against moto's server: ECR token parsing, EKS kubeconfig and token, Secrets Manager, STS, logs."""

import base64
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import STAGING_ACCOUNT
from invoke import Exit

from tasks import _aws


def test_ecr_login_parses_the_authorization_token(aws):
    data = aws.client("ecr").get_authorization_token()["authorizationData"][0]
    username, password, registry = _aws.ecr_login(data)
    assert username == "AWS"
    assert password
    assert registry == data["proxyEndpoint"].removeprefix("https://")
    assert "://" not in registry


def test_ecr_login_refuses_a_token_without_password():
    token = base64.b64encode(b"AWS").decode()
    with pytest.raises(Exit, match="without a password"):
        _aws.ecr_login({"authorizationToken": token, "proxyEndpoint": "https://r"})


def create_cluster(aws, name):
    iam = aws.client("iam")
    role = iam.create_role(RoleName="eks", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws.client("eks").create_cluster(name=name, roleArn=role, resourcesVpcConfig={"subnetIds": []})


def test_cluster_kubeconfig_from_describe_cluster(aws):
    create_cluster(aws, "svc-staging")
    described = aws.client("eks").describe_cluster(name="svc-staging")["cluster"]
    config = _aws.cluster_kubeconfig(aws, "svc-staging")
    cluster = config["clusters"][0]["cluster"]
    assert cluster == {
        "server": described["endpoint"],
        "certificate-authority-data": described["certificateAuthority"]["data"],
    }
    assert config["current-context"] == "svc-staging"
    token = config["users"][0]["user"]["token"]
    assert token.startswith("k8s-aws-v1.")


def test_eks_token_is_a_presigned_get_caller_identity_naming_the_cluster(aws):
    token = _aws.eks_token(aws, "svc-staging")
    encoded = token.removeprefix("k8s-aws-v1.")
    assert "=" not in encoded
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    query = parse_qs(urlsplit(url).query)
    assert query["Action"] == ["GetCallerIdentity"]
    assert query["X-Amz-Expires"] == ["60"]
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"][0].split(";")


def test_describe_missing_cluster_is_one_sentence(aws):
    with pytest.raises(Exit) as error:
        _aws.cluster_kubeconfig(aws, "absent")
    assert error.value.message.startswith("AWS refused describing EKS cluster absent: ResourceNotFoundException")


def test_read_secret(aws):
    arn = aws.client("secretsmanager").create_secret(
        Name="rds!db-1", SecretString=json.dumps({"username": "app", "password": "p@ss"})
    )["ARN"]
    assert json.loads(_aws.read_secret(aws, arn)) == {"username": "app", "password": "p@ss"}


def test_caller_identity(aws):
    assert _aws.caller_identity(aws)["Account"] == STAGING_ACCOUNT


def test_no_credentials_is_one_sentence(no_credentials):
    import boto3

    with pytest.raises(Exit) as error:
        _aws.caller_identity(boto3.session.Session(region_name="us-east-1"))
    assert error.value.message.startswith("No AWS credentials while asking STS who you are")


def test_insights_tail_returns_messages_oldest_first(aws):
    logs = aws.client("logs")
    logs.create_log_group(logGroupName="/svc/app")
    logs.create_log_stream(logGroupName="/svc/app", logStreamName="pod")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/svc/app",
        logStreamName="pod",
        logEvents=[{"timestamp": now - 2000, "message": "first"}, {"timestamp": now - 1000, "message": "second"}],
    )
    lines = _aws.insights_tail(aws, "/svc/app", minutes=5, limit=10, poll_interval=0.05)
    assert [line.split(" ", 1)[1] for line in lines] == ["first", "second"]  # "<@timestamp> <@message>"
