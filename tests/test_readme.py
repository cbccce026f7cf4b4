"""The README's commands run as pasted: every input they name is written by
`tfstyle samples`, and every flag they use exists."""

import re
import sys

from conftest import REPO

sys.path.insert(0, str(REPO))
import main as cli  # noqa: E402

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


def test_every_flag_in_the_readme_exists():
    used = set(re.findall(r"--(\w+)(?==|\s|$)", "\n".join(
        line for line in CODE.splitlines() if "main.py" in line or line.startswith("    --"))))
    known = set(cli.FLAGS) | {"flagfile", "direct_num_workers", "direct_running_mode"}
    assert not used - known, f"README uses unknown flags: {sorted(used - known)}"
