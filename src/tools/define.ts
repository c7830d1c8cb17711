/**
 * The shape of one MCP tool: a definition object per file, collected in `TOOLS` (index.ts) and
 * registered by one loop (src/mcp/register.ts), which is where errors, progress and cancellation
 * are handled. Handlers return plain results and throw typed errors; they never build MCP results.
 */
import type * as z from 'zod';
import type { Context, ProgressFn } from '../core/index.js';

/** All four hints, always set: a missing hint means the client assumes the worst (or the best). */
export interface ToolHints {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  /** True when the tool reaches outside this machine. Registration also sets it on the vers backend. */
  openWorldHint: boolean;
}

/** What a handler gets besides its arguments. */
export interface ToolCall {
  ctx: Context;
  /** Aborted when the client cancels the call or the server shuts down. */
  signal: AbortSignal;
  /** Sends MCP progress notifications when the client asked for them; a no-op otherwise. */
  onProgress: ProgressFn;
}

export interface ToolDefinition<In extends z.ZodObject = z.ZodObject, Out extends z.ZodObject = z.ZodObject> {
  /** The contract name (README "Claude Code"), snake_case. */
  readonly name: string;
  readonly title: string;
  /** Product copy for the model: when to use it, what it returns, what it changes. */
  readonly description: string;
  readonly inputSchema: In;
  readonly outputSchema: Out;
  readonly annotations: ToolHints;
  handler(args: z.output<In>, call: ToolCall): Promise<z.output<Out>>;
  /** A short plain-text rendering of the result, shown next to structuredContent. */
  render(result: z.output<Out>): string;
  /**
   * When the result itself is a failure the model must act on (a migration that failed), the
   * call is flagged isError and this headline leads the text; structuredContent is still sent.
   */
  failure?(result: z.output<Out>): string | null;
  /**
   * Report files for the result (HTML with the lock timelines, markdown, JUnit): the registration
   * loop writes them to the state directory and links them (`resource_link`).
   */
  reports?(result: z.output<Out>, call: { args: z.output<In>; ctx: Context }): ToolReports;
  /** structuredContent: the result without the bulky series the reports hold (default: as is). */
  structured?(result: z.output<Out>): z.output<Out>;
  /** The result can be long (many strategies or suites): registration raises Claude Code's cap. */
  longResults?: boolean;
}

/** Rendered report documents, by format; `name` becomes part of the file names. */
export interface ToolReports {
  name: string;
  html?: string;
  markdown?: string;
  junit?: string;
}

/** Identity function that keeps the input/output types of one definition tied together. */
export function defineTool<In extends z.ZodObject, Out extends z.ZodObject>(
  def: ToolDefinition<In, Out>,
): ToolDefinition<In, Out> {
  return def;
}
