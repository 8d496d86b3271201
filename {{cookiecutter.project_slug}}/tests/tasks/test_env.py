"""Environment resolution."""

import pytest
from invoke import Exit

from tasks.env import check_env, environments, require_tool


def test_environments_are_the_sorted_directories(tmp_path):
    for name in ("staging", "production", ".hidden"):
        (tmp_path / name).mkdir()
    (tmp_path / "README.md").write_text("not an environment")
    assert environments(tmp_path) == ["production", "staging"]


def test_missing_directory_has_no_environments(tmp_path):
    assert environments(tmp_path / "absent") == []


@pytest.mark.parametrize("name", ["staging", "production"])
def test_known_environment_is_returned(tmp_path, name):
    (tmp_path / "staging").mkdir()
    (tmp_path / "production").mkdir()
    assert check_env(name, tmp_path) == name


@pytest.mark.parametrize(("name", "shown"), [("nope", "'nope'"), (None, "(none given)"), ("", "(none given)")])
def test_unknown_environment_is_one_line_listing_the_valid_names(tmp_path, name, shown):
    (tmp_path / "staging").mkdir()
    (tmp_path / "production").mkdir()
    with pytest.raises(Exit) as error:
        check_env(name, tmp_path)
    assert error.value.message == f"--env {shown} is not an environment; choose one of: production, staging."


def test_no_environments_at_all_says_where_it_looked(tmp_path):
    with pytest.raises(Exit, match="No environments found"):
        check_env("staging", tmp_path)


@pytest.mark.parametrize(
    ("dry", "even_when_dry", "stops"), [(False, False, True), (True, False, False), (True, True, True)]
)
def test_require_tool(mock_context, dry, even_when_dry, stops):
    context = mock_context(dry=dry)
    if not stops:
        require_tool(context, "no-such-tool-here", "install it", even_when_dry)
        return
    with pytest.raises(Exit) as error:
        require_tool(context, "no-such-tool-here", "install it", even_when_dry)
    assert error.value.message == "no-such-tool-here is not on PATH: install it, then run `invoke doctor`."
