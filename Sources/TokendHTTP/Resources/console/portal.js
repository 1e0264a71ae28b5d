// tokend console, xScaler portal face: a thin page over the portal API (docs/portal.md), same
// origin, with the JWT that POST /auth/login hands out. console.js keeps the Cockpit face; this
// file owns the switch between the two and everything under #portal-main. The helpers both faces
// use are common.js's.

import {
  $, $$, clearErrors as clearScope, copyValue, el, fetchJSON, time as timeElement, whileBusy, wireDialogs,
} from './common.js';

const TOKEN_STORAGE = 'tokend.portalToken';
const FACE_STORAGE = 'tokend.face';
const PLACE_STORAGE = 'tokend.portalPlace';
const EVENT_TYPES = {
  'tenant.created': 'Tenant created',
  'tenant.metadata_updated': 'Tenant edited',
  'tenant.suspended': 'Tenant suspended',
  'tenant.activated': 'Tenant resumed',
  'tenant.deleted': 'Tenant deleted',
  'api_key.created': 'Key created',
  'api_key.rotated': 'Key rotated',
  'api_key.revoked': 'Key revoked',
};
// What a code means when the server's message is missing (it normally is not).
const ERROR_TEXT = {
  invalid_request: 'The request was refused as invalid.',
  unauthorized: 'The email or password was refused.',
  tenant_limit_reached: 'Your plan allows no more tenants.',
  forbidden: 'Your role may not do that.',
  not_found: 'That no longer exists here.',
  conflict: 'That conflicts with what is there already.',
  payload_too_large: 'That is too large.',
  rate_limited: 'Too many requests: wait a moment and try again.',
  unavailable: 'A region did not answer. Try again shortly.',
};

// The JWT lives in sessionStorage only: it goes away with the tab, never into the URL.
const session = { token: sessionStorage.getItem(TOKEN_STORAGE) ?? '', claims: null, org: null };
const place = (() => {
  try { return { view: 'tenants', tenant: '', ...JSON.parse(sessionStorage.getItem(PLACE_STORAGE) ?? '{}') }; } catch { return { view: 'tenants', tenant: '' }; }
})();
const portal = {
  tenants: [],
  regions: [],
  tenant: null, // the open tenant
  tickets: { tenants: 0, tenant: 0, activity: 0, summary: 0 },
  cursor: null,
  shown: 0,
};

// ---- API

