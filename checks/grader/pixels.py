"""Comparing two PNG images the way pytest-mpl does: the RMS of their pixel differences.

Values are 0-255 per RGB channel (as in matplotlib's ``compare_images``). A figure matches when
the RMS is at most the tolerance; on a mismatch the expected, actual and difference images can be
written out for a person to look at.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# NumPy and PIL are imported where an image is decoded, not here: this module is loaded with the
# plugin, before the box starts (plugin.py), and a rerun whose figures all match byte for byte
# decodes none (~50 ms sooner for the box, design N).

DEFAULT_TOLERANCE = 2.0  # pytest-mpl's default RMS tolerance


def load_png(data: bytes) -> np.ndarray:
    """PNG bytes as an (height, width, 3) array of 0-255 RGB values (uint8)."""
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


@dataclass(frozen=True)
class Comparison:
    """How an actual PNG compares with the expected one."""

    rms: float  # inf when the sizes differ
    tolerance: float
    expected_size: tuple[int, int]  # (width, height) in pixels
    actual_size: tuple[int, int]

    @property
    def matches(self) -> bool:
        return self.rms <= self.tolerance

    def describe(self) -> str:
        if self.expected_size != self.actual_size:
            return (
                f"figure size changed: expected {self.expected_size[0]}x{self.expected_size[1]} px, "
                f"got {self.actual_size[0]}x{self.actual_size[1]} px"
            )
        verdict = "within" if self.matches else "above"
        return f"figure differs from its snapshot: pixel RMS {self.rms:.3f} {verdict} tolerance {self.tolerance:g}"


def rms(expected: np.ndarray, actual: np.ndarray) -> float:
    """Root mean square of the pixel differences (inf when the shapes differ)."""
    import numpy as np

    if expected.shape != actual.shape:
        return float("inf")
    if expected.size == 0:
        return 0.0
    # In integers, exact: a float64 copy of each image took 5x as long (15 ms a figure).
    difference = expected.astype(np.int32) - actual
    return float(np.sqrt(np.vdot(difference, difference) / difference.size))


def compare_png(expected: bytes, actual: bytes, tolerance: float = DEFAULT_TOLERANCE) -> Comparison:
    """Compare two PNG images by the RMS of their RGB pixel differences."""
    a, b = load_png(expected), load_png(actual)
    return Comparison(rms(a, b), tolerance, a.shape[1::-1], b.shape[1::-1])


def diff_png(expected: bytes, actual: bytes) -> bytes:
    """The absolute difference, brightened ten times as matplotlib's diff images are (same size only)."""
    import numpy as np
    from PIL import Image

    difference = np.clip(np.abs(load_png(expected).astype(int) - load_png(actual)) * 10, 0, 255)
    buffer = io.BytesIO()
    Image.fromarray(difference.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def write_results(expected: bytes | None, actual: bytes, stem: Path) -> list[Path]:
    """Write ``<stem>-expected.png``, ``-actual.png`` and (same size only) ``-diff.png``."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    images = {"actual": actual}
    if expected:
        images["expected"] = expected
        if load_png(expected).shape == load_png(actual).shape:
            images["diff"] = diff_png(expected, actual)
    paths = []
    for kind in ("expected", "actual", "diff"):
        if kind in images:
            path = stem.with_name(f"{stem.name}-{kind}.png")
            path.write_bytes(images[kind])
            paths.append(path)
    return paths
