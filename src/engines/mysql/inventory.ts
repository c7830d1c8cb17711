/**
 * The objects of a MySQL database, as `<kind> <name>` lines (tables, views, routines, triggers,
 * events) from information_schema: what the demo and suite runs record of the databases they
 * make, so that a later run rebuilds only what it made itself.
 */
import { type MysqlSettings, withMysql } from './client.js';

const INVENTORY_SQL = /* SQL */ `
  SELECT CONCAT(LOWER(TABLE_TYPE), ' ', TABLE_NAME) AS o FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?
  UNION ALL SELECT CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?
  UNION ALL SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?
  UNION ALL SELECT CONCAT('event ', EVENT_NAME) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?
  ORDER BY 1`;

export async function mysqlInventory(settings: MysqlSettings, database: string): Promise<string[]> {
  return withMysql(settings, async (c) => {
    const [rows] = await c.query(INVENTORY_SQL, [database, database, database, database]);
    return (rows as Array<{ o: string }>).map((r) => r.o);
  });
}