function api(path, { method = 'GET', body, auth = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (auth) headers.Authorization = `Bearer ${session.token}`;
  return fetchJSON(path, { method, body, headers, codeField: 'error' });
}

const enc = encodeURIComponent;
const tenantPath = (id, suffix = '') => `/tenants/${enc(id)}${suffix}`;

function explain(error) {
  return error.data?.message || ERROR_TEXT[error.data?.error] || `The request failed (HTTP ${error.status}).`;
}

// ---- Errors shown next to what caused them

const clearErrors = (scope) => clearScope(scope, '#portal-error');

// Runs one request on behalf of a form or view: its errors land in that scope's slot, a
// form's submit buttons are off meanwhile (no double submits), and what was typed stays. A
// refused session (401) signs out: the sign-in form comes back, saying why.
function attempt(scope, request, { signedIn = true } = {}) {
  clearErrors(scope);
  return whileBusy(scope, request, (error) => {
    if (error.status === 401 && signedIn) {
      signOut(`Your session has ended or was refused (${error.data?.message || 'HTTP 401'}). Sign in again.`);
      return;
    }
    const slot = $('[data-error-for="form"]', scope) ?? $('#portal-error');
    slot.textContent = explain(error);
  });
}

function notify(text) {
  $('#portal-notice').textContent = text;
}

// ---- Figures

const numberFormat = new Intl.NumberFormat();

// Last use and the like may not have happened yet.
const time = (iso, relative = false) => (iso ? timeElement(iso, relative) : 'never');

function bytes(value) {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let size = Number(value) || 0;
  let unit = 0;
  while (size >= 1000 && unit < units.length - 1) { size /= 1000; unit += 1; }
  return `${unit ? size.toFixed(1) : size} ${units[unit]}`;
}

const count = (value) => numberFormat.format(Number(value) || 0);

// ---- Focus

// Rows are redrawn after every change, so focus is remembered as a way to find the element
// again (its row's id and action), not as the node itself.
function focusPath(element) {
  const row = element?.closest?.('[data-key-id], [data-tenant-id]');
  if (row && element.dataset.action) {
    const [attribute, value] = row.dataset.keyId ? ['data-key-id', row.dataset.keyId] : ['data-tenant-id', row.dataset.tenantId];
    return `[${attribute}="${CSS.escape(value)}"] [data-action="${element.dataset.action}"]`;
  }
  return element?.id ? `#${CSS.escape(element.id)}` : null;
}

function keepFocus(body, draw) {
  const focused = body.contains(document.activeElement) && focusPath(document.activeElement);
  draw();
  if (focused) $(focused, body)?.focus();
}

// ---- The two faces

function showFace(face) {
  sessionStorage.setItem(FACE_STORAGE, face);
  for (const button of $$('[data-face]')) button.setAttribute('aria-pressed', String(button.dataset.face === face));
  const inPortal = face === 'portal';
  $('#main').hidden = inPortal;
  $('#key-form').hidden = inPortal;
  $('#portal-main').hidden = !inPortal;
  $('.skip').setAttribute('href', inPortal ? '#portal-main' : '#main');
  document.title = inPortal ? 'tokend console \u00b7 xScaler portal' : 'tokend console';
  renderSession();
  if (inPortal && session.token) showPortalView(place.view);
}

// ---- Session

function decodeClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
  } catch {
    return null;
  }
}

function renderSession() {
  const inPortal = $('#face-portal').getAttribute('aria-pressed') === 'true';
  session.claims = session.token ? decodeClaims(session.token) : null;
  $('#portal-signin').hidden = !!session.token;
  $('#portal-app').hidden = !session.token;
  $('#portal-session').hidden = !inPortal || !session.token;
  $('#portal-user').textContent = session.claims?.email ?? '';
  const org = session.org?.name ?? '';
  const role = session.claims?.role ?? '';
  $('#portal-org').textContent = [org, role].filter(Boolean).join(' \u00b7 ');
}

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  const email = $('#signin-email').value.trim();
  const password = $('#signin-password').value;
  clearErrors(form);
  const missing = [];
  if (!email) missing.push(['#signin-email', 'Enter your email.']);
  if (!password) missing.push(['#signin-password', 'Enter your password.']);
  if (missing.length) {
    for (const [field, text] of missing) {
      $(`${field}-error`).textContent = text;
      $(field).setAttribute('aria-invalid', 'true');
    }
    $(missing[0][0]).focus();
    return;
  }
  const data = await attempt(form, () => api('/auth/login', { method: 'POST', body: { email, password }, auth: false }),
    { signedIn: false });
  if (!data) {
    $('#signin-password').select();
    return;
  }
  session.token = data.token;
  sessionStorage.setItem(TOKEN_STORAGE, data.token);
  $('#signin-password').value = '';
  notify('');
  renderSession();
  loadOrg();
  showPortalView(place.view);
}

function signOut(reason = '') {
  session.token = '';
  session.org = null;
  sessionStorage.removeItem(TOKEN_STORAGE);
  for (const body of $$('#portal-main tbody')) body.replaceChildren();
  for (const dialog of $$('dialog.portal[open]')) dialog.close();
  notify('');
  renderSession();
  $('#signin-error').textContent = reason;
  $('#signin-password').value = '';
  $($('#signin-email').value ? '#signin-password' : '#signin-email').focus();
}

