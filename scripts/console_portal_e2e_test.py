"""The web console's xScaler portal face (/console, "xScaler portal") in headless Chromium, end to end.

A person switches to the portal, signs in (the JWT goes in sessionStorage), creates a tenant,
opens it, creates a key (read once from the page and checked against /_tokend/verify with
requests), rotates it, suspends and resumes the tenant, revokes the key after a confirmation,
and reads the activity log (type, tenant and text filters, "Load more") and the usage
figures. An API error shows the server's own message by the form; an ended session brings
the sign-in back. Every check reads what the page shows. Screenshots land in
$CONSOLE_SCREENSHOTS (default /tmp/console-screens), named portal-*.

    scripts/with-server .venv/bin/python -m pytest -q scripts/console_portal_e2e_test.py

runs against the console built into the binary. While editing the console, set
CONSOLE_ASSETS_DIR=Sources/TokendHTTP/Resources: the test then starts its own tokend
(TOKEND_BINARY, open auth) that serves the files from that folder. Needs chromium and
chromedriver (Debian packages) and selenium. The fixtures' bodies and the Selenium helpers are
console_support.py's, shared with console_e2e_test.py.
"""

import re
import time

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

import console_support
from console_support import (
    SHOTS, WAIT, cell, chromium, console_url, copy_and_read, fill, find, text, viewport, visible, wait,
)

EMAIL = "training@example.com"
PASSWORD = "Training123!"
REGION = "nl-ams"  # not the default (first) region, so the select is really used
USE_WAIT = 20  # last use and usage counters may be written in batches


# ---- fixtures


@pytest.fixture(scope="module")
def base_url():
    yield from console_url("portal-console")


@pytest.fixture(scope="module")
def driver(base_url, request):
    # window.confirm is answered by the test, never by the driver.
    yield from chromium(base_url, request, f"portal console screenshots: {SHOTS}/portal-*.png",
                        {"unhandledPromptBehavior": "ignore"})


