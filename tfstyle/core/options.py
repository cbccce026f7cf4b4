"""A setting declared once: a dataclass field that carries its own help.

Every config of tfstyle is a frozen dataclass whose fields are made with
`option`. From that one declaration come the API keyword (the field), its
validation (the class's ``__post_init__``), and on the command line the
flag: its name, kind, default and help (`fields_of`, read by tfstyle.cli).

    @dataclasses.dataclass(frozen=True)
    class Config:
        size: Optional[int] = option(512, "Long side of the output in pixels; 0: the "
                                     "content's own size.")

A field's flag has the field's name. Its kind follows the annotation:
bool, int, float, str (an enum with `choices`), a tuple of numbers or words (a
comma-separated list), Optional[int] (0 on the command line means None). A
field whose value a user writes as text (layer lists, 'auto') says so with
`text=`, the flag's default as written; the config parses the text itself.
"""

import dataclasses
import difflib
import numbers
import typing
from typing import Any, Callable, Optional, Sequence, Tuple

from tfstyle.core.color import PRESERVE_COLOR
from tfstyle.core.errors import ConfigError

_HELP, _CHOICES, _TEXT, _REPEAT = "tfstyle.help", "tfstyle.choices", "tfstyle.text", "tfstyle.repeat"


def option(default: Any, help: str, *, choices: Optional[Sequence[str]] = None,
           text: Optional[str] = None, repeat: bool = False) -> Any:
    """A dataclass field with its help (one line or a few sentences), the
    values it may take (`choices`), for values written as text the text of
    its default, and whether the flag is repeated for several values (file
    paths, which may hold commas) rather than comma-separated."""
    return dataclasses.field(default=default, metadata={
        _HELP: help, _CHOICES: tuple(choices) if choices else None, _TEXT: text,
        _REPEAT: repeat})


def default_of(cls, name: str, default: Any) -> Any:
    """`cls`'s field `name` declared again with another default (its help kept):
    a subclass's own default for a shared setting."""
    meta = next(f.metadata for f in dataclasses.fields(cls) if f.name == name)
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(frozen=True)
class Field:
    """One setting as the command line sees it."""
    name: str
    kind: str                  # bool, int, optional_int, float, enum, text, floats, ints, words, multi
    default: Any               # the flag's default (as the flag holds it)
    help: str
    choices: Optional[Tuple[str, ...]] = None
    owner: str = ""            # the dataclass that declares it

    def to_value(self, flag_value):
        """The flag's value as the field takes it."""
        if self.kind == "optional_int":
            return flag_value or None
        if self.kind in ("floats", "ints"):
            return parse_numbers(self.name, flag_value or (), float if self.kind == "floats"
                                 else int)
        if self.kind in ("words", "multi"):
            return tuple(flag_value or ())
        return flag_value


def _kind(name: str, hint, default, meta) -> str:
    if meta.get(_REPEAT):
        return "multi"
    if meta.get(_TEXT) is not None:
        return "text"
    if meta.get(_CHOICES):
        return "enum"
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin is typing.Union and type(None) in args:
        inner = [a for a in args if a is not type(None)][0]
        if inner is int:
            return "optional_int"
        if inner is str:
            return "text"
        hint, args, origin = inner, typing.get_args(inner), typing.get_origin(inner)
    if hint is bool:
        return "bool"
    if hint is int:
        return "int"
    if hint is float:
        return "float"
    if hint is str:
        return "text"
    if origin in (tuple, Tuple) and args:
        inner = args[0]
        if inner is float:
            return "floats"
        if inner is int:
            return "ints"
        if inner is str or typing.get_origin(inner) is typing.Union:
            return "words"
    raise TypeError(f"{name}: no flag kind for {hint!r}")


def _flag_default(kind: str, default, meta):
    if kind == "text":
        return meta[_TEXT] if meta.get(_TEXT) is not None else default
    if kind == "optional_int":
        return default or 0
    if kind == "multi":
        return list(default) or None
    if kind in ("floats", "ints", "words"):
        return [f"{v:g}" if isinstance(v, float) else str(v) for v in default or ()]
    return default