async function loadOrg() {
  try {
    session.org = await api('/api/portal/org/me');
  } catch {
    session.org = null; // only a label: the rest of the page says what went wrong
  }
  renderSession();
}

// ---- Views

function savePlace() {
  sessionStorage.setItem(PLACE_STORAGE, JSON.stringify(place));
}

function showPortalView(view, { focus = false } = {}) {
  if (view === 'tenant' && !place.tenant) view = 'tenants';
  place.view = view;
  savePlace();
  const nav = view === 'activity' ? 'activity' : 'tenants';
  for (const button of $$('[data-portal-view]')) button.setAttribute('aria-pressed', String(button.dataset.portalView === nav));
  $('#tenants-view').hidden = view !== 'tenants';
  $('#tenant-view').hidden = view !== 'tenant';
  $('#portal-activity-view').hidden = view !== 'activity';
  if (!session.token) return;
  if (view === 'tenants') loadTenants();
  if (view === 'tenant') loadTenant();
  if (view === 'activity') { loadTenantOptions(); loadActivity(); }
  if (focus) $({ tenants: '#tenants-title', tenant: '#tenant-title', activity: '#portal-activity-title' }[view]).focus();
}

// ---- Tenants and the organisation's summary

async function loadSummary() {
  const ticket = ++portal.tickets.summary;
  const box = $('#org-summary');
  const summary = await attempt(box, () => api('/dashboard/org/summary'));
  if (ticket !== portal.tickets.summary) return;
  if (!summary) { $('#org-summary-figures').replaceChildren(); return; }
  const limit = (value) => (value == null ? 'no limit' : count(value));
  $('#org-summary-figures').replaceChildren(
    figure('billing_plan', 'Plan', summary.billing_plan),
    figure('tenants', 'Tenants', `${count(summary.tenants)} of ${limit(summary.plan_max_tenants)}`),
    figure('org_active_series', 'Active series', `${count(summary.org_active_series)} of ${limit(summary.plan_max_active_series)}`),
    figure('org_logs_gb_ingested_this_month', 'Logs this month', `${Number(summary.org_logs_gb_ingested_this_month ?? 0)} GB`),
  );
}

function figure(field, label, value) {
  return el('div', { 'data-field': field }, el('dt', {}, label), el('dd', {}, value));
}

async function loadTenants() {
  loadSummary();
  const ticket = ++portal.tickets.tenants;
  const view = $('#tenants-view');
  const tenants = await attempt(view, () => api('/tenants'));
  if (ticket !== portal.tickets.tenants) return;
  portal.tenants = tenants ?? [];
  const body = $('#tenants-table tbody');
  keepFocus(body, () => body.replaceChildren(...portal.tenants.map(tenantRow)));
  $('#tenants-table').hidden = portal.tenants.length === 0;
  $('#tenants-empty').hidden = !tenants || portal.tenants.length > 0;
}

function statusBadge(status) {
  return el('span', { class: `badge ${status}` }, status);
}

function tenantRow(tenant) {
  const open = () => openTenant(tenant.id);
  return el('tr', { 'data-tenant-id': tenant.id, 'data-status': tenant.status },
    el('th', { scope: 'row', 'data-label': 'Display name' },
      el('button', { type: 'button', class: 'name-link', 'data-action': 'open', onclick: open }, tenant.display_name)),
    el('td', { 'data-label': 'Tenant ID' }, el('code', {}, tenant.id)),
    el('td', { 'data-label': 'Environment' }, tenant.environment || '\u2014'),
    el('td', { 'data-label': 'Region' }, tenant.region),
    el('td', { 'data-label': 'Status' }, statusBadge(tenant.status)),
    el('td', { 'data-label': 'Created' }, time(tenant.created_at)),
    el('td', { class: 'actions' },
      el('button', { type: 'button', 'data-action': 'details', 'aria-label': `Open ${tenant.display_name}`, onclick: open }, 'Open')),
  );
}

