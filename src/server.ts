/** Entry point of dist/server.js, the plugin's MCP stdio server (see src/mcp/stdio.ts). */
import { startStdioServer } from './mcp/stdio.js';

await startStdioServer();
