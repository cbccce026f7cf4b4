"""tfstyle's command line, run from a clone: `python main.py --help`.

The same as the `tfstyle` command `pip install` puts on the PATH
(tfstyle/cli/main.py): `python main.py <command> [flags]`, and the old
`python main.py --mode=NAME [flags]` spelling.
"""

from tfstyle.cli.main import main, run  # noqa: F401

if __name__ == "__main__":
    run()