function openTenant(id) {
  place.tenant = id;
  portal.tenant = portal.tenants.find((tenant) => tenant.id === id) ?? null;
  renderTenant();
  $('#keys-table tbody').replaceChildren();
  $('#tenant-usage').replaceChildren();
  showPortalView('tenant', { focus: true });
}

// ---- Regions, for the new tenant's select

async function loadRegions() {
  try {
    const response = await fetch('/_tokend/health');
    portal.regions = (await response.json()).regions ?? [];
  } catch {
    portal.regions = [];
  }
  // Without health, the regions tenants already live in are the next best list.
  const names = portal.regions.length
    ? portal.regions.map((region) => [region.region, region.state])
    : [...new Set(portal.tenants.map((tenant) => tenant.region))].sort().map((region) => [region, '']);
  const select = $('#tenant-region-select');
  const chosen = select.value;
  select.replaceChildren(...names.map(([name, health]) => el('option', { value: name, selected: name === chosen },
    health && health !== 'ok' ? `${name} (${health})` : name)));
}

async function openTenantDialog() {
  const form = $('#tenant-form');
  clearErrors(form);
  openDialog($('#tenant-dialog'));
  $('#tenant-name').focus();
  await loadRegions();
}

async function createTenant(event) {
  event.preventDefault();
  const form = event.target;
  const body = {};
  const name = $('#tenant-name').value.trim();
  const environment = $('#tenant-environment-input').value.trim();
  if (name) body.display_name = name;
  if (environment) body.environment = environment;
  if ($('#tenant-region-select').value) body.region = $('#tenant-region-select').value;
  const tenant = await attempt(form, () => api('/tenants', { method: 'POST', body }));
  if (!tenant) return;
  form.reset();
  $('#tenant-dialog').close();
  notify(`Tenant ${tenant.display_name} (${tenant.id}) created in ${tenant.region}.`);
  loadTenants();
}

// ---- One tenant: details, usage, keys

function renderTenant() {
  const tenant = portal.tenant;
  $('#tenant-title').textContent = tenant?.display_name ?? place.tenant;
  $('#tenant-id').textContent = tenant?.id ?? place.tenant;
  $('#tenant-environment').textContent = tenant ? tenant.environment || '\u2014' : '';
  $('#tenant-region').textContent = tenant?.region ?? '';
  $('#tenant-created').replaceChildren(tenant ? time(tenant.created_at) : '');
  $('#tenant-metrics-host').textContent = tenant?.metrics_host ?? '';
  $('#tenant-logs-host').textContent = tenant?.logs_host ?? '';
  $('#tenant-traces-host').textContent = tenant?.traces_host ?? '';
  const status = $('#tenant-status');
  status.textContent = tenant?.status ?? '';
  status.className = `badge ${tenant?.status ?? ''}`;
  status.hidden = !tenant;
  $('#tenant-suspend').hidden = tenant?.status !== 'active';
  $('#tenant-resume').hidden = tenant?.status !== 'suspended';
  $('#tenant-suspended-note').hidden = tenant?.status !== 'suspended';
  $('#key-dialog-tenant').textContent = tenant?.display_name ?? place.tenant;
}

async function loadTenant() {
  const id = place.tenant;
  const ticket = ++portal.tickets.tenant;
  const view = $('#tenant-view');
  const results = await attempt(view, () => Promise.all([
    api(tenantPath(id)),
    api(tenantPath(id, '/keys')),
  ]));
  if (ticket !== portal.tickets.tenant) return;
  loadUsage(id, ticket);
  const [tenant, keys] = results ?? [null, null];
  if (tenant) portal.tenant = tenant;
  renderTenant();
  const body = $('#keys-table tbody');
  const rows = keys ?? [];
  keepFocus(body, () => body.replaceChildren(...rows.map(keyRow)));
  $('#keys-table').hidden = rows.length === 0;
  $('#keys-empty').hidden = !keys || rows.length > 0;
}

