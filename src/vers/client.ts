/**
 * VersClient: one method per vers CLI operation vers-db uses, v0.10.0 semantics (README
 * "Running on Vers"; test/fixtures/fake-vers keeps the same contract). Every call is an argv
 * array through execa (never a shell string), names explicit UUIDs (never HEAD or aliases), has
 * a deadline and an AbortSignal, and turns vers's exit codes into typed errors without leaking
 * VERS_API_KEY.
 */
import { randomBytes } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { addSecret as addGlobalSecret } from '../util/secrets.js';
import {
  errorForExit,
  INSTALL_HINT,
  VersCommandError,
  VersTimeoutError,
  VersTooOldError,
  versErrorLine,
} from './errors.js';
import {
  parseJsonOutput,
  type Redactor,
  redactor,
  STDIN_BOOTSTRAP,
  stdinPayload,
  takeSentinel,
  wrapWithSentinel,
} from './output.js';
import { childEnv, type RawResult, runVers, startVers, type VersProcess } from './process.js';
import { openTunnel, type VersTunnel } from './tunnel.js';
import type {
  CallOptions,
  ExecCallOptions,
  ExecOutcome,
  RunOptions,
  TagInfo,
  VersClientOptions,
  VmInfo,
  VmStatus,
} from './types.js';
import { isSupported, parseVersion, TESTED_VERSION, type VersVersion } from './version.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** vers's own client budgets are 60 s for lifecycle calls; ours wait a little longer. */
const LIFECYCLE_TIMEOUT_MS = 90_000;
const QUERY_TIMEOUT_MS = 45_000;
/** How long after `-t` runs out we still wait for vers exec to report its own timeout. */
const EXEC_GRACE_MS = 20_000;

export function requireUuid(kind: string, value: string): string {
  if (!UUID.test(value)) {
    throw new InvalidInputError(`${kind} ${JSON.stringify(value)} is not a UUID`, {
      hint: 'vers-db passes explicit VM and commit UUIDs to vers, never HEAD, aliases or tag names',
    });
  }
  return value;
}

export class VersClient {
  readonly bin: string;
  private redact: Redactor;
  private readonly secrets: (string | undefined)[];
  private supported: Promise<VersVersion> | undefined;

  private readonly versProcess: VersProcess;

  constructor(private readonly options: VersClientOptions) {
    this.bin = options.bin ?? (options.env.VERS_BIN || 'vers');
    this.versProcess = { bin: this.bin, cwd: options.cwd, env: childEnv(options.env) };
    this.secrets = [options.env.VERS_API_KEY, ...(options.secrets ?? [])];
    for (const s of this.secrets) addGlobalSecret(s);
    this.redact = redactor(this.secrets);
  }

  /** Keep one more value (a database password) out of every message and result. */
  addSecret(secret: string): void {
    addGlobalSecret(secret);
    this.secrets.push(secret);
    this.redact = redactor(this.secrets);
  }

  /** A command line for messages: scripts elided, secrets removed. */
  describe(args: readonly string[]): string {
    const dash = args.indexOf('-c');
    const shown = args[0] === 'exec' && dash >= 0 ? [...args.slice(0, dash + 1), '<script>'] : args;
    return this.redact(['vers', ...shown].join(' '));
  }

  private spawn(
    args: string[],
    call: CallOptions & { input?: string | Buffer },
    timeoutMs: number,
  ): Promise<RawResult> {
    return runVers(this.versProcess, args, {
      command: this.describe(args),
      timeoutMs,
      signal: call.signal,
      input: call.input,
      redact: this.redact,
      log: this.options.debug ? this.options.log : undefined,
    });
  }

  /** Run vers; a non-zero exit is a typed error. */
  private async call(
    args: string[],
    call: CallOptions = {},
    defaultTimeoutMs = QUERY_TIMEOUT_MS,
  ): Promise<RawResult> {
    await this.ensureSupported(call);
    const r = await this.spawn(args, call, call.timeoutMs ?? defaultTimeoutMs);
    if (r.exitCode !== 0)
      throw errorForExit(r.exitCode, {
        command: this.describe(args),
        versExitCode: r.exitCode,
        stderr: r.stderr.trim(),
      });
    return r;
  }

  private async callJson<T>(
    args: string[],
    call: CallOptions = {},
    defaultTimeoutMs = QUERY_TIMEOUT_MS,
  ): Promise<T> {
    const r = await this.call([...args, '--format', 'json'], call, defaultTimeoutMs);
    return parseJsonOutput<T>(r.stdout, this.describe(args));
  }

