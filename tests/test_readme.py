"""The README's commands run as pasted: every input they name is written by
`tfstyle samples`, and every flag they use exists."""

import re

from conftest import REPO


README = (REPO / "README.md").read_text()
CODE = "\n".join(re.findall(r"```(?:bash|python)\n(.*?)```", README, re.S))


def test_every_sample_path_is_written(tmp_path):
    from tfstyle.core.samples import write_samples

    folder = write_samples(tmp_path / "samples")
    named = set(re.findall(r"samples/([\w./]+?)(?=[\s\"',)\]]|$)", CODE))
    assert named, "the README names no sample file"
    missing = [name for name in named if not (folder / name.rstrip("/")).exists()]
    assert not missing, f"README names samples that `tfstyle samples` does not write: {missing}"
    assert write_samples(folder) == folder  # a second run keeps the files


def test_every_command_line_in_the_readme_parses():
    """Each `tfstyle ...` / `python main.py ...` line of the README is parsed
    as its command (no file is read, nothing runs): every command and flag
    it uses exists for that command."""
    import shlex

    from tfstyle.cli import main as cli_main

    text = re.sub(r"\\\n\s*", " ", CODE)
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    lines = [line[line.index(p):] for line in lines for p in ("tfstyle ", "python main.py ")
             if p in line and "pip install" not in line]
    assert len(lines) >= 8, "the README shows too few command lines"
    for line in lines:
        words = [w for w in shlex.split(line) if w not in ("tfstyle", "python", "main.py")]
        words = [w for w in words if not w.startswith("--flagfile")]
        picked, rest = cli_main._pick_command(words)
        if picked is not None and picked.raw:
            continue
        command, rest = cli_main._take_mode(rest, picked)
        command = command or cli_main.methods.BY_NAME["transfer"]
        values = cli_main.flag_values(command)
        values([cli_main.PROG] + [w for w in rest if not w.startswith("--direct_")])
