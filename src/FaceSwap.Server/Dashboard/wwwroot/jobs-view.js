// The job list (live) and one job's page: results, inputs, webhook deliveries.

import { api } from './api.js';
import * as state from './jobs-state.js';
import { h, clear, statusBadge, verbLabel, time, thumbnailUrl, sameOrigin, firstImage, isTerminal, formatBytes } from './dom.js';

const FILTERS = [
  ['all', 'All', () => true],
  ['running', 'Running', (job) => !isTerminal(job.status)],
  ['completed', 'Completed', (job) => job.status === 'completed'],
  ['problems', 'Failed', (job) => ['failed', 'moderated', 'cancelled'].includes(job.status)],
];

/** What the job was asked to do, in a few words. */
function summary(job) {
  if (job.prompt) return job.prompt;
  if (job.a_background_photo_of) return job.a_background_photo_of;
  const names = [job.idname, job.saveid_idname && `${job.saveid_idname} → ${job.swapid_idname ?? 'id'}`].filter(Boolean);
  return names.join(', ');
}

// One <img> per thumbnail address for the life of the tab: re-drawing a row never reloads its picture.
const thumbnails = new Map();

function thumbnail(job) {
  const image = firstImage(job);
  if (!image) return h('div', { class: `thumb placeholder status-${job.status}`, 'aria-hidden': 'true' }, verbLabel(job.verb).slice(0, 1));
  const src = thumbnailUrl(image, 128);
  let element = thumbnails.get(src);
  if (!element) {
    element = h('img', { class: 'thumb', src, alt: `Result of ${verbLabel(job.verb)}`, width: 64, height: 64, decoding: 'async' });
    thumbnails.set(src, element);
  }
  return element;
}

function jobRow(job) {
  return h('a', { class: 'job-row', href: `#/jobs/${job.jobid}`, dataset: { jobid: job.jobid, status: job.status } },
    thumbnail(job),
    h('div', { class: 'job-main' },
      h('div', { class: 'job-title' }, h('strong', {}, verbLabel(job.verb)), summary(job) && h('span', { class: 'muted' }, summary(job))),
      h('div', { class: 'job-meta' }, h('code', {}, job.jobid.slice(0, 12)), h('span', {}, '·'), h('span', {}, job.channel),
        job.error && h('span', { class: 'job-error' }, job.error))),
    h('div', { class: 'job-side' }, statusBadge(job.status), time(job.created)));
}

export function renderJobList(view) {
  let filter = 'all';
  const list = h('div', { class: 'job-list', id: 'job-list', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'button ghost', id: 'load-more', onclick: () => state.readNextPage().catch(showError) }, 'Load older jobs');
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const chips = h('div', { class: 'chips', role: 'tablist' }, FILTERS.map(([key, label]) =>
    h('button', { type: 'button', class: 'chip', role: 'tab', dataset: { filter: key }, 'aria-selected': String(key === filter), onclick: () => { filter = key; draw(); } }, label)));
  const count = h('span', { class: 'muted', id: 'job-count' });

  function showError(e) {
    error.textContent = e.message;
    error.hidden = false;
  }

  function draw() {
    for (const chip of chips.children) chip.setAttribute('aria-selected', String(chip.dataset.filter === filter));
    const test = FILTERS.find(([key]) => key === filter)[2];
    const jobs = state.all();
    const shown = jobs.filter(test);
    count.textContent = `${jobs.length} job${jobs.length === 1 ? '' : 's'}`;
    if (!state.isLoaded()) {
      list.replaceChildren(h('div', { class: 'empty' }, 'Loading your jobs…'));
    } else if (shown.length === 0) {
      list.replaceChildren(h('div', { class: 'empty' },
        h('strong', {}, jobs.length === 0 ? 'No jobs yet' : 'Nothing here'),
        h('p', { class: 'muted' }, jobs.length === 0 ? 'Jobs you submit, here or through the API, show up at once.' : 'No job matches this filter.'),
        jobs.length === 0 && h('a', { class: 'button primary', href: '#/submit' }, 'Start a swap')));
    } else {
      list.replaceChildren(...shown.map(jobRow));
    }
    more.hidden = !state.hasMore();
  }

  clear(view).append(
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Jobs'), count),
      h('a', { class: 'button primary', href: '#/submit' }, 'New swap')),
    chips, error, h('section', { class: 'card flush' }, list), h('div', { class: 'center' }, more));
  draw();
  return state.subscribe(draw);
}

function detailItem(label, value) {
  if (value === undefined || value === null || value === '') return null;
  return [h('dt', {}, label), h('dd', {}, value)];
}

function inputs(job) {
  const files = ['image', 'source_image', 'target_image_gif_or_video', 'saveid_image', 'swapid_image']
    .filter((name) => job[name]).map((name) => `${name}: ${job[name].type}, ${formatBytes(job[name].size)}`);
  const texts = ['idname', 'saveid_idname', 'swapid_idname', 'prompt', 'a_background_photo_of', 'options', 'targetMessageId']
    .filter((name) => job[name]).map((name) => `${name}: ${job[name]}`);
  return [...texts, ...files];
}

