// tokend console: a thin page over the public API, same origin, with the management key the
// person enters. Everything it shows comes from the same calls any SDK makes. The helpers both
// faces use are common.js's.

import {
  $, $$, clearErrors as clearScope, copyValue, dateFormat, el, fetchJSON, time, whileBusy, wireDialogs,
} from './common.js';

const GROUPS = {
  Push: ['write_only_metrics', 'write_only_logs', 'write_only_traces'],
  Query: ['read_only_metrics', 'read_only_logs', 'read_only_traces'],
  Rules: ['full_access_metrics_rules', 'full_access_logs_rules'],
  Alerts: ['full_access_alert_manager'],
};
// By signal, so the fine list reads metrics, logs, traces, alerts.
const SCOPES = [
  'read_only_metrics', 'write_only_metrics', 'full_access_metrics_rules',
  'read_only_logs', 'write_only_logs', 'full_access_logs_rules',
  'read_only_traces', 'write_only_traces', 'full_access_alert_manager',
];
const EVENTS = {
  'api_key.created': 'Created', 'api_key.rotated': 'Rotated',
  'api_key.revoked': 'Revoked', 'api_key.denied': 'Refused',
};
const KEY_STORAGE = 'tokend.managementKey';
const PAGE_SIZES = [10, 20, 50, 100];

// The key lives in sessionStorage only: it goes away with the tab, never into the URL.
const state = {
  key: sessionStorage.getItem(KEY_STORAGE) ?? '',
  region: '',
  project: '',
  view: 'tokens',
  order: 'created_at_desc',
  activityToken: '',
  names: new Map(), // token id → name, so the activity view can say which token
};
const lists = {
  tokens: { page: 1, size: 20, ticket: 0 },
  activity: { page: 1, size: 20, ticket: 0 },
};

// ---- URL: where the person is (not the key) survives a reload and can be shared.

function readLocation() {
  const query = new URLSearchParams(location.hash.slice(1));
  state.region = query.get('region') ?? '';
  state.project = query.get('project') ?? '';
  state.view = query.get('view') === 'activity' ? 'activity' : 'tokens';
  state.order = query.get('order') ?? state.order;
  state.activityToken = query.get('token') ?? '';
  lists.tokens.page = Number(query.get('page')) || 1;
  lists.activity.page = Number(query.get('activity_page')) || 1;
}

function writeLocation() {
  const query = new URLSearchParams(Object.entries({
    region: state.region, project: state.project, view: state.view, order: state.order,
    token: state.activityToken, page: lists.tokens.page, activity_page: lists.activity.page,
  }).filter(([, value]) => value !== '' && value !== 1));
  history.replaceState(null, '', `#${query}`);
}

// ---- API

function api(path, { method = 'GET', body } = {}) {
  // tokend's extension fields (status, expiry, last use, secret prefix) are sent only when asked for.
  return fetchJSON(path, { method, body, headers: { 'X-Auth-Token': state.key, Prefer: 'tokend-extensions' } });
}

const regionPath = (suffix) => `/cockpit/v1/regions/${encodeURIComponent(state.region)}/${suffix}`;
const query = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v != null));

function explain(error) {
  const { data } = error;
  const text = {
    denied_authentication: 'The management key was refused. Check it and enter it again.',
    permissions_denied: 'This management key may not do that in this project.',
    not_found: 'That token no longer exists here: it may have been revoked meanwhile.',
  }[data.type] ?? data.message;
  return error.requestId ? `${text} (request ${error.requestId})` : text;
}

// ---- Errors shown next to what caused them

const clearErrors = (scope) => clearScope(scope, '#page-error');

// Each argument the API names goes under its field ([data-argument] in the scope, its
// message in #<id>-error); the rest goes to the scope's general slot or the page.
function showError(scope, error) {
  const general = [];
  let first;
  for (const detail of error.data.type === 'invalid_arguments' ? error.data.details ?? [] : []) {
    const field = $(`[data-argument="${CSS.escape(detail.argument_name)}"]`, scope);
    if (!field) { general.push(detail.help_message); continue; }
    $(`#${field.id}-error`).textContent = detail.help_message;
    field.setAttribute('aria-invalid', 'true');
    first ??= field.matches('fieldset') ? $('input', field) : field;
  }
  // A refused key is the key's fault, whatever was clicked: say so under the key field
  // (and in the dialog too, since a modal dialog hides the rest of the page).
  const inDialog = !!scope.closest('dialog');
  if (error.status === 401) {
    renderKey(true);
    $('#key-input-error').textContent = explain(error);
    $('#key-input').setAttribute('aria-invalid', 'true');
    if (!inDialog) first = $('#key-input');
  }
  if (error.data.type !== 'invalid_arguments' && (error.status !== 401 || inDialog)) general.push(explain(error));
  const slot = $('[data-error-for="form"]', scope) ?? $('#page-error');
  slot.textContent = general.join(' ');
  first?.focus();
}

