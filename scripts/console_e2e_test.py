"""The web console (/console) driven in headless Chromium, end to end.

A person enters a management key, picks a region and a project, creates a token, copies its
secret (checked against /_tokend/verify with requests), rotates it, revokes it, and watches the
tokens table and the audit trail at each step; a bad name shows the API's message under the
field. Screenshots of every view land in $CONSOLE_SCREENSHOTS (default /tmp/console-screens).

    scripts/with-server .venv/bin/python -m pytest -q scripts/console_e2e_test.py

runs against the console built into the binary. While editing the console, set
CONSOLE_ASSETS_DIR=Sources/TokendHTTP/Resources: the test then starts its own tokend that
serves the files from that folder. Needs chromium and chromedriver (Debian packages) and selenium.
The fixtures' bodies and the Selenium helpers are console_support.py's, shared with
console_portal_e2e_test.py.
"""

import uuid

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from console_support import (
    SHOTS, cell, chromium, console_url, copy_and_read, fill, find, shot, text, viewport, visible, wait,
)

KEY = "e2e-console-key-0001"  # the audit trail shows its first 8 characters as the actor
REGION = "nl-ams"  # not the first region, so the switcher is really used


# ---- fixtures


@pytest.fixture(scope="module")
def base_url():
    yield from console_url("console")


@pytest.fixture(scope="module")
def driver(base_url, request):
    yield from chromium(base_url, request, f"console screenshots: {SHOTS}")


# ---- helpers


def verify(base_url, secret, project):
    return requests.get(f"{base_url}/_tokend/verify", timeout=5, headers={
        "Authorization": f"Bearer {secret}", "X-Scope-OrgID": project,
        "X-Tokend-Operation": "metrics.push"}).status_code


def open_console(driver, base_url, project):
    """Loads the console, enters the key, picks REGION and filters on the project."""
    driver.get(f"{base_url}/console")
    region = f'#region-options input[value="{REGION}"]'
    wait(driver, visible(region), "every region is listed")
    if not find(driver, "#key-forget").is_displayed():
        wait(driver, visible("#no-key"), "the page asks for a key first")
        fill(driver, "#key-input", KEY)
        find(driver, "#key-use").click()
    find(driver, region).find_element(By.XPATH, "..").click()
    fill(driver, "#project-input", project)
    find(driver, "#project-form button").click()
    wait(driver, lambda d: f"project={project}" in d.current_url and f"region={REGION}" in d.current_url)


def row(driver, name):
    rows = driver.find_elements(By.XPATH, f'//table[@id="tokens-table"]/tbody/tr[th/text()[1]="{name}"]')
    return rows[0] if rows else None


def click_action(driver, name, action):
    # Retried until it lands: a refresh may redraw the row between finding and clicking.
    wait(driver, lambda d: row(d, name).find_element(By.CSS_SELECTOR, f'[data-action="{action}"]').click() or True,
         f"{action} {name}")


def table_names(driver):
    return [th.text.strip() for th in driver.find_elements(By.CSS_SELECTOR, "#tokens-table tbody th")]


def show_tokens(driver):
    find(driver, "#view-tokens").click()
    find(driver, "#tokens-refresh").click()


def activity_of(driver, name):
    """Opens the audit trail of one token from its row; returns its event types, newest first."""
    show_tokens(driver)
    click_action(driver, name, "activity")
    wait(driver, visible("#activity-filter"))
    rows = "#activity-table tbody tr"
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, rows))
    return [tr.get_attribute("data-event-type") for tr in driver.find_elements(By.CSS_SELECTOR, rows)]


def wait_events(driver, name, expected):
    """The audit trail's management events of a token, newest first, once they are `expected`."""
    def check(d):
        events = [e for e in activity_of(d, name) if e != "api_key.denied"]
        return events if events == expected else False
    return wait(driver, check, f"activity of {name} should be {expected}")


def read_secret(driver):
    wait(driver, visible("#secret-dialog"), "the secret is shown")
    secret = find(driver, "#secret-value").get_attribute("value")
    assert secret.startswith(f"tkd_{REGION.replace('-', '')}_"), secret
    return secret


def close_secret(driver):
    find(driver, '#secret-dialog [data-close]').click()
    wait(driver, lambda d: not find(d, "#secret-dialog").is_displayed())
    wait(driver, lambda d: find(d, "#secret-value").get_attribute("value") == "", "the secret does not linger")


def no_horizontal_scroll(driver):
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


# ---- tests


