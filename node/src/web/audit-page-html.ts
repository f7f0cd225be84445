/** The audit page: one self-contained HTML document (no external resources, no framework). */
export const AUDIT_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gnc-node audit</title>
<style>
  :root { --ok: #1b7f3b; --bad: #b3261e; --muted: #5f6368; --line: #d0d7de; }
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
  header { background: #0b3d62; color: #fff; padding: 14px 24px; }
  header h1 { margin: 0; font-size: 20px; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 20px; padding: 20px 24px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; }
  h2 { margin-top: 0; font-size: 17px; }
  form { display: flex; gap: 8px; margin-bottom: 12px; }
  input[type=text] { flex: 1; padding: 6px 8px; font: inherit; border: 1px solid var(--line); border-radius: 6px; }
  button { padding: 6px 14px; font: inherit; border-radius: 6px; border: 1px solid #0b3d62; background: #0b3d62; color: #fff; cursor: pointer; }
  .timeline { list-style: none; margin: 0; padding: 0 0 0 18px; border-left: 3px solid #0b3d62; }
  .timeline li { position: relative; margin: 0 0 16px 0; padding-left: 14px; }
  .timeline li::before { content: ''; position: absolute; left: -27px; top: 4px; width: 14px; height: 14px; border-radius: 50%; background: #fff; border: 3px solid #0b3d62; }
  .timeline li.deleted::before { border-color: var(--bad); }
  .when { font-weight: 600; }
  .meta { color: var(--muted); font-size: 13px; word-break: break-all; }
  .status { display: inline-block; padding: 1px 8px; border-radius: 10px; background: #e7f0fa; font-size: 12px; font-weight: 600; margin-left: 6px; }
  details pre { background: #f6f8fa; padding: 8px; overflow: auto; max-height: 260px; font-size: 12px; }
  #drop { border: 2px dashed #8c959f; border-radius: 8px; padding: 28px; text-align: center; color: var(--muted); cursor: pointer; }
  #drop.over { border-color: #0b3d62; background: #e7f0fa; }
  #verdict { font-weight: 700; margin: 14px 0 8px; font-size: 16px; overflow-wrap: anywhere; }
  p.meta { overflow-wrap: anywhere; }
  #verdict.ok { color: var(--ok); } #verdict.bad { color: var(--bad); }
  .checks { list-style: none; padding: 0; margin: 0; }
  .checks li { padding: 6px 0; border-bottom: 1px solid #eee; }
  .checks .mark { display: inline-block; width: 22px; font-weight: 700; }
  .checks .pass .mark { color: var(--ok); } .checks .fail .mark { color: var(--bad); } .checks .skipped { color: var(--muted); }
  .checks .detail { display: block; margin-left: 22px; color: var(--muted); font-size: 13px; word-break: break-word; }
  .error { color: var(--bad); }
  @media (max-width: 900px) { main { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header><h1>gnc-node &middot; audit</h1></header>
<main>
  <section id="history-section">
    <h2>Record timeline</h2>
    <form id="history-form">
      <input type="text" id="key" name="key" placeholder="declaration/DEC-1" aria-label="record key">
      <button type="submit">Show history</button>
    </form>
    <div id="history-status" class="meta"></div>
    <ol id="timeline" class="timeline"></ol>
  </section>
  <section id="proof-section">
    <h2>Verify a provenance proof</h2>
    <div id="drop" tabindex="0">Drop a proof file here, or click to choose one</div>
    <input type="file" id="proof-file" accept=".json,application/json" hidden>
    <p class="meta">The proof is sent to this node's <code>POST /proofs/verify</code>, which runs the same offline
      verifier as <code>gnc verify-proof</code>: it looks at nothing but the proof.</p>
    <div id="verdict"></div>
    <ul id="checks" class="checks"></ul>
  </section>
</main>
<script>
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }

  function summary(value) {
    if (value === null || typeof value !== 'object') return String(value);
    var parts = [];
    ['docType', 'status', 'lane', 'id', 'ownerMsp'].forEach(function (k) { if (value[k] !== undefined) parts.push(k + ': ' + value[k]); });
    if (value.confidentialFieldHashes) parts.push(Object.keys(value.confidentialFieldHashes).length + ' confidential field(s), as salted hashes');
    return parts.join(' \\u00b7 ');
  }

  async function loadHistory(key) {
    var list = $('timeline'); list.textContent = '';
    $('history-status').textContent = 'loading...';
    var response = await fetch('/audit/history?key=' + encodeURIComponent(key));
    var body = await response.json();
    if (!response.ok) { $('history-status').textContent = ''; $('history-status').appendChild(el('span', 'error', body.message || response.statusText)); return; }
    $('history-status').textContent = body.history.length + ' version(s) of ' + body.key;
    body.history.forEach(function (entry, i) {
      var li = el('li', entry.isDelete ? 'deleted' : '');
      li.setAttribute('data-tx', entry.txId);
      var when = el('div', 'when', entry.timestamp.replace('T', ' ').replace('Z', ' UTC'));
      var status = entry.value && entry.value.status ? entry.value.status : (entry.isDelete ? 'DELETED' : 'version ' + (i + 1));
      when.appendChild(el('span', 'status', status));
      li.appendChild(when);
      li.appendChild(el('div', '', summary(entry.value)));
      li.appendChild(el('div', 'meta', 'block ' + entry.blockNumber + ' \\u00b7 tx ' + entry.txNumber + ' \\u00b7 ' + entry.validation + ' \\u00b7 ' + entry.txId));
      li.appendChild(el('div', 'meta', 'by ' + entry.creator.mspId + ': ' + entry.creator.subject));
      var details = el('details'); details.appendChild(el('summary', '', 'value'));
      details.appendChild(el('pre', '', JSON.stringify(entry.value, null, 2)));
      li.appendChild(details);
      list.appendChild(li);
    });
  }

  async function verify(text) {
    $('verdict').className = ''; $('verdict').textContent = 'verifying...'; $('checks').textContent = '';
    var response = await fetch('/proofs/verify', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: text });
    var result = await response.json();
    if (!response.ok) { $('verdict').className = 'bad'; $('verdict').textContent = result.message || response.statusText; return; }
    $('verdict').className = result.valid ? 'ok' : 'bad';
    $('verdict').textContent = (result.valid ? 'VALID \\u2014 ' : 'INVALID \\u2014 ') + result.summary;
    result.checks.forEach(function (check) {
      var li = el('li', check.status);
      li.setAttribute('data-check', check.name);
      li.appendChild(el('span', 'mark', check.status === 'pass' ? '\\u2713' : check.status === 'fail' ? '\\u2717' : '\\u2013'));
      li.appendChild(el('strong', '', check.name));
      li.appendChild(el('span', 'detail', check.detail));
      $('checks').appendChild(li);
    });
  }

  function readFile(file) { var reader = new FileReader(); reader.onload = function () { verify(String(reader.result)); }; reader.readAsText(file); }

  $('history-form').addEventListener('submit', function (e) { e.preventDefault(); var key = $('key').value.trim(); if (key) { history.replaceState(null, '', '?key=' + encodeURIComponent(key)); loadHistory(key); } });
  var drop = $('drop');
  drop.addEventListener('click', function () { $('proof-file').click(); });
  drop.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') $('proof-file').click(); });
  $('proof-file').addEventListener('change', function () { if (this.files && this.files[0]) readFile(this.files[0]); });
  drop.addEventListener('dragover', function (e) { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', function () { drop.classList.remove('over'); });
  drop.addEventListener('drop', function (e) { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files[0]) readFile(e.dataTransfer.files[0]); });
  var initial = new URLSearchParams(location.search).get('key');
  if (initial) { $('key').value = initial; loadHistory(initial); }
})();
</script>
</body>
</html>
`;
