"""Every operator command explains itself with --help."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from crm import cli

runner = CliRunner()


@pytest.mark.parametrize(
    "command",
    [["seed"], ["status"], ["dlq"], ["dlq", "list"], ["dlq", "show"], ["dlq", "replay"], ["dlq", "purge"]],
)
def test_each_command_has_help(command):
    result = runner.invoke(cli.app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output
    assert "--help" in result.output
