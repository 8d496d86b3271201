"""Dated tables of AWS limits the relations need (checked 2026-11-29; extend them when you answer
another instance type or class — an unknown one fails the relation test with a sentence saying so).
"""

from __future__ import annotations

import math

GIB = 1024**3

# EC2 node types: (vCPUs, memory GiB, max pods with the VPC CNI's default networking). Allocatable
# capacity follows the EKS AMIs' kube-reserved formulas (amazon-eks-ami: CPU 6 % of the first core,
# 1 % of the second, 0.5 % of cores 3-4, 0.25 % of the rest; memory 255 MiB + 11 MiB per pod) and
# the kubelet's 100 MiB hard-eviction threshold; memory is the instance's nominal memory less the
# ~4 % the kernel keeps (what `kubectl describe node` shows as capacity on these types).
NODE_TYPES: dict[str, tuple[int, int, int]] = {
    "t3.medium": (2, 4, 17),
    "t3.large": (2, 8, 35),
    "t3.xlarge": (4, 16, 58),
    "t4g.medium": (2, 4, 17),
    "t4g.large": (2, 8, 35),
    "m7i.large": (2, 8, 29),
    "m7g.large": (2, 8, 29),
}
# Graviton (arm64) families among them; every other type here is x86_64.
ARM64_FAMILIES = {"t4g", "m7g"}


def reserved_cpu_millicores(vcpus: int) -> int:
    shares = [60, 10, 5, 5] + [2.5] * max(0, vcpus - 4)  # per core, in millicores of that core
    return math.ceil(sum(shares[:vcpus]))


def allocatable(instance_type: str) -> tuple[int, int]:
    """(millicores, MiB) the kubelet offers pods on one node of this type."""
    vcpus, memory_gib, max_pods = NODE_TYPES[instance_type]
    capacity_mib = int(memory_gib * 1024 * 0.96)
    return vcpus * 1000 - reserved_cpu_millicores(vcpus), capacity_mib - (255 + 11 * max_pods) - 100


# Requests of what EKS add-ons run on every node (DaemonSets), and once per cluster, with the
# versions the template pins: vpc-cni (aws-node), kube-proxy, eks-pod-identity-agent (requests
# nothing), amazon-cloudwatch-observability (CloudWatch agent and Fluent Bit per node, its operator
# once: the add-on's chart defaults), CoreDNS (two replicas) and metrics-server. The Cluster
# Autoscaler's own requests are read from k8s/cluster.
PER_NODE = {"aws-node": (25, 0), "kube-proxy": (100, 0), "cloudwatch-agent": (250, 128), "fluent-bit": (50, 25)}
PER_CLUSTER = {"coredns": (200, 140), "metrics-server": (100, 200), "cloudwatch-operator": (100, 64)}

# RDS for PostgreSQL classes: memory GiB. The default max_connections is
# LEAST(DBInstanceClassMemory / 9531392, 5000); DBInstanceClassMemory is what is left after RDS's
# own processes, taken here as three quarters of the class's memory (erring low).
DB_CLASSES: dict[str, int] = {
    "db.t4g.micro": 1,
    "db.t4g.small": 2,
    "db.t4g.medium": 4,
    "db.t4g.large": 8,
    "db.t3.micro": 1,
    "db.t3.small": 2,
    "db.t3.medium": 4,
    "db.m7g.large": 8,
    "db.r7g.large": 16,
}
# Connections no app pod may take: superuser_reserved_connections (3) and
# rds.rds_superuser_reserved_connections (2), plus 5 for operators and monitoring.
RESERVED_CONNECTIONS = 3 + 2 + 5


def max_connections(db_class: str) -> int:
    return min(int(DB_CLASSES[db_class] * GIB * 3 / 4) // 9531392, 5000)