  /** `vers --version` as printed (e.g. "vers version v0.10.0"), parsed. */
  async version(call: CallOptions = {}): Promise<VersVersion> {
    const r = await this.spawn(['--version'], call, call.timeoutMs ?? 15_000);
    const v = parseVersion(r.stdout);
    if (r.exitCode !== 0 || !v) {
      throw new VersCommandError(`\`${this.bin} --version\` did not print a version (exit ${r.exitCode})`, {
        command: 'vers --version',
        versExitCode: r.exitCode,
        stderr: r.stderr,
        hint: `is ${this.bin} the Vers CLI? ${INSTALL_HINT}`,
      });
    }
    return v;
  }

  /** Checked once per client: a CLI older than v0.9.0 gets a clear error. */
  ensureSupported(call: CallOptions = {}): Promise<VersVersion> {
    this.supported ??= this.version({ signal: call.signal }).then((v) => {
      if (!isSupported(v)) {
        throw new VersTooOldError(
          `vers ${v.raw} is too old: vers-db needs v0.9.0 or newer (tested with ${TESTED_VERSION})`,
          {
            command: 'vers --version',
            versExitCode: 0,
            hint: `upgrade with \`vers upgrade\`, or ${INSTALL_HINT}`,
          },
        );
      }
      if (!v.semver)
        this.options.log?.(`vers ${v.raw}: a development build, assuming it behaves like ${TESTED_VERSION}`);
      return v;
    });
    this.supported.catch(() => {
      this.supported = undefined;
    });
    return this.supported;
  }

  /** A root VM from ./vers.toml (flags override it). */
  async run(options: RunOptions = {}): Promise<{ vmId: string }> {
    const args = ['run', '--wait'];
    if (options.memSizeMib) args.push('--mem-size', String(options.memSizeMib));
    if (options.vcpuCount) args.push('--vcpu-count', String(options.vcpuCount));
    if (options.fsSizeMib) args.push('--fs-size-vm', String(options.fsSizeMib));
    const r = await this.callJson<{ vm_id: string }>(args, options, LIFECYCLE_TIMEOUT_MS);
    return { vmId: requireUuid('new VM id', r.vm_id) };
  }

  /** A new VM from a commit (a tag name is not accepted by v0.10.0: resolve it with tagGet). */
  async runCommit(commitId: string, call: CallOptions = {}): Promise<{ vmId: string }> {
    const r = await this.callJson<{ vm_id: string }>(
      ['run-commit', requireUuid('commit id', commitId), '--wait'],
      call,
      LIFECYCLE_TIMEOUT_MS,
    );
    return { vmId: requireUuid('new VM id', r.vm_id) };
  }

  async commitCreate(vmId: string, call: CallOptions = {}): Promise<{ commitId: string }> {
    const r = await this.callJson<{ commit_id: string }>(
      ['commit', 'create', requireUuid('VM id', vmId)],
      call,
      LIFECYCLE_TIMEOUT_MS,
    );
    return { commitId: requireUuid('commit id', r.commit_id) };
  }

  async commitDelete(commitId: string, call: CallOptions = {}): Promise<void> {
    await this.call(['commit', 'delete', requireUuid('commit id', commitId)], call, LIFECYCLE_TIMEOUT_MS);
  }

  async tagCreate(
    name: string,
    commitId: string,
    call: CallOptions & { description?: string } = {},
  ): Promise<void> {
    const args = ['tag', 'create', name, requireUuid('commit id', commitId)];
    if (call.description) args.push('-d', call.description);
    await this.call(args, call);
  }

  async tagGet(name: string, call: CallOptions = {}): Promise<TagInfo> {
    return this.callJson<TagInfo>(['tag', 'get', name], call);
  }

  async tagList(call: CallOptions = {}): Promise<TagInfo[]> {
    return this.callJson<TagInfo[]>(['tag', 'list'], call);
  }

  async tagDelete(name: string, call: CallOptions = {}): Promise<void> {
    await this.call(['tag', 'delete', name], call);
  }