// Runs one request on behalf of a form or view: its errors land in that scope, a form's
// submit buttons are off meanwhile (no double submits), and what was typed stays.
function attempt(scope, request) {
  clearErrors(scope);
  return whileBusy(scope, request, (error) => showError(scope, error));
}

function notify(text) {
  $('#notice').textContent = text;
}

// ---- Focus

// Rows are redrawn after every change, so focus is remembered as a way to find the
// element again (its row's token and action), not as the node itself.
function focusPath(element) {
  const row = element.closest('[data-token-id]');
  if (row && element.dataset.action) return `[data-token-id="${row.dataset.tokenId}"] [data-action="${element.dataset.action}"]`;
  return element.id ? `#${element.id}` : null;
}

// ---- Regions and their health

async function loadHealth() {
  try {
    const response = await fetch('/_tokend/health');
    renderRegions((await response.json()).regions);
    $('#regions-error').textContent = '';
  } catch {
    $('#regions-error').textContent = 'Could not read the regions\u2019 health from tokend.';
  }
}

function renderRegions(regions) {
  if (!regions.some((r) => r.region === state.region)) {
    state.region = (regions.find((r) => r.state === 'ok') ?? regions[0])?.region ?? '';
  }
  const box = $('#region-options');
  // Health refreshes while someone may be on a radio: keep their focus.
  const focused = box.contains(document.activeElement) ? document.activeElement.value : null;
  box.replaceChildren(...regions.map((r) => el('label', { class: `region ${r.state}`, title: r.last_error ?? r.location },
    el('input', { type: 'radio', name: 'region', value: r.region, checked: r.region === state.region }),
    el('span', { class: 'region-name' }, r.region),
    el('span', { class: 'health' }, r.state === 'ok'
      ? `ok \u00b7 ${Math.max(1, Math.round(r.latency_us / 1000))} ms`
      : `${r.state}${r.last_error ? `: ${r.last_error}` : ''}`),
  )));
  if (focused) $(`input[value="${focused}"]`, box)?.focus();
}

// ---- Lists (tokens and activity share paging)

function renderPager(name, total) {
  const list = lists[name];
  const pages = Math.max(1, Math.ceil(total / list.size));
  const nav = $(`#${name}-pager`);
  if (!nav.firstChild) {
    const go = (page) => { list.page = page; load(name); };
    nav.append(
      el('button', { type: 'button', 'data-step': '-1', onclick: () => go(list.page - 1) }, '\u2190 Previous'),
      el('span', { class: 'pager-status' }),
      el('button', { type: 'button', 'data-step': '1', onclick: () => go(list.page + 1) }, 'Next \u2192'),
      el('label', {}, 'Per page ', el('select', {
        onchange: (event) => { list.size = Number(event.target.value); go(1); },
      }, PAGE_SIZES.map((size) => el('option', { selected: size === list.size }, String(size))))),
    );
  }
  const [previous, next] = $$('[data-step]', nav);
  const hadFocus = nav.contains(document.activeElement);
  previous.disabled = list.page <= 1;
  next.disabled = list.page >= pages;
  // The button just pressed may have gone disabled (last page): hand focus to its neighbour.
  if (hadFocus && (document.activeElement.disabled || !nav.contains(document.activeElement))) {
    (previous.disabled ? next : previous).focus();
  }
  $('.pager-status', nav).textContent = `Page ${list.page} of ${pages} \u00b7 ${total} ${name === 'tokens' ? 'tokens' : 'events'}`;
}

