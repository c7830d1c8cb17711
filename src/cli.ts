/** `vers-db` entry point: parse argv and hand over to the command. */
import { buildProgram } from './cli/program.js';

await buildProgram().parseAsync(process.argv);
