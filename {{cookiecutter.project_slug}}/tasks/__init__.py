"""The invoke tasks: `invoke --list` shows them, `invoke --help TASK` explains one.

Settings below come from the cookiecutter answers; override them in invoke.yaml or with
INVOKE_PROJECT_REGION-style environment variables. Command-line flags win over both.
"""

from pathlib import Path

from invoke import Collection

from . import assets, cluster, db, deploy, docker, doctor, local, observe, terraform, token

ns = Collection()
for module_task in (
    doctor.doctor,
    terraform.bootstrap,
    terraform.provision,
    terraform.drift,
    terraform.destroy,
    cluster.tunnel,
    docker.build,
    docker.push,
    deploy.deploy,
    deploy.rollback,
    observe.status,
    observe.logs,
    token.token,
):
    ns.add_task(module_task)
ns.add_collection(Collection("cluster", cluster.setup))
ns.add_collection(Collection("assets", assets.publish))
ns.add_collection(Collection("db", db.migrate, db.url))
ns.add_collection(Collection("local", local.dev, local.test))

ns.configure(
    {
        "project": {
            "root": str(Path(__file__).resolve().parent.parent),
            "slug": "{{ cookiecutter.project_slug }}",
            "package": "{{ cookiecutter.package_name }}",
            "region": "{{ cookiecutter.aws_region }}",
            # The staging account also holds the image registry every environment pulls from.
            "registry_account_id": "{{ cookiecutter.aws_account_id }}",
            "github_repository": "{{ cookiecutter.github_repository }}",
            "node_instance_type": "{{ cookiecutter.node_instance_type }}",
        },
        "environments": {
            "staging": {"account_id": "{{ cookiecutter.aws_account_id }}"},
            "production": {"account_id": "{{ cookiecutter.production_aws_account_id }}"},
        },
        "docker": {"build_args": {"PYTHON_VERSION": "{{ cookiecutter.python_version }}"}},
        "terraform": {"lock_timeout": "5m"},
        # Seconds: waits for the migration Job, a rollout, a deletion; how often to look and to report;
        # how long the smoke test may keep failing; how long one API request is retried, first pause.
        "deploy": {
            "job": 600,
            "rollout": 600,
            "delete": 300,
            "poll": 3,
            "progress_every": 10,
            "smoke_window": 60,
            "retry_budget": 60,
            "retry_first": 0.5,
        },
    }
)
