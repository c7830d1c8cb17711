/** The options and results of VersClient's calls, as vers v0.10.0 prints them. */

export interface VersClientOptions {
  /** The vers binary: VERS_BIN, else `vers` on PATH. */
  bin?: string;
  /** Environment of every call (VERS_API_KEY, VERS_URL, HOME …); nothing else is inherited. */
  env: NodeJS.ProcessEnv;
  /** Working directory (vers reads ./vers.toml and writes ./.vers/HEAD there). */
  cwd: string;
  /** Debug lines (stderr); only called when `debug` is true. */
  log?: (message: string) => void;
  debug?: boolean;
  /** More values to keep out of messages (database passwords). */
  secrets?: string[];
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RunOptions extends CallOptions {
  memSizeMib?: number;
  vcpuCount?: number;
  fsSizeMib?: number;
}

export interface ExecCallOptions extends CallOptions {
  /** Sent as `-t`: vers's and the server's limit for the remote command. */
  timeoutMs: number;
  workdir?: string;
  /** The script's own stdin (after the script itself, which always travels on stdin: `-i`). */
  stdin?: string | Buffer;
}

export interface ExecOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface TagInfo {
  tag_name: string;
  commit_id: string;
  tag_id?: string;
  description?: string;
  created_at?: string;
  updated_at?: string;
}

export interface VmStatus {
  vm_id: string;
  state: string;
  created_at?: string;
  owner_id?: string;
}

export interface VmInfo extends VmStatus {
  ip?: string;
  parent_commit_id?: string | null;
  grandparent_vm_id?: string | null;
}
