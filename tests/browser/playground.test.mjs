// End-to-end tests of the policy playground in headless Chromium (run by run.sh, which
// starts the service and sets STATEMARK_URL, CHROMIUM and STATEMARK_SOURCE_DIR).
// Rendered decisions are checked against the worked examples' expected decisions
// (examples/requests/worked_examples.expected.jsonl), not against the page's own data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { chromium } from 'playwright-core';

const url = process.env.STATEMARK_URL;
const source = process.env.STATEMARK_SOURCE_DIR;
const shots = process.env.STATEMARK_SCREENSHOTS || '';

const readJsonl = (path) => readFileSync(join(source, path), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const requests = new Map(readJsonl('examples/requests/worked_examples.jsonl').map((r) => [r.request_id, r]));
const expected = new Map(readJsonl('examples/requests/worked_examples.expected.jsonl').map((r) => [r.request_id, r]));
const platformYaml = readFileSync(join(source, 'rules/platform.yaml'), 'utf8');

// Time limits are multiplied by STATEMARK_TEST_TIME_SCALE where that is set (the
// sanitizer builds of scripts/sanitize.sh, where the service runs several times slower).
const timeScale = Math.max(1, Number(process.env.STATEMARK_TEST_TIME_SCALE) || 1);

let browser;
before(async () => {
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM, args: ['--no-sandbox'] });
  if (shots) mkdirSync(shots, { recursive: true });
});
after(async () => { await browser.close(); });

async function openPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(15000 * timeScale);
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  // Failed loads are reported by URL below; Chromium's console line for them names none.
  page.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) problems.push(m.text()); });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('request', (r) => { if (!r.url().startsWith(url)) problems.push('outside request: ' + r.url()); });
  await page.goto(url + '/');
  await page.waitForSelector('body[data-ready="true"]');
  return { page, problems, close: () => context.close() };
}

