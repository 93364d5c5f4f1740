"""A photo or drawing of one digit, made into a 28×28 MNIST image the way MNIST's were made.

LeCun, Cortes and Burges made MNIST from NIST's scans like this: each digit was scaled to
fit a 20×20 box keeping its aspect ratio (antialiased, hence the grey levels), then placed
in a 28×28 field so that its centre of mass sits at the centre. A network trained on MNIST
reads a picture best when it is prepared the same way, so :func:`mnist_style` does exactly
that, in this order:

1. **Ink is bright.** MNIST has white ink (255) on black (0). The background is the median
   of the picture's border pixels (its outermost rows and columns): if it is light (above
   0.5), the picture is inverted. The background level then becomes 0 and the darkest ink
   1, so grey paper and a soft pencil still give full contrast.
2. **Crop to the digit.** The box holds every pixel at least ``INK_THRESHOLD`` (30%) as
   dark as the darkest ink; fainter specks (paper grain, JPEG ringing) do not widen it.
3. **Strokes as wide as MNIST's.** MNIST's digits were written with pens of a similar
   width: measured at the final size, half of them have strokes from 2.1 to 3.0 pixels wide
   (the quartiles over the 60,000 training digits). A bold font or a marker gives strokes
   twice as wide, which a network trained on MNIST has hardly seen (a thick "1" reads as a
   2 or a 3). Strokes outside that range are thinned or thickened, a pixel at a time with
   the digit at four times its final size, to the nearest end of it; strokes inside it
   (half of MNIST's own digits, most handwriting) are left alone.
4. **Fit into 20×20.** The longer side becomes 20 pixels, the other in proportion; each new
   pixel is the average of the area of the picture it covers (antialiased, never aliased).
5. **Centre by mass in 28×28.** The digit is moved (by whole pixels) so that its centre of
   mass is at row 14, column 14 — where MNIST's own digits have theirs (on average 14.0 and
   14.0, ±0.3) — unless that would push ink off the field.
6. **uint8 like MNIST:** 0 to 255, the brightest pixel 255.

:func:`read_image` decodes a PNG or JPEG file of any size and mode (greyscale, RGB, RGBA,
palette, 16-bit; a JPEG's EXIF rotation is applied) into greyscale floats with Pillow.
Everything after decoding is plain NumPy, so it can be tested on arrays.
"""

from __future__ import annotations

import math
import os
import warnings
import zlib

import numpy as np

from demos.common import open_input

__all__ = [
    "BlankImageError",
    "ImageError",
    "load_digit",
    "mnist_style",
    "read_image",
]

FIELD = 28
"""MNIST's images are FIELD × FIELD pixels."""
BOX = 20
"""The digit is scaled to fit a BOX × BOX square inside the field."""
STROKE_WIDTHS = (2.1, 3.0)
"""The quartiles of the widths, in pixels, of MNIST's strokes (see :func:`stroke_width`):
the strokes of half of its training digits are within this range."""
WORK_BOX = 4 * BOX
"""Strokes are thinned or thickened with the digit at this size, four times the final one."""
CENTRE = 14.0
"""Row and column (pixel indices 0..27) of the centre of mass of an MNIST digit."""
INK_THRESHOLD = 0.3
"""Pixels at least this fraction of the full ink level count for the bounding box."""
MIN_CONTRAST = 0.1
"""A picture whose pixels all lie within this of its background (0 to 1) holds no digit."""
MAX_PIXELS = 50_000_000
"""Pictures with more pixels than this (a 50-megapixel photo) are refused before decoding."""
DECODED_SIDE = 2000
"""JPEGs larger than this on their longer side are decoded at a reduced size (Pillow's
``draft``: 1/2, 1/4 or 1/8, never below this), so a phone photo decodes quickly."""
FORMATS = ("PNG", "JPEG")
"""The file formats read: Pillow is asked to decode these only."""


class ImageError(ValueError):
    """A file that cannot be read as a picture of a digit; the message names it, in one line."""


