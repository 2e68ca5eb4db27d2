"""Distinct synthetic plans derived from the seed plan, for the scale benchmark.

Each plan keeps the seed's layout (headings, 专栏, tables), with its own place name, its
own numbers (every value that is not a year scaled by a factor of its own) and its own
choice of sentences (about one body sentence in seven left out), so that no two plans are
the same text and retrieval has to tell them apart.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_8a2f0d3686d36b01.txt"
SEED_PLACE = "塔城"
FIRST = "青云金玉松柏河川江湖山岭石泉清明安宁长兴永和平康"
SECOND = "原州源阳川城岗关峰谷溪林桥台湾滨堡营庄"
_VALUE = re.compile(r"(?<![\d.])(\d+\.\d+|\d+)(?![\d.])(?!\s*年)")
_SENTENCE = re.compile(r"(?<=[。；])")
HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,2}\s*[.．]|专栏|表\s*\d|图\s*\d)")


def place_names(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(FIRST) + rng.choice(SECOND)
        if name not in names and name != SEED_PLACE:
            names.append(name)
    return names


def synthetic_plan(place: str, seed: int) -> str:
    rng = random.Random(seed)
    lines = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not HEADING.match(line) and "\t" not in line and len(line) > 40:
            kept = [s for s in _SENTENCE.split(line) if s and rng.random() > 0.15]
            line = "".join(kept) or line
        lines.append(_VALUE.sub(lambda m: _scaled(m.group(1), rng), line))
    return "\n".join(lines).replace(SEED_PLACE, place) + "\n"


def _scaled(value: str, rng: random.Random) -> str:
    if len(value) == 4 and value.startswith(("19", "20")):
        return value  # a year
    factor = rng.uniform(0.8, 1.2)
    if "." in value:
        decimals = len(value.split(".")[1])
        return f"{float(value) * factor:.{decimals}f}"
    return str(max(1, round(int(value) * factor)))


def write_plans(folder: Path, count: int, start: int = 0) -> list[Path]:
    """`count` plans (and their metadata files) in `folder`; plan i is the same text on every call."""
    folder.mkdir(parents=True, exist_ok=True)
    names = place_names(start + count)
    paths = []
    for i in range(start, start + count):
        place = names[i]
        path = folder / f"plan_{i:04d}.txt"
        path.write_text(synthetic_plan(place, seed=i), encoding="utf-8")
        path.with_suffix(".toml").write_text(
            f'title = "{place}地区“十四五”节能规划（2021-2025年）"\nissuer = "{place}地区发展和改革委员会"\n'
            f'number = "{place}发改〔2023〕{i + 1}号"\ndate = "2023-02"\nregion = "{place}地区"\n', encoding="utf-8")
        paths.append(path)
    return paths
