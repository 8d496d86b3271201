"""Effects: every change printed as it happens; under --dry printed the same way and not made."""

import pytest
from conftest import commands, effect_lines
from invoke import Exit, Result

from tasks.effects import Effects


@pytest.mark.parametrize("dry", [False, True])
def test_changes_are_printed_and_logged_the_same_way(mock_context, tmp_path, capsys, dry):
    context = mock_context(dry=dry, run=Result(exited=2))
    fx = Effects(context)
    assert fx.run(["terraform", "plan"], assume_exit=2) == 2
    fx.write(tmp_path / "out" / "file.txt", "hello\n", shown="out/file.txt")
    made = []
    assert fx.change("aws", "s3 put s3://b/k", lambda: made.append(1) or "done", "assumed") == (
        "assumed" if dry else "done"
    )
    assert fx.wait("rollout", lambda: ("done", "line"), ("done", "")) == (("done", "") if dry else ("done", "line"))
    printed = capsys.readouterr().out
    assert effect_lines(printed) == [
        "run: terraform plan",
        "write: out/file.txt",
        "aws: s3 put s3://b/k",
        "wait: rollout",
    ]
    assert all(line.startswith("» (dry run) ") == dry for line in printed.splitlines())
    assert commands(context) == ([] if dry else ["terraform plan"])
    assert (tmp_path / "out" / "file.txt").exists() is not dry
    assert made == ([] if dry else [1])


def test_reads_run_under_dry_too(mock_context):
    context = mock_context(dry=True, run=Result("abc\n"))
    assert Effects(context).read(["git", "rev-parse", "HEAD"]).stdout == "abc\n"
    assert commands(context) == ["git rev-parse HEAD"]
    assert context.run.call_args.kwargs["dry"] is False


@pytest.mark.parametrize(
    ("dry", "for_reads", "stops"), [(False, False, True), (True, False, False), (True, True, True)]
)
def test_need_a_tool(mock_context, dry, for_reads, stops):
    fx = Effects(mock_context(dry=dry))
    if not stops:
        fx.need("no-such-tool-here", "install it", for_reads)
        return
    with pytest.raises(Exit) as error:
        fx.need("no-such-tool-here", "install it", for_reads)
    assert error.value.message == "no-such-tool-here is not on PATH: install it, then run `invoke doctor`."
