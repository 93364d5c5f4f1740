"""demos.digits: a picture of a digit made into a 28×28 MNIST image as MNIST's were made.

The shapes are drawn here with NumPy (a ring, a "7", bars) and, for the file tests, saved
with Pillow in every mode a PNG or JPEG can have.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from demos import digits
from demos.digits import BlankImageError, ImageError, load_digit, mnist_style, read_image


def ring(
    height: int = 240,
    width: int = 320,
    centre: tuple[float, float] = (120, 160),
    radius: float = 70,
    thickness: float = 14,
    squash: float = 1.3,
) -> np.ndarray:
    """Ink (1) of a ring on background (0): an "0"-like shape, ``squash`` times taller than
    wide."""
    rows, columns = np.mgrid[:height, :width]
    distance = np.hypot(rows - centre[0], (columns - centre[1]) * squash)
    return (np.abs(distance - radius) <= thickness / 2).astype(np.float32)


def seven(
    height: int = 200, width: int = 200, top: int = 30, left: int = 40, stroke: int = 20
) -> np.ndarray:
    """Ink of a "7": a bar along the top and a slanted stroke ``stroke`` pixels across down
    from its right end. Its centre of mass is far from its bounding box's centre."""
    ink = np.zeros((height, width), dtype=np.float32)
    ink[top : top + 12, left : left + 110] = 1
    for row in range(top, top + 130):
        column = left + 110 - (row - top) * 0.5
        ink[row, int(column) - stroke : int(column)] = 1
    return ink


def on_paper(ink: np.ndarray, paper: float = 1.0, dark: float = 0.0) -> np.ndarray:
    """Greys: ``dark`` ink on ``paper`` (white paper and black ink by default)."""
    return paper + (dark - paper) * ink


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    weights = image.astype(np.float64)
    rows, columns = np.mgrid[: image.shape[0], : image.shape[1]]
    return (rows * weights).sum() / weights.sum(), (columns * weights).sum() / weights.sum()


def ink_box(image: np.ndarray) -> tuple[int, int]:
    """Height and width of the box holding the nonzero pixels."""
    rows = np.flatnonzero(image.any(axis=1))
    columns = np.flatnonzero(image.any(axis=0))
    return rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1


# ---------------------------------------------------------------- arrays: the five steps


def test_the_result_is_a_28x28_uint8_image_from_0_to_255() -> None:
    image = mnist_style(on_paper(ring()))
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert image.min() == 0 and image.max() == 255


def test_dark_ink_on_light_paper_is_inverted_to_bright_ink_on_black() -> None:
    dark_on_light = mnist_style(on_paper(ring()))
    light_on_dark = mnist_style(on_paper(ring(), paper=0.0, dark=1.0))
    np.testing.assert_array_equal(dark_on_light, light_on_dark)
    # MNIST's convention: the background is 0, the ring's inside too.
    assert dark_on_light[0].max() == 0 and dark_on_light[14, 14] == 0


def test_grey_paper_and_faded_ink_give_the_digit_at_full_contrast() -> None:
    crisp = mnist_style(on_paper(ring()))
    faded = mnist_style(on_paper(ring(), paper=0.8, dark=0.45))
    assert np.abs(crisp.astype(int) - faded).max() <= 1


def test_where_the_digit_is_in_the_picture_does_not_matter() -> None:
    left = mnist_style(on_paper(ring(400, 600, centre=(100, 120))))
    right = mnist_style(on_paper(ring(400, 600, centre=(300, 470))))
    np.testing.assert_array_equal(left, right)


def test_faint_specks_do_not_widen_the_crop() -> None:
    clean = ring(400, 600, centre=(200, 300))
    specked = clean.copy()
    specked[10:14, 10:14] = specked[380:384, 570:574] = 0.2  # paper grain, 20% of the ink
    np.testing.assert_array_equal(mnist_style(on_paper(clean)), mnist_style(on_paper(specked)))