async function load(name) {
  if (!state.key || !state.region) {
    $('#no-key').hidden = !!state.key;
    return;
  }
  $('#no-key').hidden = true;
  const list = lists[name];
  const view = $(`#${name}-view`);
  // Answers can come back out of order (quick paging): only the latest is drawn.
  const ticket = ++list.ticket;
  // Scoped to <main>, so a bad project id is reported under the project filter.
  const data = await attempt($('#main'), () => api(name === 'tokens'
    ? regionPath(`tokens?${query({ project_id: state.project, page: list.page, page_size: list.size, order_by: state.order })}`)
    : regionPath(`activity?${query({ project_id: state.project, token_id: state.activityToken, page: list.page, page_size: list.size })}`)));
  if (ticket !== list.ticket) return;
  writeLocation();
  // After a failure nothing is shown rather than the last region's or project's rows.
  const rows = (name === 'tokens' ? data?.tokens : data?.events) ?? [];
  // A page emptied under us (the last token on it revoked): go to the last real page.
  if (rows.length === 0 && list.page > 1 && data?.total_count > 0) {
    list.page = Math.ceil(data.total_count / list.size);
    return load(name);
  }
  if (name === 'tokens') for (const token of rows) state.names.set(token.id, token.name);
  const body = $('tbody', view);
  const focused = body.contains(document.activeElement) && focusPath(document.activeElement);
  body.replaceChildren(...rows.map(name === 'tokens' ? tokenRow : eventRow));
  if (focused) $(focused, body)?.focus();
  $('.empty', view).hidden = !data || rows.length > 0;
  $('table', view).hidden = rows.length === 0;
  $(`#${name}-pager`).hidden = !data;
  if (data) renderPager(name, data.total_count);
}

// ---- Tokens

function scopeLabels(scopes) {
  const rest = new Set(scopes);
  const labels = [];
  for (const [group, members] of Object.entries(GROUPS)) {
    if (!members.every((scope) => rest.has(scope))) continue;
    members.forEach((scope) => rest.delete(scope));
    labels.push(el('li', { class: 'group', title: members.join(', ') }, group));
  }
  return labels.concat([...rest].map((scope) => el('li', {}, scope)));
}

function tokenRow(token) {
  const action = (label, className, open) => el('button', {
    type: 'button', class: className, 'data-action': label.toLowerCase(), 'aria-label': `${label} ${token.name}`,
    onclick: open,
  }, label);
  return el('tr', { 'data-token-id': token.id },
    el('th', { scope: 'row', 'data-label': 'Name' }, token.name,
      state.project ? null : el('small', { class: 'project', title: 'Project' }, token.project_id)),
    el('td', { 'data-label': 'Scopes' }, el('ul', { class: 'chips' }, scopeLabels(token.scopes))),
    el('td', { 'data-label': 'Status' }, el('span', { class: `badge ${token.status}` }, token.status),
      token.expires_at && el('small', {}, token.status === 'expired' ? ' since ' : ' until ', time(token.expires_at))),
    el('td', { 'data-label': 'Secret prefix' }, el('code', {}, `${token.secret_prefix}\u2026`)),
    el('td', { 'data-label': 'Last used' }, token.last_used_at ? time(token.last_used_at, true) : 'never'),
    el('td', { 'data-label': 'Created' }, time(token.created_at)),
    el('td', { class: 'actions' },
      action('Rotate', '', () => openRotate(token)),
      action('Revoke', 'danger', () => openRevoke(token)),
      action('Activity', 'quiet', () => showActivity(token.id))),
  );
}

function renderSort() {
  const [field, direction] = state.order.split(/_(?=asc$|desc$)/);
  for (const header of $$('#tokens-table th[data-sort]')) {
    const sorted = header.dataset.sort === field;
    header.setAttribute('aria-sort', sorted ? (direction === 'asc' ? 'ascending' : 'descending') : 'none');
  }
}

function sortBy(field) {
  // Names read best A→Z first, dates newest first; a second click flips.
  const first = field === 'name' ? 'asc' : 'desc';
  const flipped = first === 'asc' ? 'desc' : 'asc';
  state.order = `${field}_${state.order === `${field}_${first}` ? flipped : first}`;
  lists.tokens.page = 1;
  renderSort();
  load('tokens');
}

// ---- Activity

function eventRow(event) {
  const details = event.type === 'api_key.denied'
    ? `${event.count}\u00d7${event.reason ? ` (${event.reason})` : ''}`
    : '';
  const token = event.token_id && el('button', {
    type: 'button', class: 'link', title: event.token_id, onclick: () => showActivity(event.token_id),
  }, state.names.get(event.token_id) ?? event.token_id.slice(0, 8));
  return el('tr', { 'data-event-type': event.type },
    el('td', { 'data-label': 'Time' }, time(event.at)),
    el('td', { 'data-label': 'Event' }, el('span', { class: `badge ${event.type.split('.').pop()}` }, EVENTS[event.type] ?? event.type)),
    el('td', { 'data-label': 'Token' }, token || '\u2014'),
    el('td', { 'data-label': 'Actor' }, event.actor ? el('code', {}, event.actor) : 'data plane'),
    el('td', { 'data-label': 'Details' }, details || '\u2014'),
    el('td', { 'data-label': 'Request ID' }, event.request_id ? el('code', {}, event.request_id) : '\u2014'),
  );
}

