"""Execute notebooks top to bottom in a fresh kernel and store their outputs in place.

    python scripts/run_notebooks.py                # every notebook in notebooks/
    python scripts/run_notebooks.py notebooks/02_weights.ipynb

This is the "Restart & Run All" whose outputs are committed and that nbval compares against.
It prints how long each notebook took. No widget state is stored: a demo's output then shows
its stored PNG in every viewer without a kernel (nbconvert, GitHub, VS Code); with the state,
nbconvert would choose the widget view, which needs JavaScript and shows nothing without it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def run(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        record_timing=False,
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    total = 0.0
    for path in paths:
        elapsed = run(path)
        total += elapsed
        print(f"{path.name:40s} {elapsed:6.1f} s")
    print(f"{'total':40s} {total:6.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