class BlankImageError(ImageError):
    """A picture with no ink: every pixel is (nearly) the background."""


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """The picture in the PNG or JPEG file ``path`` as greyscale floats, 0 black to 1 white.

    Colours become grey with the ITU-R 601 weights (0.299 R + 0.587 G + 0.114 B, as Pillow's
    "L" mode). A transparent picture is laid on a background that contrasts with its visible
    pixels (white under dark strokes, black under light ones), so a digit drawn on a
    transparent canvas reads either way. 16-bit pictures keep their precision.

    The file is opened as a regular file only (a FIFO, device or directory is refused
    without blocking), and its size is checked from the header before any pixel is decoded.

    Raises:
        ImageError: ``path`` is missing, a directory or other non-file, unreadable, not a PNG
            or JPEG, damaged or truncated, or larger than ``MAX_PIXELS``. The message names
            the file.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError  # Pillow: the demos' extra

    file = open_input(path, error=ImageError, expected="a PNG or JPEG file", who="read_image")
    with file, warnings.catch_warnings():
        # Pillow warns (and past twice its limit refuses) at open time for huge pictures.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(file, formats=FORMATS) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ImageError(too_large(path, width, height))
                # A JPEG can be decoded at 1/2, 1/4 or 1/8 of its size, in grey, at a
                # fraction of the cost: a photo needs no more than DECODED_SIDE pixels.
                scale = min(1.0, DECODED_SIDE / max(width, height))
                image.draft("L", (math.ceil(width * scale), math.ceil(height * scale)))
                image.load()
                upright = ImageOps.exif_transpose(image)  # phones store photos turned
                return greyscale(upright)
        except ImageError:
            raise
        except UnidentifiedImageError:
            raise ImageError(f"{path}: not a PNG or JPEG image") from None
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ImageError(too_large(path)) from None
        except (OSError, ValueError, SyntaxError, EOFError, zlib.error) as error:
            raise ImageError(f"{path}: cannot decode it (damaged or truncated?): {error}") from None


def too_large(path: str | os.PathLike[str], width: int = 0, height: int = 0) -> str:
    """The message for a picture of more than ``MAX_PIXELS`` pixels."""
    size = f" is {width}×{height} pixels," if width else " has"
    return (
        f"{path}:{size} more than the {MAX_PIXELS:,} pixels read here; "
        "scale it down (a digit needs a few hundred pixels a side at most)"
    )


def greyscale(image) -> np.ndarray:  # image: PIL.Image.Image, imported lazily
    """A decoded Pillow image as a 2-D float32 array, 0 black to 1 white (see read_image)."""
    if image.mode.startswith("I"):  # 16-bit greyscale ("I;16") or 32-bit integers ("I")
        return np.clip(np.asarray(image, dtype=np.float32) / 65535, 0, 1)
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        grey_alpha = np.asarray(image.convert("RGBA").convert("LA"), dtype=np.float32) / 255
        return over_contrasting_background(grey_alpha[..., 0], grey_alpha[..., 1])
    return np.divide(np.asarray(image.convert("L")), 255, dtype=np.float32)


def over_contrasting_background(grey: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``grey`` with opacity ``alpha`` (both 0..1) laid on white if its visible pixels are
    dark on average, on black if they are light. A fully opaque picture is returned as is;
    a fully transparent one is all background (white).
    """
    if alpha.min() >= 1:
        return grey
    visible = float(alpha.sum())
    dark_ink = visible == 0 or float((grey * alpha).sum()) / visible < 0.5
    background = 1.0 if dark_ink else 0.0
    return alpha * grey + (1 - alpha) * background