function showActivity(tokenId) {
  state.activityToken = tokenId;
  lists.activity.page = 1;
  showView('activity');
  $('#activity-title').focus();
}

function showView(view) {
  state.view = view;
  for (const button of $$('[data-view]')) button.setAttribute('aria-pressed', String(button.dataset.view === view));
  $('#tokens-view').hidden = view !== 'tokens';
  $('#activity-view').hidden = view !== 'activity';
  $('#activity-filter').hidden = !state.activityToken;
  $('#activity-token').textContent = state.names.get(state.activityToken) ?? state.activityToken;
  load(view);
}

// ---- Dialogs

let returnTo = null;

function openDialog(dialog) {
  const opener = document.activeElement;
  if (opener && !opener.closest('dialog')) returnTo = focusPath(opener) ?? returnTo;
  dialog.showModal();
}

function restoreFocus() {
  if ($('dialog[open]:not(.portal)')) return;
  (returnTo && $(returnTo) || $(`#${state.view}-title`)).focus();
}

function showSecret(token, graceSeconds) {
  $('#secret-name').textContent = token.name;
  $('#secret-value').value = token.secret_key;
  $('#secret-copied').textContent = '';
  const grace = $('#secret-grace');
  grace.hidden = !graceSeconds;
  grace.textContent = graceSeconds
    ? `The previous secret keeps working until ${dateFormat.format(new Date(Date.now() + graceSeconds * 1000))}.`
    : '';
  openDialog($('#secret-dialog'));
  $('#secret-copy').focus();
}

const copySecret = () => copyValue($('#secret-value'), $('#secret-copied'), 'secret');

function buildScopeChecks() {
  const check = (value, label, help) => el('label', { class: 'check' },
    el('input', { type: 'checkbox', value }), el('span', {}, label, help && el('small', {}, help)));
  $('#scope-groups').append(...Object.entries(GROUPS).map(([group, members]) =>
    check(group, group, members.join(', '))));
  $('#scope-fine').append(...SCOPES.map((scope) => check(scope, scope)));
}

// A group is checked when all its scopes are, half-checked when some are.
function syncGroups() {
  const chosen = new Set(chosenScopes());
  for (const box of $$('#scope-groups input')) {
    const held = GROUPS[box.value].filter((scope) => chosen.has(scope)).length;
    box.checked = held === GROUPS[box.value].length;
    box.indeterminate = held > 0 && !box.checked;
  }
}

const chosenScopes = () => $$('#scope-fine input:checked').map((box) => box.value);

function openCreate() {
  const form = $('#create-form');
  if (!$('#create-project').value) $('#create-project').value = state.project;
  $('#create-region').textContent = state.region;
  clearErrors(form);
  openDialog($('#create-dialog'));
}

async function create(event) {
  event.preventDefault();
  const form = event.target;
  const expires = $('#create-expires').value;
  const body = {
    project_id: $('#create-project').value.trim(),
    name: $('#create-name').value.trim(),
    token_scopes: chosenScopes(),
    ...(expires && { expires_at: new Date(expires).toISOString() }),
  };
  const token = await attempt(form, () => api(regionPath('tokens'), { method: 'POST', body }));
  if (!token) return;
  form.reset();
  syncGroups();
  $('#create-dialog').close();
  notify(`Token ${token.name} created in ${token.region}.`);
  showSecret(token, 0);
  load('tokens');
}

let target = null; // the token the rotate or revoke dialog is about

function openAbout(dialog, token) {
  target = token;
  for (const slot of $$('[data-token-name]', dialog)) slot.textContent = token.name;
  $('form', dialog).reset(); // a grace period chosen for another token is not carried over
  clearErrors(dialog);
  openDialog(dialog);
}

const openRotate = (token) => openAbout($('#rotate-dialog'), token);
const openRevoke = (token) => openAbout($('#revoke-dialog'), token);

