// The user's channels: engine, health (and why), credits.

import { api } from './api.js';
import { h, clear, healthBadge, time } from './dom.js';

function credits(channel) {
  if (!channel.credits) return h('p', { class: 'muted small' }, channel.engine === 'local' ? 'Runs on this server: no credits needed.' : 'Credits are read from the bot’s replies; none seen yet.');
  const { total, used, timestamp } = channel.credits;
  const left = Math.max(0, total - used);
  const bar = h('div', { class: 'meter-fill' });
  bar.style.width = `${total > 0 ? Math.min(100, (used / total) * 100) : 100}%`;
  return h('div', { class: 'credits' },
    h('div', { class: 'credits-line' }, h('strong', { class: 'credits-left' }, `${left} left`), h('span', { class: 'muted' }, `${used} of ${total} used`)),
    h('div', { class: 'meter', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': total, 'aria-valuenow': used }, bar),
    h('div', { class: 'muted small' }, 'as of ', time(timestamp.replace(/(\.\d{3})\d*/, '$1'))));
}

function channelCard(channel) {
  const capabilities = channel.capabilities;
  return h('article', { class: 'card channel', dataset: { channel: channel.channel, health: channel.health } },
    h('header', { class: 'channel-head' },
      h('div', {}, h('h2', { class: 'mono' }, channel.channel), h('span', { class: 'tag' }, channel.engine === 'local' ? 'Local engine' : 'Discord')),
      healthBadge(channel.health)),
    channel.healthDetail && h('p', { class: 'health-detail' }, channel.healthDetail),
    credits(channel),
    h('dl', { class: 'facts compact' },
      channel.server && [h('dt', {}, 'Server'), h('dd', { class: 'mono' }, channel.server)],
      channel.discord && [h('dt', {}, 'Discord token'), h('dd', { class: 'mono' }, channel.discord)],
      capabilities?.tier && [h('dt', {}, 'Tier'), h('dd', {}, capabilities.tier, capabilities.detector ? ` · ${capabilities.detector}` : '')]));
}

export function renderChannels(view) {
  const grid = h('div', { class: 'channel-grid', id: 'channels' }, h('div', { class: 'empty' }, 'Loading channels…'));
  const refresh = h('button', { type: 'button', class: 'button ghost', onclick: load }, 'Refresh');
  let closed = false;

  async function load() {
    try {
      const channels = Object.values(await api.channels());
      if (closed) return;
      grid.replaceChildren(...(channels.length === 0
        ? [h('div', { class: 'empty' }, h('strong', {}, 'No channel yet'), h('p', { class: 'muted' }, 'Add one with POST /v1/faceswap/account/{channel}.'))]
        : channels.map(channelCard)));
    } catch (e) {
      if (!closed) grid.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, e.message));
    }
  }

  clear(view).append(h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Channels'), h('span', { class: 'muted' }, 'Where your commands run')), refresh), grid);
  load();
  return () => { closed = true; };
}
