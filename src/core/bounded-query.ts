/**
 * Run one query and fetch at most `maxRows + 1` rows and about `maxBytes` of row data. A portal
 * with a row limit (the protocol's Execute with a row count) makes the server stop producing rows
 * there, so `SELECT * FROM big_table` costs `maxRows + 1` rows, not the table (it once cost 2 GB).
 */
import pg from 'pg';

export interface BoundedRows {
  columns: string[];
  rows: Record<string, unknown>[];
  /** More rows existed than returned (past maxRows or past maxBytes). */
  truncated: boolean;
}

/** What node-postgres's Query does internally and we adjust: stop at a suspended portal, cap bytes. */
interface QueryInternals extends pg.Submittable {
  handleDataRow(msg: { fields: (string | Buffer | null)[] }): void;
  handlePortalSuspended(connection: { sync(): void }): void;
  handleError(err: Error, connection: { sync(): void }): void;
  on(event: 'end', fn: (result: pg.QueryResult) => void): this;
  on(event: 'error', fn: (err: Error) => void): this;
}

export async function boundedQuery(
  client: pg.Client,
  text: string,
  maxRows: number,
  maxBytes: number,
): Promise<BoundedRows> {
  const query = new pg.Query({
    text,
    values: [],
    rows: maxRows + 1,
  } as pg.QueryConfig) as unknown as QueryInternals;
  let suspended = false;
  let bytes = 0;
  let overflow = false;
  const addRow = query.handleDataRow.bind(query);
  query.handleDataRow = (msg) => {
    if (overflow) return;
    for (const f of msg.fields) bytes += f === null ? 0 : f.length;
    if (bytes > maxBytes) {
      overflow = true;
      return;
    }
    addRow(msg);
  };
  // The portal has more rows: do not ask for them; end the exchange.
  query.handlePortalSuspended = (connection) => {
    suspended = true;
    connection.sync();
  };
  // With a row limit no Sync was sent ahead; after an error the server waits for one.
  const fail = query.handleError.bind(query);
  query.handleError = (err, connection) => {
    if (!suspended) {
      try {
        connection.sync();
      } catch {
        // the connection itself broke: nothing to resynchronise
      }
    }
    fail(err, connection);
  };
  const result = await new Promise<pg.QueryResult>((resolve, reject) => {
    query.on('end', resolve);
    query.on('error', reject);
    client.query(query);
  });
  const rows = result.rows as Record<string, unknown>[];
  return {
    columns: result.fields.map((f) => f.name),
    rows: rows.slice(0, maxRows),
    truncated: suspended || overflow || rows.length > maxRows,
  };
}