@pytest.mark.parametrize(
    "ink",
    [ring(), seven(), seven(300, 200, top=150, left=80), ring(radius=30, thickness=30)],
    ids=["ring", "seven", "seven-low", "fat-ring"],
)
def test_the_centre_of_mass_is_at_row_14_column_14(ink: np.ndarray) -> None:
    image = mnist_style(on_paper(ink))
    row, column = centre_of_mass(image)
    assert abs(row - 14) <= 0.6 and abs(column - 14) <= 0.6


def test_a_digit_too_heavy_at_one_end_is_kept_whole_as_near_the_centre_as_it_gets() -> None:
    """A "7" with a hairline stem has its mass 5.3 pixels below its top: centred by mass,
    its 20-pixel height would reach row 29. It sits on the bottom row instead."""
    image = mnist_style(on_paper(seven(stroke=8)))
    row, column = centre_of_mass(image)
    assert ink_box(image)[0] == 20 and image[27].any() and image[7].max() == 0
    assert 13 < row < 14 and abs(column - 14) <= 0.6


def test_the_seven_is_moved_by_its_mass_not_its_box() -> None:
    """A "7" is heavy at the top right: centring its box would put its mass there."""
    image = mnist_style(on_paper(seven()))
    rows = np.flatnonzero(image.any(axis=1))
    columns = np.flatnonzero(image.any(axis=0))
    box_centre = ((rows[0] + rows[-1]) / 2, (columns[0] + columns[-1]) / 2)
    assert box_centre != pytest.approx((14, 14), abs=1)


@pytest.mark.parametrize(("height", "width"), [(200, 50), (50, 200), (120, 90)])
def test_the_longer_side_becomes_20_pixels_and_the_aspect_ratio_is_kept(
    height: int, width: int
) -> None:
    ink = np.zeros((400, 400), dtype=np.float32)
    ink[100 : 100 + height, 80 : 80 + width] = 1
    image = mnist_style(on_paper(ink), stroke_widths=None)
    shown = ink_box(image)
    assert max(shown) == 20
    assert min(shown) == pytest.approx(20 * min(height, width) / max(height, width), abs=1)


def test_the_fit_is_antialiased() -> None:
    """A 1-pixel grid of lines averages to grey; sampling would give black-or-white moiré."""
    ink = np.zeros((400, 400), dtype=np.float32)
    ink[:, ::2] = 1
    ink[0, :] = ink[-1, :] = 1  # the same box whatever the sampling
    image = mnist_style(on_paper(ink), stroke_widths=None)
    inner = image[6:22, 6:22].astype(int)  # well inside the 20×20 square
    assert inner.max() - inner.min() <= 2


def test_stroke_width_measures_a_ring_s_thickness() -> None:
    ink = ring(600, 600, centre=(300, 300), radius=200, thickness=20, squash=1)
    assert digits.stroke_width(ink) == pytest.approx(20, rel=0.1)


@pytest.mark.parametrize(("thickness", "width"), [(3, 2.1), (45, 3.0), (80, 3.0)])
def test_thin_and_bold_strokes_are_brought_within_mnist_s_usual_widths(
    thickness: int, width: float
) -> None:
    image = mnist_style(on_paper(ring(thickness=thickness)))
    assert digits.stroke_width(image.astype(np.float32)) == pytest.approx(width, abs=0.3)


def test_strokes_as_wide_as_mnist_s_are_left_as_drawn() -> None:
    picture = on_paper(ring(thickness=24))
    kept = mnist_style(picture, stroke_widths=None)
    assert 2.1 <= digits.stroke_width(kept.astype(np.float32)) <= 3.0
    np.testing.assert_array_equal(mnist_style(picture), kept)


def test_without_stroke_adjustment_bold_strokes_stay_bold() -> None:
    image = mnist_style(on_paper(ring(thickness=45)), stroke_widths=None)
    assert digits.stroke_width(image.astype(np.float32)) > 4


