"""Headless Chromium (Debian's ``chromium``, installed by tools/misc/install_browser.sh) driven
by Playwright's Python client through ``executable_path``: no browser download."""
import os
import os.path as osp
import shutil

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: Set MMEXT_SCREENSHOTS=docs/screenshots to keep the tests' screenshots there.
SCREENSHOT_DIR = os.environ.get('MMEXT_SCREENSHOTS')


@pytest.fixture(scope='module')
def browser():
    from playwright.sync_api import sync_playwright
    exe = shutil.which('chromium')
    assert exe, 'chromium is not installed: run tools/misc/install_browser.sh'
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=['--no-sandbox', '--disable-gpu'])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A page that records console errors and uncaught exceptions in ``page.errors``."""
    context = browser.new_context(viewport={'width': 1400, 'height': 900})
    pg = context.new_page()
    pg.errors = []
    pg.on('console', lambda m: pg.errors.append(m.text) if m.type == 'error' else None)
    pg.on('pageerror', lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


@pytest.fixture
def screenshot(tmp_path):
    """``screenshot(page, name)``: full-page PNG into ``tmp_path`` (and MMEXT_SCREENSHOTS
    when set); returns its path."""
    def shoot(page, name, full_page=True):
        path = str(tmp_path / name)
        page.screenshot(path=path, full_page=full_page)
        if SCREENSHOT_DIR:
            folder = osp.join(REPO, SCREENSHOT_DIR)
            os.makedirs(folder, exist_ok=True)
            from PIL import Image  # docs copy: 256 colours keep it small
            Image.open(path).convert('RGB').quantize(256).save(osp.join(folder, name),
                                                               optimize=True)
        return path
    return shoot


@pytest.fixture
def rendered_images():
    """``rendered_images(page)``: ``(src, naturalWidth, clientWidth)`` of every ``<img>``."""
    return lambda page: page.eval_on_selector_all(
        'img', 'els => els.map(e => [e.getAttribute("src"), e.naturalWidth, e.clientWidth])')