async function loadUsage(id, ticket) {
  const usage = await attempt($('#tenant-usage-section'), () => api(`/dashboard/tenants/${enc(id)}/usage`));
  if (ticket !== portal.tickets.tenant) return;
  if (!usage) { $('#tenant-usage').replaceChildren(); return; }
  $('#tenant-usage').replaceChildren(
    figure('api_keys', 'API keys', count(usage.api_keys)),
    figure('verified_writes', 'Verified writes', count(usage.verified_writes)),
    figure('verified_reads', 'Verified reads', count(usage.verified_reads)),
    figure('bytes_pushed', 'Bytes pushed', bytes(usage.bytes_pushed)),
    figure('last_used_at', 'Last use', time(usage.last_used_at, true)),
    figure('active_series', 'Active series', count(usage.active_series)),
    figure('samples_per_second', 'Samples / s', count(usage.samples_per_second)),
    figure('storage_bytes', 'Stored', bytes(usage.storage_bytes)),
  );
}

function keyRow(key) {
  const action = (label, className, run) => el('button', {
    type: 'button', class: className, 'data-action': label.toLowerCase(), 'aria-label': `${label} ${key.display_name}`,
    onclick: run,
  }, label);
  return el('tr', { 'data-key-id': key.id, 'data-status': key.status },
    el('th', { scope: 'row', 'data-label': 'Name' }, key.display_name),
    el('td', { 'data-label': 'Scope' }, el('code', {}, key.scope)),
    el('td', { 'data-label': 'Status' }, statusBadge(key.status)),
    el('td', { 'data-label': 'Prefix' }, el('code', {}, `${key.prefix}\u2026`)),
    el('td', { 'data-label': 'Last used' }, time(key.last_used_at, true)),
    el('td', { 'data-label': 'Created' }, time(key.created_at)),
    el('td', { class: 'actions' },
      key.status === 'active' && action('Rotate', '', () => rotateKey(key)),
      key.status === 'active' && action('Revoke', 'danger', () => revokeKey(key))),
  );
}

function openKeyDialog() {
  clearErrors($('#new-key-form'));
  openDialog($('#key-dialog'));
  $('#new-key-name').focus();
}

async function createKey(event) {
  event.preventDefault();
  const form = event.target;
  const body = { display_name: $('#new-key-name').value.trim(), scope: $('#new-key-scope').value };
  const key = await attempt(form, () => api(tenantPath(place.tenant, '/keys'), { method: 'POST', body }));
  if (!key) return;
  form.reset();
  $('#key-dialog').close();
  notify(`Key ${key.display_name} created.`);
  showKey(key);
  loadTenant();
}

async function rotateKey(key) {
  if (!window.confirm(`Rotate ${key.display_name}? A new key replaces it and the current one stops working at once.`)) return;
  const rotated = await attempt($('#tenant-view'), () => api(tenantPath(place.tenant, `/keys/${enc(key.id)}/rotate`), { method: 'POST' }));
  if (!rotated) return;
  notify(`Key ${rotated.display_name} rotated; the previous key no longer works.`);
  showKey(rotated);
  loadTenant();
}

async function revokeKey(key) {
  if (!window.confirm(`Revoke ${key.display_name}? Every client using it is refused at once. This cannot be undone.`)) return;
  const done = await attempt($('#tenant-view'),
    () => api(tenantPath(place.tenant, `/keys/${enc(key.id)}`), { method: 'DELETE' }).then(() => true));
  if (!done) return;
  notify(`Key ${key.display_name} revoked.`);
  loadTenant();
  $('#tenant-title').focus();
}

async function setSuspended(suspended) {
  const tenant = await attempt($('#tenant-view'),
    () => api(tenantPath(place.tenant, suspended ? '/suspend' : '/resume'), { method: 'POST' }));
  if (!tenant) return;
  portal.tenant = tenant;
  notify(suspended
    ? `Tenant ${tenant.display_name} suspended: its keys are refused until it is resumed.`
    : `Tenant ${tenant.display_name} resumed.`);
  renderTenant();
  loadTenant();
  $(suspended ? '#tenant-resume' : '#tenant-suspend').focus();
}

