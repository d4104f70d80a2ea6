"""Bounding boxes and tile helpers for the map renderer."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class BBox:
    min_x: float
    min_y: float
    max_x: float
    max_y: float

    def width(self) -> float:
        return self.max_x - self.min_x

    def height(self) -> float:
        return self.max_y - self.min_y

    def contains(self, x: float, y: float) -> bool:
        return self.min_x <= x <= self.max_x and self.min_y <= y <= self.max_y

    def intersects(self, other: "BBox") -> bool:
        return not (
            other.min_x > self.max_x
            or other.max_x < self.min_x
            or other.min_y > self.max_y
            or other.max_y < self.min_y
        )

    def expand(self, margin: float) -> "BBox":
        return BBox(
            self.min_x - margin,
            self.min_y - margin,
            self.max_x + margin,
            self.max_y + margin,
        )


def bbox_of(points: list[tuple[float, float]]) -> BBox:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return BBox(min(xs), min(ys), max(xs), max(ys))


def tile_bbox(zoom: int, x: int, y: int) -> BBox:
    n = 2 ** zoom
    lon_min = x / n * 360.0 - 180.0
    lon_max = (x + 1) / n * 360.0 - 180.0
    lat_max = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    lat_min = math.degrees(
        math.atan(math.sinh(math.pi * (1 - 2 * (y + 1) / n))),
    )
    return BBox(lon_min, lat_min, lon_max, lat_max)


def tiles_for(bbox: BBox, zoom: int) -> list[tuple[int, int]]:
    n = 2 ** zoom
    x_min = int((bbox.min_x + 180.0) / 360.0 * n)
    x_max = int((bbox.max_x + 180.0) / 360.0 * n)
    return [
        (x, y)
        for x in range(x_min, x_max + 1)
        for y in range(n)
        if tile_bbox(zoom, x, y).intersects(bbox)
    ]
