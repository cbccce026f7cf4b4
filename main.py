"""tfstyle's command line, run from a clone: `python main.py --help`.

The same as the `tfstyle` command `pip install` puts on the PATH; the flags
and the runners are in tfstyle/cli/main.py.
"""

from tfstyle.cli.main import FLAGS, as_flags, main, parse_flags, run  # noqa: F401

if __name__ == "__main__":
    run()
