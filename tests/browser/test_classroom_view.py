"""The classroom page as a projector shows it, and a slider dragged like a presenter drags it.

* At 1280 × 720 and 1920 × 1080 each demo (title, sliders, readout and plot) fits the screen,
  and its plot is shown at least at its natural size, so the plot's text is at least as large
  as the page's body text. Screenshots: artifacts/classroom-WxH-demoN.png.
* Dragging a slider quickly with the mouse, in each demo of ``DRAGS``: the plot follows while
  dragging, values that come faster than frames are dropped (fewer frames than values),
  nothing queues up after the release, and the last frame shows the last value.
"""

from __future__ import annotations

import contextlib
import re

import pages
import pytest
import servers

pytestmark = pytest.mark.browser

NOTEBOOKS = servers.classroom_notebooks()
SCREENS = ((1280, 720), (1920, 1080))
# The demos dragged: (start of the demo's title, which of its sliders, what its readout shows
# of that slider's value). Each slider has 20 positions or more.
DRAGS = (
    ("Demo 2.1", 0, r"at (\d+)"),  # the dissenter's angle
    ("Demo D", 1, r"meta-batch (\d+)"),  # which meta-batch of real characters
)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[servers.notebook_id(p) for p in NOTEBOOKS])
def test_classroom_fits_the_projector_and_follows_a_drag(notebook, voila_server, browser_page):
    page = browser_page
    with voila_server(notebook) as server:
        try:
            pages.open_voila(page, f"{server.url}/")
            demos = page.locator(".gaml-demo")
            with contextlib.suppress(Exception):
                demos.first.wait_for(timeout=pages.REDRAW_TIMEOUT_MS)
            assert demos.count() >= 1
            problems = []
            for width, height in SCREENS:
                page.set_viewport_size({"width": width, "height": height})
                for i in range(demos.count()):
                    problems += check_fits(page, demos.nth(i), i, width, height)
            assert not problems, "\n".join(problems)
            for title, slider, shown in DRAGS:
                demo = demos.filter(has_text=f"{title} - ")
                assert demo.count() == 1, f"no demo {title!r} on the page"
                check_drag(page, demo, slider, shown)
        except BaseException:
            pages.report_failure(page, f"classroom-{notebook.stem}")
            raise


def check_fits(page, demo, index: int, width: int, height: int) -> list[str]:
    demo.evaluate("(d) => d.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(200)
    box = demo.bounding_box()
    pages.ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(pages.ARTIFACTS_DIR / f"classroom-{width}x{height}-demo{index}.png"))
    where = f"{width}x{height} demo #{index}"
    problems = [f"{where}: {p}" for p in pages.plot_text_problems(demo)]
    if box["height"] > height or box["width"] > width:
        problems.append(f"{where}: {box['width']:.0f} x {box['height']:.0f} px does not fit")
    return problems


def check_drag(page, demo, slider: int, shown: str) -> None:
    """Drag the handle of the demo's slider number ``slider`` across its track in small, fast
    mouse moves; the readout must show its last value as the regex ``shown`` captures it."""
    page.set_viewport_size({"width": 1280, "height": 720})
    demo.evaluate("(d) => d.scrollIntoView({block: 'start'})")
    handle = demo.locator(".noUi-handle").nth(slider)
    track = demo.locator(".noUi-target").nth(slider).bounding_box()
    start = handle.bounding_box()
    x0, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    demo.evaluate(pages.load_js("demo_drag_watch"), slider)
    page.mouse.move(x0, y)
    page.mouse.down()
    left, right = track["x"] + 2, track["x"] + track["width"] - 2
    for x in [*range(int(x0), int(left), -6), *range(int(left), int(right), 6)]:
        page.mouse.move(x, y)
        page.wait_for_timeout(8)
    page.mouse.up()
    pages.wait_stable(page, demo, timeout_ms=pages.REDRAW_TIMEOUT_MS)
    rec = demo.evaluate(pages.load_js("demo_drag_result"))
    values, images, released = rec["values"], rec["images"], rec["released"]
    final = handle.get_attribute("aria-valuenow")
    during = [t for t, _ in images if t <= released]
    after = [t for t, _ in images if t > released]
    title = demo.locator(".widget-html-content").first.inner_text().strip()
    summary = (
        f"drag {title!r}: {len(values)} values, {len(images)} frames ({len(during)} while "
        f"dragging, {len(after)} after the release, the last "
        f"{images[-1][0] - released if images else float('nan'):.0f} ms after it); "
        f"final value {final}"
    )
    print(summary)
    assert len(values) >= 20, summary
    assert len(during) >= 3, "the plot follows while the slider is dragged: " + summary
    assert len(images) < len(values), "values faster than frames are dropped: " + summary
    assert len(after) <= 2, "no queue of frames after the release: " + summary
    readout = demo.locator(".gaml-readout").inner_text()
    number = re.search(shown, readout)
    assert number and float(number.group(1)) == pytest.approx(float(final)), (readout, final)