@pytest.mark.parametrize(
    "grey",
    [np.ones((50, 40)), np.zeros((50, 40)), np.full((50, 40), 0.6), on_paper(ring(), dark=0.95)],
    ids=["white", "black", "grey", "faint-smudge"],
)
def test_a_blank_picture_is_refused_by_name(grey: np.ndarray) -> None:
    with pytest.raises(BlankImageError, match=r"^scan\.png: no digit found"):
        mnist_style(grey, name="scan.png")


@pytest.mark.parametrize(
    "grey", [np.zeros((3, 4, 5)), np.zeros((0, 4)), np.full((4, 4), np.nan)], ids=str
)
def test_an_array_that_is_not_a_picture_is_refused(grey: np.ndarray) -> None:
    with pytest.raises(ValueError, match="mnist_style: expected a non-empty 2-D array"):
        mnist_style(grey)


# ------------------------------------------------------------------ files: every mode


@pytest.fixture(scope="module")
def ink() -> np.ndarray:
    return seven(160, 180)


@pytest.fixture(scope="module")
def expected(ink: np.ndarray) -> np.ndarray:
    return mnist_style(on_paper(ink))


def grey_bytes(ink: np.ndarray) -> np.ndarray:
    return np.rint(on_paper(ink) * 255).astype(np.uint8)


def saved(path: Path, image: Image.Image, **options) -> Path:
    image.save(path, **options)
    return path


@pytest.mark.parametrize("mode", ["L", "RGB", "P", "1"])
def test_every_opaque_png_mode_reads_as_the_same_digit(
    tmp_path: Path, ink: np.ndarray, expected: np.ndarray, mode: str
) -> None:
    path = saved(tmp_path / "d.png", Image.fromarray(grey_bytes(ink)).convert(mode))
    assert np.abs(load_digit(path).astype(int) - expected).max() <= 2


def test_a_16_bit_png_reads_as_the_same_digit(
    tmp_path: Path, ink: np.ndarray, expected: np.ndarray
) -> None:
    sixteen = np.rint(on_paper(ink) * 65535).astype(np.uint16)
    path = saved(tmp_path / "d.png", Image.fromarray(sixteen))
    with Image.open(path) as image:
        assert image.mode == "I;16"
    assert np.abs(load_digit(path).astype(int) - expected).max() <= 1


@pytest.mark.parametrize("mode", ["L", "RGB", "CMYK"])
def test_a_jpeg_reads_as_nearly_the_same_digit(
    tmp_path: Path, ink: np.ndarray, expected: np.ndarray, mode: str
) -> None:
    path = saved(tmp_path / "d.jpg", Image.fromarray(grey_bytes(ink)).convert(mode), quality=90)
    assert np.abs(load_digit(path).astype(int) - expected).mean() < 4


@pytest.mark.parametrize("ink_colour", [(0, 0, 90), (255, 255, 255)], ids=["dark", "light"])
@pytest.mark.parametrize("hidden_colour", [(0, 0, 0), (255, 255, 255)], ids=["black", "white"])
def test_ink_on_a_transparent_canvas_reads_whatever_its_colour(
    tmp_path: Path,
    ink: np.ndarray,
    expected: np.ndarray,
    ink_colour: tuple,
    hidden_colour: tuple,
) -> None:
    """The colour under transparent pixels is arbitrary (often black): only alpha counts."""
    rgba = np.zeros((*ink.shape, 4), dtype=np.uint8)
    rgba[..., :3] = np.where(ink[..., None] > 0, ink_colour, hidden_colour)
    rgba[..., 3] = np.rint(ink * 255).astype(np.uint8)
    path = saved(tmp_path / "d.png", Image.fromarray(rgba, "RGBA"))
    assert np.abs(load_digit(path).astype(int) - expected).max() <= 2


