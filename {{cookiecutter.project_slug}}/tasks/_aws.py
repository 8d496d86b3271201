"""boto3 helpers: one session per region, ECR login data, EKS bearer tokens, missing credentials.

boto3 honours ``AWS_ENDPOINT_URL`` (the tests point it at moto's server), so nothing here knows
about tests. boto3 is imported on first use so `invoke --list` stays quick.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING

from invoke import Exit

if TYPE_CHECKING:
    import boto3

EKS_TOKEN_PREFIX = "k8s-aws-v1."  # noqa: S105  (a token format prefix, not a secret)
EKS_CLUSTER_HEADER = "x-k8s-aws-id"


@cache
def _loader():
    import botocore.loaders

    return botocore.loaders.create_loader()


def session(region: str) -> boto3.session.Session:
    """A fresh session (credentials and settings read now) sharing one loader of AWS's API models."""
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    core.register_component("data_loader", _loader())
    return boto3.session.Session(botocore_session=core, region_name=region)


@contextmanager
def aws_errors(doing: str) -> Iterator[None]:
    """Turn AWS failures into one sentence that says what was being done."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    try:
        yield
    except NoCredentialsError:
        raise Exit(
            f"No AWS credentials while {doing}: run `aws sso login` or export AWS_PROFILE, then `invoke doctor`."
        ) from None
    except NoRegionError:
        raise Exit(f"No AWS region while {doing}: set project.region in invoke.yaml or AWS_REGION.") from None
    except ClientError as error:
        info = error.response.get("Error", {})
        raise Exit(f"AWS refused {doing}: {info.get('Code')}: {info.get('Message')}") from None
    except BotoCoreError as error:
        raise Exit(f"AWS call failed while {doing}: {error}") from None


def ecr_login(authorization: dict) -> tuple[str, str, str]:
    """(username, password, registry) from one ``authorizationData`` entry of GetAuthorizationToken."""
    username, _, password = base64.b64decode(authorization["authorizationToken"]).decode().partition(":")
    if not password:
        raise Exit("ECR returned an authorization token without a password.")
    registry = authorization["proxyEndpoint"].removeprefix("https://").removeprefix("http://")
    return username, password, registry


def eks_token(sess: boto3.session.Session, cluster_name: str) -> str:
    """A Kubernetes bearer token for EKS: a presigned STS GetCallerIdentity URL naming the cluster.

    This is what ``aws eks get-token`` prints, made with botocore so the AWS CLI is not needed.
    """
    sts = sess.client("sts")

    def add_cluster_header(request, **_):
        request.headers[EKS_CLUSTER_HEADER] = cluster_name

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_cluster_header)
    url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
    return EKS_TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def kubeconfig(cluster: dict, token: str) -> dict:
    """A kubeconfig (as a dict) for one EKS cluster from DescribeCluster's ``cluster``, with a token."""
    name = cluster["name"]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": cluster["endpoint"],
                    "certificate-authority-data": cluster["certificateAuthority"]["data"],
                },
            }
        ],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }


def describe_cluster(sess: boto3.session.Session, cluster_name: str) -> dict:
    """EKS DescribeCluster's ``cluster``: name, endpoint, certificate authority, version."""
    with aws_errors(f"describing EKS cluster {cluster_name}"):
        return sess.client("eks").describe_cluster(name=cluster_name)["cluster"]


def cluster_kubeconfig(sess: boto3.session.Session, cluster_name: str) -> dict:
    """DescribeCluster → kubeconfig with a fresh token."""
    cluster = describe_cluster(sess, cluster_name)
    with aws_errors("signing an EKS token"):
        return kubeconfig(cluster, eks_token(sess, cluster_name))


def read_secret(sess: boto3.session.Session, secret_id: str) -> str:
    with aws_errors(f"reading secret {secret_id}"):
        return sess.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]


def caller_identity(sess: boto3.session.Session) -> dict:
    with aws_errors("asking STS who you are"):
        return sess.client("sts").get_caller_identity()


def insights_tail(
    sess: boto3.session.Session, group: str, minutes: int, limit: int, poll_interval: float = 1.0, timeout: float = 60.0
) -> list[str]:
    """The newest ``limit`` messages of the last ``minutes`` in a log group, oldest first (Logs Insights)."""
    logs = sess.client("logs")
    with aws_errors(f"querying log group {group}"):
        end = int(time.time())
        query_id = logs.start_query(
            logGroupName=group,
            startTime=end - minutes * 60,
            endTime=end,
            queryString=f"fields @timestamp, @message | sort @timestamp desc | limit {limit}",
        )["queryId"]
        deadline = time.monotonic() + timeout
        while True:
            answer = logs.get_query_results(queryId=query_id)
            if answer["status"] in ("Complete", "Failed", "Cancelled", "Timeout"):
                break
            if time.monotonic() > deadline:
                raise Exit(f"Logs Insights did not answer within {timeout:.0f}s.")
            time.sleep(poll_interval)
    if answer["status"] != "Complete":
        raise Exit(f"The Logs Insights query on {group} ended {answer['status']}.")
    rows = [{field["field"]: field["value"] for field in row} for row in answer["results"]]
    return [f"{row.get('@timestamp', '')} {row.get('@message', '')}" for row in reversed(rows)]
