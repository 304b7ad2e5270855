/** The sites end-to-end suite (sites.suite.ts) with the control plane on SQLite, as `bbws up` runs by default. */
import { startLocalPlatform } from '../support/platform-local-harness.js';
import { describeSitesEndToEnd } from './sites.suite.js';

describeSitesEndToEnd('sqlite', () => startLocalPlatform());
