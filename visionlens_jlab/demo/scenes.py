"""Backgrounds, lighting and weather of demo images (numpy arrays, uint8 RGB).

Kept cheap on purpose: textures are low-resolution noise scaled up (smooth blotches compress
well as JPEG and cost little to make), and nothing here is per-pixel Python.
"""

from __future__ import annotations

import colorsys

import numpy as np
from PIL import Image, ImageDraw

SCENES = ("day", "dusk", "night")
SCENE_WEIGHTS = (0.5, 0.2, 0.3)
BACKGROUNDS = ("plain", "gradient", "texture")
BACKGROUND_WEIGHTS = (0.4, 0.3, 0.3)
WEATHERS = ("clear", "fog", "rain")
WEATHER_WEIGHTS = (0.6, 0.2, 0.2)
CAMERAS = ("front", "rear", "mono")
CAMERA_WEIGHTS = (0.45, 0.45, 0.1)
"""``mono`` cameras produce grayscale images."""
LOW_RES = 4  # smooth backgrounds are computed at 1/LOW_RES of the size

# (min, max) of the background's HSV value per scene, and the object's value range: at night
# everything is dim and contrast is low, which is what makes small night objects hard.
SCENE_VALUE = {"day": (0.55, 0.92), "dusk": (0.28, 0.5), "night": (0.04, 0.14)}
OBJECT_VALUE = {"day": (0.2, 1.0), "dusk": (0.15, 0.85), "night": (0.2, 0.4)}
# hue ranges the scene's light favours (dusk: warm, night: blue), as fractions of the circle
SCENE_HUE = {"day": (0.0, 1.0), "dusk": (0.02, 0.12), "night": (0.55, 0.7)}


def _colour(
    rng: np.random.Generator, hue: tuple[float, float], value: float, sat: float
) -> np.ndarray:
    h = rng.uniform(*hue) % 1.0
    return np.array(colorsys.hsv_to_rgb(h, sat, value), dtype=np.float32)


def background(
    rng: np.random.Generator, scene: str, kind: str, height: int, width: int
) -> Image.Image:
    """An RGB background image for ``scene`` and ``kind``.

    Gradients and textures are smooth, so they are computed at a quarter of the resolution
    and scaled up bilinearly: 16x less numpy work for the same look.
    """
    lo, hi = SCENE_VALUE[scene]
    base = _colour(rng, SCENE_HUE[scene], rng.uniform(lo, hi), rng.uniform(0.1, 0.6))
    if kind == "plain":
        rgb = tuple(int(v * 255 + 0.5) for v in base)
        return Image.new("RGB", (width, height), rgb)
    h, w = max(2, height // LOW_RES), max(2, width // LOW_RES)
    if kind == "gradient":
        other = _colour(rng, SCENE_HUE[scene], rng.uniform(lo, hi), rng.uniform(0.2, 0.8))
        angle = rng.uniform(0, 2 * np.pi)
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        t = xs * np.cos(angle) / w + ys * np.sin(angle) / h
        t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
        small = base + (other - base) * t[..., None]
    elif kind == "texture":
        # two octaves of noise, in colour, around the base colour
        amp = 0.35 * max(hi, 0.2)
        coarse = _smooth_noise(rng, (6, 8), h, w)
        fine = rng.uniform(-1.0, 1.0, size=(h, w)).astype(np.float32)
        tint = rng.uniform(0.6, 1.4, size=3).astype(np.float32)
        small = base + amp * (0.6 * coarse + 0.4 * fine)[..., None] * tint
    else:
        raise ValueError(f"unknown background {kind!r}")
    img = Image.fromarray((np.clip(small, 0.0, 1.0) * 255 + 0.5).astype(np.uint8), mode="RGB")
    return img.resize((width, height), Image.Resampling.BILINEAR)


def _smooth_noise(
    rng: np.random.Generator, shape: tuple[int, int], height: int, width: int
) -> np.ndarray:
    """Noise in [-1, 1] drawn at ``shape`` and scaled up bilinearly to ``(height, width)``."""
    small = rng.uniform(0, 255, size=shape).astype(np.uint8)
    big = Image.fromarray(small, mode="L").resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(big, dtype=np.float32) / 127.5 - 1.0


MIN_CONTRAST = {"day": 80.0, "dusk": 50.0, "night": 30.0}
"""Minimum RGB distance between an object and the background behind its centre."""


def object_colour(
    rng: np.random.Generator, scene: str, behind: tuple[int, ...]
) -> tuple[int, int, int]:
    """A saturated object colour for the scene's light that stands out from ``behind``.

    A few draws are tried so that no object is invisible (ground truth must be visible);
    contrast is still low at night by construction of the value ranges.
    """
    lo, hi = OBJECT_VALUE[scene]
    best: tuple[int, int, int] = (0, 0, 0)
    best_distance = -1.0
    for _ in range(8):
        rgb = colorsys.hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0.5, 1.0), rng.uniform(lo, hi))
        colour = (round(rgb[0] * 255), round(rgb[1] * 255), round(rgb[2] * 255))
        distance = float(np.linalg.norm(np.subtract(colour, behind[:3])))
        if distance > best_distance:
            best, best_distance = colour, distance
        if distance >= MIN_CONTRAST[scene]:
            break
    return best


def apply_weather(
    rng: np.random.Generator, image: Image.Image, weather: str, scene: str
) -> Image.Image:
    """Fog washes the image towards grey; rain draws thin light streaks."""
    if weather == "fog":
        grey = 0.75 if scene == "day" else 0.35
        arr = np.asarray(image, dtype=np.float32)
        alpha = rng.uniform(0.25, 0.45)
        arr = arr * (1 - alpha) + grey * 255 * alpha
        return Image.fromarray(arr.astype(np.uint8))
    if weather == "rain":
        draw = ImageDraw.Draw(image)
        w, h = image.size
        shade = 200 if scene == "day" else 110
        slant = rng.uniform(-6, 6)
        for _ in range(int(rng.integers(25, 60))):
            x, y = rng.uniform(0, w), rng.uniform(0, h)
            length = rng.uniform(8, 18)
            draw.line((x, y, x + slant, y + length), fill=(shade, shade, shade + 20), width=1)
        return image
    return image
