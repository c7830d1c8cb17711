import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/report/html.js';
import { findChromium, runChromium } from './chromium.js';
import { comparison } from './fixtures.js';

const OUT_DIR = resolve('test-results');
const html = renderHtmlReport({
  title: 'vers-db report <test>',
  generatedAt: '2025-01-01T00:00:00.000Z',
  suites: [
    {
      name: 'migrations',
      pattern: 'migrations',
      comparison,
      passed: false,
      checks: [{ branch: 'new-table-swap', check: 'migration', passed: false, detail: 'statement 2 failed' }],
    },
  ],
});

describe('HTML report (static)', () => {
  it('is one self-contained page: no scripts, no external resources', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\s(src|href)=/i);
    expect(html).not.toMatch(/url\(/i);
    // the only URL is the SVG namespace, which is a name, not a resource
    expect([...new Set(html.match(/https?:\/\/[^\s"']+/g) ?? [])]).toEqual(['http://www.w3.org/2000/svg']);
  });

  it('escapes text taken from results', () => {
    expect(html).toContain('vers-db report &lt;test&gt;');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('found 0 &amp; &lt;none&gt;');
  });

  it('draws each lock and each probe wait from the timeline at its recorded position', () => {
    // strategy A: AccessExclusiveLock 3 → 2293 ms, a read wait 40 ms + 2204 ms, statement 2 at 2312 ms
    expect(html).toContain('AccessExclusiveLock on public.users held from 3 ms to 2.3 s, statement 1');
    expect(html).toContain('an application read on public.users waited 2.2 s from 40 ms');
    expect(html).toContain('an application write on public.users waited 2.2 s from 52 ms and timed out');
    expect(html).toContain('statement 2 starts at 2.3 s (ran 126 ms)');
    expect(html.match(/class="lock granted"/g)).toHaveLength(4);
    expect(html.match(/class="wait wait-/g)).toHaveLength(3);
  });
});

const chromium = findChromium();
if (!chromium) {
  process.stderr.write(
    'html.test: SKIPPING the Chromium rendering tests: no chromium binary on PATH (apt-get install -y chromium)\n',
  );
}

describe.skipIf(!chromium)('HTML report in headless Chromium', () => {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = resolve(OUT_DIR, 'report-fixture.html');
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;

  it('renders every section with no console errors', async () => {
    const run = await runChromium(chromium!, url, ['--dump-dom']);
    expect(run.pageErrors).toEqual([]);
    const dom = run.stdout;
    expect(dom).toContain('id="suite-migrations"');
    expect(dom.match(/<section class="strategy"/g)).toHaveLength(3);
    expect(dom.match(/<svg class="timeline"/g)).toHaveLength(2);
    expect(dom).toContain('public.users · AccessExclusiveLock');
    expect(dom).toContain('public.users · app writes waited');
    expect(dom.match(/<table class="comparison"/g)).toHaveLength(1);
    expect(dom).toContain('Schema difference against checkpoint production-baseline');
    expect(dom).toContain('+ column public.users.premium_level integer NOT NULL DEFAULT 0');
    expect(dom).toContain('Recommendation: add-nullable-backfill');
    expect(dom).toContain('No locks on user relations were seen');
  });

  it('the console check catches a page that loads something from outside', async () => {
    const bad = resolve(OUT_DIR, 'report-external.html');
    writeFileSync(bad, html.replace('<main>', '<main><img src="http://127.0.0.1:9/x.png">'));
    const run = await runChromium(chromium!, pathToFileURL(bad).href, ['--dump-dom']);
    expect(run.pageErrors.join('\n')).toMatch(/Refused to load|CONSOLE/);
  });

  it('takes a screenshot of the page', async () => {
    const shot = resolve(OUT_DIR, 'html-report.png');
    const run = await runChromium(chromium!, url, [`--screenshot=${shot}`, '--window-size=1400,2000']);
    expect(run.pageErrors).toEqual([]);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    process.stderr.write(`html.test: screenshot of the report page: ${shot}\n`);
  });
});
