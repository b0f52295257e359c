// Statemark policy playground: plain JavaScript over the service's JSON endpoints
// (docs/service.md, "The policy playground"). Everything is built with DOM calls and
// textContent, never from HTML strings, so no text from a policy or a request can
// become markup.
'use strict';

const state = {
  policy: null,   // GET /v1/playground/policy
  table: null,    // GET /v1/playground/table, fetched when the policy view opens
  accounts: [],   // registry accounts, with a lower-case search text each
};

// Worked examples (examples/requests/worked_examples.jsonl and the default policy's spec).
const EXAMPLES = [
  { name: 'rt_en seen from Germany, 2024-07-01 (withheld)',
    request: { time: '2024-07-01T12:00:00Z', viewer: { country: 'DE' }, account: { id: 'rt_en' },
               content: { topics: ['current_global_affairs'] } } },
  { name: 'xinhua on world news, viewer in the US',
    request: { time: '2024-07-01T12:00:00Z', viewer: { country: 'US' }, account: { id: 'xinhua' },
               content: { topics: ['current_global_affairs'] } } },
  { name: 'xinhua on travel, viewer in the US',
    request: { time: '2024-07-01T12:00:00Z', viewer: { country: 'US' }, account: { id: 'xinhua' },
               content: { topics: ['travel_tourism'] } } },
  { name: 'A US user linking to rt_en',
    request: { time: '2024-07-01T12:00:00Z', viewer: { country: 'US' }, account: { id: 'user_us' },
               content: { topics: ['war_conflict'], links_to: ['rt_en'] } } },
  { name: 'tr_wire ad targeting TR, DE, AZ',
    request: { time: '2024-07-01T12:00:00Z', viewer: { country: 'TR' }, account: { id: 'tr_wire' },
               content: { topics: ['travel_tourism'] },
               ad: { target_countries: ['TR', 'DE', 'AZ'], topics: ['travel_tourism'] } } },
  { name: 'bbc ad targeting US and GB',
    request: { time: '2024-07-01T12:00:00Z', viewer: { country: 'US' }, account: { id: 'bbc' },
               content: { topics: ['current_global_affairs'] },
               ad: { target_countries: ['US', 'GB'], topics: ['current_global_affairs'] } } },
];

// --- small helpers ---------------------------------------------------------------

const $ = (id) => document.getElementById(id);

// h('p', {class: 'x'}, 'text', child, ...): an element; null children are skipped.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : String(c));
  return el;
}

async function getJson(url, options) {
  const res = await fetch(url, options);
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const e = body && body.error ? body.error : { message: `HTTP ${res.status}` };
    const err = new Error(e.message + (e.path ? ` (at ${e.path})` : ''));
    err.body = body;
    throw err;
  }
  return body;
}

function postJson(url, value) {
  return getJson(url, { method: 'POST', headers: { 'Content-Type': 'application/json' },
                        body: JSON.stringify(value) });
}

const splitList = (text) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
const countryName = (code) => {
  const c = state.policy.vocabulary.countries.find((x) => x.code === code);
  return c ? c.name : code;
};
const attribute = (name) => state.policy.vocabulary.attributes.find((a) => a.name === name);
const ruleById = (id) => state.policy.rules.find((r) => r.id === id);
const human = (s) => String(s).replace(/_/g, ' ');

// Text in which `backticks` mark names, as the engine writes its explanations.
function prose(text) {
  return String(text).split('`').map((part, i) => (i % 2 ? h('code', {}, part) : part));
}

function ruleRefs(ids) {
  if (!ids || ids.length === 0) return '';
  const out = [];
  ids.forEach((id, i) => {
    if (i) out.push(', ');
    const r = ruleById(id);
    out.push(h('abbr', { class: 'rule-ref', title: r ? r.description : id }, id));
  });
  return out;
}

// --- views -----------------------------------------------------------------------

