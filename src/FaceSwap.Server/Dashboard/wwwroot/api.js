// Every data call is an API call with the user's token; the pages themselves are public.

const BASE = '/v1/faceswap';
const TOKEN_KEY = 'faceswap.dashboard.token';

/** An answer in the API's error shape: {error, errorDetails?, code}. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? `The server answered ${status}`);
    this.status = status;
    this.details = body?.errorDetails ?? null;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  start(token) { sessionStorage.setItem(TOKEN_KEY, token); },
  end() { sessionStorage.removeItem(TOKEN_KEY); },
};

let refused = () => {};
/** Called with the ApiError when the API refuses the token (401, or 402: revoked or expired). */
export function onTokenRefused(handler) { refused = handler; }

async function request(path, { method = 'GET', body, headers = {}, signal, token = session.token } = {}) {
  const response = await fetch(BASE + path, {
    method, body, signal, cache: 'no-store',
    headers: { Authorization: `Bearer ${token}`, ...headers },
  });
  if (response.status === 401 || response.status === 402) {
    const error = new ApiError(response.status, await readJson(response));
    refused(error);
    throw error;
  }
  return response;
}

async function readJson(response) {
  const text = await response.text();
  try { return text ? JSON.parse(text) : null; } catch { return { error: text.slice(0, 200) }; }
}

async function call(path, options) {
  const response = await request(path, options);
  const body = await readJson(response);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export const api = {
  /** Checks a token without keeping it: the first page of jobs. */
  check: (token) => call('/jobs/list?limit=1', { token }),
  jobs: (before, limit = 30) => call(`/jobs/list?limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ''}`),
  job: (id) => call(`/jobs/?jobid=${encodeURIComponent(id)}`),
  cancel: (id) => call(`/jobs/cancel/?jobid=${encodeURIComponent(id)}`),
  deliveries: (id) => call(`/jobs/deliveries?jobid=${encodeURIComponent(id)}`),
  redeliver: (id) => call(`/jobs/redeliver?jobid=${encodeURIComponent(id)}`, { method: 'POST' }),
  /** 404 "Configuration not found…" when the user has no channel: an empty list here. */
  async channels() {
    try {
      return await call('/account');
    } catch (error) {
      if (error.status === 404) return {};
      throw error;
    }
  },
  /** Answers at once with the stored job (Prefer: respond-async); the job then runs and its changes arrive as events. */
  submit: (verb, form) => call(`/${verb}`, { method: 'POST', body: form, headers: { Prefer: 'respond-async' } }),
};

/**
 * GET /jobs/events read with fetch (EventSource cannot send the Authorization header): calls onEvent(name, data)
 * for each event until the stream ends or the signal aborts.
 */
export async function readJobEvents(signal, onEvent) {
  const response = await request('/jobs/events', { signal, headers: { Accept: 'text/event-stream' } });
  if (!response.ok) throw new ApiError(response.status, await readJson(response));
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onEvent(name, data.join('\n'));
    }
  }
}
