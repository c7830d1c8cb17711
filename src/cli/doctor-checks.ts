/** One line of `vers-db doctor`: ok, a warning, or a failure (exit 3), with what to do about it. */
export interface Check {
  name: string;
  ok: boolean | 'warn';
  detail: string;
}