@pytest.fixture(scope="module")
def jwt(base_url):
    """A token of the same user, for asking the API what the page should show."""
    response = requests.post(f"{base_url}/auth/login", json={"email": EMAIL, "password": PASSWORD}, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["token"]


# ---- helpers


def shot(driver, name):
    console_support.shot(driver, f"portal-{name}")


def api(base_url, jwt, method, path, **kwargs):
    return requests.request(method, f"{base_url}{path}", headers={"Authorization": f"Bearer {jwt}"}, timeout=5, **kwargs)


def verify(base_url, key, tenant, uri="/api/v1/push", method="POST"):
    return requests.get(f"{base_url}/_tokend/verify", timeout=5, headers={
        "Authorization": f"Bearer {key}", "X-Scope-OrgID": tenant,
        "X-Original-URI": uri, "X-Original-Method": method}).status_code


def sign_in(driver):
    wait(driver, visible("#signin-form"), "the sign-in form is shown")
    fill(driver, "#signin-email", EMAIL)
    fill(driver, "#signin-password", PASSWORD)
    find(driver, "#signin-submit").click()
    wait(driver, visible("#portal-app"), "signed in")
    wait(driver, lambda d: text(d, "#portal-user") == EMAIL, "the header names the user")


def open_portal(driver, base_url):
    """Loads the console on the portal face, signed in, on the tenants view."""
    driver.get(f"{base_url}/console")
    find(driver, "#face-portal").click()
    wait(driver, lambda d: visible("#signin-form")(d) or visible("#portal-app")(d))
    if find(driver, "#signin-form").is_displayed():
        sign_in(driver)
    find(driver, "#portal-view-tenants").click()
    if not find(driver, "#tenants-view").is_displayed():
        find(driver, "#tenant-back").click()
    wait(driver, visible("#tenants-view"))


def tenant_row(driver, tenant_id):
    rows = driver.find_elements(By.CSS_SELECTOR, f'#tenants-table tbody tr[data-tenant-id="{tenant_id}"]')
    return rows[0] if rows else None


def key_row(driver, name):
    rows = driver.find_elements(By.XPATH, f'//table[@id="keys-table"]/tbody/tr[th[normalize-space()="{name}"]]')
    return rows[0] if rows else None


def cells(row, *labels):
    return [cell(row, label) for label in labels]


def click_key_action(driver, name, action):
    # Retried until it lands: a refresh may redraw the row between finding and clicking.
    wait(driver, lambda d: key_row(d, name).find_element(By.CSS_SELECTOR, f'[data-action="{action}"]').click() or True,
         f"{action} {name}")


def confirm(driver, answer, says):
    alert = WebDriverWait(driver, WAIT).until(expected_conditions.alert_is_present(), "a confirmation is asked")
    assert says in alert.text, alert.text
    alert.accept() if answer else alert.dismiss()


def read_key(driver):
    wait(driver, visible("#portal-secret-dialog"), "the key is shown")
    wait(driver, lambda d: find(d, "#portal-secret-value").get_attribute("value"))
    key = find(driver, "#portal-secret-value").get_attribute("value")
    assert re.fullmatch(r"xag_[a-z0-9]{32}", key), key
    assert "only this once" in text(driver, "#portal-secret-warning")
    return key


def close_key(driver):
    find(driver, "#portal-secret-dialog [data-close]").click()
    wait(driver, lambda d: not find(d, "#portal-secret-dialog").is_displayed())
    wait(driver, lambda d: find(d, "#portal-secret-value").get_attribute("value") == "", "the key does not linger")


def figure(driver, box, field):
    return text(driver, f'{box} [data-field="{field}"] dd')


def event_rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#portal-activity-table tbody tr")


def shown_types(driver):
    return [tr.get_attribute("data-event-type") for tr in event_rows(driver)]


def shown_ids(driver):
    return [tr.get_attribute("data-event-id") for tr in event_rows(driver)]


def wait_types(driver, expected, message):
    return wait(driver, lambda d: shown_types(d) == expected, f"{message}: expected {expected}")


def no_horizontal_scroll(driver):
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


# ---- tests


def test_sign_in_and_an_api_error_by_its_form(driver, base_url, jwt):
    driver.get(f"{base_url}/console")
    driver.execute_script("sessionStorage.clear()")
    driver.get(f"{base_url}/console")
    # The Cockpit face stays the default.
    assert find(driver, "#face-cockpit").get_attribute("aria-pressed") == "true"
    assert find(driver, "#main").is_displayed() and not find(driver, "#portal-main").is_displayed()
    find(driver, "#face-portal").click()
    wait(driver, visible("#signin-form"), "the portal asks for a sign-in first")
    assert find(driver, "#face-portal").get_attribute("aria-pressed") == "true"
    assert not find(driver, "#main").is_displayed() and not find(driver, "#key-form").is_displayed()
    assert not find(driver, "#portal-app").is_displayed()

    # Nothing typed: said under each field, no request.
    find(driver, "#signin-submit").click()
    wait(driver, lambda d: text(d, "#signin-email-error") == "Enter your email.")
    assert text(driver, "#signin-password-error") == "Enter your password."
    assert driver.switch_to.active_element.get_attribute("id") == "signin-email"
    shot(driver, "01-sign-in")
    sign_in(driver)
    token = driver.execute_script("return sessionStorage.getItem('tokend.portalToken')")
    assert token and token.count(".") == 2, "the JWT is kept in sessionStorage"
    assert token not in driver.current_url

    # The organisation's summary, as the API tells it.
    summary = api(base_url, jwt, "GET", "/dashboard/org/summary").json()
    wait(driver, lambda d: figure(d, "#org-summary", "billing_plan") == summary["billing_plan"], "the plan is shown")
    limit = "no limit" if summary["plan_max_tenants"] is None else f"{summary['plan_max_tenants']:,}"
    assert figure(driver, "#org-summary", "tenants") == f"{summary['tenants']} of {limit}"
    wait(driver, visible("#tenants-empty"), "a fresh organisation has no tenants")
    shot(driver, "02-no-tenants")

    # A display name too long: the server's own message, by the form, with what was typed kept.
    long_name = "x" * 65
    expected = api(base_url, jwt, "POST", "/tenants", json={"display_name": long_name, "environment": "prod", "region": REGION})
    assert expected.status_code == 400, f"POST /tenants with a 65-character display_name: {expected.status_code} {expected.text}"
    assert expected.json()["error"] == "invalid_request"
    find(driver, "#new-tenant").click()
    wait(driver, visible("#tenant-dialog"))
    assert driver.switch_to.active_element.get_attribute("id") == "tenant-name"
    fill(driver, "#tenant-name", long_name)
    fill(driver, "#tenant-environment-input", "prod")
    wait(driver, lambda d: [o.get_attribute("value") for o in Select(find(d, "#tenant-region-select")).options])
    Select(find(driver, "#tenant-region-select")).select_by_value(REGION)
    find(driver, "#tenant-create").click()
    wait(driver, lambda d: text(d, "#tenant-form-error") == expected.json()["message"], "the API's message by the form")
    assert find(driver, "#tenant-name").get_attribute("value") == long_name
    assert find(driver, "#tenant-environment-input").get_attribute("value") == "prod"
    shot(driver, "03-create-error")
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait(driver, lambda d: not find(d, "#tenant-dialog").is_displayed())
    wait(driver, lambda d: d.switch_to.active_element.get_attribute("id") == "new-tenant", "focus goes back to the button")
    assert api(base_url, jwt, "GET", "/tenants").json() == [], "nothing was created"


def test_tenant_and_key_lifecycle_with_activity_and_usage(driver, base_url, jwt):
    open_portal(driver, base_url)

    # ---- New tenant, in a region picked from the health's list.
    find(driver, "#new-tenant").click()
    wait(driver, visible("#tenant-dialog"))
    regions = [r["region"] for r in requests.get(f"{base_url}/_tokend/health", timeout=5).json()["regions"]]
    wait(driver, lambda d: [o.get_attribute("value") for o in Select(find(d, "#tenant-region-select")).options] == regions,
         f"the region select lists {regions}")
    fill(driver, "#tenant-name", "Payment Service Production")
    fill(driver, "#tenant-environment-input", "prod")
    Select(find(driver, "#tenant-region-select")).select_by_value(REGION)
    shot(driver, "04-new-tenant")
    find(driver, "#tenant-create").click()
    wait(driver, lambda d: not find(d, "#tenant-dialog").is_displayed(), "the dialog closes on success")
    listed = api(base_url, jwt, "GET", "/tenants").json()
    assert [t["display_name"] for t in listed] == ["Payment Service Production"], listed
    tenant = listed[0]
    tenant_id = tenant["id"]
    assert re.fullmatch(r"xs_[a-z0-9]+_[a-z2-7]{8}", tenant_id), tenant_id
    assert (tenant["environment"], tenant["region"], tenant["status"]) == ("prod", REGION, "active")
    wait(driver, lambda d: tenant_row(d, tenant_id) is not None, "the new tenant is listed")
    row = tenant_row(driver, tenant_id)
    assert cells(row, "Display name", "Tenant ID", "Environment", "Region", "Status") == [
        "Payment Service Production", tenant_id, "prod", REGION, "active"]
    assert cell(row, "Created")
    assert tenant_id in text(driver, "#portal-notice")
    wait(driver, lambda d: figure(d, "#org-summary", "tenants").startswith("1 of "), "the summary counts it")
    shot(driver, "05-tenants")

    # A second tenant (by the API), so the tenant filter has something to leave out.
    other = api(base_url, jwt, "POST", "/tenants", json={"display_name": "Search Staging", "environment": "staging"})
    assert other.status_code == 201, other.text
    other_id = other.json()["id"]

    # ---- Its page: details, usage, no keys yet.
    row.find_element(By.CSS_SELECTOR, '[data-action="open"]').click()
    wait(driver, visible("#tenant-view"))
    wait(driver, lambda d: text(d, "#tenant-id") == tenant_id)
    assert text(driver, "#tenant-title") == "Payment Service Production"
    assert driver.switch_to.active_element.get_attribute("id") == "tenant-title"
    wait(driver, lambda d: text(d, "#tenant-metrics-host") == tenant["metrics_host"])
    assert (text(driver, "#tenant-logs-host"), text(driver, "#tenant-traces-host")) == (tenant["logs_host"], tenant["traces_host"])
    assert (text(driver, "#tenant-environment"), text(driver, "#tenant-region"), text(driver, "#tenant-status")) == ("prod", REGION, "active")
    wait(driver, visible("#keys-empty"), "no keys yet")
    wait(driver, lambda d: figure(d, "#tenant-usage", "api_keys") == "0", "usage: no keys")
    assert figure(driver, "#tenant-usage", "verified_writes") == "0"

    # ---- New key, write only: shown once, with a copy button.
    find(driver, "#new-key").click()
    wait(driver, visible("#key-dialog"))
    assert "Payment Service Production" in text(driver, "#key-dialog-title")
    assert Select(find(driver, "#new-key-scope")).first_selected_option.get_attribute("value") == "read+write"
    assert [o.get_attribute("value") for o in Select(find(driver, "#new-key-scope")).options] == ["read+write", "write", "read"]
    # A name the server refuses: its message by the form, and no key.
    refused = api(base_url, jwt, "POST", f"/tenants/{tenant_id}/keys", json={"display_name": "k1", "scope": "write"})
    assert refused.status_code == 400, refused.text
    fill(driver, "#new-key-name", "k1")
    Select(find(driver, "#new-key-scope")).select_by_value("write")
    find(driver, "#new-key-create").click()
    wait(driver, lambda d: text(d, "#new-key-error") == refused.json()["message"], "the API's message by the key form")
    assert find(driver, "#key-dialog").is_displayed() and key_row(driver, "k1") is None
    fill(driver, "#new-key-name", "k8s-prod-collector-1")
    assert Select(find(driver, "#new-key-scope")).first_selected_option.get_attribute("value") == "write", "what was chosen stays"
    shot(driver, "06-new-key")
    find(driver, "#new-key-create").click()
    key = read_key(driver)
    assert text(driver, "#portal-secret-tenant") == tenant_id
    clipboard = copy_and_read(driver, "#portal-secret-copy", "#portal-secret-copied")
    assert clipboard in (key, None), "the clipboard holds the key (when headless Chromium has one)"
    shot(driver, "07-key-once")
    assert verify(base_url, key, tenant_id) == 200, "the write key pushes"
    assert verify(base_url, key, tenant_id, "/prometheus/api/v1/query", "GET") == 403, "a write key does not query"
    assert verify(base_url, key, other_id) in (401, 403), "nor pushes to another tenant"
    close_key(driver)
    wait(driver, lambda d: d.switch_to.active_element.get_attribute("id") == "new-key", "focus goes back to New key")

    wait(driver, lambda d: key_row(d, "k8s-prod-collector-1") is not None, "the key is listed")
    assert cells(key_row(driver, "k8s-prod-collector-1"), "Scope", "Status", "Prefix") == ["write", "active", key[:8] + "\u2026"]
    assert key not in driver.page_source, "the key is gone from the page"
    # Last use and the usage counters are measured by tokend: refresh until they show the push.
    wait(driver, lambda d: find(d, "#tenant-refresh").click() or (
        key_row(d, "k8s-prod-collector-1") is not None and cell(key_row(d, "k8s-prod-collector-1"), "Last used") != "never"),
        "the verify call shows as last use", timeout=USE_WAIT)
    wait(driver, lambda d: find(d, "#tenant-refresh").click() or (
        figure(d, "#tenant-usage", "api_keys") == "1" and int(figure(d, "#tenant-usage", "verified_writes").replace(",", "")) >= 1),
        "usage counts the key and the push", timeout=USE_WAIT)
    usage = api(base_url, jwt, "GET", f"/dashboard/tenants/{tenant_id}/usage").json()
    assert usage["tenant_id"] == tenant_id
    assert figure(driver, "#tenant-usage", "verified_reads") == f"{usage['verified_reads']:,}"
    assert figure(driver, "#tenant-usage", "last_used_at") != "never"
    shot(driver, "08-tenant")

    # ---- Rotate, after a confirmation: the old key stops at once, the new one is shown once.
    click_key_action(driver, "k8s-prod-collector-1", "rotate")
    confirm(driver, True, "Rotate k8s-prod-collector-1")
    rotated = read_key(driver)
    assert rotated != key
    assert verify(base_url, key, tenant_id) == 401, "the rotated-away key"
    assert verify(base_url, rotated, tenant_id) == 200, "the new key"
    shot(driver, "09-rotated")
    close_key(driver)
    wait(driver, lambda d: cell(key_row(d, "k8s-prod-collector-1"), "Prefix") == rotated[:8] + "\u2026", "the new prefix is listed")
    assert "rotated" in text(driver, "#portal-notice")

    # ---- Suspend: the key is refused with 403; resume: it works again.
    assert not find(driver, "#tenant-resume").is_displayed()
    find(driver, "#tenant-suspend").click()
    wait(driver, lambda d: text(d, "#tenant-status") == "suspended", "the page shows the suspension")
    wait(driver, visible("#tenant-resume"))
    assert not find(driver, "#tenant-suspend").is_displayed()
    assert find(driver, "#tenant-suspended-note").is_displayed()
    assert verify(base_url, rotated, tenant_id) == 403, "a suspended tenant's key"
    shot(driver, "10-suspended")
    find(driver, "#tenant-resume").click()
    wait(driver, lambda d: text(d, "#tenant-status") == "active", "the page shows it active again")
    wait(driver, visible("#tenant-suspend"))
    assert not find(driver, "#tenant-suspended-note").is_displayed()
    assert verify(base_url, rotated, tenant_id) == 200, "a resumed tenant's key"

    # ---- Revoke, after a confirmation; saying no first changes nothing.
    click_key_action(driver, "k8s-prod-collector-1", "revoke")
    confirm(driver, False, "Revoke k8s-prod-collector-1")
    time.sleep(0.5)  # nothing should happen: give a wrong request the time to land
    assert key_row(driver, "k8s-prod-collector-1") is not None
    assert verify(base_url, rotated, tenant_id) == 200
    click_key_action(driver, "k8s-prod-collector-1", "revoke")
    confirm(driver, True, "Revoke k8s-prod-collector-1")
    wait(driver, lambda d: key_row(d, "k8s-prod-collector-1") is None, "the revoked key leaves the table")
    assert "revoked" in text(driver, "#portal-notice")
    assert verify(base_url, rotated, tenant_id) == 401, "a revoked key"
    wait(driver, visible("#keys-empty"))
    wait(driver, lambda d: find(d, "#tenant-refresh").click() or figure(d, "#tenant-usage", "api_keys") == "0",
         "usage no longer counts the revoked key")

    # ---- The tenant's activity, newest first, with who did it.
    find(driver, "#tenant-activity").click()
    wait(driver, visible("#portal-activity-view"))
    assert Select(find(driver, "#portal-activity-tenant")).first_selected_option.get_attribute("value") == tenant_id
    trail = ["api_key.revoked", "tenant.activated", "tenant.suspended", "api_key.rotated", "api_key.created", "tenant.created"]
    wait_types(driver, trail, "the tenant's whole trail, newest first")
    for tr in event_rows(driver):
        assert cells(tr, "Tenant", "Actor", "Result") == [tenant_id, EMAIL, "success"]
    times = [tr.find_element(By.TAG_NAME, "time").get_attribute("datetime") for tr in event_rows(driver)]
    assert times == sorted(times, reverse=True), times
    answer = api(base_url, jwt, "GET", "/activity", params={"tenant_id": tenant_id, "limit": 20}).json()
    assert shown_ids(driver) == [e["id"] for e in answer["events"]]
    assert find(driver, "#portal-activity-more").is_displayed() is False
    shot(driver, "11-activity")

    # The type filter narrows it.
    Select(find(driver, "#portal-activity-type")).select_by_value("api_key.rotated")
    wait_types(driver, ["api_key.rotated"], "only the rotation")
    Select(find(driver, "#portal-activity-type")).select_by_value("tenant.suspended")
    wait_types(driver, ["tenant.suspended"], "only the suspension")
    shot(driver, "12-activity-type")
    Select(find(driver, "#portal-activity-type")).select_by_value("")
    wait_types(driver, trail, "every type again")

    # The free text narrows it too: the page shows what the API finds for the same words.
    fill(driver, "#portal-activity-q", "k8s-prod-collector-1")
    find(driver, "#portal-activity-search").click()
    found = api(base_url, jwt, "GET", "/activity", params={"tenant_id": tenant_id, "q": "k8s-prod-collector-1", "limit": 20}).json()
    found_types = [e["type"] for e in found["events"]]
    assert found_types and all(t.startswith("api_key.") for t in found_types), \
        f"GET /activity?q=k8s-prod-collector-1 (the key's name) should find the key's events: {found_types}"
    wait_types(driver, found_types, "the search")
    fill(driver, "#portal-activity-q", "no-such-words-anywhere")
    find(driver, "#portal-activity-q").send_keys(Keys.ENTER)
    wait(driver, visible("#portal-activity-empty"), "no event matches")
    fill(driver, "#portal-activity-q", "")
    find(driver, "#portal-activity-search").click()
    wait_types(driver, trail, "no search")

    # Every tenant: the other tenant's creation (made just after this one's) shows too.
    Select(find(driver, "#portal-activity-tenant")).select_by_value("")
    wait_types(driver, trail[:-1] + ["tenant.created", "tenant.created"], "every tenant's events")
    assert [cell(tr, "Tenant") for tr in event_rows(driver)[-2:]] == [other_id, tenant_id]

    # ---- The tenants list says the same; the tenant page is reached from it again.
    find(driver, "#portal-view-tenants").click()
    wait(driver, lambda d: tenant_row(d, other_id) is not None and tenant_row(d, tenant_id) is not None)
    assert cell(tenant_row(driver, tenant_id), "Status") == "active"
    wait(driver, lambda d: figure(d, "#org-summary", "tenants").startswith("2 of "), "the summary counts both")


def test_load_more_pages_the_activity_log(driver, base_url, jwt):
    # Enough events for three loads of ten: a tenant with keys, made by the API.
    tenant = api(base_url, jwt, "POST", "/tenants", json={"display_name": "Load More", "region": REGION})
    assert tenant.status_code == 201, tenant.text
    tenant_id = tenant.json()["id"]
    for index in range(14):
        response = api(base_url, jwt, "POST", f"/tenants/{tenant_id}/keys", json={"display_name": f"collector-{index:02}"})
        assert response.status_code == 201, response.text
    everything = []
    cursor = None
    while True:
        answer = api(base_url, jwt, "GET", "/activity", params={"limit": 10, **({"cursor": cursor} if cursor else {})}).json()
        everything += [e["id"] for e in answer["events"]]
        cursor = answer["next_cursor"]
        if not cursor:
            break
    assert len(everything) >= 21 and len(set(everything)) == len(everything), everything

    open_portal(driver, base_url)
    find(driver, "#portal-view-activity").click()
    wait(driver, visible("#portal-activity-view"))
    Select(find(driver, "#portal-activity-tenant")).select_by_value("")
    Select(find(driver, "#portal-activity-type")).select_by_value("")
    fill(driver, "#portal-activity-q", "")
    Select(find(driver, "#portal-activity-limit")).select_by_value("10")
    wait(driver, lambda d: shown_ids(d) == everything[:10], "the newest ten")
    assert find(driver, "#portal-activity-more").is_displayed()
    find(driver, "#portal-activity-more").click()
    wait(driver, lambda d: shown_ids(d) == everything[:20], "ten more, older, appended")
    shot(driver, "13-load-more")
    while find(driver, "#portal-activity-more").is_displayed():
        shown = len(shown_ids(driver))
        find(driver, "#portal-activity-more").click()
        wait(driver, lambda d: len(shown_ids(d)) > shown or not find(d, "#portal-activity-more").is_displayed())
    wait(driver, lambda d: shown_ids(d) == everything, "every event once, newest first")
    assert text(driver, "#portal-activity-count") == f"{len(everything)} events shown"
    # Newest first across the regions (the tenants live in two of them).
    times = [tr.find_element(By.TAG_NAME, "time").get_attribute("datetime") for tr in event_rows(driver)]
    assert times == sorted(times, reverse=True), times
    assert {cell(tr, "Tenant") for tr in event_rows(driver)} >= {tenant_id}
    # The type filter with paging: only key creations, of both tenants that have keys.
    Select(find(driver, "#portal-activity-type")).select_by_value("api_key.created")
    wait(driver, lambda d: shown_types(d) and set(shown_types(d)) == {"api_key.created"} and len(shown_types(d)) == 10)


def test_an_ended_session_shows_the_sign_in_again(driver, base_url, jwt):
    open_portal(driver, base_url)
    # A token the server refuses (as an expired one is): the next call brings the sign-in back.
    driver.execute_script("sessionStorage.setItem('tokend.portalToken', arguments[0])", jwt[:-4] + ("AAAA" if not jwt.endswith("AAAA") else "BBBB"))
    driver.get(f"{base_url}/console")
    wait(driver, visible("#signin-form"), "a refused token signs out")
    assert "Sign in again" in text(driver, "#signin-error")
    assert driver.execute_script("return sessionStorage.getItem('tokend.portalToken')") is None
    shot(driver, "14-session-ended")
    sign_in(driver)
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#tenants-table tbody tr"), "signed in again, the tenants show")

    # Sign out: back to the form, the token gone.
    find(driver, "#portal-signout").click()
    wait(driver, visible("#signin-form"))
    assert driver.execute_script("return sessionStorage.getItem('tokend.portalToken')") is None
    assert driver.find_elements(By.CSS_SELECTOR, "#tenants-table tbody tr") == []

    # The Cockpit face is one click away and unchanged.
    find(driver, "#face-cockpit").click()
    wait(driver, visible("#main"))
    assert not find(driver, "#portal-main").is_displayed()
    assert find(driver, "#key-form").is_displayed()
    find(driver, "#face-portal").click()
    wait(driver, visible("#signin-form"))


def test_a_narrow_window(driver, base_url):
    open_portal(driver, base_url)
    viewport(driver, 400, 800)
    try:
        assert driver.execute_script("return window.innerWidth") == 400
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#tenants-table tbody tr"))
        wait(driver, no_horizontal_scroll, "no sideways scrolling at 400 px (tenants)")
        shot(driver, "15-narrow-tenants")
        find(driver, "#tenants-table tbody tr [data-action='open']").click()
        wait(driver, visible("#tenant-view"))
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#keys-table tbody tr") or visible("#keys-empty")(d))
        wait(driver, no_horizontal_scroll, "no sideways scrolling at 400 px (tenant)")
        shot(driver, "16-narrow-tenant")
        find(driver, "#portal-view-activity").click()
        wait(driver, lambda d: event_rows(d))
        wait(driver, no_horizontal_scroll, "no sideways scrolling at 400 px (activity)")
        shot(driver, "17-narrow-activity")
    finally:
        viewport(driver, 1280, 800)
