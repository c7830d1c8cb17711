/**
 * Report files written for MCP tool results, in `<state dir>/reports/`, and the `resource_link`
 * content items that point at them: Claude (and the user) open the HTML lock timeline or the
 * markdown instead of reading the whole comparison as text. Old reports are pruned.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureStateDir } from '../state/paths.js';
import type { ToolReports } from '../tools/define.js';

/** Report files kept in the state directory; the oldest go first. */
const KEEP_FILES = 150;

const FORMATS = [
  { key: 'html', ext: 'html', mimeType: 'text/html', what: 'HTML report with lock timelines' },
  { key: 'markdown', ext: 'md', mimeType: 'text/markdown', what: 'markdown report' },
  { key: 'junit', ext: 'xml', mimeType: 'application/xml', what: 'JUnit XML report' },
] as const;

export interface ReportLink {
  type: 'resource_link';
  uri: string;
  name: string;
  mimeType: string;
  description: string;
  /** Local path, for the text rendering. */
  path: string;
}

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const safe = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60) || 'report';

export async function writeReportFiles(stateDir: string, reports: ToolReports): Promise<ReportLink[]> {
  const dir = join(stateDir, 'reports');
  await ensureStateDir(stateDir);
  await ensureStateDir(dir);
  const base = `${stamp(new Date())}-${safe(reports.name)}-${randomBytes(2).toString('hex')}`;
  const links: ReportLink[] = [];
  for (const f of FORMATS) {
    const body = reports[f.key];
    if (body === undefined) continue;
    const path = join(dir, `${base}.${f.ext}`);
    await writeFile(path, body, { mode: 0o600 });
    links.push({
      type: 'resource_link',
      uri: pathToFileURL(path).href,
      name: `${base}.${f.ext}`,
      mimeType: f.mimeType,
      description: `${f.what}: ${reports.name}`,
      path,
    });
  }
  await prune(dir);
  return links;
}

async function prune(dir: string): Promise<void> {
  const files = (await readdir(dir)).filter((f) => /^\d{8}-\d{6}-/.test(f)).sort();
  for (const old of files.slice(0, Math.max(0, files.length - KEEP_FILES)))
    await rm(join(dir, old), { force: true });
}
