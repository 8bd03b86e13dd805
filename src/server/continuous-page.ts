/**
 * The continuous-profiling page (/continuous): pick a service, filter its
 * labels, drag a range on the timeline (A), drag a second one with Shift (B)
 * or pick two values of a label, then: open A in the viewer, or diff A -> B
 * (a differential flame graph, widths from B, red where a call path's share
 * grew and blue where it shrank, and the table of biggest changes). Below, the
 * top functions over the range as small multiples.
 *
 * Like the other pages: no inline script (the CSP forbids it), behaviour in
 * /assets/pyrometer-continuous.js, every name set as text, never as HTML.
 * All data comes from the JSON API in routes/continuous.ts.
 */
import { layout } from './pages.js';

export function continuousPage(): string {
  const page = layout(
    'continuous profiling',
    `
<h2>Continuous profiling</h2>
<form class="search" id="cp-form">
  <label>service <select id="cp-service"></select></label>
  <span id="cp-labels" style="display:contents"></span>
  <label>last <select id="cp-range">
    <option value="15m">15 min</option><option value="1h" selected>1 hour</option><option value="6h">6 hours</option>
    <option value="1d">1 day</option><option value="7d">7 days</option><option value="30d">30 days</option></select></label>
  <label>compare label <select id="cp-compare-key"><option value="">(time ranges)</option></select></label>
  <label>A <select id="cp-compare-a"></select></label>
  <label>B <select id="cp-compare-b"></select></label>
</form>
<p class="muted">Drag on the timeline to select range A; Shift-drag selects range B.</p>
<svg id="cp-timeline" width="100%" height="120" role="img" aria-label="samples over time"></svg>
<p id="cp-selection" class="muted"></p>
<p><button type="button" id="cp-open">Open A in the viewer</button> <button type="button" id="cp-diff">Diff A → B</button> <span id="status" class="muted"></span></p>
<div id="cp-diff-out"></div>
<h3>Top functions over time</h3>
<div id="cp-top" style="display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:12px"></div>`,
  );
  return page.replace('</head>', '<script src="/assets/pyrometer-continuous.js" defer></script></head>');
}

