/**
 * The PostgreSQL error codes (SQLSTATE) vers-db acts on, by their names in the PostgreSQL
 * manual's appendix "PostgreSQL Error Codes". Compare `err.code` with these, never with literals.
 */
export const SQLSTATE = {
  /** 08000: the connection failed (class 08, connection exception). */
  CONNECTION_EXCEPTION: '08000',
  /** 08001: the client could not establish the connection. */
  SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION: '08001',
  /** 08003: the connection does not exist (any more). */
  CONNECTION_DOES_NOT_EXIST: '08003',
  /** 08006: the connection broke. */
  CONNECTION_FAILURE: '08006',
  /** 23505: a write collided with an existing key. */
  UNIQUE_VIOLATION: '23505',
  /** 25006: a write inside a READ ONLY transaction. */
  READ_ONLY_SQL_TRANSACTION: '25006',
  /** 28000: the server refused the login (pg_hba, no such role). */
  INVALID_AUTHORIZATION_SPECIFICATION: '28000',
  /** 28P01: wrong password. */
  INVALID_PASSWORD: '28P01',
  /** 3D000: no such database. */
  INVALID_CATALOG_NAME: '3D000',
  /** 40P01: the statement was chosen as a deadlock victim. */
  DEADLOCK_DETECTED: '40P01',
  /** 42P01: no such table. */
  UNDEFINED_TABLE: '42P01',
  /** 42P04: CREATE DATABASE of a name that exists. */
  DUPLICATE_DATABASE: '42P04',
  /** 55006: the object is in use (a template database with sessions on it). */
  OBJECT_IN_USE: '55006',
  /** 55P03: lock_timeout ran out. */
  LOCK_NOT_AVAILABLE: '55P03',
  /** 57014: statement_timeout ran out, or the statement was cancelled. */
  QUERY_CANCELED: '57014',
  /** 57P01: the session was terminated by an administrator (pg_terminate_backend, a fast shutdown). */
  ADMIN_SHUTDOWN: '57P01',
  /** 57P02: the server is shutting down after a crash. */
  CRASH_SHUTDOWN: '57P02',
  /** 57P03: the server is starting up or in recovery and takes no connections yet. */
  CANNOT_CONNECT_NOW: '57P03',
} as const;

export type SqlState = (typeof SQLSTATE)[keyof typeof SQLSTATE];

/** A login the server refused, or a database that does not exist: retrying cannot help. */
export function isLoginRefusal(code: string | undefined): boolean {
  return (
    code === SQLSTATE.INVALID_PASSWORD ||
    code === SQLSTATE.INVALID_AUTHORIZATION_SPECIFICATION ||
    code === SQLSTATE.INVALID_CATALOG_NAME
  );
}