function showView(name) {
  const views = ['request', 'policy', 'edit'];
  if (!views.includes(name)) name = 'request';
  for (const v of views) {
    $('view-' + v).hidden = v !== name;
    const tab = document.querySelector(`.tabs a[data-view="${v}"]`);
    if (v === name) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  if (state.policy) prepareView(name);
}

// The policy and edit views are built the first time they are shown, so that the
// page is interactive as soon as the request form is.
const prepared = new Set();
function prepareView(name) {
  if (name === 'policy' && !prepared.has(name)) {
    renderRules();
    renderRegistry();
  }
  if (name === 'policy' && !state.table) loadTable();
  if (name === 'edit' && !prepared.has(name)) addEditor('platform.yaml');
  prepared.add(name);
}

function onHashChange(focus) {
  showView(location.hash.slice(1));
  if (focus) $('main').focus();
}

// --- try a request ---------------------------------------------------------------

function accountText(a) {
  const at = a.attributes;
  const bits = [at.affiliation && at.affiliation !== 'none' ? human(at.affiliation) : null,
                at.affiliated_state, at.parent_entity,
                ...a.listings.map((l) => l.entity_name)].filter(Boolean);
  return bits.join(' · ');
}

function fillAccounts() {
  const query = $('account-search').value.trim().toLowerCase();
  const select = $('account-id');
  const previous = select.value;
  select.replaceChildren();
  for (const a of state.accounts) {
    if (query && !a.search.includes(query)) continue;
    select.append(h('option', { value: a.id }, `${a.id} — ${accountText(a) || 'no affiliation'}`));
  }
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
  else if (select.options.length) select.selectedIndex = 0;
  describeAccount();
}

function describeAccount() {
  const a = state.accounts.find((x) => x.id === $('account-id').value);
  $('account-summary').textContent = a
    ? Object.entries(a.attributes).map(([k, v]) => `${human(k)}: ${v}`).join('; ') +
      (a.listings.length ? `; listed: ${a.listings.map((l) => `${l.list} from ${l.from}`).join(', ')}` : '')
    : 'No account matches.';
}

// The country list is built once and cloned into each select that needs it.
let countryFragment = null;
function countryOptions(select, blank) {
  if (!countryFragment) {
    countryFragment = document.createDocumentFragment();
    for (const c of state.policy.vocabulary.countries) {
      countryFragment.append(h('option', { value: c.code }, `${c.code} — ${c.name}`));
    }
  }
  if (blank) select.append(h('option', { value: '' }, blank));
  select.append(countryFragment.cloneNode(true));
}

function topicBoxes(container, name) {
  const topics = attribute('content.topics').values;
  for (const t of topics) {
    container.append(h('label', {}, h('input', { type: 'checkbox', name, value: t }), ' ', human(t)));
  }
}

// The typed-attributes form: one control per account attribute of the vocabulary.
function buildTypedAttributes() {
  const box = $('typed-attributes');
  for (const a of state.policy.vocabulary.attributes) {
    if (!a.name.startsWith('account.') || a.builtin || a.type === 'listings') continue;
    const id = 'typed-' + a.name.replace(/[^a-z0-9]/gi, '-');
    let control;
    if (a.type === 'enum') {
      control = h('select', { id, 'data-attr': a.name }, h('option', { value: '' }, `— default${a.default ? ` (${a.default})` : ''} —`),
                  a.values.map((v) => h('option', { value: v }, v)));
    } else if (a.type === 'country') {
      control = h('select', { id, 'data-attr': a.name });
      countryOptions(control, '— none —');
    } else if (a.type === 'bool') {
      control = h('select', { id, 'data-attr': a.name, 'data-type': 'bool' }, h('option', { value: '' }, '— unknown —'),
                  h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
    } else {
      control = h('input', { id, type: 'text', 'data-attr': a.name, autocomplete: 'off' });
    }
    box.append(h('div', { class: 'field' }, h('label', { for: id }, human(a.name.slice(8))), control));
  }
  const aff = $('typed-account-affiliation');
  if (aff) aff.value = 'state_controlled_media';
  const st = $('typed-account-affiliated-state');
  if (st) st.value = 'RU';
}

function checkedValues(container) {
  return [...container.querySelectorAll('input[type=checkbox]:checked')].map((i) => i.value);
}

function buildRequest() {
  const req = { time: $('time').value.trim(), viewer: { country: $('viewer-country').value } };
  if (document.querySelector('input[name=account-source]:checked').value === 'registry') {
    req.account = { id: $('account-id').value };
  } else {
    req.account = { id: $('typed-id').value.trim() };
    for (const el of $('typed-attributes').querySelectorAll('[data-attr]')) {
      const v = el.value.trim();
      if (!v) continue;
      req.account[el.dataset.attr.slice(8)] = el.dataset.type === 'bool' ? v === 'true' : v;
    }
  }
  const content = {};
  const topics = checkedValues($('topics'));
  if (topics.length) content.topics = topics;
  const subjects = splitList($('subject-countries').value.toUpperCase());
  if (subjects.length) content.subject_countries = subjects;
  const links = $('links').value.split('\n').map((s) => s.trim()).filter(Boolean);
  if (links.length) content.links = links;
  const linksTo = splitList($('links-to').value);
  if (linksTo.length) content.links_to = linksTo;
  if ($('reshare-of').value) content.reshare_of = $('reshare-of').value;
  if (Object.keys(content).length) req.content = content;
  if (document.querySelector('input[name=kind]:checked').value === 'ad') {
    req.ad = { target_countries: splitList($('ad-targets').value.toUpperCase()) };
    const adTopics = checkedValues($('ad-topics'));
    if (adTopics.length) req.ad.topics = adTopics;
    if ($('ad-purpose').value) req.ad.purpose = $('ad-purpose').value;
    if ($('ad-managed').checked) req.ad.managed_by_platform_rep = true;
  }
  return req;
}

function setRadio(name, value) {
  for (const r of document.querySelectorAll(`input[name=${name}]`)) r.checked = r.value === value;
  syncToggles();
}

function syncToggles() {
  const typed = document.querySelector('input[name=account-source]:checked').value === 'typed';
  $('account-registry').hidden = typed;
  $('account-typed').hidden = !typed;
  $('ad-fields').hidden = document.querySelector('input[name=kind]:checked').value !== 'ad';
}

// Puts a request into the form: a registry account is picked from the list, any other
// account is typed with its attributes.
function loadExample(request) {
  const account = request.account || { id: '' };
  const known = state.accounts.some((a) => a.id === account.id);
  setRadio('account-source', known ? 'registry' : 'typed');
  $('account-search').value = '';
  fillAccounts();
  if (known) {
    $('account-id').value = account.id;
    describeAccount();
  } else {
    $('typed-id').value = account.id;
    for (const el of $('typed-attributes').querySelectorAll('[data-attr]')) {
      const v = account[el.dataset.attr.slice(8)];
      el.value = v === undefined || v === null ? '' : String(v);
    }
  }
  $('viewer-country').value = (request.viewer && request.viewer.country) || 'ZZ';
  if (request.time) $('time').value = request.time;
  const c = request.content || {};
  for (const box of $('topics').querySelectorAll('input')) box.checked = (c.topics || []).includes(box.value);
  $('subject-countries').value = (c.subject_countries || []).join(', ');
  $('links').value = (c.links || []).join('\n');
  $('links-to').value = (c.links_to || []).join(', ');
  $('reshare-of').value = c.reshare_of || '';
  setRadio('kind', request.ad ? 'ad' : 'organic');
  if (request.ad) {
    $('ad-targets').value = (request.ad.target_countries || []).join(', ');
    for (const box of $('ad-topics').querySelectorAll('input')) box.checked = (request.ad.topics || []).includes(box.value);
    $('ad-purpose').value = request.ad.purpose || '';
    $('ad-managed').checked = !!request.ad.managed_by_platform_rep;
  }
}

async function decide(event) {
  if (event) event.preventDefault();
  const req = buildRequest();
  $('request-json').textContent = JSON.stringify(req, null, 2);
  const out = $('result');
  out.setAttribute('aria-busy', 'true');
  try {
    const answer = await postJson('/v1/playground/explain', req);
    renderDecision(answer.decision, answer.explanation);
  } catch (e) {
    out.replaceChildren(h('h3', {}, 'The request was refused'), h('p', { class: 'error-banner', role: 'alert' }, e.message));
  } finally {
    out.removeAttribute('aria-busy');
  }
}

function partRules(explanation, field) {
  const p = explanation.parts.find((x) => x.field === field);
  return p ? p.rules : [];
}

function renderDecision(d, explanation) {
  const out = $('result');
  const nodes = [h('h3', {}, 'Decision')];
  const withheld = Object.values(d.surfaces).every((l) => l === 'geo_blocked' || l === 'removed');

  nodes.push(h('h4', {}, 'Surfaces'));
  nodes.push(h('div', { class: 'surfaces', id: 'surfaces' }, Object.entries(d.surfaces).map(([s, level]) =>
    h('div', { class: 'surface', 'data-surface': s },
      h('span', { class: 'name' }, human(s)),
      h('span', { class: `level level-${level}`, 'data-level': level }, human(level)),
      h('span', { class: 'by' }, partRules(explanation, `surfaces.${s}`).length ? ['by ', ruleRefs(partRules(explanation, `surfaces.${s}`))] : 'no rule: default')))));

  nodes.push(h('h4', {}, 'Notice'));
  nodes.push(d.notice
    ? h('p', { class: 'notice', id: 'notice' }, d.notice, ' ', h('span', { class: 'placements' }, ['(', ruleRefs(partRules(explanation, 'notice')), ')']))
    : h('p', { class: 'hint', id: 'notice' }, 'No notice.'));

  nodes.push(h('h4', {}, 'Labels'));
  if (d.labels.length === 0) {
    nodes.push(h('p', { class: 'hint', id: 'labels' }, withheld ? 'None: nothing renders on a withheld item.' : 'No label.'));
  } else {
    nodes.push(h('div', { id: 'labels' }, d.labels.map((l) => {
      const rules = explanation.parts.filter((p) => p.field === 'labels' && p.value === l.text).flatMap((p) => p.rules);
      return h('div', { class: 'mock-post', 'data-label': l.id },
        h('span', { class: 'mock-label' }, l.text),
        h('div', { class: 'placements' }, 'shown on: ', l.placements.map(human).join(', '),
          rules.length ? [' · by ', ruleRefs(rules)] : ''));
    })));
  }

  nodes.push(h('dl', { class: 'kv' },
    h('dt', {}, 'Friction'), h('dd', { id: 'friction' }, d.friction.length ? d.friction.map(human).join(', ') : 'none'),
    h('dt', {}, 'Monetization'), h('dd', { id: 'monetization' }, human(d.monetization),
      partRules(explanation, 'monetization').length ? [' (', ruleRefs(partRules(explanation, 'monetization')), ')'] : ''),
    h('dt', {}, 'Rules applied'), h('dd', {}, d.rules.length ? ruleRefs(d.rules) : 'none'),
    d.shadow.length ? [h('dt', {}, 'Shadow rules'), h('dd', {}, ruleRefs(d.shadow))] : null));

  if (d.ad) {
    nodes.push(h('h4', {}, 'Ad: ', h('span', { id: 'ad-decision' }, d.ad.decision)));
    nodes.push(h('p', {}, 'Allowed countries:'));
    nodes.push(d.ad.allowed.length
      ? h('ul', { class: 'countries allowed', id: 'ad-allowed' }, d.ad.allowed.map((c) => h('li', { title: countryName(c) }, c)))
      : h('p', { class: 'hint', id: 'ad-allowed' }, 'none'));
    nodes.push(h('p', {}, 'Denied countries, with the rules behind each:'));
    nodes.push(d.ad.denied.length
      ? h('ul', { class: 'countries denied', id: 'ad-denied' }, d.ad.denied.map((x) =>
          h('li', { 'data-country': x.country, title: countryName(x.country) }, x.country, ' — ', ruleRefs(x.rules))))
      : h('p', { class: 'hint', id: 'ad-denied' }, 'none'));
  }
  if (d.warnings.length) {
    nodes.push(h('h4', {}, 'Warnings'), h('ul', {}, d.warnings.map((w) => h('li', {}, typeof w === 'string' ? w : JSON.stringify(w)))));
  }

  nodes.push(h('h3', {}, 'Explanation'));
  if (!explanation.agrees) {
    nodes.push(h('p', { class: 'error-banner' }, 'The decision tree and the reference interpreter disagree on this request: please report it.'));
  }
  nodes.push(h('p', { class: 'hint' }, 'Every rule, with why it applied or its nearest miss. Rules that decided part of the answer come first.'));
  const order = ['decided', 'exemption_used', 'lifted', 'overridden', 'shadow', 'no_case', 'condition_failed',
                 'not_in_effect', 'wrong_kind', 'no_subject', 'exemption_idle'];
  const traces = [...explanation.rules].sort((a, b) => order.indexOf(a.outcome) - order.indexOf(b.outcome) || a.rule.localeCompare(b.rule, 'en', { numeric: true }));
  nodes.push(h('div', { class: 'table-wrap tall', tabindex: '0', role: 'region', 'aria-label': 'Explanation by rule' },
    h('table', { id: 'explanation' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Rule'), h('th', { scope: 'col' }, 'Layer'),
        h('th', { scope: 'col' }, 'Outcome'), h('th', { scope: 'col' }, 'Why'))),
      h('tbody', {}, traces.map((t) => h('tr', { class: t.outcome === 'decided' ? '' : 'quiet', 'data-rule': t.rule, 'data-outcome': t.outcome },
        h('td', {}, h('span', { class: 'rule-ref' }, t.rule), h('br'), h('small', {}, t.description)),
        h('td', {}, t.layer),
        h('td', {}, h('span', { class: `outcome outcome-${t.outcome}` }, human(t.outcome)), t.subject ? [h('br'), h('small', {}, prose(t.subject))] : ''),
        h('td', {}, t.because.length ? h('ul', {}, t.because.map((b) => h('li', {}, prose(b)))) : '',
          t.why_not ? h('p', { class: 'why-not' }, h('strong', {}, 'Nearest miss: '), prose(t.why_not)) : '')))))));
  out.replaceChildren(...nodes.flat());
}

// --- see the policy --------------------------------------------------------------

const LAYERS = ['integrity', 'legal', 'platform', 'exemption'];

function timeRange() {
  let lo = Date.parse('2021-01-01T00:00:00Z');
  let hi = Date.parse('2025-07-01T00:00:00Z');
  for (const r of state.policy.rules) {
    for (const t of [r.from, r.until]) if (t) { const v = Date.parse(t); lo = Math.min(lo, v); hi = Math.max(hi, v); }
  }
  const pad = (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
}

function windowText(r) {
  if (!r.from && !r.until) return 'always';
  const w = `${r.from ? 'from ' + r.from : 'until'}${r.from && r.until ? ' until ' : ''}${r.until || ''}`;
  return r.window ? `${w} (window ${r.window})` : w;
}

function timeline(rules, range, at) {
  const width = 1000, row = 22, top = 24, left = 60;
  const height = top + rules.length * row + 6;
  const x = (t) => left + ((t - range[0]) / (range[1] - range[0])) * (width - left - 10);
  const g = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'timeline', role: 'img',
                         'aria-label': 'Rule windows on a timeline: ' + rules.map((r) => `${r.id} ${windowText(r)}`).join('; ') });
  const startYear = new Date(range[0]).getUTCFullYear() + 1;
  const endYear = new Date(range[1]).getUTCFullYear();
  for (let y = startYear; y <= endYear; y++) {
    const xx = x(Date.UTC(y, 0, 1));
    g.append(svg('line', { x1: xx, x2: xx, y1: 16, y2: height, stroke: '#d5d9df' }));
    g.append(svg('text', { x: xx + 3, y: 13, 'font-size': 12, fill: '#525a64' }, String(y)));
  }
  rules.forEach((r, i) => {
    const y = top + i * row;
    const from = r.from ? Date.parse(r.from) : range[0];
    const until = r.until ? Date.parse(r.until) : range[1];
    g.append(svg('text', { x: 4, y: y + 14, 'font-size': 13, 'font-family': 'monospace', fill: '#1b1f24' }, r.id));
    const bar = svg('rect', { x: x(from), y: y + 3, width: Math.max(3, x(until) - x(from)), height: 14, rx: 3,
                               fill: r.mode === 'shadow' ? '#b9c3cf' : '#0b57d0', 'fill-opacity': r.from || r.until ? 0.9 : 0.35 });
    bar.append(svg('title', {}, `${r.id}: ${windowText(r)}`));
    g.append(bar);
  });
  if (at) {
    const xx = x(at);
    g.append(svg('line', { x1: xx, x2: xx, y1: 16, y2: height, stroke: '#a3241b', 'stroke-width': 2, 'stroke-dasharray': '4 3' }));
  }
  return g;
}

