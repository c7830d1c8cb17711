/**
 * The migration tools the guard recognises: the command line that applies migrations, and the
 * files (repository-relative paths) that hold them. A command matches against the words of one
 * simple command (quoted phrases masked, see shell.ts); wrappers like `npx`, `bundle exec`,
 * `poetry run` or `docker compose exec app` need no rule of their own.
 */

export interface Framework {
  name: string;
  command: RegExp;
  files: RegExp;
  /** True when its migrations are plain SQL files vers-db can test as they are. */
  sql: boolean;
}

export const FRAMEWORKS: readonly Framework[] = [
  {
    name: 'Prisma',
    command: /\bprisma\s+migrate\s+(deploy|dev|reset)\b/,
    files: /(^|\/)migrations\/[^/]+\/migration\.sql$/,
    sql: true,
  },
  {
    name: 'Rails',
    command: /\b(rails|rake)\s+(\S+\s+)*db:(migrate|prepare|setup|migrate:up|migrate:redo)\b/,
    files: /(^|\/)db\/migrate\/[^/]+\.rb$/,
    sql: false,
  },
  {
    name: 'Alembic',
    command: /\balembic\s+(\S+\s+)*upgrade\b/,
    files: /(^|\/)versions\/[^/]+\.py$/,
    sql: false,
  },
  {
    name: 'Django',
    command: /\b(manage\.py|django-admin)\s+migrate\b/,
    files: /(^|\/)migrations\/\d{4}_[^/]+\.py$/,
    sql: false,
  },
  {
    name: 'Flyway',
    command: /\bflyway\s+(\S+\s+)*migrate\b/,
    files: /(^|\/)(V[0-9][0-9._]*|R)__[^/]+\.sql$/,
    sql: true,
  },
  {
    name: 'Liquibase',
    command: /\bliquibase\s+(\S+\s+)*(update|update-to-tag|updateToTag|update-count|updateCount)\b/,
    files: /(^|\/)([^/]*changelog[^/]*|changelogs?\/.+)\.(xml|ya?ml|json|sql)$/i,
    sql: false,
  },
  {
    name: 'Knex',
    command: /\bknex\s+(\S+\s+)*migrate:(latest|up)\b/,
    files: /(^|\/)migrations\/[^/]+\.[cm]?[jt]s$/,
    sql: false,
  },
  {
    name: 'Sequelize',
    command: /\bsequelize(-cli)?\s+(\S+\s+)*db:migrate\b/,
    files: /(^|\/)migrations\/[^/]+\.[cm]?[jt]s$/,
    sql: false,
  },
  {
    name: 'TypeORM',
    command: /\btypeorm(-ts-node-(commonjs|esm))?\s+(\S+\s+)*migration:run\b/,
    files: /(^|\/)migrations?\/[^/]+\.[cm]?[jt]s$/,
    sql: false,
  },
  {
    name: 'Drizzle',
    command: /\bdrizzle-kit\s+(\S+\s+)*(migrate|push)\b/,
    files: /(^|\/)(drizzle|migrations)\/[^/]+\.sql$/,
    sql: true,
  },
  {
    name: 'node-pg-migrate',
    command: /\bnode-pg-migrate\s+(\S+\s+)*up\b/,
    files: /(^|\/)migrations\/[^/]+\.([cm]?[jt]s|sql)$/,
    sql: false,
  },
  {
    name: 'golang-migrate',
    command: /\bmigrate\s+(\S+\s+)*-(path|source|database)\b.*\s(up|goto)\b/,
    files: /\.up\.sql$/,
    sql: true,
  },
  {
    name: 'goose',
    command: /\bgoose\s+(\S+\s+)*(up|up-by-one|up-to)\b/,
    files: /(^|\/)(migrations|schema)\/[^/]+\.(sql|go)$/,
    sql: true,
  },
  {
    name: 'dbmate',
    command: /\bdbmate\s+(\S+\s+)*(up|migrate)\b/,
    files: /(^|\/)migrations\/[^/]+\.sql$/,
    sql: true,
  },
  {
    name: 'Sqitch',
    command: /\bsqitch\s+(\S+\s+)*deploy\b/,
    files: /(^|\/)deploy\/[^/]+\.sql$/,
    sql: true,
  },
  {
    name: 'Supabase',
    command: /\bsupabase\s+(db\s+(push|reset)|migration\s+up)\b/,
    files: /(^|\/)supabase\/migrations\/[^/]+\.sql$/,
    sql: true,
  },
  {
    name: 'Ecto',
    command: /\bmix\s+ecto\.(migrate|setup|reset)\b/,
    files: /(^|\/)priv\/repo\/migrations\/[^/]+\.exs$/,
    sql: false,
  },
  {
    name: 'Laravel',
    command: /\bartisan\s+migrate\b/,
    files: /(^|\/)database\/migrations\/[^/]+\.php$/,
    sql: false,
  },
  {
    name: 'Diesel',
    command: /\bdiesel\s+migration\s+(run|redo)\b/,
    files: /(^|\/)migrations\/[^/]+\/up\.sql$/,
    sql: true,
  },
  {
    name: 'SQLx',
    command: /\bsqlx\s+migrate\s+run\b/,
    files: /(^|\/)migrations\/[^/]+\.sql$/,
    sql: true,
  },
];