// ---- The key, shown once

function showKey(key) {
  $('#portal-secret-name').textContent = key.display_name;
  $('#portal-secret-value').value = key.key;
  $('#portal-secret-tenant').textContent = place.tenant;
  $('#portal-secret-copied').textContent = '';
  openDialog($('#portal-secret-dialog'));
  $('#portal-secret-copy').focus();
}

const copyKey = () => copyValue($('#portal-secret-value'), $('#portal-secret-copied'), 'key');

// ---- Activity

async function loadTenantOptions() {
  const tenants = await api('/tenants').catch(() => null);
  if (tenants) portal.tenants = tenants;
  const select = $('#portal-activity-tenant');
  const chosen = select.value;
  select.replaceChildren(el('option', { value: '' }, 'Every tenant'),
    ...portal.tenants.map((tenant) => el('option', { value: tenant.id, selected: tenant.id === chosen },
      `${tenant.display_name} (${tenant.id})`)));
  // A filter on a tenant the list does not (yet) hold is still kept.
  if (chosen && select.value !== chosen) select.append(el('option', { value: chosen, selected: true }, chosen));
}

function activityQuery(cursor) {
  const params = {
    type: $('#portal-activity-type').value,
    tenant_id: $('#portal-activity-tenant').value,
    q: $('#portal-activity-q').value.trim(),
    limit: $('#portal-activity-limit').value,
    cursor,
  };
  return new URLSearchParams(Object.entries(params).filter(([, value]) => value));
}

async function loadActivity({ more = false } = {}) {
  const ticket = ++portal.tickets.activity;
  const cursor = more ? portal.cursor : null;
  const data = await attempt($('#portal-activity-filters'), () => api(`/activity?${activityQuery(cursor)}`));
  if (ticket !== portal.tickets.activity) return;
  const body = $('#portal-activity-table tbody');
  const events = data?.events ?? [];
  if (more && data) body.append(...events.map(eventRow));
  else body.replaceChildren(...events.map(eventRow));
  portal.shown = body.rows.length;
  portal.cursor = data?.next_cursor ?? null;
  $('#portal-activity-table').hidden = portal.shown === 0;
  $('#portal-activity-empty').hidden = !data || portal.shown > 0;
  const button = $('#portal-activity-more');
  const hadFocus = document.activeElement === button;
  button.hidden = !portal.cursor;
  if (hadFocus && button.hidden) $('#portal-activity-title').focus();
  $('#portal-activity-count').textContent = data
    ? `${portal.shown} ${portal.shown === 1 ? 'event' : 'events'} shown${portal.cursor ? ', older ones remain' : ''}`
    : '';
}

function actorText(actor) {
  if (!actor) return 'system';
  return actor.email ?? actor.key_prefix ?? JSON.stringify(actor);
}

function targetText(target) {
  if (target == null) return '\u2014';
  if (typeof target === 'string') return target;
  return target.id ?? target.key_id ?? target.tenant_id ?? JSON.stringify(target);
}