def test_bad_name_shows_the_api_message_and_keeps_what_was_typed(driver, base_url):
    project = str(uuid.uuid4())
    open_console(driver, base_url, project)
    # By keyboard: Enter opens the dialog on the name field, Space checks, Enter submits.
    find(driver, "#new-token").send_keys(Keys.ENTER)
    wait(driver, visible("#create-dialog"))
    assert driver.switch_to.active_element.get_attribute("id") == "create-name"
    driver.switch_to.active_element.send_keys("no spaces!")
    find(driver, '#scope-groups input[value="Query"]').send_keys(Keys.SPACE)
    find(driver, "#create-name").send_keys(Keys.ENTER)

    # The message is the API's own, for the same request.
    expected = requests.post(f"{base_url}/cockpit/v1/regions/{REGION}/tokens", timeout=5, headers={"X-Auth-Token": KEY},
                             json={"project_id": project, "name": "no spaces!", "token_scopes": ["read_only_metrics"]}).json()
    help_message = next(d["help_message"] for d in expected["details"] if d["argument_name"] == "name")
    wait(driver, lambda d: text(d, "#create-name-error") == help_message, "the API's message under the name field")
    name = find(driver, "#create-name")
    assert name.get_attribute("aria-invalid") == "true"
    assert "create-name-error" in name.get_attribute("aria-describedby")
    assert driver.switch_to.active_element == name, "focus goes to the field to fix"
    # Nothing typed is lost.
    assert name.get_attribute("value") == "no spaces!"
    assert find(driver, "#create-project").get_attribute("value") == project
    assert find(driver, '#scope-groups input[value="Query"]').is_selected()
    fine = [box.get_attribute("value") for box in driver.find_elements(By.CSS_SELECTOR, "#scope-fine input:checked")]
    assert fine == ["read_only_metrics", "read_only_logs", "read_only_traces"]
    shot(driver, "03-create-error")

    # Escape closes the dialog and gives focus back to the button that opened it.
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait(driver, lambda d: not find(d, "#create-dialog").is_displayed())
    wait(driver, lambda d: d.switch_to.active_element.get_attribute("id") == "new-token")
    assert table_names(driver) == [], "nothing was created"


def test_create_copy_rotate_revoke(driver, base_url):
    project = str(uuid.uuid4())
    driver.get(f"{base_url}/console")
    driver.execute_script("sessionStorage.clear()")
    driver.get(f"{base_url}/console")
    wait(driver, visible("#no-key"))
    shot(driver, "01-no-key")
    open_console(driver, base_url, project)

    # Every region, with its health.
    health = requests.get(f"{base_url}/_tokend/health", timeout=5).json()["regions"]
    labels = driver.find_elements(By.CSS_SELECTOR, "#region-options label")
    assert [label.find_element(By.TAG_NAME, "input").get_attribute("value") for label in labels] == [r["region"] for r in health]
    for label, region in zip(labels, health):
        assert region["state"] in label.text
    assert find(driver, f'#region-options input[value="{REGION}"]').is_selected()
    wait(driver, visible("#tokens-view .empty"), "a fresh project has no tokens")
    shot(driver, "02-empty")

    # Create with the Push group; the secret is shown once, with a warning and a copy button.
    find(driver, "#new-token").click()
    wait(driver, visible("#create-dialog"))
    assert REGION in text(driver, "#create-title")
    assert find(driver, "#create-project").get_attribute("value") == project
    fill(driver, "#create-name", "e2e-push")
    find(driver, '#scope-groups input[value="Push"]').click()
    fine = [box.get_attribute("value") for box in driver.find_elements(By.CSS_SELECTOR, "#scope-fine input:checked")]
    assert fine == ["write_only_metrics", "write_only_logs", "write_only_traces"]
    shot(driver, "04-create")
    find(driver, "#create-form button.primary").click()
    secret = read_secret(driver)
    assert "only this once" in text(driver, "#secret-warning")
    clipboard = copy_and_read(driver, "#secret-copy", "#secret-copied")
    assert clipboard in (secret, None), "the clipboard holds the secret (when headless Chromium has one)"
    shot(driver, "05-secret")
    assert verify(base_url, secret, project) == 200
    close_secret(driver)

    wait(driver, lambda d: [cell(row(d, "e2e-push"), label) for label in ("Scopes", "Status", "Secret prefix")]
         == ["Push", "active", secret[:18] + "\u2026"], "the new token is listed")
    # Last use is written in batches (about every second): refresh until it shows.
    wait(driver, lambda d: show_tokens(d) or (row(d, "e2e-push") and cell(row(d, "e2e-push"), "Last used") != "never"),
         "the verify call shows as last use")
    assert wait_events(driver, "e2e-push", ["api_key.created"])
    actor = driver.find_element(By.CSS_SELECTOR, '#activity-table tr[data-event-type="api_key.created"] [data-label="Actor"]')
    assert actor.text.strip() == KEY[:8]

    # Rotate without grace: the old secret stops at once, the new one works.
    show_tokens(driver)
    click_action(driver, "e2e-push", "rotate")
    wait(driver, visible("#rotate-dialog"))
    assert Select(find(driver, "#rotate-grace")).first_selected_option.get_attribute("value") == ""
    shot(driver, "06-rotate")
    find(driver, "#rotate-form button.primary").click()
    rotated = read_secret(driver)
    assert rotated != secret
    assert verify(base_url, secret, project) == 401
    assert verify(base_url, rotated, project) == 200
    close_secret(driver)
    wait(driver, lambda d: d.switch_to.active_element.get_attribute("data-action") == "rotate",
         "focus returns to the row's Rotate button")
    wait(driver, lambda d: cell(row(d, "e2e-push"), "Secret prefix") == rotated[:18] + "\u2026", "the table shows the new prefix")
    wait_events(driver, "e2e-push", ["api_key.rotated", "api_key.created"])

    # Revoke, after a confirmation; Cancel first does nothing.
    show_tokens(driver)
    click_action(driver, "e2e-push", "revoke")
    wait(driver, visible("#revoke-dialog"))
    assert driver.switch_to.active_element.text == "Cancel", "the safe choice has focus"
    shot(driver, "07-revoke")
    find(driver, "#revoke-dialog [data-close]").click()
    wait(driver, lambda d: not find(d, "#revoke-dialog").is_displayed())
    assert verify(base_url, rotated, project) == 200
    click_action(driver, "e2e-push", "revoke")
    wait(driver, visible("#revoke-dialog"))
    find(driver, "#revoke-form button.danger").click()
    wait(driver, lambda d: row(d, "e2e-push") is None, "the revoked token leaves the table")
    assert "revoked" in text(driver, "#notice")
    assert verify(base_url, rotated, project) == 401

    # The audit trail of the project: created, rotated, revoked, newest first.
    find(driver, "#view-activity").click()
    wait(driver, lambda d: [tr.get_attribute("data-event-type")
                            for tr in d.find_elements(By.CSS_SELECTOR, "#activity-table tbody tr")
                            if tr.get_attribute("data-event-type") != "api_key.denied"]
         == ["api_key.revoked", "api_key.rotated", "api_key.created"], "the whole trail")
    shot(driver, "08-activity")


