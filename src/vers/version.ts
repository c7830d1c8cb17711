/** `vers --version`: v0.9.0 is the first release with the exec API and remote exit codes. */

export const MIN_VERSION = [0, 9, 0] as const;
export const TESTED_VERSION = 'v0.10.0';

export interface VersVersion {
  raw: string;
  /** null for nightly-/dev- builds, which are accepted as new enough. */
  semver: [number, number, number] | null;
}

export function parseVersion(output: string): VersVersion | null {
  const raw = output
    .trim()
    .split('\n')
    .find((l) => /v?\d+\.\d+\.\d+|nightly-|dev-/.test(l))
    ?.trim();
  if (!raw) return null;
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(raw);
  if (m) return { raw, semver: [Number(m[1]), Number(m[2]), Number(m[3])] };
  return { raw, semver: null };
}

export function isSupported(v: VersVersion): boolean {
  if (!v.semver) return true;
  const [major, minor, patch] = v.semver;
  const [minMajor, minMinor, minPatch] = MIN_VERSION;
  if (major !== minMajor) return major > minMajor;
  if (minor !== minMinor) return minor > minMinor;
  return patch >= minPatch;
}
