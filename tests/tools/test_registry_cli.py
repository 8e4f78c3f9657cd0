"""`voiceassist tools` and `voiceassist tool NAME k=v ... [--json]`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from voiceassist_desktop.assistant.tools import registry
from voiceassist_desktop.assistant.tools.calculators import CALCULATORS
from voiceassist_desktop.cli import cli
from voiceassist_desktop.storage.export import validate


@pytest.fixture
def runner(data_dir):
    return CliRunner()


def test_tools_lists_every_tool_with_its_arguments(runner):
    result = runner.invoke(cli, ["tools"])
    assert result.exit_code == 0, result.output
    for name in CALCULATORS:
        assert name in result.output
    assert "library_search" in result.output
    assert "creatinine_mg_dl=number 0.1..30" in result.output

    listed = runner.invoke(cli, ["tools", "--json"])
    records = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {r["name"] for r in records} == set(CALCULATORS) | {"library_search"}


def test_tool_runs_a_calculator_and_prints_a_valid_record(runner):
    result = runner.invoke(
        cli,
        [
            "tool",
            "cockcroft_gault",
            "age_years=78",
            "sex=female",
            "weight_kg=62",
            "height_cm=160",
            "creatinine_mg_dl=1.4",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    record = json.loads(line)
    validate("ToolCall", record)
    assert record["status"] == "success"
    assert record["arguments"]["age_years"] == 78
    assert isinstance(record["arguments"]["age_years"], int)
    assert record["result"]["result"]["value"] == pytest.approx(27.4, abs=0.05)
    validate("Citation", record["result"]["citations"][0])


def test_tool_prints_the_answer_and_its_reference(runner):
    result = runner.invoke(cli, ["tool", "bmi", "weight_kg=80", "height_cm=175"])
    assert result.exit_code == 0
    assert "Body mass index: 26.1 kg/m²" in result.stdout
    assert "[1] Keys A" in result.stdout


def test_tool_with_an_invalid_value_names_the_field_and_fails(runner):
    result = runner.invoke(cli, ["tool", "bmi", "weight_kg=abc", "height_cm=175"])
    assert result.exit_code == 1
    assert "weight_kg" in result.stdout

    unknown = runner.invoke(cli, ["tool", "no_such_tool"])
    assert unknown.exit_code == 2


@pytest.fixture
def with_changing_tool(monkeypatch):
    """Adds a tool that needs confirmation; no built-in tool does."""
    ran = []
    original = registry.ToolRegistry.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.register(
            registry.Tool(
                name="change_something",
                title="Change something",
                description="Would change data.",
                schema={"type": "object", "properties": {"what": {"type": "string"}}},
                function=lambda arguments: (
                    ran.append(arguments) or registry.ToolOutput({})
                ),
                requires_confirmation=True,
            )
        )

    monkeypatch.setattr(registry.ToolRegistry, "__init__", init)
    return ran


def test_a_tool_that_needs_confirmation_asks_on_the_terminal(
    runner, with_changing_tool
):
    refused = runner.invoke(
        cli, ["tool", "change_something", "what=x", "--json"], input="n\n"
    )
    assert refused.exit_code == 1
    assert "Run Change something?" in refused.output
    record = json.loads(refused.stdout.splitlines()[-1])
    assert record["status"] == "denied"
    assert record["user_confirmed"] is False
    assert with_changing_tool == []

    accepted = runner.invoke(
        cli, ["tool", "change_something", "what=y", "--json"], input="y\n"
    )
    assert accepted.exit_code == 0
    assert with_changing_tool == [{"what": "y"}]

    forced = runner.invoke(cli, ["tool", "change_something", "what=z", "--yes"])
    assert forced.exit_code == 0
    assert "Run Change something?" not in forced.output
    assert with_changing_tool[-1] == {"what": "z"}
