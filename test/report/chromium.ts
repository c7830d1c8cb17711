/** Headless Chromium (Debian's `chromium`) for rendering report pages in tests. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export function findChromium(): string | null {
  if (process.env.CHROMIUM_BIN && existsSync(process.env.CHROMIUM_BIN)) return process.env.CHROMIUM_BIN;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of NAMES) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
  }
  return null;
}

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
];

export interface ChromiumRun {
  stdout: string;
  stderr: string;
  /** Lines of stderr that report page-level problems: console messages, uncaught errors, CSP refusals. */
  pageErrors: string[];
}

const PAGE_ERROR = /CONSOLE|Uncaught|Refused to|Failed to load|net::ERR_/;

export async function runChromium(bin: string, url: string, extra: string[]): Promise<ChromiumRun> {
  const profile = await mkdtemp(join(tmpdir(), 'vers-db-chromium-'));
  try {
    const { stdout, stderr } = await execa(
      bin,
      [...FLAGS, `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', ...extra, url],
      { timeout: 90_000, reject: true },
    );
    const pageErrors = stderr.split('\n').filter((l) => PAGE_ERROR.test(l));
    return { stdout, stderr, pageErrors };
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}
