"""Every preset in presets/ is flags its command takes, with values it accepts."""

import pathlib

import pytest

from tfstyle import methods
from tfstyle.cli import main

PRESETS = sorted((pathlib.Path(__file__).parent.parent / "presets").glob("*.cfg"))


def test_the_presets_are_there():
    assert {p.name for p in PRESETS} >= {"quick.cfg", "paper.cfg", "fast.cfg", "infrared.cfg"}


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
def test_a_preset_parses_as_its_command(preset):
    command = methods.BY_NAME["infrared" if preset.stem == "infrared" else "transfer"]
    args = main._expand([f"--flagfile={preset}"])
    command, args = main._take_mode(args, command)
    run, recipe = main.parse(command, args)
    config = recipe.config
    names = {a[2:].split("=", 1)[0] for a in args}
    given = {n[2:] if n.startswith("no") and n[2:] in run.present else n for n in names}
    assert given and given <= run.present  # every line of it is a flag that was set
    if preset.stem == "fast":
        assert (config.scales, config.coarse_steps, config.steps) == ((256,), 100, 150)

