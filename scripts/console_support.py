"""What the web console's browser tests share: console_e2e_test.py (the Cockpit face) and
console_portal_e2e_test.py (the xScaler portal face). Not a test file (pytest collects only
*_test.py), so importing it collects nothing.

- console_url(name): the body of a `base_url` fixture: $TOKEND_URL, or with CONSOLE_ASSETS_DIR
  set, a tokend of our own (TOKEND_BINARY) that serves the console from that folder.
- chromium(base_url, request, note): the body of a `driver` fixture: headless Chromium through
  chromedriver (CHROMIUM, CHROMEDRIVER), allowed the clipboard, 1280×800; `note` is printed at
  the end of the run (where the screenshots are).
- viewport, wait, shot, find, text, visible, fill, cell, copy_and_read: small Selenium helpers.

Screenshots land in $CONSOLE_SCREENSHOTS (default /tmp/console-screens).
"""

import os
import pathlib
import shutil
import tempfile

from selenium import webdriver
from selenium.common.exceptions import JavascriptException, NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness.tokend import ServeProcess

SHOTS = pathlib.Path(os.environ.get("CONSOLE_SCREENSHOTS", "/tmp/console-screens"))
WAIT = 10


# ---- fixtures' bodies (each test file keeps its own module-scoped fixtures)


def console_url(name):
    """Yields the server's base URL; `name` names our own server and its temporary folder."""
    assets = os.environ.get("CONSOLE_ASSETS_DIR")
    if not assets:
        yield os.environ["TOKEND_URL"].rstrip("/")
        return
    # Developing the console: a server of our own (TOKEND_BINARY), reading the console from the folder.
    root = pathlib.Path(tempfile.mkdtemp(prefix=f"tokend-{name}-"))
    server = ServeProcess(root, name, extra=["--assets-dir", str(pathlib.Path(assets).resolve())])
    try:
        yield server.start().url
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def chromium(base_url, request, note, capabilities=None):
    """Yields a headless Chromium on base_url's origin; `capabilities` are set on its options."""
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", shutil.which("chromium") or "chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800"):
        options.add_argument(argument)
    for name, value in (capabilities or {}).items():
        options.set_capability(name, value)
    service = Service(os.environ.get("CHROMEDRIVER", shutil.which("chromedriver") or "chromedriver"))
    browser = webdriver.Chrome(options=options, service=service)
    try:
        # Lets the page's copy button use the async clipboard, and the test read it back.
        browser.execute_cdp_cmd("Browser.grantPermissions", {
            "origin": base_url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
        viewport(browser, 1280, 800)
        yield browser
    finally:
        browser.quit()
        # Printed past pytest's capture, so it shows on a passing run too.
        with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
            print(f"\n{note}")


# ---- helpers


def viewport(driver, width, height):
    # The page's own size, whatever the headless window's frame takes.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def wait(driver, condition, message="", timeout=WAIT):
    # Rows are redrawn after every answer: an element read mid-redraw is simply read again.
    return WebDriverWait(driver, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(condition, message)


def shot(driver, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def find(driver, selector):
    return driver.find_element(By.CSS_SELECTOR, selector)


def text(driver, selector):
    return find(driver, selector).text.strip()


def visible(selector):
    def check(driver):
        try:
            return find(driver, selector).is_displayed()
        except NoSuchElementException:
            return False
    return check


def fill(driver, selector, value):
    field = find(driver, selector)
    field.clear()
    field.send_keys(value)


def cell(row, label):
    """The text of a table row's cell with that data-label."""
    return row.find_element(By.CSS_SELECTOR, f'[data-label="{label}"]').text.strip()


def copy_and_read(driver, button, status):
    """Clicks a copy button and waits for `status` to confirm the copy; returns the clipboard's
    text, or None when headless Chromium has no clipboard to read back."""
    find(driver, button).click()
    wait(driver, lambda d: text(d, status) == "Copied to the clipboard.", "the copy is confirmed")
    try:
        return driver.execute_async_script(
            "navigator.clipboard.readText().then(arguments[0], () => arguments[0](null))")
    except JavascriptException:
        return None
