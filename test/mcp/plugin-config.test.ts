/** The plugin's settings fill DATABASE_URL, VERS_API_KEY and VERS_DB_BACKEND only where the user exported nothing. */
import { describe, expect, it } from 'vitest';
import { applyPluginConfig } from '../../src/mcp/plugin-config.js';

describe('applyPluginConfig', () => {
  it('uses the settings when nothing is exported, and passes no copy of them on', () => {
    const env = applyPluginConfig({
      DATABASE_URL: '',
      VERS_API_KEY: '',
      VERS_DB_BACKEND: '',
      VERS_DB_CONFIG_DATABASE_URL: 'postgres://cfg@db/app',
      VERS_DB_CONFIG_VERS_API_KEY: 'key-from-keychain',
      VERS_DB_CONFIG_BACKEND: 'vers',
    });
    expect(env).toEqual({
      DATABASE_URL: 'postgres://cfg@db/app',
      VERS_API_KEY: 'key-from-keychain',
      VERS_DB_BACKEND: 'vers',
    });
  });

  it('lets an exported variable win over the setting', () => {
    const env = applyPluginConfig({
      DATABASE_URL: 'postgres://exported@db/app',
      VERS_DB_CONFIG_DATABASE_URL: 'postgres://cfg@db/app',
      VERS_DB_BACKEND: 'local',
      VERS_DB_CONFIG_BACKEND: 'vers',
    });
    expect(env.DATABASE_URL).toBe('postgres://exported@db/app');
    expect(env.VERS_DB_BACKEND).toBe('local');
  });

  it('treats empty and unsubstituted settings as unset', () => {
    const env = applyPluginConfig({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text Claude Code would leave
      VERS_DB_CONFIG_DATABASE_URL: '${user_config.database_url}',
      VERS_DB_CONFIG_VERS_API_KEY: '  ',
    });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.VERS_API_KEY).toBeUndefined();
  });
});