function renderRules() {
  const range = timeRange();
  const atText = $('time').value.trim();
  const at = Date.parse(atText);
  $('timeline-at').textContent = Number.isNaN(at) ? '' : atText;
  const box = $('rules-by-layer');
  box.replaceChildren();
  for (const layer of LAYERS) {
    const rules = state.policy.rules.filter((r) => r.layer === layer)
      .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
    if (!rules.length) continue;
    box.append(h('section', { class: 'layer', 'data-layer': layer },
      h('h4', {}, `${layer[0].toUpperCase()}${layer.slice(1)} (${rules.length})`),
      timeline(rules, range, Number.isNaN(at) ? null : at),
      h('div', { class: 'table-wrap tall', tabindex: '0', role: 'region', 'aria-label': `${layer} rules` },
        h('table', {},
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Rule'), h('th', { scope: 'col' }, 'Description'),
            h('th', { scope: 'col' }, 'Window'), h('th', { scope: 'col' }, 'Where'))),
          h('tbody', {}, rules.map((r) => h('tr', { 'data-rule': r.id },
            h('td', { class: 'rule-ref' }, r.id, r.mode === 'shadow' ? ' (shadow)' : ''),
            h('td', {}, r.description, r.lifts.length ? h('div', { class: 'hint' }, 'lifts ', r.lifts.join(', ')) : '',
              r.note ? h('details', {}, h('summary', {}, 'Note'), h('p', {}, r.note)) : ''),
            h('td', {}, windowText(r)),
            h('td', {}, h('code', {}, `${r.file.split('/').pop()}:${r.line}`)))))))));
  }
}