def fields_of(cls) -> Tuple[Field, ...]:
    """Every `option` field of the dataclass `cls`, in declaration order."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        if _HELP not in f.metadata:
            raise TypeError(f"{cls.__name__}.{f.name} has no help: declare it with option()")
        meta = f.metadata
        kind = _kind(f.name, hints[f.name], f.default, meta)
        out.append(Field(f.name, kind, _flag_default(kind, f.default, meta), meta[_HELP],
                         meta.get(_CHOICES), cls.__name__))
    return tuple(out)


def parse_numbers(name: str, values: Sequence, kind: Callable = float) -> tuple:
    """['0.7', '0.3'] -> (0.7, 0.3); an error names the field."""
    try:
        return tuple(kind(v) for v in values)
    except (TypeError, ValueError):
        what = "integers" if kind is int else "numbers"
        raise ConfigError(f"`{name}` must be comma-separated {what}, got "
                          f"{','.join(str(v) for v in values)!r}") from None


def is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


# Every method resizes to at least four 2x poolings' worth of pixels.
MIN_SIZE = 16


def check_size(name: str, value, allow_none: bool = True):
    """A long side in pixels: an integer >= MIN_SIZE (None: the image's own size)."""
    if value is None and allow_none:
        return
    if not is_int(value) or value < MIN_SIZE:
        raise ConfigError(f"`{name}` must be an integer >= {MIN_SIZE} pixels (0 or None: the "
                          f"image's own size), got {value!r}")


def check_unit(name: str, value):
    """A weight in [0, 1]."""
    if not (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and 0.0 <= value <= 1.0):
        raise ConfigError(f"`{name}` must be in [0, 1], got {value!r}")


def check_choice(name: str, value, choices: Sequence[str]):
    if value not in choices:
        raise ConfigError(f"`{name}` must be one of {', '.join(choices)}, got {value!r}")


def blend_weights(blend: Sequence[float], count: int, name: str = "style_blend") -> tuple:
    """Relative weights of `count` styles normalized to sum to 1 (empty: equal)."""
    if not blend:
        return (1.0 / count,) * count
    if len(blend) != count:
        raise ConfigError(f"`{name}` has {len(blend)} weights for {count} styles")
    total = sum(blend)
    return tuple(w / total for w in blend)


def check_blend(name: str, blend) -> tuple:
    """`blend` as a tuple of weights >= 0 with a positive sum (or empty)."""
    import math

    blend = (blend,) if isinstance(blend, numbers.Real) else tuple(blend)
    if not all(isinstance(w, numbers.Real) and math.isfinite(w) and w >= 0 for w in blend) \
            or (blend and sum(blend) <= 0):
        raise ConfigError(f"`{name}` must be weights >= 0 with a positive sum, got {blend!r}")
    return tuple(float(w) for w in blend)


def settings_of(config) -> dict:
    """A config as JSON values (tuples as lists), for records and manifests."""
    def plain(value):
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        return value

    return {f.name: plain(getattr(config, f.name)) for f in dataclasses.fields(config)}


@dataclasses.dataclass(frozen=True)
class FeedForwardControls:
    """What the one-pass methods (AdaIN, Magenta's arbitrary network) share:
    several styles, colour, sizes. A method's config adds its own trade-off."""

    style_blend: Tuple[float, ...] = option(
        (), "Relative weights of several styles, e.g. 0.7,0.3 (default: equal).")
    preserve_color: str = option("none", "Keep the content's colours: luminance or histogram "
                                 "(matched before encoding).", choices=PRESERVE_COLOR)
    size: Optional[int] = option(512, "Long side of the content and output in pixels (0 or "
                                 "None: the content's own size).")
    style_size: Optional[int] = option(512, "Long side the styles are encoded at (0 or None: "
                                       "their own size).")

    def __post_init__(self):
        object.__setattr__(self, "style_blend", check_blend("style_blend", self.style_blend))
        check_choice("preserve_color", self.preserve_color, PRESERVE_COLOR)
        check_size("size", self.size)
        check_size("style_size", self.style_size)

    def blend_weights(self, count: int) -> Tuple[float, ...]:
        """`style_blend` for `count` styles, normalized to sum to 1 (empty: equal)."""
        return blend_weights(self.style_blend, count)

    def to_dict(self) -> dict:
        return settings_of(self)


def configure(cls, config=None, overrides=None):
    """`config` (an instance of `cls`, or None for its defaults) with
    `overrides` applied: the one way every method builds its settings."""
    if config is not None and not isinstance(config, cls):
        raise ConfigError(f"config must be a {cls.__name__}, got {type(config).__name__}")
    config = config if config is not None else cls()
    if not overrides:
        return config
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        close = difflib.get_close_matches(unknown[0], names, 1)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        raise ConfigError(f"{cls.__name__} has no setting `{unknown[0]}`{hint}")
    return dataclasses.replace(config, **overrides)
