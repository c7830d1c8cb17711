export * from './client.js';
export * from './errors.js';
export { parseJsonOutput, redactor, shQuote } from './output.js';
export type { VersTunnel } from './tunnel.js';
export type * from './types.js';
export { isSupported, parseVersion, type VersVersion } from './version.js';
