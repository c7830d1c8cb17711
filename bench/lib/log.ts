/** Progress of the benchmark goes to stderr; stdout stays free for the final summary. */
const started = Date.now();

export function log(message: string): void {
  const t = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[bench ${t}s] ${message}\n`);
}
