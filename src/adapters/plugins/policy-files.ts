/**
 * The blocklist and vulnerability feed in force: the shipped defaults plus the operator's files
 * (`<dataDir>/plugins/blocklist.json`, `<dataDir>/plugins/vulnerabilities.json`). Read on every
 * vetting, so an edit takes effect at the next publish or install without a restart.
 *
 * A file that exists but does not parse is an error, not an empty list: failing closed means a
 * typo in the blocklist stops installs instead of silently letting blocked plugins through.
 */
import { readFile } from 'node:fs/promises';
import { BbwsError } from '../../domain/errors.js';
import { parseBlocklist, parseVulnerabilityFeed, type BlocklistEntry, type VulnerabilityEntry } from '../../domain/plugin-policy.js';
import { DEFAULT_BLOCKLIST } from './defaults/blocklist.js';
import { DEFAULT_VULNERABILITIES } from './defaults/vulnerabilities.js';

export interface PolicyFiles {
  blocklistFile: string;
  vulnerabilityFeedFile: string;
}

export interface Policy {
  blocklist: BlocklistEntry[];
  vulnerabilities: VulnerabilityEntry[];
}

async function readJson(file: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BbwsError('VALIDATION_FAILED', `${file} is not valid JSON (${(err as Error).message}); fix it: vetting refuses to run with a broken policy file.`, { file });
  }
}

function named<T>(file: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof BbwsError) throw new BbwsError(err.code, `${file}: ${err.message}`, { ...err.details, file });
    throw err;
  }
}

/** Loads the policy in force (defaults plus files). Throws VALIDATION_FAILED naming a bad file. */
export async function loadPolicy(files: PolicyFiles): Promise<Policy> {
  const rawBlock = await readJson(files.blocklistFile);
  const rawFeed = await readJson(files.vulnerabilityFeedFile);
  const block = rawBlock === undefined ? { entries: [], includeDefaults: true } : named(files.blocklistFile, () => parseBlocklist(rawBlock));
  const feed = rawFeed === undefined ? { entries: [], includeDefaults: true } : named(files.vulnerabilityFeedFile, () => parseVulnerabilityFeed(rawFeed));
  return {
    blocklist: [...(block.includeDefaults ? DEFAULT_BLOCKLIST : []), ...block.entries],
    vulnerabilities: [...(feed.includeDefaults ? DEFAULT_VULNERABILITIES : []), ...feed.entries],
  };
}
