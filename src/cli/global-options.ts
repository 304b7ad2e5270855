/**
 * Options every command shares. They are declared once, on the program, so they work before or
 * after the subcommand (`bbws --data-dir X tenants list` and `bbws tenants list --data-dir X`);
 * a preAction hook copies them into the options of the command that runs (commands/common.ts
 * reads them). Imported by main.ts only, so that it stays in the bundle's first file.
 */
import type { Command } from 'commander';
import type { CommonOptions } from './commands/common.js';

const GLOBAL_OPTION_KEYS = ['dataDir', 'apiUrl', 'token', 'json'] as const;

export function addGlobalOptions(program: Command): Command {
  return program
    .option('--data-dir <dir>', 'data dir of the platform (default ./.bbws or BBWS_DATA_DIR)')
    .option('--api-url <url>', 'API base URL (default: read from the data dir)')
    .option('--token <jwt>', 'bearer token (default: a platform-admin token minted from the data dir, or BBWS_TOKEN)')
    .option('--json', 'print JSON for scripts')
    .configureHelp({ showGlobalOptions: true })
    .hook('preAction', (root, action) => {
      const globals = root.opts<CommonOptions>();
      for (const key of GLOBAL_OPTION_KEYS) if (globals[key] !== undefined && action.getOptionValue(key) === undefined) action.setOptionValue(key, globals[key]);
    });
}
