/**
 * Reading the user's text files (migrations, suite files, query files): strictly UTF-8, never
 * silently rewritten. Latin-1 or binary input is an error that names the line and byte, and a
 * file larger than the caller's limit is refused before it is read into memory.
 */
import { readFile, stat } from 'node:fs/promises';
import { InvalidInputError, NotFoundError } from '../errors.js';

const BOM = '\uFEFF';

/** Byte offset of the first invalid UTF-8 sequence, or -1 when all of `bytes` is valid UTF-8. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Decode strictly; `what` names the file in the error (e.g. "migrations/a.sql"). */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < bad; k++) {
      if (bytes[k] === 0x0a) {
        line++;
        lineStart = k + 1;
      }
    }
    const column = Buffer.from(bytes.subarray(lineStart, bad)).toString('utf8').length + 1;
    const hex = `0x${bytes[bad]!.toString(16).toUpperCase().padStart(2, '0')}`;
    throw new InvalidInputError(
      `${what}: line ${line}:${column}: not valid UTF-8 (byte ${hex} at offset ${bad})`,
      { hint: 'save the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 in.sql > out.sql`' },
    );
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  return text.startsWith(BOM) ? text.slice(1) : text;
}

/** Read a text file the user named: a clear error when missing, a directory, too large or not UTF-8. */
export async function readTextFile(path: string, what: string, maxBytes: number): Promise<string> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new InvalidInputError(`${what} is not a file`, { hint: `looked at ${path}` });
    size = s.size;
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`file not found: ${what}`, { hint: `looked for ${path}` });
    throw new InvalidInputError(`cannot read ${what}: ${(err as Error).message}`);
  }
  if (size > maxBytes) {
    throw new InvalidInputError(
      `${what} is ${(size / (1024 * 1024)).toFixed(1)} MB; vers-db reads files of at most ${(maxBytes / (1024 * 1024)).toFixed(0)} MB`,
      { hint: 'split it into several files' },
    );
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new InvalidInputError(`cannot read ${what}: ${(err as Error).message}`);
  }
  return decodeUtf8(bytes, what);
}