def mnist_style(
    grey: np.ndarray,
    *,
    name: str = "the image",
    stroke_widths: tuple[float, float] | None = STROKE_WIDTHS,
) -> np.ndarray:
    """A greyscale picture (2-D, floats 0..1, any size) as a 28×28 uint8 MNIST digit.

    The steps (see the module's docstring): invert if the border is light, stretch to full
    contrast, crop to the ink, bring the strokes within ``stroke_widths`` pixels (narrowest,
    widest) at the final size (None: keep them as drawn), fit into 20×20 keeping the aspect
    ratio (area-averaged), centre by mass at (14, 14) in 28×28, scale to 0..255. ``name``
    names the picture in errors.

    Raises:
        BlankImageError: no pixel differs from the background by ``MIN_CONTRAST`` or more.
        ValueError: ``grey`` is not a non-empty 2-D array of finite numbers.
    """
    grey = np.asarray(grey, dtype=np.float32)
    if grey.ndim != 2 or grey.size == 0 or not np.isfinite(grey).all():
        raise ValueError(
            f"mnist_style: expected a non-empty 2-D array of finite greys, got shape "
            f"{grey.shape}; read a file with read_image"
        )
    ink = ink_on_black(grey, name=name)
    digit = crop(ink)
    if stroke_widths is not None:
        digit = within_stroke_widths(digit, *stroke_widths)
    fitted = fit(digit, BOX)
    fitted /= fitted.max()  # MNIST's digits all reach full ink (255)
    field = centre_by_mass(fitted)
    return np.rint(field * 255).astype(np.uint8)


def crop(ink: np.ndarray) -> np.ndarray:
    """The part of ``ink`` inside its :func:`bounding_box`."""
    top, bottom, left, right = bounding_box(ink)
    return ink[top:bottom, left:right]


def fit(image: np.ndarray, box: int) -> np.ndarray:
    """``image`` resized (:func:`resize_area`) so its longer side is ``box`` pixels."""
    height, width = image.shape
    scale = box / max(height, width)
    return resize_area(image, max(1, round(height * scale)), max(1, round(width * scale)))


def ink_on_black(grey: np.ndarray, *, name: str = "the image") -> np.ndarray:
    """How much ink each pixel holds, 0 (background) to 1 (the darkest stroke).

    The background is the median of the border pixels; a light one (above 0.5) means dark
    ink, so the picture is inverted. Pixels on the far side of the background (lighter than
    the paper) count as no ink.

    Raises:
        BlankImageError: nothing differs from the background by ``MIN_CONTRAST``.
    """
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    if background > 0.5:  # a light background: dark ink on paper
        ink, background = 1 - grey, 1 - background
    else:
        ink = grey.copy()
    contrast = float(ink.max()) - background
    if contrast < MIN_CONTRAST:
        raise BlankImageError(
            f"{name}: no digit found: every pixel is within {contrast:.0%} of the background "
            f"(at least {MIN_CONTRAST:.0%} is needed); is the picture blank?"
        )
    ink -= background  # in place: a photo's array is large
    ink /= contrast
    return np.clip(ink, 0, 1, out=ink)


def bounding_box(ink: np.ndarray) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)``, ends excluded, of the pixels with at least
    ``INK_THRESHOLD`` of the ink (``ink`` peaks at 1, so there is at least one).
    """
    rows = np.flatnonzero((ink >= INK_THRESHOLD).any(axis=1))
    columns = np.flatnonzero((ink >= INK_THRESHOLD).any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1


def resize_area(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` resampled to ``height`` × ``width``, each new pixel the mean of the area
    it covers: ``R @ image @ C.T`` with overlap-weight matrices R and C (no aliasing when
    shrinking; pixels are repeated when growing).
    """
    rows = area_weights(image.shape[0], height)
    columns = area_weights(image.shape[1], width)
    return (rows.astype(np.float32) @ image @ columns.T.astype(np.float32)).astype(np.float32)


