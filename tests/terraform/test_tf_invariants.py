"""Security and availability invariants, on each environment as Terraform would see it (tfparse
evaluates the modules with the tfvars) and on the parsed HCL of every module."""

from __future__ import annotations

import pytest
from conftest import BAKE_IDS, COMBOS, ENVIRONMENTS, evaluated, modules, terraform_dir, tfvars
from hcl import Block

EKS_LOG_TYPES = {"api", "audit", "authenticator", "controllerManager", "scheduler"}
OPEN_WORLD = {"0.0.0.0/0", "::/0"}
FORBIDDEN_PORTS = (22, 3389)
GITHUB = "token.actions.githubusercontent.com"


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def resources(result: dict, type_name: str) -> list[dict]:
    """Evaluated resources (or data sources) of one type, expanded over count/for_each."""
    return [entry for entry in result.get(type_name, []) if entry.get("__tfmeta", {}).get("type") != "data"]


def data_sources(result: dict, type_name: str) -> list[dict]:
    return [entry for entry in result.get(type_name, []) if entry.get("__tfmeta", {}).get("type") == "data"]


def env(bake_id: str, name: str) -> dict:
    return evaluated(bake_id, f"environments/{name}")


def address(entry: dict) -> str:
    return entry["__tfmeta"]["path"]


# ---------------------------------------------------------------- availability: production vs staging


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_production_is_highly_available_and_protected(bake_id):
    production = env(bake_id, "production")
    (database,) = resources(production, "aws_db_instance")
    assert database["multi_az"] is True, "production RDS must be Multi-AZ"
    assert database["deletion_protection"] is True, "production RDS must have deletion protection"
    (cluster,) = resources(production, "aws_eks_cluster")
    assert cluster["deletion_protection"] is True
    (balancer,) = resources(production, "aws_lb")
    assert balancer["enable_deletion_protection"] is True
    # The zones (and so the NAT count) come from a data source tfparse cannot read: the network
    # module's own terraform tests plan one NAT per zone for single_nat_gateway = false.
    assert tfvars(bake_id, "environments/production")["single_nat_gateway"] is False, "production: a NAT per zone"


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_staging_is_single_nat_and_small(bake_id):
    staging, production = env(bake_id, "staging"), env(bake_id, "production")
    assert tfvars(bake_id, "environments/staging")["single_nat_gateway"] is True, "staging runs one NAT gateway"
    (database,) = resources(staging, "aws_db_instance")
    assert database["multi_az"] is False
    (prod_database,) = resources(production, "aws_db_instance")
    assert database["max_allocated_storage"] <= prod_database["max_allocated_storage"]
    assert database["backup_retention_period"] < prod_database["backup_retention_period"], (
        "production keeps backups longer"
    )
    (nodes,) = resources(staging, "aws_eks_node_group")
    (prod_nodes,) = resources(production, "aws_eks_node_group")
    assert nodes["scaling_config"]["max_size"] <= prod_nodes["scaling_config"]["max_size"]
    assert (
        tfvars(bake_id, "environments/staging")["log_retention_days"]
        <= tfvars(bake_id, "environments/production")["log_retention_days"]
    )


# ---------------------------------------------------------------- data


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_database_is_private_encrypted_backed_up_and_passwordless(bake_id, environment):
    (database,) = resources(env(bake_id, environment), "aws_db_instance")
    assert database["backup_retention_period"] >= 7
    assert database["storage_encrypted"] is True and database["publicly_accessible"] is False
    assert database["manage_master_user_password"] is True
    assert "password" not in database, "a password in code ends up in the state: let RDS manage it"
    assert database["performance_insights_enabled"] is True and database["monitoring_interval"] > 0
    assert set(database["enabled_cloudwatch_logs_exports"]) >= {"postgresql"}
    (parameters,) = resources(env(bake_id, environment), "aws_db_parameter_group")
    forced = {p["name"]: p["value"] for p in as_list(parameters["parameter"])}
    assert forced.get("rds.force_ssl") == "1", "PostgreSQL must refuse non-TLS connections"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_eks_logs_everything_and_exposes_the_api_only_as_answered(bake_id, environment):
    (cluster,) = resources(env(bake_id, environment), "aws_eks_cluster")
    assert set(cluster["enabled_cluster_log_types"]) == EKS_LOG_TYPES
    assert cluster["vpc_config"]["endpoint_private_access"] is True
    answers = COMBOS[bake_id]
    if answers.get("kubernetes_api_access", "private") == "private":
        assert cluster["vpc_config"]["endpoint_public_access"] is False, "private access: no public endpoint"
    else:
        assert cluster["vpc_config"]["endpoint_public_access"] is True
        answered = [cidr.strip() for cidr in answers["kubernetes_api_cidrs"].split(",")]
        assert sorted(cluster["vpc_config"]["public_access_cidrs"]) == sorted(answered)
    assert as_list(cluster["encryption_config"])[0]["resources"] == ["secrets"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_instances_require_imdsv2_and_encrypt_volumes(bake_id, environment):
    result = env(bake_id, environment)
    hosts = resources(result, "aws_launch_template") + resources(result, "aws_instance")
    assert hosts
    for host in hosts:
        metadata = host["metadata_options"]
        assert metadata["http_tokens"] == "required", f"{address(host)}: IMDSv2 only"
        assert metadata["http_put_response_hop_limit"] == 1, f"{address(host)}: pods must not reach IMDS"
        assert "key_name" not in host, f"{address(host)}: no SSH key"
        volumes = [m["ebs"] for m in as_list(host.get("block_device_mappings"))] + as_list(
            host.get("root_block_device")
        )
        assert volumes and all(volume["encrypted"] is True for volume in volumes), f"{address(host)}: encrypted volumes"
    for key in resources(result, "aws_kms_key"):
        assert key["enable_key_rotation"] is True


# ---------------------------------------------------------------- network exposure


def _opens_forbidden_ports(protocol, from_port, to_port) -> bool:
    if str(protocol) in ("-1", "all"):
        return True
    low, high = int(from_port), int(to_port)
    return (low, high) == (0, 65535) or any(low <= port <= high for port in FORBIDDEN_PORTS)


def _world_ingress(result: dict):
    """(address, protocol, from, to) of every ingress rule whose source is the whole internet."""
    for rule in resources(result, "aws_vpc_security_group_ingress_rule"):
        if rule.get("cidr_ipv4") in OPEN_WORLD or rule.get("cidr_ipv6") in OPEN_WORLD:
            yield address(rule), rule.get("ip_protocol"), rule.get("from_port", 0), rule.get("to_port", 65535)
    for rule in resources(result, "aws_security_group_rule"):
        if rule.get("type") == "ingress" and OPEN_WORLD & set(
            as_list(rule.get("cidr_blocks")) + as_list(rule.get("ipv6_cidr_blocks"))
        ):
            yield address(rule), rule.get("protocol"), rule.get("from_port"), rule.get("to_port")
    for group in resources(result, "aws_security_group"):
        for rule in as_list(group.get("ingress")):
            if OPEN_WORLD & set(as_list(rule.get("cidr_blocks")) + as_list(rule.get("ipv6_cidr_blocks"))):
                yield address(group), rule.get("protocol"), rule.get("from_port"), rule.get("to_port")


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_no_security_group_opens_ssh_rdp_or_all_ports_to_the_world(bake_id, environment):
    result = env(bake_id, environment)
    offenders = [
        f"{where}: {protocol} {low}-{high}"
        for where, protocol, low, high in _world_ingress(result)
        if _opens_forbidden_ports(protocol, low, high)
    ]
    assert not offenders, "open to 0.0.0.0/0:\n" + "\n".join(offenders)
    for group in resources(result, "aws_default_security_group"):
        assert not as_list(group.get("ingress")) and not as_list(group.get("egress")), "the default SG keeps no rules"


def test_world_ingress_detection_is_not_blind():
    """The rule above must see the load balancer's public web port when CloudFront is off."""
    lean = next(bake_id for bake_id in BAKE_IDS if "use_cloudfront=n" in bake_id)
    ports = {(low, high) for _, _, low, high in _world_ingress(env(lean, "production"))}
    assert (80, 80) in ports


# ---------------------------------------------------------------- S3


def _statements(document: Block) -> list[Block]:
    return document.children("statement")


def _denies_insecure_transport(document: Block, bucket: str) -> bool:
    for statement in _statements(document):
        conditions = statement.children("condition")
        principals = statement.children("principals")
        if (
            statement.value("effect") == "Deny"
            and statement.value("actions") == ["s3:*"]
            and any(p.value("identifiers") == ["*"] for p in principals)
            and set(statement.value("resources", []))
            >= {f"${{aws_s3_bucket.{bucket}.arn}}", f"${{aws_s3_bucket.{bucket}.arn}}/*"}
            and any(
                c.value("test") == "Bool"
                and c.value("variable") == "aws:SecureTransport"
                and c.value("values") == ["false"]
                for c in conditions
            )
        ):
            return True
    return False


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_every_bucket_denies_non_tls_and_blocks_public_access(bake_id):
    problems, buckets = [], 0
    for blocks in modules(bake_id).values():
        by_address = {(b.type, *b.labels): b for b in blocks}
        for block in blocks:
            if block.type != "resource" or block.labels[0] != "aws_s3_bucket":
                continue
            buckets += 1
            name = block.labels[1]
            reference = f"${{aws_s3_bucket.{name}.id}}"
            policies = [
                b for b in blocks if b.labels[:1] == ["aws_s3_bucket_policy"] and b.value("bucket") == reference
            ]
            blocks_public = [
                b
                for b in blocks
                if b.labels[:1] == ["aws_s3_bucket_public_access_block"]
                and b.value("bucket") == reference
                and all(
                    b.value(flag) is True
                    for flag in (
                        "block_public_acls",
                        "block_public_policy",
                        "ignore_public_acls",
                        "restrict_public_buckets",
                    )
                )
            ]
            if not blocks_public:
                problems.append(f"{block.where()}: aws_s3_bucket.{name} has no full public access block")
            documents = [
                by_address.get(
                    (
                        "data",
                        "aws_iam_policy_document",
                        str(p.value("policy")).removeprefix("${data.aws_iam_policy_document.").removesuffix(".json}"),
                    )
                )
                for p in policies
            ]
            if not any(d is not None and _denies_insecure_transport(d, name) for d in documents):
                problems.append(
                    f"{block.where()}: aws_s3_bucket.{name}: no bucket policy denies aws:SecureTransport=false"
                )
    assert buckets, "no buckets found: the test would prove nothing"
    assert not problems, "\n".join(problems)


def _destroy_guards(result: dict) -> list[dict]:
    return [
        entry
        for entry in resources(result, "terraform_data")
        if (entry.get("lifecycle") or {}).get("prevent_destroy") is True
    ]


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_only_the_state_bucket_refuses_to_be_destroyed(bake_id):
    """The state outlives every plan, so Terraform must refuse to destroy or replace its bucket (a
    guard tied to the bucket's ARN carries prevent_destroy); the environments' buckets must not
    refuse, or `invoke destroy` could never finish."""
    values = tfvars(bake_id, "bootstrap")
    guards = _destroy_guards(evaluated(bake_id, "bootstrap"))
    assert [guard["triggers_replace"] for guard in guards] == [
        f"arn:aws:s3:::{values['project']}-tfstate-{values['account_id']}"
    ], f"bootstrap: expected one destroy guard on the state bucket, found {[address(g) for g in guards]}"
    for environment in ENVIRONMENTS:
        guarded = [address(guard) for guard in _destroy_guards(env(bake_id, environment))]
        assert not guarded, f"{environment}: {guarded} would block invoke destroy"


# ---------------------------------------------------------------- GitHub OIDC trust


def _web_identity_statements(result: dict):
    for document in data_sources(result, "aws_iam_policy_document"):
        for statement in as_list(document.get("statement")):
            if "sts:AssumeRoleWithWebIdentity" in as_list(statement.get("actions")):
                yield address(document), statement


def _trust_conditions(statement: dict) -> dict[str, tuple[str, list]]:
    return {c["variable"]: (c["test"], as_list(c["values"])) for c in as_list(statement.get("condition"))}


def _subjects(result: dict) -> set[tuple[str, str]]:
    """(test, subject) of every GitHub subject condition of every web-identity trust statement."""
    found = set()
    for _, statement in _web_identity_statements(result):
        conditions = _trust_conditions(statement)
        assert conditions.get(f"{GITHUB}:aud") == ("StringEquals", ["sts.amazonaws.com"]), conditions
        test, values = conditions[f"{GITHUB}:sub"]
        found |= {(test, value) for value in values}
    return found


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_deploy_role_trusts_exactly_the_deploy_workflows_on_main_in_its_environment(bake_id, environment):
    repository = tfvars(bake_id, f"environments/{environment}")["github_repository"]
    workflows = f"{repository}/.github/workflows"
    assert _subjects(env(bake_id, environment)) == {
        (
            "StringEquals",
            f"repo:{repository}:environment:{environment}:job_workflow_ref:{workflows}/deploy.yml@refs/heads/main",
        ),
        (
            "StringEquals",
            f"repo:{repository}:environment:{environment}:job_workflow_ref:{workflows}/redeploy.yml@refs/heads/main",
        ),
    }


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_bootstrap_roles_trust_exactly_their_workflow_ref_and_context(bake_id):
    values = tfvars(bake_id, "bootstrap")
    repository = values["github_repository"]
    workflows = f"{repository}/.github/workflows"
    expected = {
        (
            "StringEquals",
            f"repo:{repository}:ref:refs/heads/main:job_workflow_ref:{workflows}/deploy.yml@refs/heads/main",
        ),
        (
            "StringEquals",
            f"repo:{repository}:ref:refs/heads/main:job_workflow_ref:{workflows}/terraform.yml@refs/heads/main",
        ),
        ("StringLike", f"repo:{repository}:pull_request:job_workflow_ref:{workflows}/terraform.yml@refs/pull/*/merge"),
    }
    for environment in values["environments"]:
        expected.add(
            (
                "StringEquals",
                f"repo:{repository}:environment:{environment}:job_workflow_ref:{workflows}/terraform.yml@refs/heads/main",
            )
        )
    assert _subjects(evaluated(bake_id, "bootstrap")) == expected


# ---------------------------------------------------------------- IAM


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_every_role_of_an_environment_carries_the_permissions_boundary(bake_id, environment):
    """The provision role may only create roles bounded like itself, so every role must be bounded."""
    roles = resources(env(bake_id, environment), "aws_iam_role")
    unbounded = [address(role) for role in roles if not role.get("permissions_boundary")]
    assert roles and not unbounded, f"roles without the environment's permissions boundary: {unbounded}"


def _boundary_statements(bake_id: str) -> dict[str, list[dict]]:
    """The boundary documents of bootstrap, by environment, as statement lists."""
    documents = {}
    for document in data_sources(evaluated(bake_id, "bootstrap"), "aws_iam_policy_document"):
        path = address(document)
        if path.endswith(".boundary"):
            environment = path.split('"')[1]
            documents[environment] = as_list(document["statement"])
    return documents


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_boundaries_deny_the_other_environment_and_unbounded_roles(bake_id):
    boundaries = _boundary_statements(bake_id)
    assert set(boundaries) == set(tfvars(bake_id, "bootstrap")["environments"])
    for environment, statements in boundaries.items():
        other = "production" if environment == "staging" else "staging"
        by_sid = {statement["sid"]: statement for statement in statements}
        bounded = by_sid["OnlyBoundedRoles"]
        assert bounded["effect"] == "Deny" and "iam:CreateRole" in bounded["actions"]
        # UpdateAssumeRolePolicy carries no iam:PermissionsBoundary, so listing it here denied it always.
        assert "iam:UpdateAssumeRolePolicy" not in bounded["actions"]
        other_things = by_sid["NothingOfTheOtherEnvironment"]
        assert other_things["effect"] == "Deny" and other_things["actions"] == ["*"]
        tagged = _trust_conditions(by_sid["NothingTaggedForTheOtherEnvironment"])
        assert tagged["aws:ResourceTag/Environment"] == ("StringEquals", [other])
        # RDS names its managed secret rds!db-<uuid>: only the tag RDS puts on it names the database.
        secret = by_sid["NotTheOtherEnvironmentsDatabaseSecret"]
        assert secret["effect"] == "Deny" and secret["actions"] == ["secretsmanager:*"]
        assert "aws:ResourceTag/aws:rds:primaryDBInstanceArn" in _trust_conditions(secret)


def test_the_boundary_names_the_other_environments_state_key_roles_and_cluster():
    """The resources of the deny, as written (tfparse cannot resolve the account they contain)."""
    (document,) = [
        block
        for block in modules("default")[terraform_dir("default") / "modules" / "ci_identity"]
        if block.labels == ["aws_iam_policy_document", "boundary"]
    ]
    (statement,) = [
        child for child in document.children("statement") if child.value("sid") == "NothingOfTheOtherEnvironment"
    ]
    assert {
        "${local.state_arn}/${local.other}/*",
        "${local.iam}:role/${local.other_name}-*",
        "arn:${local.partition}:eks:*:${local.account_id}:cluster/${local.other_name}",
        "arn:${local.partition}:eks:*:${local.account_id}:*/${local.other_name}/*",
        "arn:${local.partition}:kms:*:${local.account_id}:alias/${local.other_name}",
    } <= set(statement.value("resources"))


def test_node_groups_are_replaced_create_before_destroy():
    """A node-type change must bring the new nodes up before the old ones go: a fixed node group name
    would make Terraform destroy every node first (the name is unique per cluster)."""
    groups = [
        block
        for blocks in modules("default").values()
        for block in blocks
        if block.type == "resource" and block.labels[0] == "aws_eks_node_group"
    ]
    assert groups, "no aws_eks_node_group in the modules"
    for group in groups:
        assert group.value("node_group_name") is None, f"{group.where()}: a fixed name forces destroy-first"
        assert group.value("node_group_name_prefix"), f"{group.where()}: name the group with a prefix"
        lifecycle = group.child("lifecycle")
        assert lifecycle is not None and lifecycle.value("create_before_destroy") is True, group.where()
