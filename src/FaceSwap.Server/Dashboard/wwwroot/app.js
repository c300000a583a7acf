// The dashboard: sign-in with an API token, then hash routes (#/jobs, #/jobs/{id}, #/submit, #/channels).

import { api, session, onTokenRefused, readJobEvents } from './api.js';
import * as state from './jobs-state.js';
import { renderJobList, renderJobDetail } from './jobs-view.js';
import { renderSubmit } from './submit-view.js';
import { renderChannels } from './channels-view.js';
import { relativeTime } from './dom.js';

const signin = document.getElementById('signin');
const signinForm = document.getElementById('signin-form');
const signinError = document.getElementById('signin-error');
const app = document.getElementById('app');
const view = document.getElementById('view');
const live = document.getElementById('live');

let leaveView = () => {};
let liveConnection = null;

function route() {
  if (!session.token) return;
  leaveView();
  const [, section = 'jobs', id] = location.hash.match(/^#\/([a-z]+)(?:\/([0-9a-f]+))?/) ?? [];
  for (const tab of document.querySelectorAll('.tabs a')) tab.setAttribute('aria-current', tab.dataset.section === section ? 'page' : 'false');
  if (section === 'jobs' && id) leaveView = renderJobDetail(view, id);
  else if (section === 'submit') leaveView = renderSubmit(view);
  else if (section === 'channels') leaveView = renderChannels(view);
  else leaveView = renderJobList(view);
  window.scrollTo(0, 0);
}

function setLive(mode, text) {
  live.dataset.state = mode;
  live.textContent = text;
}

/** Follows the job events for as long as the user is signed in, reconnecting after a break. */
function followJobs() {
  const connection = new AbortController();
  liveConnection = connection;
  (async () => {
    let backoff = 1000;
    while (!connection.signal.aborted) {
      try {
        await readJobEvents(connection.signal, (name, data) => {
          if (name === 'ready') {
            backoff = 1000;
            setLive('live', 'Live');
            // Read after "ready": from then on the stream misses nothing, so the list plus the events is complete.
            state.readFirstPage().catch(() => {});
          } else if (name === 'job') {
            state.upsert(JSON.parse(data));
          }
        });
      } catch (e) {
        if (connection.signal.aborted || e.status === 401 || e.status === 402) return;
      }
      if (connection.signal.aborted) return;
      setLive('offline', 'Reconnecting…');
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, 30000);
    }
  })();
}

function enter() {
  signin.hidden = true;
  app.hidden = false;
  setLive('connecting', 'Connecting…');
  followJobs();
  // At once, whether or not the stream gets through (a proxy may buffer it); read again at "ready".
  state.readFirstPage().catch(() => {});
  route();
}

function showSignIn(message) {
  liveConnection?.abort();
  liveConnection = null;
  leaveView();
  leaveView = () => {};
  view.replaceChildren();
  state.reset();
  app.hidden = true;
  signin.hidden = false;
  signinError.hidden = !message;
  signinError.textContent = message ?? '';
  document.getElementById('token').focus();
}

onTokenRefused((error) => {
  session.end();
  showSignIn(`${error.message} (HTTP ${error.status})`);
});

signinForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = new FormData(signinForm).get('token').trim();
  if (!token) return;
  const button = document.getElementById('signin-button');
  button.disabled = true;
  signinError.hidden = true;
  try {
    await api.check(token);
    session.start(token);
    signinForm.reset();
    if (!location.hash) history.replaceState(null, '', '#/jobs');
    enter();
  } catch (e) {
    // 401/402 already brought the sign-in back with the API's words; anything else is said here.
    if (e.status !== 401 && e.status !== 402) {
      signinError.textContent = e.message;
      signinError.hidden = false;
    }
  } finally {
    button.disabled = false;
  }
});

document.getElementById('signout').addEventListener('click', () => {
  session.end();
  showSignIn(null);
});

window.addEventListener('hashchange', route);
// "just now" becomes "3 min ago" without redrawing anything.
setInterval(() => {
  for (const element of document.querySelectorAll('time[datetime]')) element.textContent = relativeTime(element.dateTime);
}, 30000);

if (session.token) enter();
else showSignIn(null);
