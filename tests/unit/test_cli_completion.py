"""``flow completion`` scripts and click's completion protocol behind them."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from fate_lineage.cli.main import flow


@pytest.mark.parametrize(
    ("shell", "markers"),
    [
        pytest.param(
            "bash",
            [
                "_flow_completion() {",
                "_FLOW_COMPLETE=bash_complete",
                "complete -o nosort -F _flow_completion flow",
            ],
            id="bash",
        ),
        pytest.param(
            "zsh",
            [
                "#compdef flow",
                "_FLOW_COMPLETE=zsh_complete",
                "compdef _flow_completion",
            ],
            id="zsh",
        ),
        pytest.param(
            "fish",
            ["_FLOW_COMPLETE=fish_complete", "complete --no-files --command flow"],
            id="fish",
        ),
    ],
)
def test_completion_prints_script(shell: str, markers: list[str]) -> None:
    result = CliRunner().invoke(flow, ["completion", shell])

    assert result.exit_code == 0, result.output
    for marker in markers:
        assert marker in result.output


def test_completion_rejects_unknown_shell() -> None:
    result = CliRunner().invoke(flow, ["completion", "tcsh"])

    assert result.exit_code == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in result.output


def bash_candidates(words: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run flow as the bash script does and return the plain candidates."""
    monkeypatch.delenv("FATE_LINEAGE_FLOW_FORMAT", raising=False)
    parts = words.split(" ")
    environment = {
        "_FLOW_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
    }

    result = CliRunner().invoke(flow, [], env=environment, prog_name="flow")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(line.startswith("plain,") for line in lines), lines
    return [line.removeprefix("plain,") for line in lines]


@pytest.mark.parametrize(
    ("words", "candidates"),
    [
        pytest.param("flow ta", ["table"], id="group"),
        pytest.param("flow tracking ", ["output-data-table", "report"], id="commands"),
        pytest.param("flow resource task-", ["task-apply", "task-return"], id="prefix"),
        pytest.param("flow --format ", ["json", "table"], id="group-format"),
        pytest.param(
            "flow table lineage --format ",
            ["json", "table", "dot", "mermaid"],
            id="lineage-format",
        ),
        pytest.param(
            "flow table lineage --direction d", ["down"], id="lineage-direction"
        ),
        pytest.param(
            "flow job update -s ",
            ["waiting", "running", "success", "failed", "canceled"],
            id="job-status",
        ),
        pytest.param("flow completion ", ["bash", "zsh", "fish"], id="shells"),
        pytest.param("flow table info --n", ["--namespace"], id="option-name"),
    ],
)
def test_bash_completion_candidates(
    monkeypatch: pytest.MonkeyPatch, words: str, candidates: list[str]
) -> None:
    assert bash_candidates(words, monkeypatch) == candidates


def test_bash_completion_lists_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    candidates = bash_candidates("flow ", monkeypatch)

    assert candidates == sorted(flow.commands)


def test_bash_completion_offers_files_for_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environment = {
        "_FLOW_COMPLETE": "bash_complete",
        "COMP_WORDS": "flow job submit -d ",
        "COMP_CWORD": "4",
    }

    result = CliRunner().invoke(flow, [], env=environment, prog_name="flow")

    assert result.output.splitlines() == ["file,"]