async function rotate(event) {
  event.preventDefault();
  const grace = Number($('#rotate-grace').value);
  const token = await attempt(event.target, () => api(regionPath(`tokens/${target.id}/rotate`), {
    method: 'POST', body: grace ? { grace_period_seconds: grace } : {},
  }));
  if (!token) return;
  $('#rotate-dialog').close();
  notify(`Token ${token.name} rotated${grace ? '' : '; the previous secret no longer works'}.`);
  showSecret(token, grace);
  load('tokens');
}

async function revoke(event) {
  event.preventDefault();
  const done = await attempt(event.target, () => api(regionPath(`tokens/${target.id}`), { method: 'DELETE' }).then(() => true));
  if (!done) return;
  $('#revoke-dialog').close();
  notify(`Token ${target.name} revoked.`);
  load('tokens');
}

// ---- Key, project, region

function useKey(event) {
  event.preventDefault();
  const key = $('#key-input').value.trim();
  clearErrors(event.target);
  if (!key) {
    $('#key-input-error').textContent = 'Enter a management key.';
    $('#key-input').setAttribute('aria-invalid', 'true');
    $('#key-input').focus();
    return;
  }
  state.key = key;
  sessionStorage.setItem(KEY_STORAGE, key);
  renderKey();
  showView(state.view);
}

function forgetKey() {
  state.key = '';
  sessionStorage.removeItem(KEY_STORAGE);
  $('#key-input').value = '';
  renderKey();
  for (const body of $$('#main tbody')) body.replaceChildren();
  notify('The management key is forgotten.');
  $('#key-input').focus();
  load(state.view);
}

// With a key set, the header only says which (its first characters are what the audit
// trail shows as the actor); short keys are not shown at all.
function renderKey(editing = false) {
  $('#key-input').value = state.key;
  $('#key-edit').hidden = !!state.key && !editing;
  $('#key-set').hidden = !state.key || editing;
  $('#key-hint').textContent = state.key.length >= 16 ? `${state.key.slice(0, 8)}\u2026` : '\u2022\u2022\u2022\u2022';
  $('#main').classList.toggle('locked', !state.key);
}

function filterProject(event) {
  event.preventDefault();
  state.project = $('#project-input').value.trim();
  lists.tokens.page = lists.activity.page = 1;
  load(state.view);
}

function pickRegion(event) {
  state.region = event.target.value;
  lists.tokens.page = lists.activity.page = 1;
  load(state.view);
}

// ---- Start

function start() {
  readLocation();
  buildScopeChecks();
  renderKey();
  renderSort();
  $('#project-input').value = state.project;

  $('#key-form').addEventListener('submit', useKey);
  $('#key-forget').addEventListener('click', forgetKey);
  $('#key-change').addEventListener('click', () => { renderKey(true); $('#key-input').select(); });
  $('#project-form').addEventListener('submit', filterProject);
  $('#region-options').addEventListener('change', pickRegion);
  for (const button of $$('[data-view]')) {
    button.addEventListener('click', () => {
      if (button.dataset.view === 'activity') state.activityToken = '';
      showView(button.dataset.view);
    });
  }
  for (const header of $$('#tokens-table th[data-sort]')) {
    $('button', header).addEventListener('click', () => sortBy(header.dataset.sort));
  }
  $('#tokens-refresh').addEventListener('click', () => load('tokens'));
  $('#activity-refresh').addEventListener('click', () => load('activity'));
  $('#activity-all').addEventListener('click', () => { state.activityToken = ''; showView('activity'); $('#activity-title').focus(); });
  $('#new-token').addEventListener('click', openCreate);
  $('#create-form').addEventListener('submit', create);
  $('#rotate-form').addEventListener('submit', rotate);
  $('#revoke-form').addEventListener('submit', revoke);
  $('#secret-copy').addEventListener('click', copySecret);
  $('#scope-groups').addEventListener('change', (event) => {
    for (const scope of GROUPS[event.target.value]) $(`#scope-fine input[value="${scope}"]`).checked = event.target.checked;
    syncGroups();
  });
  $('#scope-fine').addEventListener('change', syncGroups);
  // The portal's dialogs (class portal) are portal.js's own.
  wireDialogs('dialog:not(.portal)', restoreFocus);
  // The secret must not linger in the page once its dialog is gone.
  $('#secret-dialog').addEventListener('close', () => { $('#secret-value').value = ''; });

  loadHealth().then(() => showView(state.view));
  setInterval(loadHealth, 30_000);
}

start();
