// A swap from the browser: pick the command and the channel, drop the photos, see them before sending.

import { api } from './api.js';
import * as state from './jobs-state.js';
import { h, clear, formatBytes } from './dom.js';

const COMMANDS = {
  saveid: {
    title: 'Save a face', hint: 'Keep a face under a name, to swap it in later.',
    texts: [['idname', 'Name for this face', 'e.g. me', true]],
    files: [['image', 'Face photo']],
  },
  swapid: {
    title: 'Swap a saved face', hint: 'Put a saved face onto the people in a photo.',
    texts: [['idname', 'Saved face name(s)', 'e.g. me, or me,you', true]],
    files: [['image', 'Target photo']],
  },
  swap: {
    title: 'Swap two photos', hint: 'The face of the first photo onto the second.',
    texts: [['saveid_idname', 'Name for the face (optional)', 'id', false], ['swapid_idname', 'Name to swap (optional)', 'id', false]],
    files: [['saveid_image', 'Face photo'], ['swapid_image', 'Target photo']],
  },
};

/** A drop zone around a file input: click to browse, or drop a picture; shows what will be sent. */
function dropZone(name, label) {
  const input = h('input', { type: 'file', name, id: `file-${name}`, accept: 'image/png,image/jpeg,image/webp', class: 'visually-hidden', required: true });
  const preview = h('img', { class: 'preview', alt: `Preview of the ${label.toLowerCase()}`, hidden: true, id: `preview-${name}` });
  const caption = h('span', { class: 'drop-caption' }, h('strong', {}, label), h('span', { class: 'muted' }, 'Drop an image here, or click to choose'));
  const zone = h('label', { class: 'drop-zone', for: `file-${name}`, dataset: { field: name } }, input, preview, caption);
  let previewUrl = null;

  function show(file) {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = file ? URL.createObjectURL(file) : null;
    preview.hidden = !file;
    zone.classList.toggle('filled', Boolean(file));
    if (file) preview.src = previewUrl;
    else preview.removeAttribute('src');
    caption.replaceChildren(h('strong', {}, file ? file.name : label),
      h('span', { class: 'muted' }, file ? `${formatBytes(file.size)} · drop another to replace` : 'Drop an image here, or click to choose'));
  }

  input.addEventListener('change', () => show(input.files[0] ?? null));
  zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const file = [...(event.dataTransfer?.files ?? [])].find((f) => f.type.startsWith('image/'));
    if (!file) return;
    const files = new DataTransfer();
    files.items.add(file);
    input.files = files.files;
    show(file);
  });
  return { zone, release: () => previewUrl && URL.revokeObjectURL(previewUrl) };
}

export function renderSubmit(view) {
  let command = 'swapid';
  let zones = [];
  const channel = h('select', { name: 'channel', id: 'channel', required: true }, h('option', { value: '' }, 'Loading channels…'));
  const fields = h('div', { class: 'fields' });
  const error = h('p', { class: 'form-error', role: 'alert', id: 'submit-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button primary', id: 'submit-button' }, 'Start');
  const replyUrl = h('input', { type: 'url', name: 'replyUrl', id: 'replyUrl', placeholder: 'https://example.com/hooks/faceswap', maxlength: 1024 });
  const commandChoice = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Command' }, Object.entries(COMMANDS).map(([verb, spec]) =>
    h('label', { class: 'segment' },
      h('input', { type: 'radio', name: 'verb', value: verb, checked: verb === command, onchange: () => { command = verb; drawFields(); } }),
      h('span', {}, h('strong', {}, spec.title), h('small', {}, spec.hint)))));

  function drawFields() {
    for (const zone of zones) zone.release();
    const spec = COMMANDS[command];
    zones = spec.files.map(([name, label]) => dropZone(name, label));
    fields.replaceChildren(
      h('div', { class: 'drop-row' }, zones.map((z) => z.zone)),
      ...spec.texts.map(([name, label, placeholder, required]) => h('div', { class: 'field' },
        h('label', { for: `text-${name}` }, label),
        h('input', { type: 'text', id: `text-${name}`, name, placeholder, required, maxlength: 64, autocomplete: 'off' }))));
    submit.textContent = spec.title;
  }

  const form = h('form', { class: 'card form', id: 'submit-form', novalidate: true },
    h('div', { class: 'field' }, h('span', { class: 'label' }, 'Command'), commandChoice),
    h('div', { class: 'field' }, h('label', { for: 'channel' }, 'Channel'), channel),
    fields,
    h('details', { class: 'more' }, h('summary', {}, 'Webhook'), h('div', { class: 'field' },
      h('label', { for: 'replyUrl' }, 'Reply URL (called when the job ends)'), replyUrl)),
    error,
    h('div', { class: 'form-actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const data = new FormData(form);
    data.delete('verb');
    for (const [name, value] of [...data.entries()]) if (value === '' || (value instanceof File && value.size === 0)) data.delete(name);
    const missing = COMMANDS[command].files.find(([name]) => !data.has(name));
    if (missing) {
      error.textContent = `Add the ${missing[1].toLowerCase()} first.`;
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    try {
      const job = await api.submit(command, data);
      state.upsert(job);
      location.hash = `#/jobs/${job.jobid}`;
    } catch (e) {
      error.textContent = e.details ? `${e.message} — ${e.details}` : e.message;
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });

  clear(view).append(h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'New swap'), h('span', { class: 'muted' }, 'Runs like any API call; follow it live in Jobs'))), form);
  drawFields();
  api.channels().then((channels) => {
    const list = Object.values(channels);
    channel.replaceChildren(...(list.length === 0
      ? [h('option', { value: '' }, 'No channel: add one first')]
      : list.map((c) => h('option', { value: c.channel },
        `${c.channel} — ${c.engine === 'local' ? 'local engine' : 'Discord'}${c.health === 'ok' ? '' : ` (${c.health})`}`))));
  }).catch((e) => { error.textContent = e.message; error.hidden = false; });
  return () => zones.forEach((z) => z.release());
}
