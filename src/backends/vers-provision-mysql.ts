import { BackendError, InvalidInputError } from '../errors.js';
import { shQuote } from '../vers/index.js';
import type { BackendDeps } from './deps.js';
import type { VersProvisioner } from './vers.js';
import { ensureBaseVm, type ProvisionOptions, type ProvisionResult } from './vers-base-vm.js';
import { VERS_SETTINGS } from './vers-driver.js';
import { createMysqlDatabase, mysqlSettingsOf, VERS_MYSQL_USER } from './vers-mysql.js';
import { checkScriptPassword, vmPassword } from './vers-settings.js';

const INSTALL_TIMEOUT_MS = 1_800_000;
/** The suite's databases; MariaDB's own limit is 64 characters. */
const DATABASE_NAME = /^[A-Za-z0-9_$-]{1,64}$/;
const DEFAULT_DATABASE = 'app';

/**
 * The server's start-up options, a file in the distribution's config directory. The fake vers's
 * VMs name their own directory in VERSDB_MYSQL_CONF_DIR (a real VM has none and uses Debian's).
 */
export const MYSQL_SERVER_CNF = `# Written by vers-db: lock measurement needs these, and they can only be set at start-up.
[mysqld]
bind-address = 127.0.0.1
port = 3306
performance_schema = ON
performance-schema-instrument = 'wait/lock/metadata/sql/mdl=ON'
performance-schema-consumer-global-instrumentation = ON
performance-schema-consumer-thread-instrumentation = ON
plugin-load-add = metadata_lock_info.so
innodb_buffer_pool_dump_at_shutdown = OFF
innodb_buffer_pool_load_at_startup = OFF
`;

/**
 * Runs as root in the VM. The password is hex (checked) and the user name is ours: nothing from
 * the user is put into this script. Exit codes 20–25 name the step that failed.
 */
export function mysqlInstallScript(password: string): string {
  checkScriptPassword(password, 'MariaDB');
  return `set -u
PW=${shQuote(password)}
U=${shQuote(VERS_MYSQL_USER)}
CONF_DIR="\${VERSDB_MYSQL_CONF_DIR:-/etc/mysql/mariadb.conf.d}"
try_sql() { mariadb -N -B -e "$1" 2>/dev/null; }
if command -v mariadb >/dev/null 2>&1 && try_sql 'SELECT 1' >/dev/null; then
  echo "versdb: mariadb already answers; installation skipped"
else
  echo "versdb: installing mariadb-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || exit 20
  apt-get install -y -qq mariadb-server mariadb-client >/dev/null || exit 21
  echo "versdb: installed"
fi
mkdir -p "$CONF_DIR" || exit 22
cat > "$CONF_DIR/99-vers-db.cnf.new" <<'VERSDB_CNF'
${MYSQL_SERVER_CNF}VERSDB_CNF
if cmp -s "$CONF_DIR/99-vers-db.cnf.new" "$CONF_DIR/99-vers-db.cnf" && try_sql 'SELECT 1' >/dev/null; then
  rm -f "$CONF_DIR/99-vers-db.cnf.new"
else
  mv "$CONF_DIR/99-vers-db.cnf.new" "$CONF_DIR/99-vers-db.cnf" || exit 22
  echo "versdb: restarting mariadb with performance_schema and the metadata-lock instrument"
  service mariadb restart || service mysql restart || exit 23
fi
for _ in $(seq 1 60); do try_sql 'SELECT 1' >/dev/null && break; sleep 1; done
try_sql "CREATE USER IF NOT EXISTS '$U'@'%' IDENTIFIED BY '$PW'; ALTER USER '$U'@'%' IDENTIFIED BY '$PW'; GRANT ALL PRIVILEGES ON *.* TO '$U'@'%' WITH GRANT OPTION" || { echo "versdb: cannot log in to MariaDB as root to create the user $U" >&2; exit 24; }
echo "versdb: server_version=$(try_sql 'SELECT VERSION()')"
echo "versdb: performance_schema=$(try_sql 'SELECT @@performance_schema')"
echo "versdb: mdl_instrument=$(try_sql "SELECT ENABLED FROM performance_schema.setup_instruments WHERE NAME = 'wait/lock/metadata/sql/mdl'")"
`;
}

