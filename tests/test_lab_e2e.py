"""The student's path in a real JupyterLab, driven in a real headless Chromium.

A JupyterLab server runs on loopback (a free port, a token) over a copy of
the released notebooks. Playwright drives Debian's chromium through
``executable_path`` (never a downloaded browser): it opens notebook 02,
types a wrong and then a right ``batchnorm_forward`` into the exercise cell,
runs it with its visible check, reads the messages, checks that a figure
renders as an image and that nbgrader's lab extension loaded, and drags a
slider of the interactive figure (ipywidgets' own lab extension) to see the
figure redrawn. In notebook 07 it runs the setup, types the spatial batch
norm without and then with the transpose, and runs the cell that needs
notebook 02's function while 02 is still unfinished.

Screenshots of every step land in build/lab-e2e/, so a failing run can be
read. The test is skipped only when no chromium is installed (.ci/run
installs it with apt when it can).
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import require
from examples.cells import BUGGY
from independent import CELLS

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "lab-e2e"
NOTEBOOK = "02_bn_equations/02_bn_equations.ipynb"
NOTEBOOK_07 = "07_beyond_dense/07_beyond_dense.ipynb"
WAIT_MS = 90_000


def chromium():
    """Debian's chromium (or BN_COURSE_CHROMIUM), or None."""
    for candidate in (os.environ.get("BN_COURSE_CHROMIUM"), "chromium", "chromium-browser"):
        path = candidate and shutil.which(candidate)
        if path:
            return path
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(base URL, token) of a JupyterLab serving a copy of notebooks/."""
    folder = tmp_path_factory.mktemp("lab") / "notebooks"
    shutil.copytree(ROOT / "notebooks", folder)
    port, token = free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}   # figures inline, as students see them
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}", "--ServerApp.port_retries=0"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp_path_factory.getbasetemp() / "lab.log", "wb")
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.close()
                    raise RuntimeError("JupyterLab did not start:\n" + (tmp_path_factory.getbasetemp() / "lab.log").read_text())
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def page(request):
    browser_path = chromium()
    if browser_path is None:
        pytest.skip("no chromium to drive: install Debian's chromium (apt-get install chromium); .ci/run does")
    sync_api = require("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, token = request.getfixturevalue("lab")   # the server only once a browser is known to exist
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_notebook(tab, base, token, NOTEBOOK, sync_api.expect)
        tab.screenshot(path=str(SHOTS / "01-opened.png"))
        try:
            yield tab, sync_api.expect
        finally:
            tab.screenshot(path=str(SHOTS / "99-last.png"), full_page=True)
            browser.close()


def open_notebook(tab, base, token, notebook, expect):
    tab.goto(f"{base}/lab/tree/{notebook}?token={token}")
    tab.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=WAIT_MS)
    expect(tab.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=WAIT_MS)
    no = tab.get_by_role("button", name="No", exact=True)   # JupyterLab's news question
    if no.count():
        no.first.click()


def cell(tab, text):
    return tab.locator(".jp-CodeCell").filter(has_text=text).first


def type_and_run(tab, exercise, code):
    """Replace the exercise cell's code the way a student pastes it, then run it and the check after it."""
    editor = exercise.locator(".cm-content")
    editor.click()
    tab.keyboard.press("Control+A")
    tab.keyboard.press("Delete")
    tab.keyboard.insert_text(code)
    tab.keyboard.press("Shift+Enter")   # the exercise; the check cell is selected next
    tab.keyboard.press("Shift+Enter")   # the visible check


def test_nbgrader_lab_extension_is_loaded(page):
    tab, expect = page
    expect(tab.get_by_role("button", name="Validate")).to_be_visible(timeout=WAIT_MS)   # nbgrader's validate button
    expect(tab.get_by_text("Nbgrader", exact=True)).to_be_visible()                     # and its menu


def test_setup_cell_finds_the_course_library(page):
    tab, expect = page
    setup = cell(tab, "from course_lib.checks import")
    setup.locator(".cm-content").click()
    tab.keyboard.press("Shift+Enter")
    expect(setup.locator(".jp-InputPrompt")).to_contain_text("[1]", timeout=WAIT_MS)
    expect(setup.locator(".jp-OutputArea-output")).to_have_count(0)   # no ModuleNotFoundError, no output


