/** Checkpoints and branches: for the terminal (`vers-db branches`) and as MCP text (db_branches list). */
import type { BranchList } from '../result.js';
import { terminalTable, textTable } from './tables.js';

export function renderBranchList(s: BranchList): string {
  if (s.checkpoints.length === 0 && s.branches.length === 0)
    return 'no checkpoints or branches (make one with `vers-db checkpoint <tag>`)';
  const out: string[] = [];
  if (s.checkpoints.length) {
    out.push(
      terminalTable(
        ['Checkpoint', 'Engine', 'Backend', 'Id', 'Strategy', 'Created', 'State'],
        s.checkpoints.map((c) => [c.tag, c.engine, c.backend, c.id, c.strategy, c.created_at, c.state]),
      ),
    );
  }
  if (s.branches.length) {
    out.push(
      terminalTable(
        ['Branch', 'Checkpoint', 'Engine', 'Backend', 'Id', 'Created by', 'State'],
        s.branches.map((b) => [b.name, b.checkpoint, b.engine, b.backend, b.id, b.created_by, b.state]),
      ),
    );
  }
  return out.join('\n');
}

export function renderBranchListText({ checkpoints, branches }: BranchList): string {
  return [
    checkpoints.length === 0
      ? 'no checkpoints'
      : textTable(
          ['checkpoint', 'engine', 'backend', 'source', 'created', 'state'],
          checkpoints.map((c) => [c.tag, c.engine, c.backend, c.source, c.created_at, c.state]),
        ),
    branches.length === 0
      ? 'no branches'
      : textTable(
          ['branch', 'checkpoint', 'engine', 'created by', 'created', 'state'],
          branches.map((b) => [b.name, b.checkpoint, b.engine, b.created_by, b.created_at, b.state]),
        ),
  ].join('\n\n');
}