def area_weights(size_in: int, size_out: int) -> np.ndarray:
    """A (size_out, size_in) matrix: row i holds the share of output pixel i's span
    ``[i, i+1) · size_in / size_out`` that each input pixel ``[j, j+1)`` covers (rows sum to 1).
    """
    edges = np.arange(size_out + 1) * (size_in / size_out)
    pixels = np.arange(size_in)
    overlap = np.minimum(edges[1:, None], pixels + 1) - np.maximum(edges[:-1, None], pixels)
    weights = np.clip(overlap, 0, None)
    return weights / weights.sum(axis=1, keepdims=True)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass, in pixel indices."""
    total = float(image.sum())
    row = float(image.sum(axis=1) @ np.arange(image.shape[0])) / total
    column = float(image.sum(axis=0) @ np.arange(image.shape[1])) / total
    return row, column


def centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """``digit`` (at most 28×28) placed in a 28×28 field with its centre of mass at
    (14, 14), to the nearest pixel — or as near as it gets with all of the digit inside.
    """
    height, width = digit.shape
    row, column = centre_of_mass(digit)
    top = min(max(round(CENTRE - row), 0), FIELD - height)
    left = min(max(round(CENTRE - column), 0), FIELD - width)
    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    field[top : top + height, left : left + width] = digit
    return field


def load_digit(path: str | os.PathLike[str]) -> np.ndarray:
    """The digit pictured in the PNG or JPEG file ``path``, as a 28×28 uint8 MNIST image.

    Raises:
        ImageError: see :func:`read_image`; BlankImageError when the picture has no ink.
    """
    return mnist_style(read_image(path), name=str(path))


def stroke_width(ink: np.ndarray) -> float:
    """The mean width of the strokes in ``ink`` (0..1, ink bright), in pixels: 2 · area /
    outline length. A stroke of width w and length L has area wL and an outline about 2L
    long; the outline is measured as the total variation (the sum of |differences| between
    neighbouring pixels, the picture taken to be surrounded by background), which counts a
    curve's length 4/π times on average. Over MNIST's training digits (28×28) this gives
    2.5 pixels (the median; 2.1 to 3.0 for half of them, 1.8 to 3.5 for 80%).
    """
    framed = np.pad(ink / ink.max(), 1)
    area = float(framed.sum())
    variation = float(np.abs(np.diff(framed, axis=0)).sum() + np.abs(np.diff(framed, axis=1)).sum())
    return 2 * area / (variation * np.pi / 4)


def within_stroke_widths(digit: np.ndarray, narrowest: float, widest: float) -> np.ndarray:
    """``digit`` (ink bright, cropped) as it is if its strokes, measured once it is fitted to
    ``BOX``, are ``narrowest`` to ``widest`` pixels wide; else at ``WORK_BOX`` size with its
    strokes made as near the nearer of the two as whole steps get them (cropped).
    """
    width = stroke_width(fit(digit, BOX))
    if narrowest <= width <= widest:
        return digit
    return with_stroke_width(fit(digit, WORK_BOX), narrowest if width < narrowest else widest)


def with_stroke_width(digit: np.ndarray, width: float) -> np.ndarray:
    """``digit`` (ink bright, cropped, at ``WORK_BOX`` size) with its strokes thinned or
    thickened until, once fitted to ``BOX``, they are as near ``width`` pixels wide as whole
    steps get them; returned cropped.

    A step of grey-level erosion (each pixel becomes the minimum over its neighbours) takes
    a pixel off both sides of every stroke; a step of dilation (the maximum) adds one. The
    neighbourhood alternates between a plus and a 3×3 square, so that round shapes stay
    nearly round. Stepping stops as soon as a step brings the width no nearer, or before
    the ink would vanish.
    """

    def error(image: np.ndarray) -> float:
        return abs(stroke_width(fit(image, BOX)) - width)

    thicken = stroke_width(fit(digit, BOX)) < width
    reduce = np.maximum if thicken else np.minimum
    best, best_error = digit, error(digit)
    image = digit
    for step in range(WORK_BOX // 4):
        image = neighbourhood(np.pad(image, 1) if thicken else image, reduce, square=step % 2 == 1)
        if image.max() < INK_THRESHOLD:
            break
        candidate = crop(image / image.max())
        candidate_error = error(candidate)
        if candidate_error >= best_error:
            break
        best, best_error = candidate, candidate_error
    return best


def neighbourhood(image: np.ndarray, reduce: np.ufunc, *, square: bool) -> np.ndarray:
    """``reduce`` (np.minimum or np.maximum) of each pixel and its 4 neighbours (a plus), or
    its 8 (a 3×3 square); outside the image is background (0).
    """
    height, width = image.shape
    padded = np.pad(image, 1)
    offsets = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]
    if square:
        offsets += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    shifted = [padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width] for dy, dx in offsets]
    return reduce.reduce(shifted)