def test_a_wrong_answer_gets_the_failure_and_its_hint(page):
    tab, expect = page
    wrong = CELLS["batchnorm_forward"].replace("/ n\n    inv_std", "/ (n - 1)\n    inv_std")
    assert wrong != CELLS["batchnorm_forward"]
    type_and_run(tab, cell(tab, "def batchnorm_forward"), wrong)
    check = cell(tab, "check_batchnorm_forward(batchnorm_forward)")
    output = check.locator(".jp-OutputArea")
    expect(output).to_contain_text("hint: use the biased batch variance, dividing by N", timeout=WAIT_MS)
    expect(output).to_contain_text("CheckFailed: batchnorm_forward")
    assert "Traceback" not in output.inner_text()
    check.screenshot(path=str(SHOTS / "02-wrong-answer.png"))


def cases_of_the_forward_check():
    """How many cases check_batchnorm_forward runs, counted on the same answer in this process."""
    import contextlib
    import io

    from course_lib import checks

    namespace = {}
    exec(CELLS["batchnorm_forward"], namespace)
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        checks.check_batchnorm_forward(namespace["batchnorm_forward"])
    return sum(line.startswith("  \u2714 ") for line in printed.getvalue().splitlines())


def test_a_right_answer_passes_its_check(page):
    tab, expect = page
    type_and_run(tab, cell(tab, "def batchnorm_forward"), CELLS["batchnorm_forward"])
    check = cell(tab, "check_batchnorm_forward(batchnorm_forward)")
    expect(check.locator(".jp-OutputArea")).to_contain_text(f"All {cases_of_the_forward_check()} checks passed. "
                                                            "Well done!", timeout=WAIT_MS)
    expect(check.locator(".jp-OutputArea")).not_to_contain_text("CheckFailed")
    check.screenshot(path=str(SHOTS / "03-right-answer.png"))


def test_a_figure_renders_as_an_image(page):
    tab, expect = page
    figure = cell(tab, "plot_bn_transform(")
    # run the cells after the check, in order, down to the figure, as a student would
    texts = tab.locator(".jp-Notebook .jp-Cell").evaluate_all("cells => cells.map(c => c.innerText)")
    start = next(i for i, t in enumerate(texts) if "check_batchnorm_forward(batchnorm_forward)" in t)
    stop = next(i for i, t in enumerate(texts) if "plot_bn_transform(" in t and i > start)
    tab.locator(".jp-Notebook .jp-Cell").nth(start + 1).click()
    for _ in range(stop - start):
        tab.keyboard.press("Shift+Enter")
    image = figure.locator(".jp-OutputArea-output img")
    expect(image).to_be_visible(timeout=WAIT_MS)
    assert image.evaluate("img => img.naturalWidth > 100 && img.complete")
    assert image.get_attribute("src").startswith("data:image/png")
    figure.screenshot(path=str(SHOTS / "04-figure.png"))


def test_moving_a_slider_redraws_the_interactive_figure(page):
    tab, expect = page
    # From the top down to the figure, with a right answer in the exercise, as a student who got there would.
    exercise = cell(tab, "def batchnorm_forward")
    exercise.locator(".cm-content").click()
    tab.keyboard.press("Control+A")
    tab.keyboard.press("Delete")
    tab.keyboard.insert_text(CELLS["batchnorm_forward"])
    # Lab renders only the cells near the view, so the figure's index comes from the file.
    cells = nbformat.read(ROOT / "notebooks" / NOTEBOOK, as_version=4).cells
    stop = next(i for i, c in enumerate(cells) if "explore(draw_bn" in c.source)
    tab.locator(".jp-Notebook .jp-Cell").first.click()
    for _ in range(stop + 1):
        tab.keyboard.press("Shift+Enter")
    figure = cell(tab, "explore(draw_bn")
    # The widget's own image (the static PNG fallback has no widget-image class): the frontend is live.
    image = figure.locator(".jp-OutputArea-output img.widget-image")
    expect(image).to_be_visible(timeout=WAIT_MS)
    expect(figure.locator(".jp-OutputArea-output")).not_to_contain_text("Error")
    before = image.get_attribute("src")
    eps = figure.locator(".widget-slider").filter(has_text="ε")
    readout = eps.locator(".widget-readout")
    start_value = readout.inner_text()
    handle = eps.locator(".noUi-handle")
    box = handle.bounding_box()
    tab.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tab.mouse.down()
    tab.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2, steps=8)
    tab.mouse.up()
    expect(readout).not_to_have_text(start_value, timeout=WAIT_MS)
    expect(image).not_to_have_attribute("src", before, timeout=WAIT_MS)
    assert image.evaluate("img => img.complete && img.naturalWidth > 100")
    figure.screenshot(path=str(SHOTS / "05-slider-moved.png"))


