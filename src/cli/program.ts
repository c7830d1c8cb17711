/** The `vers-db` command line: each command is a thin call into src/core, like its MCP twin. */
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  compareBranches,
  createCheckpoint,
  deleteBranch,
  deleteCheckpoint,
  gcState,
  listState,
  rollbackCheckpoint,
} from '../core/index.js';
import { renderBranchComparison } from '../report/branch-comparison.js';
import { renderBranchList } from '../report/branch-list.js';
import { renderCheckpoint } from '../report/checkpoint.js';
import { redactDeep } from '../util/secrets.js';
import { VERSION } from '../version.js';
import { addDeployOptions, type TestRunFlags, testRunInputs } from './deploy-flags.js';
import { runDoctor } from './doctor.js';
import { localCommands } from './local-commands.js';
import { printJson, printResult, printText, stderrProgress, useColor } from './output.js';
import { writeReports } from './report-files.js';
import { runCommand } from './run-command.js';
import * as variants from './variants-command.js';
import { addWorkloadOptions } from './workload-options.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

export function buildProgram(): Command {
  const program = new Command('vers-db')
    .description(
      'Checkpoint a PostgreSQL database, branch it per migration strategy, measure what each does, recommend the safest.',
    )
    .version(VERSION)
    .addOption(
      new Option('--backend <kind>', 'local (template databases) or vers (VMs)').env('VERS_DB_BACKEND'),
    )
    .option(
      '--engine <name>',
      "postgres or mysql (MariaDB); default: VERS_DB_ENGINE, else DATABASE_URL's scheme",
    )
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) })
    .exitOverride((err) => {
      // Usage errors are bad input (2); help and version are not errors.
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
  const globals = () => program.opts<{ backend?: string; engine?: string }>();

  program
    .command('demo')
    .description(
      'load the seed example into the embedded server (or, with --engine mysql, a tool-owned MariaDB), checkpoint it, test strategies A, B and C, compare',
    )
    .option('--rows <n>', 'users to generate (orders are twice as many)', positiveInt, 500_000)
    .option('--json', 'print the comparison as JSON only')
    .option('--report <file>', 'write an HTML report with lock timelines')
    .option('--markdown <file>', 'write a markdown report')
    .option('--no-workload', 'run the strategies without the example application inserting users meanwhile')
    .addOption(
      new Option(
        '--long-reader [ms]',
        'a slow report query has read the tables and stays open this long (ms) as each migration starts: even an instant ALTER waits, and the application queues behind it',
      )
        .preset('3000')
        .argParser(positiveInt),
    )
    .action((o) =>
      runCommand(globals(), async (ctx, signal) =>
        (await localCommands(ctx.engine)).demo(ctx, { ...o, signal }),
      ),
    );

  program
    .command('up')
    .description(
      'start the embedded PostgreSQL (kept running) and print its DATABASE_URL; --engine mysql: a MariaDB server of its own; --backend vers: a VM',
    )
    .option('--template <postgres@N>', 'vers: PostgreSQL version to install in the VM', 'postgres@16')
    .option('--database <name>', 'vers: database to create and checkpoint')
    .option('--fresh', 'vers: make a new base VM even if one is set up')
    .option(
      '--thin [size]',
      'Linux, as root: keep the cluster on a loopback XFS volume with reflinks (sparse, default 20G), so branches are constant-time clones',
    )
    .option('--fsync', 'turn fsync back on')
    .option(
      '--no-fsync',
      'turn fsync off (kept): branches skip their fsyncs; an OS crash can then corrupt the cluster',
    )
    .action(
      (o: { template: string; database?: string; fresh?: boolean; thin?: string | true; fsync?: boolean }) =>
        runCommand(globals(), async (ctx) => {
          if (ctx.backendKind === 'vers') {
            const { versUp } = await import('./vers-up.js');
            return versUp(ctx, o);
          }
          return (await localCommands(ctx.engine)).up(ctx, o);
        }),
    );

  program
    .command('down')
    .description(
      'stop the embedded PostgreSQL (--engine mysql: the MariaDB servers); with --backend vers, delete the base VM (only with --yes)',
    )
    .option('--yes', 'vers: really delete the base VM (without it, says what it would delete)')
    .action((o: { yes?: boolean }) =>
      runCommand(globals(), async (ctx) => {
        if (ctx.backendKind === 'vers') return (await import('./vers-admin.js')).versDown(ctx, o);
        return (await localCommands(ctx.engine)).down(ctx);
      }),
    );

  program
    .command('status')
    .description('show the embedded server, checkpoints and branches')
    .option('--json', 'print JSON only')
    .action((o: { json?: boolean }) =>
      runCommand(globals(), async (ctx) => {
        if (ctx.backendKind === 'vers') {
          const { versStatus } = await import('../backends/vers-provision.js');
          const v = await versStatus(ctx);
          if (o.json) printJson({ state_dir: ctx.stateDir, backend: 'vers', ...v });
          else {
            printText(
              [
                `state directory: ${ctx.stateDir}`,
                `vers CLI:        ${v.cli ?? `not usable: ${v.cliError}`}`,
                `base VM:         ${v.baseVm ? `${v.baseVm} (${v.state ?? 'state unknown'})` : 'none (run `vers-db up --backend vers`)'}`,
                `database:        ${v.database ?? '—'}${v.pgVersion ? ` (PostgreSQL ${v.pgVersion})` : ''}`,
                `checkpoints:     ${v.checkpoints}`,
                `branches:        ${v.branches}`,
              ].join('\n'),
            );
          }
          return 0;
        }
        return (await localCommands(ctx.engine)).status(ctx, o.json);
      }),
    );

  program
    .command('checkpoint <tag>')
    .description('snapshot the source database (DATABASE_URL, or the embedded `app` database) under a tag')
    .option('--database <name>', 'database to snapshot instead of the one in DATABASE_URL')
    .option('--no-stats', 'skip table row counts in the output')
    .option('--json', 'print the result as JSON only')
    .action((tag: string, o: { database?: string; stats: boolean; json?: boolean }) =>
      runCommand(globals(), async (ctx, signal) => {
        const report = await createCheckpoint(ctx, {
          tag,
          database: o.database,
          includeStats: o.stats,
          signal,
          onProgress: stderrProgress(),
          createdBy: 'cli checkpoint',
        });
        printResult(o.json, report, renderCheckpoint);
        return 0;
      }),
    );

  program
    .command('test <baseline> <migrations...>')
    .description(
      'run each migration (.sql file or SQL text; shell commands with --kind command) on its own branch of <baseline> and compare',
    )
    .addOption(
      new Option(
        '--kind <kind>',
        'how to read the migrations: auto (a *.sql or existing path is a file, else SQL text), file, sql, or command (shell commands: trusted code)',
      )
        .choices(['auto', 'file', 'sql', 'command'])
        .default('auto'),
    )
    .option(
      '--validate <cmd>',
      'shell command run on each branch afterwards; non-zero exit fails the strategy',
    )
    .option(
      '--parallel <n>',
      'strategies run at once (default: 1 on the local backend, where timings compete; all of them on vers)',
      positiveInt,
    )
    .option('--keep-branch', 'keep the branches for `vers-db compare`')
    .option(
      '--superuser',
      "run migrations and validation as the server's superuser, not each branch's own role (the report says so)",
    )
    .option('--no-metrics', 'run and time statements only (no lock sampler, probes or snapshots)')
    .option(
      '--long-reader <ms>',
      'a slow query already reads every table for <ms> when the migration starts: shows lock-queue pile-ups',
      positiveInt,
    )
    .option('--json', 'print the comparison as JSON only')
    .option('--report <file>', 'write an HTML report with lock timelines')
    .option('--markdown <file>', 'write a markdown report')
    .option('--junit <file>', 'write a JUnit XML report')
    .action(
      (
        baseline: string,
        migrations: string[],
        o: {
          kind: 'auto' | 'file' | 'sql' | 'command';
          validate?: string;
          parallel?: number;
          keepBranch?: boolean;
          superuser?: boolean;
          metrics: boolean;
          longReader?: number;
          json?: boolean;
          report?: string;
          markdown?: string;
          junit?: string;
          variants?: boolean;
        } & TestRunFlags,
      ) =>
        runCommand(globals(), async (ctx, signal) => {
          const comparison = await variants.runTest(ctx, o.variants, {
            baseline,
            migrations: migrations.map((m) => ({ migration: m, kind: o.kind })),
            validation: o.validate,
            parallel: o.parallel,
            keepBranches: o.keepBranch,
            superuser: o.superuser,
            collectMetrics: o.metrics,
            longReaderMs: o.longReader,
            ...testRunInputs(o),
            signal,
            onProgress: stderrProgress(),
            createdBy: 'cli test',
          });
          await writeReports(comparison, o, ctx.log);
          printResult(o.json, comparison, (c) => variants.renderTest(c, useColor()));
          return comparison.results.some((r) => r.status === 'failed') ? 1 : 0;
        }),
    );

  addDeployOptions(addWorkloadOptions(program.commands.find((c) => c.name() === 'test')!));
  variants.addVariantsCommand(program, globals);
  program
    .command('compare <branches...>')
    .description(
      'row counts and schema of kept branches against their checkpoint, and a read-only query on each',
    )
    .option('--query <sql>', 'one SQL statement run on every branch in a READ ONLY transaction')
    .option('--timeout <ms>', 'statement timeout for the query', positiveInt, 30_000)
    .option('--json', 'print the result as JSON only')
    .action((branches: string[], o: { query?: string; timeout: number; json?: boolean }) =>
      runCommand(globals(), async (ctx, signal) => {
        const result = redactDeep(
          await compareBranches(ctx, { branches, query: o.query, timeoutMs: o.timeout, signal }),
        );
        printResult(o.json, result, renderBranchComparison);
        return 0;
      }),
    );

  program
    .command('branches')
    .description('list checkpoints and branches')
    .option('--json', 'print JSON only')
    .action((o: { json?: boolean }) =>
      runCommand(globals(), async (ctx) => {
        printResult(o.json, await listState(ctx), renderBranchList);
        return 0;
      }),
    );

  program
    .command('delete <name>')
    .description('remove a kept branch (or, with --checkpoint, a checkpoint)')
    .option('--checkpoint', 'the name is a checkpoint tag')
    .option('--force', 'with --checkpoint: also remove its branches')
    .action((name: string, o: { checkpoint?: boolean; force?: boolean }) =>
      runCommand(globals(), async (ctx) => {
        const r = o.checkpoint ? await deleteCheckpoint(ctx, name, o.force) : await deleteBranch(ctx, name);
        ctx.log(`removed ${o.checkpoint ? 'checkpoint' : 'branch'} ${r.removed}`);
        return 0;
      }),
    );

  program
    .command('gc')
    .description('remove branches and databases/VMs that should no longer exist')
    .option('--json', 'print JSON only')
    .action((o: { json?: boolean }) =>
      runCommand(globals(), async (ctx) => {
        const report = await gcState(ctx);
        if (o.json) printJson(report);
        else {
          printText(
            report.removed.length
              ? report.removed.map((r) => `removed ${r}`).join('\n')
              : 'nothing to remove',
          );
          for (const e of report.errors) ctx.log(`could not remove: ${e}`);
        }
        return report.errors.length ? 3 : 0;
      }),
    );

  program
    .command('rollback <tag>')
    .description(
      'make a fresh writable copy of a checkpoint (replacing the previous one) and print its DATABASE_URL (vers: its VM)',
    )
    .option('--json', 'print JSON only')
    .action((tag: string, o: { json?: boolean }) =>
      runCommand(globals(), async (ctx, signal) => {
        const r = await rollbackCheckpoint(ctx, tag, signal);
        if (o.json) printJson(r);
        else if (ctx.backendKind === 'vers')
          await (await import('./vers-admin.js')).printVersRollback(ctx, r);
        else printText(`DATABASE_URL=${r.target}`);
        return 0;
      }),
    );

  program
    .command('run')
    .description('run a vers-integration.yaml suite')
    .option('-f, --file <file>', 'suite file', 'vers-integration.yaml')
    .option('--suite <name>', 'run only this suite')
    .option('--parallel', 'run branches at once (default: one after another, so timings do not compete)')
    .option(
      '--rebuild',
      "rebuild the source database even if it holds objects the suite's setup did not create",
    )
    .option('--json', 'print JSON only')
    .option('--report <file>', 'write an HTML report with lock timelines')
    .option('--markdown <file>', 'write a markdown report')
    .option('--junit <file>', 'write a JUnit XML report')
    .action((o) =>
      runCommand(globals(), async (ctx, signal) => {
        const { runSuiteCommand } = await import('./run-suite.js');
        return runSuiteCommand(ctx, { ...o, engine: globals().engine, signal });
      }),
    );

  program
    .command('doctor')
    .description('check the setup: Node, PostgreSQL, branch strategy, psql, vers CLI, state, guard hook')
    .action(() => runCommand(globals(), (ctx) => runDoctor(ctx)));

  program
    .command('mcp')
    .description('run the MCP stdio server (same as dist/server.js)')
    .action(async () => {
      const { startStdioServer } = await import('../mcp/stdio.js');
      await startStdioServer();
    });

  return program;
}
