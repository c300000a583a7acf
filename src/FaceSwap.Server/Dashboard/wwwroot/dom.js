// Building the page from data: text always goes in as text, never as markup.

/** h('div', {class: 'x', onclick: f}, child, 'text', [more]) */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

const TERMINAL = new Set(['completed', 'failed', 'moderated', 'cancelled']);
export const isTerminal = (status) => TERMINAL.has(status);

export function statusBadge(status) {
  return h('span', { class: `badge status-${status}`, dataset: { status } }, status);
}

export function healthBadge(health) {
  const label = { ok: 'Healthy', token_invalid: 'Token invalid', locked: 'Locked', forbidden: 'Forbidden', credits_exhausted: 'No credits' }[health] ?? health;
  return h('span', { class: `badge health-${health === 'ok' ? 'ok' : 'bad'}`, dataset: { health } }, label);
}

const VERBS = {
  'faceswap-listid': 'List ids', 'faceswap-saveid': 'Save id', 'faceswap-setid': 'Set id', 'faceswap-delid': 'Delete id',
  'faceswap-delall': 'Delete all', 'faceswap-swapid': 'Swap id', 'faceswap-swap': 'Swap', 'faceswap-INSwapper': 'INSwapper',
  'faceswap-picsi': 'Picsi', 'faceswap-changebg': 'Change background', 'faceswap-headshot': 'Headshot',
};
export const verbLabel = (verb) => VERBS[verb] ?? verb;

export function relativeTime(iso) {
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(iso).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

export function time(iso) {
  return h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, relativeTime(iso));
}

/**
 * A result link as a path on this server: the dashboard is served by the server that hosts the files, and
 * the page may load images from its own origin only.
 */
export function sameOrigin(url) {
  const parsed = new URL(url, location.href);
  return parsed.pathname + parsed.search;
}

/** A scaled-down copy of an attachment (proxy_url accepts width and height). */
export function thumbnailUrl(attachment, size) {
  const url = new URL(sameOrigin(attachment.proxy_url), location.href);
  url.searchParams.set('width', String(size));
  url.searchParams.set('height', String(size));
  return url.pathname + url.search;
}

export const firstImage = (job) => (job.attachments ?? []).find((a) => a.content_type?.startsWith('image/'));

export function formatBytes(size) {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}
