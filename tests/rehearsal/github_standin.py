"""GitHub, as far as Day 1 needs it: what the documented `gh` commands configured in the repository."""

from __future__ import annotations

from dataclasses import dataclass, field


class WalkFailed(AssertionError):
    """A documented step cannot be done: the message names the step, the command and why."""


@dataclass
class GitHub:
    """What the `gh` steps configured in the repository."""

    repository: str = ""
    environments: dict[str, dict] = field(default_factory=dict)
    claim_keys: list[str] | None = None

    def play(self, where: str, words: list[str], repository: str) -> None:
        """Record what `gh repo create` / `gh api` would configure; anything else is refused loudly."""
        if words[1:3] == ["repo", "create"]:
            self.repository = words[3]
            return
        if words[1] != "api":
            raise WalkFailed(f"{where}: the rehearsal plays `gh repo create` and `gh api` only")
        method = words[words.index("--method") + 1] if "--method" in words else "GET"
        path = next(w for w in words[2:] if w.startswith("repos/"))
        fields = [words[i + 1] for i, w in enumerate(words) if w in ("-f", "-F")]
        prefix = f"repos/{repository}/"
        if not path.startswith(prefix) or self.repository != repository:
            raise WalkFailed(f"{where}: {path} is not in {repository}, or that repository was not created first")
        parts = path.removeprefix(prefix).split("/")
        if parts[0] == "environments" and method == "PUT":
            self.environments[parts[1]] = {
                "reviewers": any(f.startswith("reviewers[]") for f in fields),
                "custom_branches": "deployment_branch_policy[custom_branch_policies]=true" in fields,
                "branches": [],
            }
        elif parts[0] == "environments" and parts[2:] == ["deployment-branch-policies"]:
            if parts[1] not in self.environments:
                raise WalkFailed(f"{where}: environment {parts[1]} does not exist yet")
            self.environments[parts[1]]["branches"].append(dict(f.split("=", 1) for f in fields)["name"])
        elif parts == ["actions", "oidc", "customization", "sub"]:
            self.claim_keys = [f.split("=", 1)[1] for f in fields if f.startswith("include_claim_keys[]")]
        else:
            raise WalkFailed(f"{where}: the rehearsal does not know what {method} {path} does")
