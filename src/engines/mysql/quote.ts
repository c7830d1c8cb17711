/**
 * MySQL identifier quoting, apart from the client (client.ts loads mysql2): choosing an engine
 * and its admin SQL must not load a driver.
 */
import { DatabaseError } from '../../errors.js';

/** Quote an identifier with backticks (a backtick inside is doubled), as MySQL does. */
export function quoteMysqlIdent(name: string): string {
  if (name.includes('\0')) throw new DatabaseError('an identifier cannot contain a NUL character');
  return `\`${name.replaceAll('`', '``')}\``;
}
