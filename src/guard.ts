/** Entry point of dist/guard.js, the plugin's PreToolUse hook on Bash (see src/guard/hook.ts). */
import { runGuard } from './guard/hook.js';

await runGuard();