function renderRegistry() {
  const query = $('registry-filter').value.trim().toLowerCase();
  const columns = [];
  for (const a of state.accounts) for (const k of Object.keys(a.attributes)) if (!columns.includes(k)) columns.push(k);
  const table = $('registry-table');
  table.replaceChildren(
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'id'), columns.map((c) => h('th', { scope: 'col' }, human(c))),
      h('th', { scope: 'col' }, 'sanctions listings'))),
    h('tbody', {}, state.accounts.filter((a) => !query || a.search.includes(query)).map((a) =>
      h('tr', { 'data-account': a.id }, h('td', {}, h('code', {}, a.id)),
        columns.map((c) => h('td', {}, a.attributes[c] === undefined ? '' : String(a.attributes[c]),
          a.effective_at[c] ? h('div', { class: 'hint' }, 'from ', a.effective_at[c]) : '')),
        h('td', {}, a.listings.map((l) => h('div', {}, `${l.list}: ${l.entity_name || ''} from ${l.from || 'always'}${l.until ? ' until ' + l.until : ''}`)))))));
}

// The decision table at the request time, filtered on the server (class_filter.h).
let tableRequest = 0;
async function loadTable() {
  const params = new URLSearchParams({ at: $('time').value.trim(), affiliation: $('table-affiliation').value,
                                       country: $('table-country').value, topic: $('table-topic').value });
  const mine = ++tableRequest;
  $('table-count').textContent = 'Building the decision table…';
  $('decision-table').setAttribute('aria-busy', 'true');
  let t;
  try {
    t = await getJson('/v1/playground/table?' + params);
  } catch (e) {
    if (mine === tableRequest) $('table-count').textContent = 'The decision table could not be built: ' + e.message;
    return;
  } finally {
    if (mine === tableRequest) $('decision-table').removeAttribute('aria-busy');
  }
  if (mine !== tableRequest) return;
  state.table = t;
  $('table-count').textContent = `${t.total} of ${t.classes_in_policy} classes of requests at ${t.at || 'any time'}` +
    (t.classes.length < t.total ? `; the first ${t.classes.length} are shown.` : '.');
  $('decision-table').replaceChildren(
    h('thead', {}, h('tr', {}, ['Class', 'Requests', 'Surfaces', 'Labels, notice, friction', 'Ads', 'Rules']
      .map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, t.classes.map((c) => h('tr', { 'data-class': c.id },
      h('td', {}, h('code', {}, c.id), h('br'), h('small', {}, human(c.subject))),
      h('td', {}, conditionList(c)),
      h('td', {}, surfaceList(c.decision.surfaces)),
      h('td', {}, summaryText(c.decision)),
      h('td', {}, adsText(c.decision.ads)),
      h('td', {}, ruleRefs(c.rules))))));
}

function conditionList(c) {
  const items = [...c.conditions];
  if (c.time && (c.time.from || c.time.until)) items.push(`time in [${c.time.from || '…'}, ${c.time.until || '…'})`);
  return items.length ? h('ul', { class: 'conditions' }, items.map((x) => h('li', {}, x))) : 'every request';
}

function surfaceList(surfaces) {
  return h('ul', { class: 'mini-levels' }, Object.entries(surfaces || {}).map(([s, l]) =>
    h('li', {}, `${human(s)} `, h('span', { class: `level level-${l}` }, human(l)))));
}

function summaryText(d) {
  const bits = [];
  for (const l of d.labels || []) bits.push(`label ${l.id} @ ${l.placements.join(', ')}`);
  if (d.notice) bits.push(`notice ${d.notice}`);
  if ((d.friction || []).length) bits.push(`friction ${d.friction.join(', ')}`);
  if (d.monetization && d.monetization !== 'allow') bits.push(`monetization ${d.monetization}`);
  return bits.length ? h('ul', {}, bits.map((b) => h('li', {}, b))) : '—';
}

function adsText(ads) {
  if (!ads || !ads.length) return '—';
  return h('ul', {}, ads.map((a) => h('li', {}, h('span', { class: 'rule-ref' }, a.rule), ' ',
    a.deny_all ? 'deny all' : a.allow_only ? `allow only ${a.allow_only.join(', ')}` : a.deny ? `deny ${a.deny.join(', ')}` : '',
    a.lifted_by ? ` (lifted by ${a.lifted_by.join(', ')})` : '')));
}

// --- try an edit -----------------------------------------------------------------

function addEditor(file, text) {
  const node = $('editor-template').content.firstElementChild.cloneNode(true);
  const select = node.querySelector('.editor-file');
  for (const f of state.policy.files) select.append(h('option', { value: f }, f));
  select.value = file || 'platform.yaml';
  node.dataset.file = select.value;
  select.addEventListener('change', () => { node.dataset.file = select.value; });
  node.querySelector('.editor-load').addEventListener('click', () => loadLive(node));
  node.querySelector('.editor-remove').addEventListener('click', () => {
    node.remove();
    const first = document.querySelector('#editors .editor-file');
    (first || $('add-editor')).focus();
  });
  $('editors').append(node);
  if (text !== undefined) node.querySelector('.editor-text').value = text;
  return node;
}

async function loadLive(node) {
  const file = node.querySelector('.editor-file').value;
  const src = await getJson('/v1/playground/source?file=' + encodeURIComponent(file));
  node.querySelector('.editor-text').value = src.text;
  node.querySelector('.editor-annotations').replaceChildren(src.same_as_loaded ? '' :
    h('p', { class: 'error-banner' }, `${file} has changed on disk since the live policy loaded; the live policy is compared with what you paste.`));
}

// The pasted text with each diagnostic under its line, a caret at its column.
function annotate(text, diags) {
  const lines = text.split('\n');
  const listing = h('div', { class: 'listing', tabindex: '0', role: 'region', 'aria-label': 'Pasted text with its errors' });
  const byLine = new Map();
  for (const d of diags) {
    const line = Math.max(1, Math.min(d.line || 1, lines.length));
    if (!byLine.has(line)) byLine.set(line, []);
    byLine.get(line).push(d);
  }
  lines.forEach((line, i) => {
    const n = i + 1;
    const here = byLine.get(n);
    listing.append(h('div', { class: 'ln' + (here ? ' has-diag' : ''), 'data-line': n },
      h('span', { class: 'num' }, n), h('span', {}, line || ' ')));
    for (const d of here || []) {
      const caret = d.column > 0 ? ' '.repeat(d.column - 1) + '^ ' : '';
      listing.append(h('div', { class: `diag-inline ${d.severity}`, 'data-line': d.line, 'data-column': d.column, role: 'note' },
        `${caret}${d.severity}[${d.code}] at line ${d.line}, column ${d.column}: ${d.message}`));
    }
  });
  return listing;
}

async function tryEdit(event) {
  event.preventDefault();
  const editors = [...document.querySelectorAll('#editors .editor')];
  const files = editors.map((e) => ({ file: e.querySelector('.editor-file').value, text: e.querySelector('.editor-text').value }));
  const out = $('edit-result');
  out.setAttribute('aria-busy', 'true');
  out.replaceChildren(h('p', { class: 'hint' }, 'Compiling the edit and comparing it with the live policy…'));
  for (const e of editors) e.querySelector('.editor-annotations').replaceChildren();
  let answer;
  try {
    answer = await postJson('/v1/playground/try', { files });
  } catch (e) {
    out.replaceChildren(h('p', { class: 'error-banner', role: 'alert' }, e.message));
    out.removeAttribute('aria-busy');
    return;
  }
  out.removeAttribute('aria-busy');
  const nodes = [];
  const pasted = new Set(files.map((f) => f.file));
  for (const e of editors) {
    const file = e.querySelector('.editor-file').value;
    const mine = answer.diagnostics.filter((d) => d.file === file);
    if (mine.length) e.querySelector('.editor-annotations').replaceChildren(annotate(e.querySelector('.editor-text').value, mine));
  }
  const errors = answer.diagnostics.filter((d) => d.severity === 'error');
  if (!answer.ok) {
    nodes.push(h('h3', {}, errors.length === 1 ? '1 error: nothing would change until it is fixed'
      : `${errors.length} errors: nothing would change until they are fixed`));
    nodes.push(h('ul', { class: 'diag-list', id: 'edit-errors' }, answer.diagnostics.map((d) => h('li', { class: d.severity },
      h('code', {}, `${d.file}:${d.line}:${d.column}`), ` ${d.severity}[${d.code}]: ${d.message}`,
      !pasted.has(d.file) && state.policy.files.includes(d.file)
        ? [' ', h('button', { type: 'button', class: 'link', onclick: () => editOther(d.file) }, `Edit ${d.file} too`)]
        : ''))));
  } else {
    nodes.push(h('p', { class: 'ok-banner', id: 'edit-ok' }, 'The edit compiles. ',
      answer.diagnostics.length ? `${answer.diagnostics.length} warning(s) below.` : 'No warnings.'));
    if (answer.diagnostics.length) {
      nodes.push(h('ul', { class: 'diag-list' }, answer.diagnostics.map((d) => h('li', {}, h('code', {}, `${d.file}:${d.line}:${d.column}`), ` ${d.severity}[${d.code}]: ${d.message}`))));
    }
    nodes.push(renderDiff(answer.diff));
  }
  out.replaceChildren(...nodes.flat());
  (document.querySelector('.diag-inline') || out).scrollIntoView({ block: 'nearest' });
}

async function editOther(file) {
  const node = addEditor(file);
  await loadLive(node);
  node.querySelector('.editor-text').focus();
}

// What would change (engine/policy_diff.h): the classes of requests whose decision differs.
const MAX_CHANGES_SHOWN = 100;

function valueAt(summary, field) {
  let v = summary;
  for (const k of field.split('.')) v = v == null ? v : v[k];
  return v;
}

function showValue(v) {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'string') return human(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.length ? v.join(', ') : 'none';
  return JSON.stringify(v);
}

function renderDiff(diff) {
  if (!diff || diff.error) {
    return h('p', { class: 'error-banner' }, 'The diff could not be computed: ',
      (diff && diff.error ? diff.error.map((d) => d.message).join('; ') : 'no answer'));
  }
  const changes = diff.changes || [];
  const registry = diff.registry || [];
  const box = h('div', { id: 'diff' });
  box.append(h('h3', {}, changes.length === 0 && registry.length === 0
    ? 'No decision would change.'
    : `${changes.length} class${changes.length === 1 ? '' : 'es'} of requests would be decided differently`));
  box.append(h('p', { class: 'hint' }, `Live ${diff.before.slice(0, 19)}… against the edit ${diff.after.slice(0, 19)}…, `,
    diff.at ? `at ${diff.at}.` : 'at every instant.'));
  if (registry.length) {
    box.append(h('p', {}, 'Registry: ', registry.map((r) => `${r.account} ${r.change}`).join(', ')));
  }
  changes.slice(0, MAX_CHANGES_SHOWN).forEach((c) => {
    box.append(h('section', { class: 'diff-change', 'data-class': c.id },
      h('h4', {}, `${c.id} · ${human(c.subject)}`),
      conditionList(c),
      h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Part'), h('th', { scope: 'col' }, 'Live'), h('th', { scope: 'col' }, 'With the edit'))),
        h('tbody', {}, c.changed.map((f) => h('tr', { 'data-field': f },
          h('td', {}, f), h('td', { class: 'was' }, showValue(valueAt(c.before, f))), h('td', { class: 'now' }, showValue(valueAt(c.after, f))))))),
      h('p', { class: 'hint' }, 'Rules that matched: live ', ruleRefs(c.rules_before), '; with the edit ', c.rules_after.length ? ruleRefs(c.rules_after) : 'none'),
      c.sample ? h('button', { type: 'button', class: 'secondary', onclick: () => trySample(c.sample) }, 'Try this request') : ''));
  });
  if (changes.length > MAX_CHANGES_SHOWN) {
    box.append(h('p', { class: 'hint' }, `The first ${MAX_CHANGES_SHOWN} of ${changes.length} are shown.`));
  }
  return box;
}

