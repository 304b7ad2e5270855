/**
 * The SARIF 2.1.0 JSON schema (OASIS, as shipped in @microsoft/jest-sarif: draft-04) compiled with
 * ajv's draft-04 class and ajv-formats.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvModule from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';

const schemaFile = createRequire(import.meta.url).resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
// unicodeRegExp off: one pattern of the official schema is not valid with the u flag.
// CommonJS modules whose default export TypeScript sees as the namespace.
const Ajv = (AjvModule as unknown as { default: typeof AjvModule.default }).default ?? AjvModule;
const addFormats = (addFormatsModule as unknown as { default: typeof addFormatsModule.default }).default ?? addFormatsModule;
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
export const validateSarif = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
