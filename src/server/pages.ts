/**
 * The server's own HTML: the profile list, the login form, and the profile
 * page shown when the viewer bundle is not built. Every stored string goes
 * through `text()`, which escapes HTML and shows control characters as
 * visible escapes, so a function or argv named `<script>` is shown, never run.
 * Pages carry no inline script (the CSP forbids it); behaviour lives in
 * /assets/pyrometer-server.js.
 */
import type { ProfileRow, AttachmentRow } from './store/store.js';

export function text(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The Content-Security-Policy of every server page. */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{background:#23272e;color:#fff;padding:10px 20px;display:flex;align-items:center;gap:16px}
header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:16px 20px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e3e3e3;vertical-align:top}
th{font-weight:600;background:#f0f0f0}
td.name{max-width:40em;overflow-wrap:anywhere}
td.num{text-align:right;font-variant-numeric:tabular-nums}
form.search{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:12px;align-items:end}
form.search label{display:flex;flex-direction:column;font-size:12px;color:#555}
input,select,button{font:inherit;padding:4px 6px}
button{cursor:pointer}
.pager{margin-top:12px;display:flex;gap:12px;align-items:center}
.muted{color:#777}
.error{color:#b00020}
code{font-family:ui-monospace,monospace;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content auto;gap:4px 16px}
dt{color:#555}
`;

export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${text(title)} · pyrometer</title><style>${STYLE}</style>
<script src="/assets/pyrometer-server.js" defer></script></head>
<body><header><a href="/">pyrometer</a><span class="muted">profiles</span><a href="/continuous">continuous</a></header><main>${body}</main></body></html>`;
}

function formatDuration(ms: number): string {
  if (!(ms > 0)) return '';
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

export interface ListPageInput {
  rows: ProfileRow[];
  count: number;
  page: number;
  pageSize: number;
  filters: { q?: string; interpreter?: string; from?: string; to?: string };
  interpreters: string[];
}

function pageLink(filters: ListPageInput['filters'], page: number): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) params.set(k, v);
  if (page > 1) params.set('page', String(page));
  const qs = params.toString();
  return qs ? `/?${qs}` : '/';
}

export function listPage(input: ListPageInput): string {
  const { rows, count, page, pageSize, filters } = input;
  const pages = Math.max(1, Math.ceil(count / pageSize));
  const options = ['', ...input.interpreters]
    .map(
      (i) =>
        `<option value="${text(i)}"${i === (filters.interpreter ?? '') ? ' selected' : ''}>${i ? text(i) : 'any interpreter'}</option>`,
    )
    .join('');
  const search = `<form class="search" method="get" action="/">
  <label>name, argv, file<input type="search" name="q" value="${text(filters.q)}" placeholder="search"></label>
  <label>interpreter<select name="interpreter">${options}</select></label>
  <label>from<input type="date" name="from" value="${text(filters.from)}"></label>
  <label>to<input type="date" name="to" value="${text(filters.to)}"></label>
  <button type="submit">Search</button>${Object.values(filters).some(Boolean) ? ' <a href="/">clear</a>' : ''}
</form>`;
  const body =
    rows.length === 0
      ? `<p class="muted">${count === 0 && !Object.values(filters).some(Boolean) ? 'No profiles yet. Upload one with <code>pyrometer upload FILE --server URL</code> or <code>python -m vmprof --web --web-url URL app.py</code>.' : 'No profile matches.'}</p>`
      : `<form id="compare" method="get" action="/compare"><button type="submit" title="Tick two profiles, then compare them (the older one is 'before')">Compare selected</button></form>
<table><thead><tr><th title="compare">⇄</th><th>name</th><th>interpreter</th><th>format</th><th class="num">samples</th><th class="num">duration</th><th>uploaded</th><th></th></tr></thead><tbody>
${rows
  .map(
    (r) => `<tr data-id="${text(r.id)}">
  <td><input type="checkbox" name="id" value="${text(r.id)}" form="compare" aria-label="compare ${text(r.name || r.fileName || r.id)}"></td>
  <td class="name"><a href="/profiles/${text(r.id)}">${text(r.name || r.fileName || r.id)}</a>${r.fileName && r.name ? `<div class="muted">${text(r.fileName)}</div>` : ''}</td>
  <td>${text(r.interpreter || r.vm)}</td><td>${text(r.format)}</td>
  <td class="num">${r.sampleCount.toLocaleString('en-US')}</td><td class="num">${formatDuration(r.durationMs)}</td>
  <td><time datetime="${new Date(r.createdAt).toISOString()}">${new Date(r.createdAt).toISOString().replace('T', ' ').slice(0, 19)} UTC</time></td>
  <td><a href="/profiles/${text(r.id)}">open</a> · <button type="button" class="copy-link" data-link="/#/${text(r.id)}">copy link</button>
    · <a href="/api/v1/profiles/${text(r.id)}/raw">download</a> · <button type="button" class="delete" data-id="${text(r.id)}">delete</button></td>
</tr>`,
  )
  .join('\n')}
</tbody></table>`;
  const pager =
    pages > 1
      ? `<div class="pager">${page > 1 ? `<a href="${text(pageLink(filters, page - 1))}">← newer</a>` : ''}<span class="muted">page ${page} of ${pages} · ${count} profiles</span>${page < pages ? `<a href="${text(pageLink(filters, page + 1))}">older →</a>` : ''}</div>`
      : `<div class="pager"><span class="muted">${count} profile${count === 1 ? '' : 's'}</span></div>`;
  return layout('profiles', `${search}${body}${pager}<p id="status" class="error" role="status"></p>`);
}

export function loginPage(message = ''): string {
  return layout(
    'sign in',
    `<h1>Sign in</h1>
<p>This server shows profiles to token holders only. Paste a token made with <code>pyrometer token create</code>.</p>
${message ? `<p class="error">${text(message)}</p>` : ''}
<form method="post" action="/login"><input type="password" name="token" autocomplete="off" size="50" required autofocus> <button type="submit">Sign in</button></form>`,
  );
}

export interface ProfileSummary {
  topFunctions: { name: string; file: string; line: number; self: number; total: number }[];
  totalWeight: number;
  weightUnit: string;
  warnings: string[];
}

/** The profile page when the viewer bundle (web/dist) is not built: facts, downloads, and the hottest functions. */
export function profileFallbackPage(row: ProfileRow, attachments: AttachmentRow[], summary: ProfileSummary | null): string {
  const facts: [string, string][] = [
    ['name', row.name],
    ['file', row.fileName],
    ['format', row.format],
    ['interpreter', row.interpreter || row.vm],
    ['samples', row.sampleCount.toLocaleString('en-US')],
    ['threads', String(row.threadCount)],
    ['duration', formatDuration(row.durationMs)],
    ['os', row.os],
    ['arch', row.arch],
    ['uploaded', new Date(row.createdAt).toISOString()],
    ['size', formatSize(row.rawSize)],
    ['sha256', row.rawSha256],
  ];
  const top =
    summary && summary.topFunctions.length
      ? `<h2>Hottest functions</h2><table><thead><tr><th>function</th><th>file</th><th class="num">self %</th><th class="num">total %</th></tr></thead><tbody>
${summary.topFunctions
  .map(
    (f) => `<tr><td class="name"><code>${text(f.name)}</code></td><td class="name">${text(f.file)}${f.line ? `:${f.line}` : ''}</td>
<td class="num">${summary.totalWeight ? ((100 * f.self) / summary.totalWeight).toFixed(1) : '0'}</td><td class="num">${summary.totalWeight ? ((100 * f.total) / summary.totalWeight).toFixed(1) : '0'}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`
      : '';
  const warnings =
    summary && summary.warnings.length ? `<h2>Warnings</h2><ul>${summary.warnings.map((w) => `<li>${text(w)}</li>`).join('')}</ul>` : '';
  const sides = attachments.length
    ? `<h2>Side files</h2><ul>${attachments.map((a) => `<li>${text(a.kind)}: <a href="/api/v1/attachments/${text(a.id)}/raw">${text(a.fileName)}</a> (${formatSize(a.size)})</li>`).join('')}</ul>`
    : '';
  return layout(
    row.name || row.fileName || row.id,
    `<h1>${text(row.name || row.fileName || row.id)}</h1>
<p><button type="button" class="copy-link" data-link="/#/${text(row.id)}">copy share link</button>
 · <a href="/api/v1/profiles/${text(row.id)}/raw">download the upload</a>
 · <a href="/api/v1/profiles/${text(row.id)}/model">parsed model</a>
 · <button type="button" class="delete" data-id="${text(row.id)}" data-then="/">delete</button></p>
<p class="muted">The interactive viewer is not built on this server (web/dist); this is the summary.</p>
<dl>${facts
      .filter(([, v]) => v)
      .map(([k, v]) => `<dt>${text(k)}</dt><dd>${text(v)}</dd>`)
      .join('')}</dl>
${top}${warnings}${sides}<p id="status" class="error" role="status"></p>`,
  );
}

export function notFoundPage(what: string): string {
  return layout('not found', `<h1>Not found</h1><p>${text(what)}</p><p><a href="/">all profiles</a></p>`);
}

/**
 * The pages' script: turns vmprof's `/#/<runtime id>` share links into
 * `/profiles/<id>`, copies share links, deletes with a confirmation (asking
 * for a token when the server wants one).
 */
export const PAGES_SCRIPT = `'use strict';
(function () {
  // On load, and when only the fragment changes (a share link pasted while on this page).
  function followShareLink() {
    var m = /^#\\/([0-9a-z-]{1,64})(\\/traces)?\\/?$/.exec(location.hash);
    if (m) location.replace(m[2] ? '/jitlogs/' + m[1] : '/profiles/' + m[1]);
    return Boolean(m);
  }
  window.addEventListener('hashchange', followShareLink);
  if (followShareLink()) return;
  function status(msg) { var el = document.getElementById('status'); if (el) el.textContent = msg; }
  function authHeaders() {
    var t = sessionStorage.getItem('pyrometer-token');
    return t ? { Authorization: 'Token ' + t } : {};
  }
  document.addEventListener('click', function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement)) return;
    if (target.classList.contains('copy-link')) {
      var link = location.origin + target.getAttribute('data-link');
      var done = function () { target.textContent = 'copied'; setTimeout(function () { target.textContent = 'copy link'; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(link).then(done, function () { window.prompt('Share link', link); });
      else window.prompt('Share link', link);
    } else if (target.classList.contains('delete')) {
      var id = target.getAttribute('data-id');
      if (!id || !window.confirm('Delete this profile for everyone?')) return;
      var attempt = function (retry) {
        fetch('/api/v1/profiles/' + encodeURIComponent(id), { method: 'DELETE', headers: authHeaders(), credentials: 'same-origin' })
          .then(function (res) {
            if (res.status === 401 && retry) {
              var t = window.prompt('This server needs a token to delete profiles:');
              if (!t) return;
              sessionStorage.setItem('pyrometer-token', t);
              return attempt(false);
            }
            if (!res.ok) return res.json().then(function (j) { status('Delete failed: ' + (j.error || res.status)); });
            var then = target.getAttribute('data-then');
            if (then) { location.href = then; return; }
            var row = target.closest('tr'); if (row) row.remove();
          })
          .catch(function (err) { status('Delete failed: ' + err); });
      };
      attempt(true);
    }
  });
})();
`;