function trySample(sample) {
  location.hash = '#request';
  loadExample({ time: $('time').value, viewer: { country: 'ZZ' }, ...sample });
  decide();
}

// --- start -----------------------------------------------------------------------

function setUp() {
  const p = state.policy;
  $('policy-version').textContent = p.policy_version;
  state.accounts = p.registry.map((a) => ({ ...a, search: [a.id, accountText(a), ...Object.values(a.attributes)].join(' ').toLowerCase() }));

  countryOptions($('viewer-country'));
  $('viewer-country').value = 'DE';
  topicBoxes($('topics'), 'topic');
  topicBoxes($('ad-topics'), 'ad-topic');
  const purpose = attribute('ad.purpose');
  $('ad-purpose').append(h('option', { value: '' }, '— none —'), (purpose ? purpose.values : []).map((v) => h('option', { value: v }, v)));
  for (const a of state.accounts) $('reshare-of').append(h('option', { value: a.id }, a.id));
  buildTypedAttributes();
  EXAMPLES.forEach((ex, i) => $('example').append(h('option', { value: String(i) }, ex.name)));
  fillAccounts();

  const affiliation = attribute('account.affiliation');
  for (const v of affiliation ? affiliation.values : []) $('table-affiliation').append(h('option', { value: v }, v));
  countryOptions($('table-country'));
  for (const t of attribute('content.topics').values) $('table-topic').append(h('option', { value: t }, t));

  $('account-search').addEventListener('input', fillAccounts);
  $('account-id').addEventListener('change', describeAccount);
  for (const r of document.querySelectorAll('input[name=account-source], input[name=kind]')) r.addEventListener('change', syncToggles);
  $('example').addEventListener('change', () => {
    if ($('example').value === '') return;
    loadExample(EXAMPLES[Number($('example').value)].request);
    decide();
  });
  $('request-form').addEventListener('submit', decide);
  $('time').addEventListener('change', () => {
    state.table = null;
    if (prepared.has('policy')) renderRules();
  });
  $('registry-filter').addEventListener('input', renderRegistry);
  $('table-filters').addEventListener('change', loadTable);
  $('edit-form').addEventListener('submit', tryEdit);
  $('add-editor').addEventListener('click', () => addEditor(p.files.find((f) => !document.querySelector(`#editors .editor[data-file="${f}"]`))).querySelector('.editor-file').focus());

  loadExample(EXAMPLES[0].request);
  prepareView(location.hash.slice(1));
  document.body.dataset.ready = 'true';
}

async function start() {
  window.addEventListener('hashchange', () => onHashChange(true));
  onHashChange(false);
  try {
    state.policy = await getJson('/v1/playground/policy');
    performance.mark('playground-policy-fetched');
  } catch (e) {
    $('load-error').hidden = false;
    $('load-error').textContent = 'The live policy could not be read: ' + e.message;
    return;
  }
  setUp();
  performance.mark('playground-ready');
}

start();