function deliveriesTable(deliveries, job) {
  if (deliveries.length === 0) {
    return h('p', { class: 'muted', id: 'no-deliveries' }, job && !job.replyUrl
      ? 'This job has no replyUrl, so nothing is delivered.'
      : 'No delivery yet: the replyUrl is called when the job ends.');
  }
  return h('table', { class: 'table', id: 'deliveries' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Event'), h('th', {}, 'Receiver'), h('th', {}, 'State'), h('th', {}, 'Attempts'))),
    h('tbody', {}, deliveries.map((delivery) => h('tr', { dataset: { webhookId: delivery.webhookId, state: delivery.state } },
      h('td', {}, h('span', { class: `badge status-${delivery.event}` }, delivery.event)),
      h('td', { class: 'url' }, delivery.url),
      h('td', {}, h('span', { class: `badge delivery-${delivery.state}` }, delivery.state),
        delivery.nextAttempt && h('div', { class: 'muted small' }, 'next ', time(delivery.nextAttempt))),
      h('td', {}, delivery.attempts.length === 0 ? h('span', { class: 'muted' }, 'none yet') : h('ul', { class: 'attempts' },
        delivery.attempts.map((attempt) => h('li', {},
          attempt.httpStatus ? h('span', { class: `http http-${String(attempt.httpStatus)[0]}xx` }, `HTTP ${attempt.httpStatus}`) : h('span', { class: 'http http-error' }, attempt.error ?? 'error'),
          h('span', { class: 'muted' }, ` ${attempt.durationMs} ms · `), time(attempt.at)))))))));
}

export function renderJobDetail(view, jobId) {
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const body = h('div', {});
  const deliveriesBox = h('div', { id: 'deliveries-box' }, h('p', { class: 'muted' }, 'Loading deliveries…'));
  let closed = false;
  let deliveryRefresh = null;

  function showError(e) {
    error.textContent = e.details ? `${e.message} — ${e.details}` : e.message;
    error.hidden = false;
  }

  async function loadDeliveries() {
    try {
      const deliveries = await api.deliveries(jobId);
      if (!closed) deliveriesBox.replaceChildren(deliveriesTable(deliveries, state.get(jobId)));
      return deliveries;
    } catch (e) {
      if (!closed) deliveriesBox.replaceChildren(h('p', { class: 'form-error' }, e.message));
      return [];
    }
  }

  /** Deliveries are sent in the background: look again a few times until the newest one has an attempt. */
  function watchDeliveries(tries = 15) {
    clearTimeout(deliveryRefresh);
    deliveryRefresh = setTimeout(async () => {
      if (closed) return;
      const deliveries = await loadDeliveries();
      if (tries > 1 && deliveries.some((d) => d.state === 'pending' && d.attempts.length === 0)) watchDeliveries(tries - 1);
    }, 1000);
  }

  function draw(job) {
    const actions = h('div', { class: 'actions' },
      !isTerminal(job.status) && h('button', { type: 'button', class: 'button danger', id: 'cancel-job', onclick: () => api.cancel(jobId).catch(showError) }, 'Cancel job'),
      job.replyUrl && h('button', {
        type: 'button', class: 'button', id: 'redeliver', onclick: async () => {
          try { await api.redeliver(jobId); await loadDeliveries(); watchDeliveries(); } catch (e) { showError(e); }
        },
      }, 'Redeliver'));
    body.replaceChildren(
      h('div', { class: 'page-head' },
        h('div', {}, h('h1', {}, verbLabel(job.verb), ' ', statusBadge(job.status)), h('code', { class: 'muted', id: 'job-id' }, job.jobid)),
        actions),
      h('div', { class: 'detail-grid' },
        h('section', { class: 'card results' }, h('h2', {}, 'Result'),
          (job.attachments ?? []).length === 0
            ? h('div', { class: 'result-empty' }, isTerminal(job.status) ? 'No result file.' : h('span', { class: 'spinner-text' }, 'Working on it…'))
            : h('div', { class: 'gallery' }, job.attachments.map((attachment) => h('figure', {},
              attachment.content_type?.startsWith('image/')
                ? h('a', { href: sameOrigin(attachment.url), target: '_blank', rel: 'noopener' },
                  h('img', { src: thumbnailUrl(attachment, 640), alt: attachment.filename, class: 'result-image' }))
                : h('a', { href: sameOrigin(attachment.url), target: '_blank', rel: 'noopener' }, attachment.filename),
              h('figcaption', { class: 'muted small' }, attachment.filename, attachment.width ? ` · ${attachment.width}×${attachment.height}` : '', ` · ${formatBytes(attachment.size)}`))))),
        h('section', { class: 'card' }, h('h2', {}, 'Details'),
          h('dl', { class: 'facts' },
            detailItem('Status', statusBadge(job.status)),
            detailItem('Channel', job.channel),
            detailItem('Created', time(job.created)),
            detailItem('Updated', time(job.updated)),
            detailItem('Inputs', inputs(job).length ? h('ul', { class: 'plain' }, inputs(job).map((line) => h('li', {}, line))) : null),
            detailItem('Message', job.content),
            detailItem('Error', job.error && h('span', { class: 'job-error' }, job.error, job.errorDetails ? ` — ${job.errorDetails}` : '')),
            detailItem('Reply URL', job.replyUrl),
            detailItem('Reply ref', job.replyRef)))),
      h('section', { class: 'card' }, h('h2', {}, 'Webhook deliveries'), deliveriesBox));
  }

  body.append(h('p', { class: 'muted' }, 'Loading the job…'));
  clear(view).append(h('a', { class: 'back', href: '#/jobs' }, '← All jobs'), error, body);
  const known = state.get(jobId);
  if (known) draw(known);
  api.job(jobId).then((job) => {
    state.upsert(job);
    if (closed) return;
    draw(state.get(jobId));
    loadDeliveries();
  }).catch((e) => {
    if (closed) return;
    body.replaceChildren();
    showError(e);
  });
  const unsubscribe = state.subscribe((job) => {
    if (job?.jobid !== jobId) return;
    draw(job);
    if (isTerminal(job.status) && job.replyUrl) watchDeliveries();
  });
  return () => { closed = true; clearTimeout(deliveryRefresh); unsubscribe(); };
}