// Polls `predicate` in the page until it holds. (Playwright's waitForFunction evaluates
// strings, which the page's Content-Security-Policy forbids.)
async function waitUntil(page, predicate, arg, what = 'a condition') {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (await page.evaluate(predicate, arg)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function shot(page, name, fullPage = true) {
  if (shots) await page.screenshot({ path: join(shots, `playground-${name}.png`), fullPage });
}

// Fills the request form the way an analyst would, from a request object.
async function fillRequest(page, r) {
  await page.check('input[name=account-source][value=registry]');
  await page.fill('#account-search', r.account.id);
  await page.selectOption('#account-id', r.account.id);
  await page.selectOption('#viewer-country', r.viewer.country);
  await page.fill('#time', r.time);
  const c = r.content || {};
  for (const box of await page.$$('#topics input')) {
    const v = await box.getAttribute('value');
    if ((c.topics || []).includes(v)) await box.check(); else await box.uncheck();
  }
  await page.fill('#subject-countries', (c.subject_countries || []).join(', '));
  await page.fill('#links', (c.links || []).join('\n'));
  await page.fill('#links-to', (c.links_to || []).join(', '));
  await page.selectOption('#reshare-of', c.reshare_of || '');
  await page.check(`input[name=kind][value=${r.ad ? 'ad' : 'organic'}]`);
  if (r.ad) {
    await page.fill('#ad-targets', r.ad.target_countries.join(', '));
    for (const box of await page.$$('#ad-topics input')) {
      const v = await box.getAttribute('value');
      if ((r.ad.topics || []).includes(v)) await box.check(); else await box.uncheck();
    }
  }
}

async function decideAndRead(page) {
  const answered = page.waitForResponse((res) => res.url().endsWith('/v1/playground/explain'));
  await page.click('#decide');
  await answered;
  await page.waitForSelector('#surfaces');
  return page.evaluate(() => {
    const text = (sel) => { const el = document.querySelector(sel); return el ? el.textContent.trim() : null; };
    return {
      surfaces: Object.fromEntries([...document.querySelectorAll('#surfaces [data-surface]')].map((s) =>
        [s.dataset.surface, s.querySelector('[data-level]').dataset.level])),
      labels: [...document.querySelectorAll('#labels [data-label]')].map((l) => ({
        id: l.dataset.label, text: l.querySelector('.mock-label').textContent,
        placements: l.querySelector('.placements').textContent })),
      notice: document.querySelector('#notice.notice') ? text('#notice') : null,
      allowed: [...document.querySelectorAll('#ad-allowed li')].map((li) => li.textContent),
      denied: [...document.querySelectorAll('#ad-denied li')].map((li) => li.textContent),
      explanation: Object.fromEntries([...document.querySelectorAll('#explanation tr[data-rule]')].map((tr) =>
        [tr.dataset.rule, { outcome: tr.dataset.outcome, text: tr.textContent }])),
    };
  });
}

function checkRendered(id, shown) {
  const want = expected.get(id);
  assert.deepEqual(shown.surfaces, want.surfaces, `${id}: surfaces`);
  assert.deepEqual(shown.labels.map((l) => l.text), want.labels.map((l) => l.text), `${id}: label texts`);
  want.labels.forEach((l, i) => {
    for (const p of l.placements) assert.match(shown.labels[i].placements, new RegExp(`\\b${p}\\b`), `${id}: placement ${p}`);
  });
  if (want.notice) assert.ok(shown.notice.startsWith(want.notice), `${id}: notice ${shown.notice}`);
  else assert.equal(shown.notice, null, `${id}: no notice`);
  if (want.ad) {
    assert.deepEqual(shown.allowed, want.ad.allowed, `${id}: allowed countries`);
    assert.deepEqual(shown.denied, want.ad.denied.map((d) => `${d.country} — ${d.rules.join(', ')}`), `${id}: denied countries`);
  }
  for (const rule of want.rules) assert.equal(shown.explanation[rule].outcome, 'decided', `${id}: ${rule} decided`);
}

// Time to interactive: DOMContentLoaded, and the moment the page has fetched the live
// policy and built its controls (the `playground-ready` mark). The first load of a fresh
// browser also pays for Chromium's own start-up, so five loads follow a warm-up and the
// median is asserted against one second. On a machine whose run queue is longer than
// its cores (the load average says so), the budget grows in proportion, and the figure
// printed says what it was measured under.
test('the page is interactive in under a second on loopback', async () => {
  const load = os.loadavg()[0] / os.cpus().length;
  const budget = 1000 * Math.max(1, load);
  const runs = [];
  for (let i = 0; i < 6; i++) {
    const { page, problems, close } = await openPage();
    const t = await page.evaluate(() => ({
      dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
      ready: performance.getEntriesByName('playground-ready')[0].startTime,
      fetched: performance.getEntriesByName('playground-policy-fetched')[0].startTime,
    }));
    assert.deepEqual(problems, []);
    await close();
    if (i > 0) runs.push(t);
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const dcl = median(runs.map((r) => r.dcl));
  const ready = median(runs.map((r) => r.ready));
  const fetched = median(runs.map((r) => r.fetched));
  console.log(`# timing (median of ${runs.length} loads, load average ${os.loadavg()[0].toFixed(1)} ` +
              `on ${os.cpus().length} cores): DOMContentLoaded ${dcl.toFixed(1)} ms, ` +
              `policy fetched ${fetched.toFixed(1)} ms, page interactive ${ready.toFixed(1)} ms; ` +
              `all: ${runs.map((r) => r.ready.toFixed(0)).join(', ')} ms`);
  assert.ok(ready < budget, `interactive after ${ready} ms (budget ${budget} ms)`);
});

test('rt_en is withheld from a viewer in Germany on 2024-07-01, by L1', async () => {
  const { page, problems, close } = await openPage();
  await fillRequest(page, requests.get('S17'));
  const shown = await decideAndRead(page);
  checkRendered('S17', shown);
  assert.equal(shown.labels.length, 0);
  assert.match(shown.explanation.L1.text, /eu_833_annex_xv/);
  assert.equal(shown.explanation.P4.outcome, 'overridden', 'P4 applied but L1 outranks it');
  await shot(page, 'request');
  assert.deepEqual(problems, []);
  await close();
});

for (const id of ['S03', 'S12', 'S46']) {
  test(`worked example ${id} renders as the product decides it`, async () => {
    const { page, problems, close } = await openPage();
    await fillRequest(page, requests.get(id));
    checkRendered(id, await decideAndRead(page));
    assert.deepEqual(problems, []);
    await close();
  });
}

test('typed attributes decide an account the registry does not hold', async () => {
  const { page, close } = await openPage();
  await page.check('input[name=account-source][value=typed]');
  await page.fill('#typed-id', 'new_outlet');
  await page.selectOption('#typed-account-affiliation', 'state_affiliated_media');
  await page.selectOption('#typed-account-affiliated-state', 'CN');
  await page.selectOption('#viewer-country', 'US');
  await page.check('#topics input[value=war_conflict]');
  const shown = await decideAndRead(page);
  assert.equal(shown.surfaces.for_you, 'ineligible');
  assert.deepEqual(shown.labels.map((l) => l.text), ['China state-affiliated media']);
  await close();
});

test('a value outside the vocabulary is refused with its path', async () => {
  const { page, close } = await openPage();
  await page.fill('#time', 'yesterday');
  await page.click('#decide');
  await page.waitForSelector('#result .error-banner');
  assert.match(await page.textContent('#result .error-banner'), /time/);
  await close();
});

test('the policy view shows rules by layer with windows, the registry and the decision table', async () => {
  const { page, problems, close } = await openPage();
  await page.click('a[data-view=policy]');
  await page.waitForSelector('#view-policy:not([hidden])');
  const layers = await page.$$eval('#rules-by-layer [data-layer]', (els) => els.map((e) => e.dataset.layer));
  assert.deepEqual(layers, ['integrity', 'legal', 'platform', 'exemption']);
  assert.match(await page.textContent('#rules-by-layer tr[data-rule=P4]'), /from 2024-05-23T00:00:00Z/);
  assert.match(await page.textContent('#rules-by-layer tr[data-rule=P9]'), /US-2024-ads/);
  assert.equal(await page.$$eval('#rules-by-layer svg.timeline', (s) => s.length), 4);
  await page.fill('#registry-filter', 'tv-novosti');
  const shownAccounts = await page.$$eval('#registry-table tbody tr', (rows) => rows.map((r) => r.dataset.account));
  assert.ok(shownAccounts.includes('rt_en') && !shownAccounts.includes('xinhua'), shownAccounts.join());
  await page.fill('#registry-filter', '');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'policy');
  assert.deepEqual(problems, []);
  await close();
});

test('the decision table filters by affiliation, viewer country and topic', async (t) => {
  const { page, problems, close } = await openPage();
  await page.click('a[data-view=policy]');
  await waitUntil(page, () => !/Building/.test(document.querySelector('#table-count').textContent), null, 'the table');
  await page.waitForSelector('#decision-table tbody tr');
  const all = await page.$$eval('#decision-table tbody tr', (rows) => rows.length);
  await page.selectOption('#table-affiliation', 'state_controlled_media');
  await page.selectOption('#table-country', 'DE');
  await page.selectOption('#table-topic', 'current_global_affairs');
  await waitUntil(page, (n) => document.querySelectorAll('#decision-table tbody tr').length !== n &&
    !/Building/.test(document.querySelector('#table-count').textContent), all, 'the filtered table');
  const some = await page.$$eval('#decision-table tbody tr', (rows) => rows.map((r) => r.textContent));
  assert.ok(some.length > 0 && some.length < all, `${some.length} of ${all} rows after filtering`);
  assert.ok(some.some((r) => /geo.blocked/.test(r)), 'a row for sanctioned state media in DE');
  if (shots) await page.locator('section[aria-labelledby=table-heading]').screenshot({ path: join(shots, 'playground-table.png') });
  assert.deepEqual(problems, []);
  await close();
});

// Compiling a candidate and diffing it against the live policy at every instant takes
// seconds on a loaded machine: the answer gets a minute.
async function pasteAndCheck(page, editorIndex, text) {
  const editor = page.locator('#editors .editor').nth(editorIndex);
  await editor.locator('.editor-text').fill(text);
  const answered = page.waitForResponse((res) => res.url().endsWith('/v1/playground/try'), { timeout: 60000 * timeScale });
  await page.click('#try-edit');
  await answered;
}

test('a broken rule file shows its error at its line and column, and changes nothing served', async () => {
  const { page, problems, close } = await openPage();
  await page.click('a[data-view=edit]');
  const broken = platformYaml.replace('surfaces: { for_you: ineligible, explore: ineligible, search: demoted }',
                                      'surfaces: { for_yuo: ineligible, explore: ineligible, search: demoted }');
  assert.notEqual(broken, platformYaml);
  const line = broken.split('\n').findIndex((l) => l.includes('for_yuo')) + 1;
  const column = broken.split('\n')[line - 1].indexOf('for_yuo') + 1;
  await page.selectOption('#editors .editor-file', 'platform.yaml');
  await pasteAndCheck(page, 0, broken);
  const inline = page.locator('#editors .diag-inline').first();
  await inline.waitFor();
  assert.equal(await inline.getAttribute('data-line'), String(line));
  assert.equal(await inline.getAttribute('data-column'), String(column));
  assert.match(await inline.textContent(), /for_yuo.*did you mean `for_you`/);
  assert.match(await page.textContent('#edit-errors'), new RegExp(`platform\\.yaml:${line}:${column}`));
  await shot(page, 'edit-error');
  // The live policy is unchanged.
  const live = await page.evaluate(async () => (await fetch('/v1/playground/source?file=platform.yaml')).json());
  assert.ok(live.same_as_loaded);
  const decision = await page.evaluate(async (r) => (await fetch('/v1/decide', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(r) })).json(), requests.get('S03'));
  assert.equal(decision.surfaces.for_you, 'ineligible');
  assert.deepEqual(problems, []);
  await close();
});

test('removing P4 shows what would change', async (t) => {
  const { page, problems, close } = await openPage();
  await page.click('a[data-view=edit]');
  await page.click('#editors .editor-load');
  await waitUntil(page, () => document.querySelector('#editors .editor-text').value.includes('id: P4'), null, 'the live text');
  const start = platformYaml.indexOf('  - id: P4\n');
  const end = platformYaml.indexOf('  - id: P5\n');
  const withoutP4 = platformYaml.slice(0, start) + platformYaml.slice(end);
  await pasteAndCheck(page, 0, withoutP4);
  // X1 still lifts P4: the error is in exemptions.yaml, which the page offers to edit too.
  await page.waitForSelector('#edit-errors');
  assert.match(await page.textContent('#edit-errors'), /exemptions\.yaml:\d+:\d+ error\[unknown-rule\]/);
  await page.click('#edit-errors button:has-text("Edit exemptions.yaml too")');
  await waitUntil(page, () => document.querySelectorAll('#editors .editor').length === 2 &&
    document.querySelectorAll('#editors .editor-text')[1].value.includes('lifts: [P1, P1b, P4,'), null, 'exemptions.yaml');
  const exemptions = await page.locator('#editors .editor-text').nth(1).inputValue();
  await pasteAndCheck(page, 1, exemptions.replace('lifts: [P1, P1b, P4, ', 'lifts: [P1, P1b, '));
  await page.waitForSelector('#edit-ok');
  assert.deepEqual(problems, []);
  // State media on news for a foreign viewer: for you was ineligible by P4, and no longer is.
  const changes = await page.$$eval('#diff .diff-change', (els) => els.map((e) => ({
    text: e.textContent,
    forYou: [...e.querySelectorAll('tr[data-field="surfaces.for_you"] td')].map((td) => td.textContent) })));
  assert.ok(changes.length > 0, 'some class changes');
  assert.ok(changes.some((c) => c.forYou[1] === 'ineligible' && c.forYou[2] !== 'ineligible' && /P4/.test(c.text)),
            'a class where P4 made for_you ineligible');
  await page.evaluate(() => document.querySelector('#edit-ok').scrollIntoView());
  await shot(page, 'edit-diff', false);
  // "Try this request" takes a changed class's sample to the request view.
  await page.click('#diff .diff-change button');
  await page.waitForSelector('#view-request:not([hidden]) #surfaces');
  await close();
});

test('usable with the keyboard alone, with a visible focus', async () => {
  const { page, close } = await openPage();
  // Skip link first, then the view tabs.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineWidth);
  assert.equal(outline, '3px');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.view), 'edit');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#view-edit:not([hidden])');
  // Opening a view moves the focus to its content; back to the request view.
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.view), 'request');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#view-request:not([hidden])');
  await page.focus('#time');
  const answered = page.waitForResponse((res) => res.url().endsWith('/v1/playground/explain'));
  await page.keyboard.press('Enter');  // submits the form
  await answered;
  await page.waitForSelector('#surfaces');
  // Every form control has a label.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden' && !el.labels?.length && !el.getAttribute('aria-label')).map((el) => el.id || el.name));
  assert.deepEqual(unlabelled, []);
  await close();
});

test('readable at 200% zoom: the layout reflows without horizontal scrolling', async () => {
  // A 1280-pixel window at 200% zoom lays out as 640 CSS pixels at a device scale of 2.
  const { page, close } = await openPage({ viewport: { width: 640, height: 900 }, deviceScaleFactor: 2 });
  await fillRequest(page, requests.get('S03'));
  await decideAndRead(page);
  for (const view of ['request', 'policy', 'edit']) {
    await page.click(`a[data-view=${view}]`);
    await page.waitForSelector(`#view-${view}:not([hidden])`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${view}: ${overflow} px wider than the window`);
  }
  await page.click('a[data-view=request]');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'zoom200', false);
  await close();
});
