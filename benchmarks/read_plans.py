"""Reading benchmark: how long reading plan files takes, and how many table rows it finds.

Reads every PDF/DOCX/TXT/MD file of a folder with `assistant.load.read_document` (the same
reader the index build uses, in its child process), `--repeat` times, and prints the total
seconds of each pass and the table rows (tab-separated lines) each file's text holds. Run it
from two checkouts side by side to compare readers.

    python benchmarks/read_plans.py [../shared/plans] [--repeat 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.load import read_document  # noqa: E402

SUFFIXES = (".pdf", ".docx", ".txt", ".md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(ROOT.parent / "shared" / "plans"))
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    files = sorted(p for p in Path(args.folder).iterdir() if p.suffix.lower() in SUFFIXES and p.stem != "README")
    rows = {}
    for n in range(1, args.repeat + 1):
        start = time.perf_counter()
        for path in files:
            rows[path.name] = sum(1 for line in read_document(path).text.splitlines() if "\t" in line)
        print(f"pass {n}: {len(files)} files in {time.perf_counter() - start:.1f} s")
    for name, count in rows.items():
        print(f"  {count:4d} table rows  {name}")


if __name__ == "__main__":
    main()
