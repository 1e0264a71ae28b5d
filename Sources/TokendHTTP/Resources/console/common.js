// tokend console, what both faces share: console.js (Cockpit tokens) and portal.js (the
// xScaler portal) import it. DOM and date helpers, the same-origin JSON call, the busy state of
// a form while its request runs, the copy button of a shown-once secret, and dialog wiring.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

// ---- API

export class ApiError extends Error {
  constructor(data, status, requestId) {
    super(data.message);
    Object.assign(this, { data, status, requestId });
  }
}

// One call on the same origin: null for a 204, the JSON answer for a success; anything else
// throws an ApiError holding the answer's JSON (or, when there is none, one whose `codeField`
// says network or unknown: the Cockpit API names its errors in `type`, the portal's in `error`).
export async function fetchJSON(path, { method = 'GET', headers = {}, body, codeField = 'type' } = {}) {
  const sent = { ...headers };
  if (body) sent['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers: sent, body: body && JSON.stringify(body) });
  } catch {
    throw new ApiError({ [codeField]: 'network', message: 'tokend did not answer. Is the server running?' }, 0);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({ [codeField]: 'unknown', message: `Unexpected answer (HTTP ${response.status}).` }));
  if (!response.ok) throw new ApiError(data ?? {}, response.status, response.headers.get('X-Request-Id'));
  return data;
}

// ---- Errors shown next to what caused them, and a form's busy state

// Empties the scope's error slots and the page's (pageSlot), and unmarks its invalid fields.
export function clearErrors(scope, pageSlot) {
  for (const slot of $$('.error', scope)) slot.textContent = '';
  for (const field of $$('[aria-invalid]', scope)) field.removeAttribute('aria-invalid');
  $(pageSlot).textContent = '';
}

// Runs one request on behalf of a form or view: a form's submit buttons are off meanwhile (no
// double submits), the scope says it is busy, and what was typed stays. An ApiError goes to
// fail(error) and the answer is undefined; any other error is thrown on.
export async function whileBusy(scope, request, fail) {
  const buttons = scope instanceof HTMLFormElement ? $$('button:not([type="button"])', scope) : [];
  buttons.forEach((button) => { button.disabled = true; });
  scope.setAttribute('aria-busy', 'true');
  try {
    return await request();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fail(error);
    return undefined;
  } finally {
    buttons.forEach((button) => { button.disabled = false; });
    scope.removeAttribute('aria-busy');
  }
}

// ---- DOM helpers

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value == null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  node.append(...children.flat().filter((child) => child != null && child !== false));
  return node;
}

export const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function sinceNow(date) {
  const seconds = (date - Date.now()) / 1000;
  for (const [unit, size] of [['day', 86400], ['hour', 3600], ['minute', 60]]) {
    if (Math.abs(seconds) >= size) return relativeFormat.format(Math.round(seconds / size), unit);
  }
  return relativeFormat.format(Math.round(seconds), 'second');
}

// A <time>: the local date, or (relative) how long ago, with the date as its title.
export function time(iso, relative = false) {
  const date = new Date(iso);
  return el('time', { datetime: iso, title: dateFormat.format(date) }, relative ? sinceNow(date) : dateFormat.format(date));
}

// ---- A secret shown once, and dialogs

// Copies the field's value, saying in `status` whether it worked; `noun` is what was copied.
export async function copyValue(field, status, noun) {
  let copied;
  try {
    await navigator.clipboard.writeText(field.value);
    copied = true;
  } catch {
    // No async clipboard (plain http on another host, or refused): the older path.
    field.select();
    try { copied = document.execCommand('copy'); } catch { copied = false; }
  }
  status.textContent = copied
    ? 'Copied to the clipboard.'
    : `Could not copy: the ${noun} is selected, press Ctrl+C (\u2318C) to copy it.`;
}

// The dialogs matching selector close on their [data-close] buttons and call onClose once closed.
export function wireDialogs(selector, onClose) {
  for (const dialog of $$(selector)) {
    dialog.addEventListener('click', (event) => { if (event.target.matches('[data-close]')) dialog.close(); });
    dialog.addEventListener('close', onClose);
  }
}
