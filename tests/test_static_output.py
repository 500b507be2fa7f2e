"""Every stored demo output shows a picture where no widget can run.

A demo cell's output holds the widget view and a PNG of the demo's first frame in one bundle
(``gaml_demos.Demo._repr_mimebundle_``). JupyterLab and Voilà show the widget; nbconvert, GitHub,
VS Code without a kernel and an untrusted notebook show the PNG, provided the notebook stores no
widget state: with the state, nbconvert prefers the widget view, which without JavaScript shows
nothing. So the notebooks store none (scripts/run_notebooks.py), and each demo cell converted
with nbconvert shows its image.
"""

from __future__ import annotations

import base64
import copy
import re
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "classroom").glob("*.ipynb")
)
DEMO_CALL = re.compile(r"\bgd\.\w+_demo\(")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def demo_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and DEMO_CALL.search(c.source)]


def with_demos() -> list[Path]:
    return [p for p in NOTEBOOKS if demo_cells(nbformat.read(p, as_version=4))]


def cell_html(nb, cell) -> str:
    """nbconvert's HTML of a notebook holding only ``cell`` (with ``nb``'s metadata)."""
    one = copy.deepcopy(nb)
    one.cells = [copy.deepcopy(cell)]
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(one)
    return html


def stored_png(cell) -> str:
    (output,) = [o for o in cell.outputs if WIDGET_VIEW in o.get("data", {})]
    return output["data"]["image/png"]


def test_every_demo_notebook_is_checked():
    names = {p.name for p in with_demos()}
    assert {"01_tasks.ipynb", "02_weights.ipynb", "ga_demos.ipynb"} <= names
    assert len(names) >= 5


@pytest.mark.parametrize("path", with_demos(), ids=lambda p: p.stem)
def test_demo_cells_show_their_picture_in_nbconvert(path):
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata, "stored widget state hides the demos' PNG in nbconvert"
    for cell in demo_cells(nb):
        png = stored_png(cell)
        assert base64.b64decode(png).startswith(b"\x89PNG\r\n\x1a\n")
        html = cell_html(nb, cell)
        assert f'src="data:image/png;base64,{png}"' in html, cell.source
        assert "VBox(" not in html  # not the widget's text form either
        assert html.count(png) == 1  # the picture once


def test_stored_widget_state_would_hide_the_picture():
    """Why no state is stored: nbconvert then picks the widget view over the PNG."""
    nb = nbformat.read(ROOT / "notebooks" / "02_weights.ipynb", as_version=4)
    cell = demo_cells(nb)[0]
    output = next(o for o in cell.outputs if WIDGET_VIEW in o.get("data", {}))
    model_id = output["data"][WIDGET_VIEW]["model_id"]
    nb.metadata["widgets"] = {
        WIDGET_STATE: {"version_major": 2, "version_minor": 0, "state": {model_id: {}}}
    }
    html = cell_html(nb, cell)
    assert stored_png(cell) not in html