export const CONTINUOUS_SCRIPT = `'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };
  if (!$('cp-form')) return;
  var SVG = 'http://www.w3.org/2000/svg';
  var state = { services: [], range: null, a: null, b: null };
  function status(msg) { $('status').textContent = msg; }
  function headers() { var t = sessionStorage.getItem('pyrometer-token'); return t ? { Authorization: 'Token ' + t } : {}; }
  function get(path) {
    return fetch(path, { headers: headers(), credentials: 'same-origin' }).then(function (res) {
      return res.json().then(function (body) { if (!res.ok) throw new Error(body.error || ('HTTP ' + res.status)); return body; });
    });
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs) { var e = document.createElementNS(SVG, tag); for (var k in attrs) e.setAttribute(k, attrs[k]); return e; }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function iso(t) { return new Date(t).toISOString().replace('.000Z', 'Z'); }
  function pct(x) { return x.toFixed(1) + '%'; }

  function labelParams(prefix, override) {
    var p = [];
    var selects = document.querySelectorAll('#cp-labels select');
    for (var i = 0; i < selects.length; i++) {
      var key = selects[i].getAttribute('data-key');
      if (override && key === override.key) continue;
      if (selects[i].value) p.push([prefix + 'label', key + '=' + selects[i].value]);
    }
    if (override) p.push([prefix + 'label', override.key + '=' + override.value]);
    return p;
  }
  function query(pairs) { var q = new URLSearchParams(); pairs.forEach(function (kv) { q.append(kv[0], kv[1]); }); return q.toString(); }
  function baseParams() { return [['service', $('cp-service').value]].concat(labelParams('')); }
  function rangeOf(sel) { return sel || state.range; }

  function loadServices() {
    get('/api/v1/continuous/services').then(function (body) {
      state.services = body.services;
      var select = $('cp-service'); clear(select);
      body.services.forEach(function (s) { select.appendChild(el('option', { value: s.service }, s.service)); });
      if (body.services.length === 0) { status('No streamed profiles yet: pyrometer record --stream ' + location.origin + ' -- python3 app.py'); return; }
      var wanted = new URLSearchParams(location.search).get('service');
      if (wanted) select.value = wanted;
      serviceChanged();
    }, function (err) { status(err.message); });
  }

  function serviceChanged() {
    var info = state.services.filter(function (s) { return s.service === $('cp-service').value; })[0];
    var box = $('cp-labels'); clear(box);
    var compare = $('cp-compare-key'); clear(compare); compare.appendChild(el('option', { value: '' }, '(time ranges)'));
    Object.keys(info ? info.labels : {}).sort().forEach(function (key) {
      var label = el('label', {}, key + ' ');
      var select = el('select', { 'data-key': key });
      select.appendChild(el('option', { value: '' }, 'any'));
      info.labels[key].forEach(function (v) { select.appendChild(el('option', { value: v }, v)); });
      select.addEventListener('change', refresh);
      label.appendChild(select); box.appendChild(label);
      compare.appendChild(el('option', { value: key }, key));
    });
    compareKeyChanged();
    refresh();
  }

  function compareKeyChanged() {
    var info = state.services.filter(function (s) { return s.service === $('cp-service').value; })[0];
    var key = $('cp-compare-key').value;
    ['cp-compare-a', 'cp-compare-b'].forEach(function (id, i) {
      var select = $(id); clear(select);
      var values = key && info ? info.labels[key] : [];
      values.forEach(function (v) { select.appendChild(el('option', { value: v }, v)); });
      if (values.length > 1) select.value = values[Math.min(i, values.length - 1)];
      select.disabled = !key;
    });
  }

  function refresh() {
    var span = { '15m': 9e5, '1h': 36e5, '6h': 216e5, '1d': 864e5, '7d': 6048e5, '30d': 2592e6 }[$('cp-range').value];
    var to = Date.now();
    state.range = { from: to - span, to: to };
    state.a = null; state.b = null;
    showSelection();
    var q = query(baseParams().concat([['from', String(state.range.from)], ['to', String(state.range.to)]]));
    get('/api/v1/continuous/timeline?' + q).then(drawTimeline, function (err) { status(err.message); });
    get('/api/v1/continuous/top?n=6&' + q).then(drawTop, function (err) { status(err.message); });
  }

  function drawTimeline(t) {
    var box = $('cp-timeline'); clear(box);
    var width = box.getBoundingClientRect().width || 800, height = 120;
    state.scale = { from: Date.parse(t.from), to: Date.parse(t.to), width: width, step: t.resolutionMs };
    var max = 0; t.points.forEach(function (p) { if (p[1] > max) max = p[1]; });
    var x = function (time) { return (time - state.scale.from) / (state.scale.to - state.scale.from) * width; };
    var barWidth = Math.max(1, x(state.scale.from + t.resolutionMs) - 1);
    t.points.forEach(function (p) {
      var h = max > 0 ? p[1] / max * (height - 14) : 0;
      var r = svg('rect', { x: x(p[0]), y: height - 14 - h, width: barWidth, height: h, fill: '#5b8def' });
      var title = svg('title', {}); title.textContent = iso(p[0]) + ': ' + p[1];
      r.appendChild(title); box.appendChild(r);
    });
    var axis = svg('text', { x: 2, y: height - 2, 'font-size': 11, fill: '#777' }); axis.textContent = iso(state.scale.from);
    var axis2 = svg('text', { x: width - 2, y: height - 2, 'font-size': 11, fill: '#777', 'text-anchor': 'end' }); axis2.textContent = iso(state.scale.to) + ' (' + t.resolutionMs / 1000 + ' s buckets)';
    box.appendChild(axis); box.appendChild(axis2);
    state.selectionRects = { a: svg('rect', { y: 0, height: height - 14, fill: 'rgba(255,160,0,0.25)', width: 0 }), b: svg('rect', { y: 0, height: height - 14, fill: 'rgba(0,160,120,0.25)', width: 0 }) };
    box.appendChild(state.selectionRects.a); box.appendChild(state.selectionRects.b);
    status(t.points.length ? '' : 'No samples in this range.');
  }

  function timeAt(event) {
    var rect = $('cp-timeline').getBoundingClientRect();
    var f = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
    return state.scale.from + f * (state.scale.to - state.scale.from);
  }
  var drag = null;
  $('cp-timeline').addEventListener('mousedown', function (event) { if (state.scale) drag = { which: event.shiftKey ? 'b' : 'a', start: timeAt(event) }; });
  window.addEventListener('mousemove', function (event) { if (drag) setSelection(drag.which, drag.start, timeAt(event)); });
  window.addEventListener('mouseup', function (event) { if (drag) { setSelection(drag.which, drag.start, timeAt(event)); drag = null; } });
  function setSelection(which, t1, t2) {
    var from = Math.min(t1, t2), to = Math.max(t1, t2);
    if (to - from < state.scale.step) to = from + state.scale.step;
    state[which] = { from: Math.round(from), to: Math.round(to) };
    var s = state.scale, r = state.selectionRects[which];
    r.setAttribute('x', (from - s.from) / (s.to - s.from) * s.width);
    r.setAttribute('width', (to - from) / (s.to - s.from) * s.width);
    showSelection();
  }
  function showSelection() {
    var parts = [];
    if (state.a) parts.push('A: ' + iso(state.a.from) + ' … ' + iso(state.a.to));
    if (state.b) parts.push('B: ' + iso(state.b.from) + ' … ' + iso(state.b.to));
    $('cp-selection').textContent = parts.length ? parts.join('   ') : 'A: the whole range shown';
  }

  $('cp-open').addEventListener('click', function () {
    var r = rangeOf(state.a);
    var url = '/api/v1/continuous/profile?' + query(baseParams().concat([['from', String(r.from)], ['to', String(r.to)]]));
    location.href = '/viewer/?' + query([['profile', url], ['name', $('cp-service').value + ' ' + iso(r.from) + ' … ' + iso(r.to)]]);
  });

  $('cp-diff').addEventListener('click', function () {
    var key = $('cp-compare-key').value;
    var pairs = [['service', $('cp-service').value]];
    if (key) {
      var r = rangeOf(state.a);
      pairs = pairs.concat([['a.from', String(r.from)], ['a.to', String(r.to)], ['b.from', String(r.from)], ['b.to', String(r.to)]])
        .concat(labelParams('a.', { key: key, value: $('cp-compare-a').value }))
        .concat(labelParams('b.', { key: key, value: $('cp-compare-b').value }));
    } else {
      if (!state.a || !state.b) { status('Select range A (drag) and range B (Shift-drag) first, or pick a label to compare.'); return; }
      pairs = pairs.concat([['a.from', String(state.a.from)], ['a.to', String(state.a.to)], ['b.from', String(state.b.from)], ['b.to', String(state.b.to)]])
        .concat(labelParams('a.')).concat(labelParams('b.'));
    }
    status('comparing…');
    get('/api/v1/continuous/diff?limit=30&' + query(pairs)).then(function (d) { status(''); drawDiff(d); }, function (err) { status(err.message); });
  });

  function drawDiff(d) {
    var out = $('cp-diff-out'); clear(out);
    out.appendChild(el('p', { class: 'muted' }, 'A: ' + d.before.total + ' samples, B: ' + d.after.total + ' samples. Widths: B; red: a larger share in B than in A, blue: smaller.'));
    var canvas = el('canvas', { id: 'cp-diff-flame' });
    out.appendChild(canvas);
    drawDiffFlame(canvas, d);
    var table = el('table', {});
    var head = el('tr', {});
    ['function', 'file', 'self A', 'self B', 'change', 'total A', 'total B'].forEach(function (h) { head.appendChild(el('th', {}, h)); });
    table.appendChild(head);
    d.functions.forEach(function (f) {
      var row = el('tr', {});
      row.appendChild(el('td', { class: 'name' }, f.name));
      row.appendChild(el('td', {}, f.file));
      [pct(f.beforeSelf), pct(f.afterSelf), (f.delta >= 0 ? '+' : '') + f.delta.toFixed(1), pct(f.beforeTotal), pct(f.afterTotal)].forEach(function (v, i) {
        var cell = el('td', { class: 'num' }, v);
        if (i === 2) cell.style.color = f.delta > 0 ? '#b00020' : f.delta < 0 ? '#1f5fbf' : '';
        row.appendChild(cell);
      });
      table.appendChild(row);
    });
    out.appendChild(table);
  }

  // Call tree of both selections; each node: children by frame, weight in A and B.
  function diffTree(stacks) {
    var root = { name: 'all', a: 0, b: 0, children: {} };
    stacks.forEach(function (s) {
      var node = root; root.a += s.before; root.b += s.after;
      s.stack.split(';').forEach(function (frame) {
        var child = node.children[frame] || (node.children[frame] = { name: frame, a: 0, b: 0, children: {} });
        child.a += s.before; child.b += s.after; node = child;
      });
    });
    return root;
  }

  function drawDiffFlame(canvas, d) {
    var root = diffTree(d.stacks);
    var width = canvas.parentNode.getBoundingClientRect().width || 800, rowHeight = 18;
    var rows = [];
    var queue = [{ node: root, x: 0, w: width, depth: 0 }];
    while (queue.length) {
      var item = queue.shift();
      rows.push(item);
      var x = item.x;
      Object.keys(item.node.children).sort().forEach(function (k) {
        var c = item.node.children[k];
        var w = root.b > 0 ? c.b / root.b * width : 0;
        if (w >= 0.5) queue.push({ node: c, x: x, w: w, depth: item.depth + 1 });
        x += w;
      });
    }
    var depth = 0; rows.forEach(function (r) { if (r.depth > depth) depth = r.depth; });
    var ratio = window.devicePixelRatio || 1;
    canvas.width = width * ratio; canvas.height = (depth + 1) * rowHeight * ratio;
    canvas.style.width = width + 'px'; canvas.style.height = (depth + 1) * rowHeight + 'px';
    var ctx = canvas.getContext('2d'); ctx.scale(ratio, ratio);
    ctx.font = '11px system-ui, sans-serif'; ctx.textBaseline = 'middle';
    rows.forEach(function (r) {
      var shareA = root.a > 0 ? r.node.a / root.a : 0, shareB = root.b > 0 ? r.node.b / root.b : 0;
      var change = Math.max(-1, Math.min(1, (shareB - shareA) * 4));
      var c = Math.round(235 - Math.abs(change) * 150);
      ctx.fillStyle = change > 0 ? 'rgb(255,' + c + ',' + c + ')' : change < 0 ? 'rgb(' + c + ',' + c + ',255)' : 'rgb(235,235,235)';
      var y = r.depth * rowHeight;
      ctx.fillRect(r.x, y, Math.max(0.5, r.w - 0.5), rowHeight - 1);
      if (r.w > 30) {
        ctx.fillStyle = '#222';
        ctx.save(); ctx.beginPath(); ctx.rect(r.x, y, r.w - 2, rowHeight); ctx.clip();
        ctx.fillText(r.node.name + ' ' + (shareB >= shareA ? '+' : '') + ((shareB - shareA) * 100).toFixed(1) + '%', r.x + 3, y + rowHeight / 2);
        ctx.restore();
      }
    });
  }

  function drawTop(top) {
    var box = $('cp-top'); clear(box);
    if (!top.series.length) return;
    top.series.forEach(function (s) {
      var card = el('div', {});
      card.appendChild(el('div', { class: 'name', style: 'font-size:12px;overflow-wrap:anywhere' }, s.func));
      var chart = svg('svg', { width: 260, height: 60, role: 'img' });
      var max = 0; top.totals.forEach(function (t) { if (t > max) max = t; });
      var n = s.values.length, points = [];
      s.values.forEach(function (v, i) {
        var share = top.totals[i] > 0 ? v / top.totals[i] : 0;
        points.push((n > 1 ? i / (n - 1) * 256 : 128) + 2 + ',' + (58 - share * 56));
      });
      chart.appendChild(svg('polyline', { points: points.join(' '), fill: 'none', stroke: '#d9480f', 'stroke-width': 1.5 }));
      var title = svg('title', {}); title.textContent = s.func + ': self share per bucket';
      chart.appendChild(title);
      card.appendChild(chart);
      box.appendChild(card);
    });
  }

  $('cp-service').addEventListener('change', serviceChanged);
  $('cp-range').addEventListener('change', refresh);
  $('cp-compare-key').addEventListener('change', compareKeyChanged);
  loadServices();
})();
`;
