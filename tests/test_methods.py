"""The registry drives the command line: every command's help, flags,
defaults and refusals come from its config's declaration."""

import contextlib
import dataclasses
import io

import pytest

from tfstyle import methods
from tfstyle.cli import main as cli
from tfstyle.cli.run import Run
from tfstyle.core.options import fields_of

FLAG_COMMANDS = [c for c in methods.COMMANDS if not c.raw]


def call(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["tfstyle", *args])
    return code, out.getvalue(), err.getvalue()


def test_top_level_help_lists_every_command_on_one_line():
    code, out, _ = call("--help")
    assert code == 0
    for command in methods.COMMANDS:
        lines = [line for line in out.splitlines() if line.strip().startswith(command.name + " ")]
        assert len(lines) == 1 and command.summary in lines[0], command.name


def test_a_bare_command_lists_the_commands_and_starts_nothing():
    code, out, err = call()
    assert code == 2 and not out
    assert all(c.name in err for c in methods.COMMANDS) and "usage:" in err


@pytest.mark.parametrize("command", methods.COMMANDS, ids=lambda c: c.name)
def test_every_command_has_its_own_help(command):
    code, out, err = call(command.name, "--help")
    assert code == 0 and not err
    assert out.startswith(f"usage: tfstyle {command.name}")
    if command.raw:
        return
    shown = {line.split()[0].replace("--[no]", "--") for line in out.splitlines()
             if line.startswith("  --")}
    own = {f"--{f.name}" for f in cli.command_fields(command)}
    assert shown - {"--flagfile=FILE"} == own  # its flags, no other command's


@pytest.mark.parametrize("command", FLAG_COMMANDS, ids=lambda c: c.name)
def test_every_config_field_is_a_flag_with_the_fields_default(command):
    values = cli.flag_values(command)
    fields = {f.name: f for f in cli.command_fields(command)}
    config_fields = [f for f in dataclasses.fields(command.config) if f.name not in command.skip]
    for f in config_fields:
        assert f.name in values, f"{command.name}: {f.name} has no flag"
    # Parsing no flags gives the config's own defaults, field by field.
    values([cli.PROG])
    run, parsed = cli.parse(command, [])
    config = parsed.config if command.method else parsed
    assert config == command.config()
    for name in command.inputs:
        default = command.defaults.get(name, fields[name].default)
        assert values[name].value == default
        assert getattr(run, name) == fields[name].to_value(default)
    own = {f.name for f in command.load("recipe").inputs()} if command.method else set()
    assert {f.name for f in config_fields} | set(command.inputs) | {"verbose"} | own == \
        set(fields)


def test_every_field_has_help_and_every_run_input_is_used():
    used = {name for c in FLAG_COMMANDS for name in c.inputs} | {"verbose"}
    assert used == {f.name for f in fields_of(Run)}
    for command in FLAG_COMMANDS:
        for f in cli.command_fields(command):
            assert len(f.help) > 10, (command.name, f.name)


@pytest.mark.parametrize("args, expected", [
    (("photoreal", "--steps=3"), "`tfstyle photoreal` has no flag --steps (it belongs to "),
    (("transfer", "--stpes=3"), "`tfstyle transfer` has no flag --stpes; closest: --steps"),
    (("multistyle", "--style=x.png"), "`tfstyle multistyle` has no flag --style"),
    (("texture", "--tile_size=256"), "`tfstyle texture` has no flag --tile_size"),
    (("paint",), "unknown command 'paint'"),
    (("--mode=painting",), "--mode must be one of"),
    (("adain", "--mode=photoreal"), "--mode=photoreal names another command than `adain`"),
    (("transfer", "extra"), "unexpected arguments 'extra'"),
])
def test_a_flag_the_command_does_not_take_is_one_line(args, expected):
    code, out, err = call(*args)
    assert code == 2 and not out
    assert err.count("\n") == 1 and err.startswith("error: ") and expected in err, err


def test_mode_alias_picks_the_same_command_as_the_subcommand(tmp_path):
    for mode, command in methods.BY_MODE.items():
        picked, rest = cli._take_mode(["--size=64", f"--mode={mode}"], None)
        assert picked is command and rest == ["--size=64"]
        picked, _ = cli._take_mode(["--mode", mode], None)
        assert picked is command
    flagfile = tmp_path / "mode.cfg"
    flagfile.write_text("--mode=multistyle\n--strength=0.5\n")
    run, recipe = cli.parse(*cli._take_mode(cli._expand([f"--flagfile={flagfile}"]), None))
    assert run.command == "multistyle" and recipe.config.strength == 0.5


def test_field_names_in_errors_become_the_commands_flags():
    arbitrary = methods.command("arbitrary")
    assert cli.as_flags("`size` must be >= 16; `beta` stays", arbitrary) == \
        "--size must be >= 16; `beta` stays"
    code, _, err = call("arbitrary", "--interpolation_weight=2")
    assert code == 1 and err.startswith("error: --interpolation_weight must be in [0, 1]")
