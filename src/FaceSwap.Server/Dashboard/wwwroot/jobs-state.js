// The user's jobs as this tab knows them: pages read from jobs/list, kept current by the event stream.

import { api } from './api.js';
import { isTerminal } from './dom.js';

const jobs = new Map();
const listeners = new Set();
let nextCursor = null;
let firstPageRead = false;

/** Calls listener(job) for each change (job is null when the whole list changed); returns the unsubscribe. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function emit(job) {
  for (const listener of listeners) listener(job);
}

/** Newest first, as jobs/list orders them: created time, then id. */
export function all() {
  return [...jobs.values()].sort((a, b) => (b.created === a.created ? (b.jobid > a.jobid ? 1 : -1) : (b.created > a.created ? 1 : -1)));
}

export const get = (id) => jobs.get(id);
export const hasMore = () => nextCursor !== null;
export const isLoaded = () => firstPageRead;

/** Takes a snapshot unless it is older than the one held: a finished job never goes back to running. */
export function put(job) {
  const held = jobs.get(job.jobid);
  if (held && (held.updated > job.updated || (isTerminal(held.status) && !isTerminal(job.status)))) return false;
  jobs.set(job.jobid, job);
  return true;
}

export function upsert(job) {
  if (put(job)) emit(job);
}

/** The newest page; also after each (re)connection of the event stream, so nothing missed while away stays missing. */
export async function readFirstPage() {
  const page = await api.jobs(null);
  for (const job of page.jobs) put(job);
  if (!firstPageRead) nextCursor = page.next ?? null;
  firstPageRead = true;
  emit(null);
}

export async function readNextPage() {
  if (!nextCursor) return;
  const page = await api.jobs(nextCursor);
  for (const job of page.jobs) put(job);
  nextCursor = page.next ?? null;
  emit(null);
}

export function reset() {
  jobs.clear();
  nextCursor = null;
  firstPageRead = false;
  emit(null);
}
