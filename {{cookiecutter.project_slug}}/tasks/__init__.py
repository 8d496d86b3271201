"""The invoke tasks: `invoke --list` shows them, `invoke --help TASK` explains one.

Settings below come from the cookiecutter answers; override them in invoke.yaml or with
INVOKE_PROJECT_REGION-style environment variables. Command-line flags win over both.
"""

from pathlib import Path

from invoke import Collection

from . import assets, db, docker, doctor, k8s, local, terraform

ns = Collection()
for module_task in (
    doctor.doctor,
    terraform.bootstrap,
    terraform.provision,
    terraform.destroy,
    docker.build,
    docker.push,
    k8s.deploy,
    k8s.rollback,
    k8s.status,
    k8s.logs,
):
    ns.add_task(module_task)
ns.add_collection(Collection("assets", assets.publish))
ns.add_collection(Collection("db", db.migrate, db.url))
ns.add_collection(Collection("local", local.dev, local.test))

ns.configure(
    {
        "run": {"echo": True},
        "project": {
            "root": str(Path(__file__).resolve().parent.parent),
            "slug": "{{ cookiecutter.project_slug }}",
            "package": "{{ cookiecutter.package_name }}",
            "region": "{{ cookiecutter.aws_region }}",
            "account_id": "{{ cookiecutter.aws_account_id }}",
            "node_instance_type": "{{ cookiecutter.node_instance_type }}",
            "protected_environments": ["production"],
        },
        "docker": {"build_args": {"PYTHON_VERSION": "{{ cookiecutter.python_version }}"}},
        "deploy": {"job_timeout": 600, "rollout_timeout": 600, "delete_timeout": 300, "poll_interval": 3},
    }
)
