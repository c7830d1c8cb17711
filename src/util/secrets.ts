/**
 * Every secret this process knows (database passwords, the Vers VM password, API keys) is kept
 * out of what it prints or writes: command output, logs, errors, progress and every report
 * format. Secrets are registered where they are learned (a URL parsed, a password generated or
 * read from the registry, the environment); `redact` and `redactDeep` are applied where text
 * leaves the process. Passwords inside URLs and `PASSWORD=` assignments are removed even when
 * they were never registered (a validation command that echoes someone else's DATABASE_URL).
 */

const MASK = '***';
/** A secret shorter than this, or a plain word, is removed only where it stands as a password. */
const STRONG_MIN_LENGTH = 8;

const strong = new Set<string>();
const weak = new Set<string>();
let pattern: RegExp | null = null;

/** Environment variables whose values are secrets (VERS_API_KEY, PGPASSWORD, *_TOKEN …). */
const SECRET_ENV = /(^|_)(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD)$/i;
/** URL userinfo: scheme://user:password@ (password up to the last @ before the host). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]*:)([^\s'"/]+?)(@[^\s@'"]*[^\s@'".,;)])/gi;
/** NAME=value and password=value as env dumps and libpq conninfo write them (no spaces: SQL's `password = …` is left alone). */
const ASSIGNMENT =
  /\b([A-Z0-9_]*(?:PASSWORD|PASSWD|API_?KEY|TOKEN|SECRET)|password)(=)(['"]?)([^\s'"&]+)\3/gi;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function rebuild(): void {
  const all = [...strong].sort((a, b) => b.length - a.length);
  pattern = all.length ? new RegExp(all.map(escapeRegExp).join('|'), 'g') : null;
}

/** Register a secret (and its URL-encoded spelling). Empty and trivial values are ignored. */
export function addSecret(value: string | undefined | null): void {
  if (!value || value.length < 3) return;
  for (const v of new Set([value, encodeURIComponent(value)])) {
    const isWeak = v.length < STRONG_MIN_LENGTH || /^[a-z]+$/i.test(v);
    if (isWeak) weak.add(v);
    else if (!strong.has(v)) {
      strong.add(v);
      rebuild();
    }
  }
}

/** Register the secrets an environment carries: passwords in URLs and *_API_KEY/TOKEN/PASSWORD values. */
export function addSecretsFromEnv(env: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (SECRET_ENV.test(name)) addSecret(value);
    if (value.includes('://')) addUrlSecret(value);
  }
}

/** Register the password of a connection URL, if it has one. */
export function addUrlSecret(url: string): void {
  try {
    const u = new URL(url);
    if (u.password) addSecret(decodeURIComponent(u.password));
  } catch {
    // not a URL
  }
}

/** Text with every known secret, URL password and PASSWORD= value replaced by ***. */
export function redact(text: string): string {
  if (!text) return text;
  let out = text.replace(
    URL_PASSWORD,
    (_m, head: string, _pw: string, tail: string) => `${head}${MASK}${tail}`,
  );
  out = out.replace(ASSIGNMENT, (_m, name: string, eq: string, q: string) => `${name}${eq}${q}${MASK}${q}`);
  if (pattern) out = out.replace(pattern, MASK);
  for (const w of weak) {
    // A weak secret only where it stands as a password: between ':' and '@', or quoted after PASSWORD.
    out = out
      .replaceAll(`:${w}@`, `:${MASK}@`)
      .replace(new RegExp(`(PASSWORD\\s+')${escapeRegExp(w)}'`, 'gi'), `$1${MASK}'`);
  }
  return out;
}

/** A copy of `value` with every string in it redacted (results, comparisons, suite runs). */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}
