"""Rollout and Job states, rollback targets, and the watch loop's progress lines (a fake clock)."""

import pytest

from tasks._rollout import VERIFIED, job_state, pod_template, revision_of, rollback_target, rollout_state, watch


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ({}, ("progressing", "0 running, 0 failed attempts")),
        ({"active": 1, "failed": 1}, ("progressing", "1 running, 1 failed attempts")),
        ({"succeeded": 1}, ("succeeded", "complete")),
        ({"conditions": [{"type": "Complete", "status": "True"}]}, ("succeeded", "complete")),
        ({"conditions": [{"type": "SuccessCriteriaMet", "status": "True"}]}, ("succeeded", "complete")),
        (
            {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]},
            ("failed", "failed: BackoffLimitExceeded"),
        ),
        ({"conditions": [{"type": "Failed", "status": "False"}]}, ("progressing", "0 running, 0 failed attempts")),
    ],
)
def test_job_state(status, state):
    assert job_state({"status": status}) == state


def deployment(generation=2, observed=2, replicas=3, updated=3, available=3, total=3, conditions=()):
    return {
        "metadata": {"generation": generation},
        "spec": {"replicas": replicas},
        "status": {
            "observedGeneration": observed,
            "updatedReplicas": updated,
            "availableReplicas": available,
            "replicas": total,
            "conditions": list(conditions),
        },
    }


@pytest.mark.parametrize(
    ("obj", "state", "line"),
    [
        (deployment(), "done", "3/3 updated, 3 available, 0 old remaining"),
        (deployment(observed=1), "progressing", "waiting for the controller to see the new spec"),
        (deployment(updated=1, total=4, available=3), "progressing", "1/3 updated, 3 available, 3 old remaining"),
        (deployment(available=2), "progressing", "3/3 updated, 2 available, 0 old remaining"),
        (
            deployment(updated=1, total=4, conditions=[{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]),
            "failed",
            "progress deadline exceeded (1/3 updated, 3 available, 3 old remaining)",
        ),
        ({}, "progressing", "0/1 updated, 0 available, 0 old remaining"),
    ],
)
def test_rollout_state(obj, state, line):
    assert rollout_state(obj) == (state, line)


def replicaset(revision, template_hash, uid="d1"):
    labels = {"app": "x", "pod-template-hash": template_hash}
    return {
        "metadata": {
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "labels": {"pod-template-hash": template_hash},
            "ownerReferences": [{"uid": uid}],
        },
        "spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": [{"image": template_hash}]}}},
    }


def with_history(revision, verified=None):
    annotations = {"deployment.kubernetes.io/revision": str(revision)}
    if verified:
        annotations[VERIFIED] = verified
    return {"metadata": {"uid": "d1", "annotations": annotations}}


HISTORY = [replicaset(1, "one"), replicaset(3, "three"), replicaset(2, "two"), replicaset(4, "two", uid="other")]


@pytest.mark.parametrize(
    ("deployment", "revision", "action", "target"),
    [
        (with_history(3, verified="two"), None, "restore", 2),  # 3 failed after 2 passed
        (with_history(3, verified="three"), None, "running", 3),  # rollback after a good deploy: no-op
        (with_history(3), None, "none", None),  # nothing ever passed
        (with_history(3, verified="gone"), None, "none", None),  # its ReplicaSet was pruned
        (with_history(3, verified="three"), 1, "restore", 1),  # an explicit revision
        (with_history(3), 3, "running", 3),
        (with_history(3), 9, "none", None),
    ],
    ids=["after-failure", "idempotent", "never-verified", "pruned", "explicit", "explicit-running", "unknown"],
)
def test_rollback_target(deployment, revision, action, target):
    found, replicaset_ = rollback_target(HISTORY, deployment, revision)
    assert found == action
    assert (revision_of(replicaset_) if replicaset_ else None) == target


def test_pod_template_drops_the_replicasets_hash_label():
    template = pod_template(replicaset(2, "two"))
    assert template["metadata"]["labels"] == {"app": "x"}
    assert template["spec"]["containers"] == [{"image": "two"}]


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_watch_prints_a_line_at_least_every_progress_interval(capsys):
    clock, states = Clock(), iter([("progressing", "1/3 updated")] * 12 + [("done", "3/3 updated")])
    result = watch(
        "rollout", lambda: next(states), timeout=600, interval=3, progress_every=10, clock=clock, sleep=clock.sleep
    )
    assert result == ("done", "3/3 updated")
    assert capsys.readouterr().out.splitlines() == [
        "  rollout: 1/3 updated (0s)",
        "  rollout: 1/3 updated (12s)",  # unchanged, but 10 s passed: said again
        "  rollout: 1/3 updated (24s)",
        "  rollout: 3/3 updated (36s)",
    ]


def test_watch_times_out_with_the_last_line(capsys):
    clock = Clock()
    state, line = watch(
        "migration",
        lambda: ("progressing", "1 running"),
        timeout=30,
        interval=3,
        progress_every=10,
        clock=clock,
        sleep=clock.sleep,
    )
    assert (state, line) == ("timed out", "not finished after 30s: 1 running")
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["  migration: 1 running (0s)", "  migration: 1 running (12s)", "  migration: 1 running (24s)"]