  /** `count` new VMs from a commit (or a VM) in one call. */
  async branch(sourceId: string, count: number, call: CallOptions = {}): Promise<{ newIds: string[] }> {
    if (!Number.isInteger(count) || count < 1)
      throw new InvalidInputError(`branch count must be a positive integer, not ${count}`);
    const args = ['branch', requireUuid('commit or VM id', sourceId), '--count', String(count), '--wait'];
    const r = await this.callJson<{ new_ids: string[] }>(args, call, LIFECYCLE_TIMEOUT_MS);
    if (!Array.isArray(r.new_ids) || r.new_ids.length !== count) {
      throw new VersCommandError(
        `\`${this.describe(args)}\` returned ${r.new_ids?.length ?? 0} VMs instead of ${count}`,
        {
          command: this.describe(args),
          versExitCode: 0,
        },
      );
    }
    return { newIds: r.new_ids.map((id) => requireUuid('new VM id', id)) };
  }

  /**
   * Run a bash script in a VM: `vers exec -t S [-w DIR] -i -- <uuid> bash -c <bootstrap>`, the
   * script on stdin (never in argv, where `ps` shows it: scripts carry the database password).
   * The remote exit code comes back as the result (0–255); only vers's own failures throw.
   */
  async exec(vmId: string, script: string, options: ExecCallOptions): Promise<ExecOutcome> {
    await this.ensureSupported(options);
    const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
    const marker = `__VERSDB_EXIT_${randomBytes(6).toString('hex')}__`;
    const args = ['exec', '-t', String(seconds)];
    if (options.workdir) args.push('-w', options.workdir);
    // Flags before `--` and the VM: everything after the VM goes to the remote command.
    args.push('-i', '--', requireUuid('VM id', vmId), 'bash', '-c', STDIN_BOOTSTRAP);
    const input = stdinPayload(wrapWithSentinel(script, marker), options.stdin);
    const r = await this.spawn(args, { signal: options.signal, input }, seconds * 1000 + EXEC_GRACE_MS);
    const remote = takeSentinel(r.stdout, marker);
    if (remote) {
      return {
        exitCode: remote.exitCode,
        stdout: this.redact(remote.stdout),
        stderr: r.stderr,
        durationMs: r.durationMs,
      };
    }
    const command = this.describe(args);
    if (r.exitCode === 6) {
      throw new VersTimeoutError(`the command on VM ${vmId} did not finish within ${seconds} s`, {
        command,
        versExitCode: 6,
        stderr: r.stderr.trim(),
        hint: 'raise the timeout, or check whether the VM is overloaded (the remote command may still be running)',
      });
    }
    if (r.exitCode !== 0)
      throw errorForExit(r.exitCode, { command, versExitCode: r.exitCode, stderr: r.stderr.trim() });
    throw new VersCommandError(`\`${command}\` ended without reporting the remote exit code`, {
      command,
      versExitCode: 0,
      stderr: r.stderr.trim(),
      hint: `output began with ${JSON.stringify(this.redact(r.stdout.slice(0, 200)))}`,
    });
  }

  /** A port forward 127.0.0.1:<localPort> → VM:<remotePort>, ready when the local port accepts. */
  async tunnel(
    vmId: string,
    localPort: number,
    remotePort: number,
    call: CallOptions = {},
  ): Promise<VersTunnel> {
    await this.ensureSupported(call);
    const args = ['tunnel', requireUuid('VM id', vmId), `${localPort}:${remotePort}`];
    const child = startVers(this.versProcess, args);
    return openTunnel(child, localPort, {
      command: this.describe(args),
      timeoutMs: call.timeoutMs ?? 30_000,
      signal: call.signal,
      redact: this.redact,
    });
  }

  /** `vers delete -y <ids…>` (never interactive). */
  async delete(vmIds: readonly string[], call: CallOptions = {}): Promise<void> {
    if (vmIds.length === 0) return;
    await this.call(
      ['delete', '-y', ...vmIds.map((id) => requireUuid('VM id', id))],
      call,
      LIFECYCLE_TIMEOUT_MS,
    );
  }

  async status(call: CallOptions = {}): Promise<VmStatus[]> {
    return this.callJson<VmStatus[]>(['status'], call);
  }

  async vmStatus(vmId: string, call: CallOptions = {}): Promise<VmStatus> {
    return this.callJson<VmStatus>(['status', requireUuid('VM id', vmId)], call);
  }

  async info(vmId: string, call: CallOptions = {}): Promise<VmInfo> {
    return this.callJson<VmInfo>(['info', requireUuid('VM id', vmId)], call);
  }

  async resume(vmId: string, call: CallOptions = {}): Promise<void> {
    await this.callJson(['resume', requireUuid('VM id', vmId), '--wait'], call, LIFECYCLE_TIMEOUT_MS);
  }

  /** Used by callers that show vers's reason for a failure in their own words. */
  static reason(stderr: string): string {
    return versErrorLine(stderr);
  }
}
