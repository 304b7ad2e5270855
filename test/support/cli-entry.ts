/** Runs the `bbws` CLI from source (tests), as bin/bbws.js runs it from dist. */
import { main } from '../../src/cli/main.js';

await main(process.argv);