def test_sorting_paging_and_a_narrow_window(driver, base_url):
    project = str(uuid.uuid4())
    api = f"{base_url}/cockpit/v1/regions/{REGION}/tokens"
    scopes = [["write_only_metrics", "write_only_logs", "write_only_traces"], ["read_only_metrics", "read_only_logs", "read_only_traces"],
              ["full_access_metrics_rules", "full_access_logs_rules", "full_access_alert_manager"], ["read_only_logs"]]
    names = ["alloy-edge", "grafana-query", "ruler", "loki-reader", "tempo-push", "mimir-push",
             "ci-deploy", "node-exporter", "otel-gateway", "backup-job", "audit-bot", "zabbix-bridge"]
    for index, name in enumerate(names):
        body = {"project_id": project, "name": name, "token_scopes": scopes[index % len(scopes)]}
        if name == "ci-deploy":
            body["expires_at"] = "2031-01-01T00:00:00Z"
        response = requests.post(api, json=body, headers={"X-Auth-Token": KEY}, timeout=5)
        assert response.status_code == 200, response.text
        if name in ("alloy-edge", "tempo-push"):
            assert verify(base_url, response.json()["secret_key"], project) == 200
    open_console(driver, base_url, project)

    # Newest first by default, ten to a page when asked.
    Select(find(driver, "#tokens-pager select")).select_by_visible_text("10")
    wait(driver, lambda d: text(d, "#tokens-pager .pager-status") == "Page 1 of 2 \u00b7 12 tokens")
    assert table_names(driver) == names[::-1][:10]
    find(driver, '#tokens-pager [data-step="1"]').click()
    wait(driver, lambda d: table_names(d) == names[::-1][10:], "page 2 holds the two oldest")
    assert not find(driver, '#tokens-pager [data-step="1"]').is_enabled()

    # Sorting by name goes back to page 1; a second click flips the order.
    header = find(driver, '#tokens-table th[data-sort="name"]')
    header.find_element(By.TAG_NAME, "button").click()
    wait(driver, lambda d: table_names(d) == sorted(names)[:10], "A to Z")
    assert header.get_attribute("aria-sort") == "ascending"
    header.find_element(By.TAG_NAME, "button").click()
    wait(driver, lambda d: table_names(d) == sorted(names, reverse=True)[:10], "Z to A")
    assert "order=name_desc" in driver.current_url
    wait(driver, lambda d: show_tokens(d) or any(
        cell(r, "Last used") != "never" for r in d.find_elements(By.CSS_SELECTOR, "#tokens-table tbody tr")))
    find(driver, '#tokens-table th[data-sort="created_at"] button').click()
    wait(driver, lambda d: table_names(d) == names[::-1][:10])
    shot(driver, "09-tokens")

    # About 400 px wide: rows become cards, nothing scrolls sideways.
    viewport(driver, 400, 800)
    try:
        assert driver.execute_script("return window.innerWidth") == 400
        wait(driver, no_horizontal_scroll, "no sideways scrolling at 400 px")
        shot(driver, "10-narrow-tokens")
        find(driver, "#new-token").click()
        wait(driver, visible("#create-dialog"))
        assert no_horizontal_scroll(driver)
        shot(driver, "11-narrow-create")
        find(driver, "#create-dialog [data-close]").click()
        find(driver, "#view-activity").click()
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#activity-table tbody tr"))
        assert no_horizontal_scroll(driver)
        shot(driver, "12-narrow-activity")
    finally:
        viewport(driver, 1280, 800)
