/**
 * vers-db's version, for the CLI's --version and the MCP server's handshake. Kept equal to
 * package.json and .claude-plugin/plugin.json (checked by test/mcp/registry.test.ts).
 */
export const VERSION = '0.1.0';
