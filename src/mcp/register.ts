/**
 * The registration loop: the only place where cross-cutting concerns live. Each call gets a
 * signal that aborts on client cancellation or server shutdown, a progress sender, a call id in
 * the stderr log, and its outcome turned into structuredContent + a short text, or an isError
 * result. Handlers never see MCP types.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Context } from '../core/index.js';
import { TOOLS, type ToolDefinition, type ToolHints } from '../tools/index.js';
import { redact, redactDeep } from '../util/secrets.js';
import { errorResult } from './errors.js';
import { progressSender } from './progress.js';
import { type ReportLink, writeReportFiles } from './reports.js';

export interface CallTracker {
  /** Aborted when the server shuts down; every running call stops with it. */
  readonly shutdown: AbortSignal;
  /** Calls still running, so shutdown can wait for their cleanup (branch removal). */
  readonly running: Set<Promise<unknown>>;
}

/** The vers backend drives remote VMs through the vers CLI: that is an open world. */
export function hintsFor(tool: ToolDefinition, ctx: Context): ToolHints {
  return { ...tool.annotations, openWorldHint: tool.annotations.openWorldHint || ctx.backendKind === 'vers' };
}

let nextCallId = 1;

/** Claude Code's per-tool cap on result text (chars), raised for tools whose results can be long. */
export const MAX_RESULT_SIZE_META = 'anthropic/maxResultSizeChars';
export const MAX_RESULT_CHARS = 200_000;

/** Writes the tool's reports; a report that cannot be written costs a log line, never the result. */
async function reportLinks(
  tool: ToolDefinition,
  result: unknown,
  args: unknown,
  ctx: Context,
  id: number,
): Promise<ReportLink[]> {
  if (!tool.reports) return [];
  try {
    return await writeReportFiles(ctx.stateDir, tool.reports(result as never, { args: args as never, ctx }));
  } catch (err) {
    ctx.log(`[call ${id}] could not write the reports: ${(err as Error).message}`);
    return [];
  }
}

export function registerTools(
  server: McpServer,
  ctx: Context,
  tracker: CallTracker,
  tools: readonly ToolDefinition[] = TOOLS,
): void {
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema,
        outputSchema: tool.outputSchema,
        annotations: { title: tool.title, ...hintsFor(tool, ctx) },
        ...(tool.longResults ? { _meta: { [MAX_RESULT_SIZE_META]: MAX_RESULT_CHARS } } : {}),
      },
      async (args, extra): Promise<CallToolResult> => {
        const id = nextCallId++;
        const started = performance.now();
        const signal = AbortSignal.any([extra.signal, tracker.shutdown]);
        ctx.log(`[call ${id}] ${tool.name} started`);
        const progress = progressSender(extra, ctx.log);
        const onProgress = (p: Parameters<typeof progress.onProgress>[0]) =>
          progress.onProgress({ ...p, message: redact(p.message) });
        // No known secret (a password echoed by a validation command) reaches the client.
        const run = tool.handler(args, { ctx, signal, onProgress }).then(redactDeep);
        tracker.running.add(run);
        try {
          const result = await run;
          await progress.flush();
          const failure = tool.failure?.(result) ?? null;
          ctx.log(
            `[call ${id}] ${tool.name} ${failure ? 'reported a failure' : 'done'} in ${Math.round(performance.now() - started)} ms`,
          );
          const links = await reportLinks(tool, result, args, ctx, id);
          const text = [
            failure,
            tool.render(result),
            ...links.map((l) => `${l.description.split(':')[0]}: ${l.path}`),
          ]
            .filter(Boolean)
            .join('\n');
          return {
            structuredContent: tool.structured ? tool.structured(result) : result,
            content: [{ type: 'text', text }, ...links.map(({ path: _, ...link }) => link)],
            ...(failure ? { isError: true } : {}),
          };
        } catch (err) {
          await progress.flush();
          ctx.log(`[call ${id}] ${tool.name} failed after ${Math.round(performance.now() - started)} ms`);
          return errorResult(tool.name, err, ctx.log);
        } finally {
          tracker.running.delete(run);
        }
      },
    );
  }
}
