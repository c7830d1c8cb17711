/** Shared by the MCP tests: the plugin's MCP config expanded the way Claude Code does it, and server spawning. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { expect } from 'vitest';

export interface McpServerConfig {
  command: string;
  args?: string[];
  env?: Record<string, string>;
}

/** The server as plugin.json declares it (`mcpServers`, inline: there is no root .mcp.json). */
export async function readMcpServerConfig(root: string): Promise<McpServerConfig> {
  const file = JSON.parse(await readFile(resolve(root, '.claude-plugin/plugin.json'), 'utf8')) as {
    mcpServers: Record<string, McpServerConfig>;
  };
  expect(Object.keys(file.mcpServers)).toEqual(['vers-db']);
  return file.mcpServers['vers-db']!;
}

/**
 * `${VAR}`, `${VAR:-default}` and `${user_config.KEY}` as Claude Code expands them in command, args
 * and env (an unset setting becomes '', its `default` when plugin.json gives one).
 */
export function expandVars(text: string, vars: Record<string, string | undefined>): string {
  return text
    .replace(/\$\{user_config\.([A-Za-z_]\w*)\}/g, (_, key: string) => vars[`user_config.${key}`] ?? '')
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole, name: string, fallback?: string) => {
      const value = vars[name];
      if (value !== undefined && value !== '') return value;
      return fallback ?? whole;
    });
}

export function expandMcpConfig(
  config: McpServerConfig,
  vars: Record<string, string | undefined>,
): Required<McpServerConfig> {
  return {
    command: expandVars(config.command, vars),
    args: (config.args ?? []).map((a) => expandVars(a, vars)),
    env: Object.fromEntries(Object.entries(config.env ?? {}).map(([k, v]) => [k, expandVars(v, vars)])),
  };
}