def test_a_jpeg_turned_by_its_exif_orientation_is_read_upright(
    tmp_path: Path, ink: np.ndarray, expected: np.ndarray
) -> None:
    stored = Image.fromarray(grey_bytes(ink)[::-1, ::-1].copy())  # the camera held upside down
    exif = Image.Exif()
    exif[0x0112] = 3  # Orientation: rotate 180°
    path = saved(tmp_path / "d.jpg", stored, exif=exif, quality=95)
    assert np.abs(load_digit(path).astype(int) - expected).mean() < 4


def test_read_image_gives_greys_from_0_black_to_1_white(tmp_path: Path, ink: np.ndarray) -> None:
    path = saved(tmp_path / "d.png", Image.fromarray(grey_bytes(ink)))
    grey = read_image(path)
    assert grey.shape == ink.shape and grey.min() == 0 and grey.max() == 1


# ------------------------------------------------------------------ files: refusals


def refused(path: Path, pattern: str) -> None:
    with pytest.raises(ImageError, match=pattern):
        load_digit(path)


def test_a_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    refused(tmp_path / "nope.png", r"nope\.png: no such file$")


def test_a_directory_is_refused_by_name(tmp_path: Path) -> None:
    refused(tmp_path, rf"^{tmp_path}: is a directory; name a PNG or JPEG file$")


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            load_digit(fifo)
        except BaseException as error:
            outcome.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=20)
    assert not reader.is_alive(), "load_digit blocked on a FIFO"
    assert isinstance(outcome[0], ImageError) and "pipe.png: is not a regular file" in str(
        outcome[0]
    )


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"", r"empty\.png: not a PNG or JPEG image$"),
        (b"7\n", r"empty\.png: not a PNG or JPEG image$"),
        (b"GIF89a" + bytes(40), r"empty\.png: not a PNG or JPEG image$"),
    ],
    ids=["empty", "text", "gif"],
)
def test_a_file_that_is_not_a_png_or_jpeg_is_refused_by_name(
    tmp_path: Path, content: bytes, pattern: str
) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(content)
    refused(path, pattern)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_truncated_picture_is_refused_by_name(
    tmp_path: Path, ink: np.ndarray, suffix: str
) -> None:
    whole = saved(tmp_path / f"whole{suffix}", Image.fromarray(grey_bytes(ink)))
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    refused(cut, rf"cut\{suffix}: cannot decode it \(damaged or truncated\?\)")


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares width × height greyscale pixels, with a few bytes of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(1000)))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("width", "height"), [(8000, 8000), (30000, 30000)], ids=["over-ours", "over-pillows"]
)
def test_a_picture_of_too_many_pixels_is_refused_before_decoding(
    tmp_path: Path, width: int, height: int
) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_declaring(width, height))
    refused(path, r"bomb\.png: .*more than the 50,000,000 pixels read here; scale it down")


def test_the_pixel_cap_is_checked_from_the_header(
    tmp_path: Path, ink: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = saved(tmp_path / "d.png", Image.fromarray(grey_bytes(ink)))
    monkeypatch.setattr(digits, "MAX_PIXELS", ink.size - 1)
    refused(path, rf"d\.png: is {ink.shape[1]}×{ink.shape[0]} pixels, more than the")


def test_a_blank_file_is_refused_by_name(tmp_path: Path) -> None:
    path = saved(tmp_path / "white.png", Image.new("L", (60, 80), 255))
    with pytest.raises(BlankImageError, match=r"white\.png: no digit found"):
        load_digit(path)


def test_a_large_jpeg_is_decoded_reduced_and_reads_as_the_same_digit(tmp_path: Path) -> None:
    """A 12-megapixel photo is decoded at half size (2,100 × 1,500), in grey."""
    large = ring(3000, 4200, centre=(1500, 2100), radius=900, thickness=180)
    path = saved(tmp_path / "photo.jpg", Image.fromarray(grey_bytes(large)), quality=90)
    assert read_image(path).shape == (1500, 2100)
    small = mnist_style(on_paper(ring(300, 420, centre=(150, 210), radius=90, thickness=18)))
    assert np.abs(load_digit(path).astype(int) - small).mean() < 4