function eventRow(event) {
  const record = { metadata: event.metadata, before: event.before, after: event.after };
  const hasRecord = Object.values(record).some((value) => value != null && !(typeof value === 'object' && Object.keys(value).length === 0));
  const tenant = portal.tenants.find((t) => t.id === event.tenant_id);
  return el('tr', { 'data-event-type': event.type, 'data-event-id': event.id },
    el('td', { 'data-label': 'Time' }, time(event.timestamp)),
    el('td', { 'data-label': 'Event' }, el('span', { class: `badge ${event.type.split('.').pop()}`, title: event.type },
      EVENT_TYPES[event.type] ?? event.type)),
    el('td', { 'data-label': 'Tenant' }, event.tenant_id
      ? el('code', { title: tenant?.display_name ?? '' }, event.tenant_id) : '\u2014'),
    el('td', { 'data-label': 'Target' }, el('code', {}, targetText(event.target))),
    el('td', { 'data-label': 'Actor' }, actorText(event.actor)),
    el('td', { 'data-label': 'Result' }, el('span', { class: `badge ${event.result}` }, event.result)),
    el('td', { 'data-label': 'Summary' }, event.summary ?? '',
      hasRecord && el('details', {}, el('summary', {}, 'Record'), el('pre', {}, JSON.stringify(record, null, 2)))),
  );
}

function showActivityOf(tenantId) {
  $('#portal-activity-type').value = '';
  $('#portal-activity-q').value = '';
  const select = $('#portal-activity-tenant');
  if (![...select.options].some((option) => option.value === tenantId)) select.append(el('option', { value: tenantId }, tenantId));
  select.value = tenantId;
  showPortalView('activity', { focus: true });
}

// ---- Dialogs

let returnTo = null;

function openDialog(dialog) {
  const opener = document.activeElement;
  if (opener && !opener.closest('dialog')) returnTo = focusPath(opener) ?? returnTo;
  if (!dialog.open) dialog.showModal();
}

function restoreFocus() {
  if ($('dialog.portal[open]')) return;
  const view = { tenants: '#tenants-title', tenant: '#tenant-title', activity: '#portal-activity-title' }[place.view];
  const target = (returnTo && $(returnTo)) || $(view);
  (target && !target.closest('[hidden]') ? target : $(view))?.focus();
}

// ---- Start

function start() {
  for (const option of Object.entries(EVENT_TYPES)) {
    $('#portal-activity-type').append(el('option', { value: option[0] }, `${option[1]} (${option[0]})`));
  }
  for (const button of $$('[data-face]')) button.addEventListener('click', () => showFace(button.dataset.face));
  for (const button of $$('[data-portal-view]')) {
    button.addEventListener('click', () => showPortalView(button.dataset.portalView));
  }
  $('#signin-form').addEventListener('submit', signIn);
  $('#portal-signout').addEventListener('click', () => { signOut(); notify(''); });
  $('#tenants-reload').addEventListener('click', loadTenants);
  $('#new-tenant').addEventListener('click', openTenantDialog);
  $('#tenant-form').addEventListener('submit', createTenant);
  $('#tenant-back').addEventListener('click', () => showPortalView('tenants', { focus: true }));
  $('#tenant-refresh').addEventListener('click', loadTenant);
  $('#tenant-activity').addEventListener('click', () => showActivityOf(place.tenant));
  $('#tenant-suspend').addEventListener('click', () => setSuspended(true));
  $('#tenant-resume').addEventListener('click', () => setSuspended(false));
  $('#new-key').addEventListener('click', openKeyDialog);
  $('#new-key-form').addEventListener('submit', createKey);
  $('#portal-secret-copy').addEventListener('click', copyKey);
  $('#portal-activity-filters').addEventListener('submit', (event) => { event.preventDefault(); loadActivity(); });
  for (const select of ['#portal-activity-type', '#portal-activity-tenant', '#portal-activity-limit']) {
    $(select).addEventListener('change', () => loadActivity());
  }
  $('#portal-activity-refresh').addEventListener('click', () => loadActivity());
  $('#portal-activity-more').addEventListener('click', () => loadActivity({ more: true }));
  wireDialogs('dialog.portal', restoreFocus);
  // The key must not linger in the page once its dialog is gone.
  $('#portal-secret-dialog').addEventListener('close', () => { $('#portal-secret-value').value = ''; });

  showFace(sessionStorage.getItem(FACE_STORAGE) === 'portal' ? 'portal' : 'cockpit');
  if (session.token) loadOrg();
}

start();
