/**
 * The plugin's settings (`userConfig` in plugin.json) reach the server under their own names,
 * VERS_DB_CONFIG_*, because Claude Code substitutes an unset one as ''. An exported DATABASE_URL,
 * VERS_API_KEY or VERS_DB_BACKEND still wins: a setting fills a variable only when it is empty.
 */

/** Setting variable → the variable the rest of vers-db (and the vers CLI) reads. */
export const PLUGIN_CONFIG_VARIABLES = {
  VERS_DB_CONFIG_DATABASE_URL: 'DATABASE_URL',
  VERS_DB_CONFIG_VERS_API_KEY: 'VERS_API_KEY',
  VERS_DB_CONFIG_BACKEND: 'VERS_DB_BACKEND',
} as const;

/** A value Claude Code left unsubstituted (`${user_config.x}`) counts as unset. */
const isSet = (value: string | undefined): value is string =>
  value !== undefined && value.trim() !== '' && !value.startsWith('${');

export function applyPluginConfig(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const [setting, target] of Object.entries(PLUGIN_CONFIG_VARIABLES)) {
    const value = env[setting];
    if (!isSet(merged[target]) && isSet(value)) merged[target] = value;
    // The settings' own copies go no further (the API key is a secret; child processes get the target).
    delete merged[setting];
  }
  return merged;
}
