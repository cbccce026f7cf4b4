"""A labelled contact sheet: images in a grid under column headers, beside row
labels. Gatys' comparison grids (`gatys.grid`) and Magenta's 26 styles
(`magenta.transfer.contact_sheet`) lay their results out with it."""

from typing import Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tfstyle.core.errors import ConfigError
from tfstyle.core.image import resize, to_uint8


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # Pillow without FreeType: the bitmap font
        return ImageFont.load_default()


def contact_sheet(rows: Sequence[Sequence[np.ndarray]], row_labels: Optional[Sequence[str]] = None,
                  column_labels: Optional[Sequence[str]] = None, gap: int = 4,
                  font_size: Optional[int] = None) -> np.ndarray:
    """Lays images out in a grid with column headers and row labels.

    Every image is resized to the first one's height (keeping its aspect
    ratio); columns are as wide as their widest image.
    """
    if not rows or not rows[0]:
        raise ConfigError("a contact sheet needs at least one image")
    height = rows[0][0].shape[0]
    tiles = [[resize(im, (height, max(1, round(im.shape[1] * height / im.shape[0]))))
              for im in row] for row in rows]
    ncols = max(len(row) for row in tiles)
    widths = [max(row[c].shape[1] for row in tiles if c < len(row)) for c in range(ncols)]
    size = font_size or max(11, min(24, height // 12))
    font = _font(size)
    # Shrink the text until every header word fits its column.
    while size > 7 and any(font.getbbox(word)[2] > widths[c] - 4
                           for c, label in enumerate(column_labels or ())
                           for word in label.split(" ")):
        size -= 1
        font = _font(size)
    line_h = font.getbbox("Ag_")[3] + 2
    headers = [_wrap(label, font, widths[c]) for c, label in enumerate(column_labels or ())]
    left = (max(font.getbbox(label)[2] for label in row_labels) + 2 * gap) if row_labels else 0
    top = max(len(lines) for lines in headers) * line_h + 4 if headers else 0
    sheet = Image.new("RGB", (left + sum(widths) + gap * (ncols - 1),
                              top + len(tiles) * height + gap * (len(tiles) - 1)), "white")
    draw = ImageDraw.Draw(sheet)
    xs = [left + sum(widths[:c]) + gap * c for c in range(ncols)]
    for c, lines in enumerate(headers):
        for i, line in enumerate(lines):
            _text(draw, (xs[c] + 2, 2 + i * line_h), line, font)
    for r, row in enumerate(tiles):
        y = top + r * (height + gap)
        if row_labels:
            _text(draw, (gap, y + height // 2), row_labels[r], font, anchor="lm")
        for c, tile in enumerate(row):
            sheet.paste(Image.fromarray(to_uint8(tile)), (xs[c], y))
    return np.asarray(sheet, np.float32) / 255.0


def _text(draw, xy, text: str, font, anchor: str = "la"):
    """`text` drawn in black with each character after an underscore moved
    left by its own side bearing: the default font's figures are tabular, so
    "conv1_1" would read "conv1_ 1"."""
    x, y = xy
    pieces = text.split("_")
    for i, piece in enumerate(pieces):
        piece = piece + ("_" if i < len(pieces) - 1 else "")
        if i and piece:
            x -= _ink_offset(piece[0], font)
        draw.text((x, y), piece, fill="black", font=font, anchor=anchor)
        x += font.getlength(piece)


def _ink_offset(char: str, font) -> int:
    """Blank columns before `char`'s first inked one, as the font draws it."""
    probe = Image.new("L", (int(font.getlength(char)) + 4, font.size * 2 if hasattr(
        font, "size") else 32))
    ImageDraw.Draw(probe).text((0, 0), char, fill=255, font=font)
    columns = np.flatnonzero(np.asarray(probe).max(axis=0) > 64)
    return int(columns[0]) if columns.size else 0


def _wrap(text: str, font, width: int) -> list:
    """Splits `text` at spaces into lines no wider than `width` where it can."""
    lines = []
    for word in text.split(" "):
        if lines and font.getbbox(lines[-1] + " " + word)[2] <= width - 4:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines
