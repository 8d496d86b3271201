"""Draw the architecture diagram of the docs site (an mkdocs hook, listed in mkdocs.yml).

The nodes are what Terraform builds for the answers this project was generated with. The `diagrams`
package lays them out with graphviz's `dot`; the SVG is added to the site as architecture.svg with
its icons inlined, so the page needs no other file and nothing is written into docs/.
"""

from __future__ import annotations

import base64
import re
import shutil
import tempfile
from pathlib import Path

from diagrams import Cluster, Diagram, Edge
from diagrams.aws.compute import {% if cookiecutter.use_worker_instance == 'y' %}EC2, {% endif %}ECR, EKS
from diagrams.aws.database import RDS
from diagrams.aws.devtools import Codebuild
from diagrams.aws.management import Cloudwatch{% if cookiecutter.kubernetes_api_access == 'private' %}, SystemsManager{% endif %}
from diagrams.aws.network import ALB{% if cookiecutter.use_cloudfront == 'y' %}, CloudFront{% endif %}{% if cookiecutter.domain_name and cookiecutter.route53_zone_id %}, Route53{% endif %}
from diagrams.aws.security import SecretsManager
{%- if cookiecutter.use_cloudfront == 'y' %}
from diagrams.aws.storage import S3
{%- endif %}
from diagrams.onprem.ci import GithubActions
from diagrams.onprem.client import Users
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

# diagrams writes an icon as the path of a PNG inside its package; a published page cannot load that.
ICON = re.compile(r'xlink:href="([^"]+\.png)"')


def draw(directory: Path) -> Path:
    """Lay the diagram out as an SVG in directory."""
    with Diagram("", filename=str(directory / "architecture"), outformat="svg", show=False, direction="LR"):
        clients = Users("Clients")
{%- if cookiecutter.domain_name and cookiecutter.route53_zone_id %}
        clients >> Edge(label="{{ cookiecutter.domain_name }}", style="dashed") >> Route53("Route 53")
{%- endif %}
        github = GithubActions("GitHub Actions")
        registry = ECR("ECR")
        with Cluster("AWS {{ cookiecutter.aws_region }}, one VPC per environment"):
            balancer = ALB("Load balancer + WAF")
            with Cluster("EKS {{ cookiecutter.kubernetes_version }}"):
                app = EKS("app pods")
            database = RDS("PostgreSQL {{ cookiecutter.postgres_version }}")
            runner = Codebuild("CI runner")
{%- if cookiecutter.kubernetes_api_access == 'private' %}
            SystemsManager("SSM access host") >> Edge(label="tunnel to the API", style="dashed") >> app
{%- endif %}
{%- if cookiecutter.use_worker_instance == 'y' %}
            EC2("Worker") >> database
{%- endif %}
{%- if cookiecutter.use_cloudfront == 'y' %}
        edge = CloudFront("CloudFront")
        clients >> Edge(label="HTTPS") >> edge >> balancer
        edge >> Edge(label="/static/*") >> S3("Static assets")
{%- else %}
        clients >> balancer
{%- endif %}
        balancer >> app >> Edge(label="TLS") >> database
        app >> Edge(style="dashed") >> [SecretsManager("Secrets Manager"), Cloudwatch("CloudWatch")]
        github >> Edge(label="image") >> registry >> Edge(label="pull by digest") >> app
        github >> Edge(label="deploy jobs") >> runner >> app
    return directory / "architecture.svg"


def inline_icons(svg: str) -> str:
    """The SVG with every icon embedded as a data: URI."""

    def embedded(match: re.Match[str]) -> str:
        return 'xlink:href="data:image/png;base64,' + base64.b64encode(Path(match[1]).read_bytes()).decode() + '"'

    return ICON.sub(embedded, svg)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """mkdocs hook: add architecture.svg to the site's files."""
    if shutil.which("dot") is None:
        raise PluginError(
            "graphviz's `dot` is not on PATH, and the architecture diagram is drawn with it: "
            "install graphviz (apt-get install graphviz, or brew install graphviz)."
        )
    with tempfile.TemporaryDirectory() as directory:
        svg = inline_icons(draw(Path(directory)).read_text())
    files.append(File.generated(config, "architecture.svg", content=svg))
    return files