def test_notebook_07_in_the_browser(page, request):
    """07: the setup runs, the reshape without the transpose gets its hint, the right answer passes, and the
    cell that needs 02's batchnorm_forward says what to fix while 02 is unfinished."""
    tab, expect = page
    base, token = request.getfixturevalue("lab")
    tab07 = tab.context.browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_notebook(tab07, base, token, NOTEBOOK_07, expect)
        setup = cell(tab07, "from course_lib import beyond")
        setup.locator(".cm-content").click()
        tab07.keyboard.press("Shift+Enter")
        expect(setup.locator(".jp-InputPrompt")).to_contain_text("[1]", timeout=WAIT_MS)
        expect(setup.locator(".jp-OutputArea-output")).to_have_count(0)

        exercise = cell(tab07, "def spatial_batchnorm_forward")
        check = cell(tab07, "check_spatial_batchnorm_forward(spatial_batchnorm_forward)")
        wrong = BUGGY["spatial_batchnorm_forward"]
        assert wrong != CELLS["spatial_batchnorm_forward"]
        type_and_run(tab07, exercise, wrong)
        expect(check.locator(".jp-OutputArea")).to_contain_text("hint: move the channels last before reshaping",
                                                                timeout=WAIT_MS)
        expect(check.locator(".jp-OutputArea")).to_contain_text("CheckFailed: spatial_batchnorm_forward")
        check.screenshot(path=str(SHOTS / "07-wrong-spatial-bn.png"))

        type_and_run(tab07, exercise, CELLS["spatial_batchnorm_forward"])
        expect(check.locator(".jp-OutputArea")).to_contain_text("checks passed. Well done!", timeout=WAIT_MS)
        expect(check.locator(".jp-OutputArea")).not_to_contain_text("CheckFailed")
        check.screenshot(path=str(SHOTS / "08-right-spatial-bn.png"))

        # The section's first cell, which makes x_maps, then the cell that needs notebook 02's function. The
        # lab saves 02 on its own now and then, so what 02 holds on disk is read first.
        with urllib.request.urlopen(f"{base}/api/contents/{NOTEBOOK}?token={token}", timeout=30) as r:
            saved = json.loads(r.read())["content"]
        [forward] = [c["source"] for c in saved["cells"] if "def batchnorm_forward" in c["source"]]
        unfinished = "raise NotImplementedError" in forward
        maps = cell(tab07, "x_maps = conv1.forward")
        maps.locator(".cm-content").click()
        tab07.keyboard.press("Shift+Enter")
        needs = cell(tab07, "%%needs 02_bn_equations: batchnorm_forward")
        needs.locator(".cm-content").click()
        tab07.keyboard.press("Shift+Enter")
        expect(needs.locator(".jp-OutputArea")).to_contain_text(
            "Skipped: this cell needs batchnorm_forward from 02_bn_equations" if unfinished
            else "your batchnorm_forward of 02 on the rows", timeout=WAIT_MS)
        assert "Traceback" not in needs.locator(".jp-OutputArea").inner_text()
        needs.screenshot(path=str(SHOTS / "09-needs-02.png"))
    finally:
        tab07.close()