export async function provisionMysql(
  ctx: BackendDeps,
  vers: VersProvisioner,
  options: ProvisionOptions,
): Promise<ProvisionResult> {
  const databases = options.databases?.length ? options.databases : [DEFAULT_DATABASE];
  for (const db of databases)
    if (!DATABASE_NAME.test(db))
      throw new InvalidInputError(`invalid MariaDB database name ${JSON.stringify(db)}`);
  if (options.settings && Object.keys(options.settings).length > 0)
    throw new InvalidInputError('server settings are PostgreSQL settings; the MariaDB VM does not take them');
  if (options.extensions?.length) throw new InvalidInputError('extensions are PostgreSQL extensions');
  const progress = options.onProgress ?? ctx.log;
  const { client } = vers;
  const settings = (await ctx.registry.read()).settings;
  const password = vmPassword(settings, VERS_SETTINGS.mysqlPassword);
  client.addSecret(password);
  const { vm, created } = await ensureBaseVm(ctx, vers, options, 'mysql', (d) => {
    d.settings[VERS_SETTINGS.mysqlPassword] = password;
    d.settings[VERS_SETTINGS.database] = databases[0]!;
    delete d.settings[VERS_SETTINGS.pgVersion];
  });

  progress(`making sure MariaDB runs in VM ${vm}…`);
  const r = await client.exec(vm, mysqlInstallScript(password), {
    timeoutMs: INSTALL_TIMEOUT_MS,
    signal: options.signal,
  });
  if (r.exitCode !== 0) {
    const tail = (t: string) => t.trim().split('\n').slice(-5).join('\n');
    throw new BackendError(`could not set up MariaDB in VM ${vm} (exit ${r.exitCode})`, {
      hint: `${tail(r.stderr) || tail(r.stdout)}\nthe VM stays recorded; fix the cause and run \`vers-db up --backend vers --engine mysql\` again`,
    });
  }
  const installed = r.stdout.includes('versdb: installed');
  const serverVersion = /versdb: server_version=(\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
  const perfSchema = /versdb: performance_schema=(\S+)/.exec(r.stdout)?.[1];
  const mdl = /versdb: mdl_instrument=(\S+)/.exec(r.stdout)?.[1];
  if (perfSchema !== '1' || mdl !== 'YES') {
    ctx.log(
      `note: the VM's server runs with performance_schema=${perfSchema ?? '?'} and the metadata-lock instrument ${mdl ?? '?'}: lock waits fall back to the processlist`,
    );
  }

  const conn = await vers.connect(vm, '', password, options.signal, 'mysql');
  try {
    const s = mysqlSettingsOf(conn);
    for (const db of databases) if (await createMysqlDatabase(s, db)) progress(`created database ${db}`);
  } finally {
    await conn.close();
  }

  const db = databases[0]!;
  const url = `mysql://${VERS_MYSQL_USER}:***@127.0.0.1:13306/${encodeURIComponent(db)}`;
  return {
    vm,
    databaseUrlHint: `${url} (while \`vers tunnel ${vm} 13306:3306\` runs)`,
    instructions: [
      `base VM: ${vm} (MariaDB ${serverVersion}, database ${db}); the ${VERS_MYSQL_USER} password is in ${ctx.registry.file} (settings."${VERS_SETTINGS.mysqlPassword}")`,
      `DATABASE_URL=${url}   (while \`vers tunnel ${vm} 13306:3306\` runs)`,
      `load data over it:      mariadb -h 127.0.0.1 -P 13306 -u ${VERS_MYSQL_USER} -p ${db} < dump.sql`,
      `or inside the VM:       vers exec -i -t 1800 -- ${vm} mariadb ${db} < dump.sql`,
      'then:                   vers-db checkpoint <tag> --backend vers',
    ],
    created,
    installed,
    serverVersion,
    pendingRestart: [],
  };
}
