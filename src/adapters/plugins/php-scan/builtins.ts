/**
 * PHP and WordPress functions that move data the scanner must keep following (options, array
 * accessors, `extract()` of a known array, network content, writable directories) and the escape
 * hatches that run code without a call to a shell function (`ini_set('auto_prepend_file')`,
 * `putenv('LD_PRELOAD=…')`, `dl()`, `imap_open()`'s `-oProxyCommand`).
 */
import { ARRAY_OF, DANGEROUS_INI, ELEMENT_OF, REMOTE_SOURCES, WRITABLE_DIRS } from './catalog.js';
import { assign, type Frame, type PackageAnalysis } from './context.js';
import { describeTaint } from './sinks.js';
import { carry, elements, lit, OPAQUE, single, type Val } from './value.js';

/** Functions returning data from a file or serialized form (the database's methods are in calls.ts). */
const STORED_READERS = new Set(['file_get_contents', 'file', 'fread', 'fgets', 'fgetcsv', 'stream_get_contents', 'unserialize', 'maybe_unserialize', 'igbinary_unserialize', 'yaml_parse', 'yaml_parse_file', 'parse_ini_file', 'parse_ini_string', 'simplexml_load_file', 'simplexml_load_string']);

const OPTION_WRITERS = new Set(['update_option', 'add_option', 'update_site_option', 'add_site_option', 'set_transient', 'set_site_transient', 'update_post_meta', 'add_post_meta', 'update_user_meta', 'update_term_meta']);
const OPTION_READERS: Record<string, number> = { get_option: 0, get_site_option: 0, get_transient: 0, get_site_transient: 0, get_post_meta: 1, get_user_meta: 1, get_term_meta: 1 };

/** Where an option/transient/meta key is stored in the package-wide property map. */
const optionKey = (k: string) => `option:${k}`;

/** Reports escape hatches; returns true when the call was one. */
export function checkEscapeHatch(ctx: PackageAnalysis, f: Frame, name: string, args: Val[], line: number): boolean {
  const report = (rule: string, message: string) => ctx.report(rule, f.file, line, message);
  if (name === 'ini_set' || name === 'ini_alter') {
    const key = args[0] ? single(args[0]) : undefined;
    if (key === undefined || DANGEROUS_INI.test(key)) report('dynamic-code', `${name}('${key ?? '…'}') changes how PHP loads or runs code`);
    return true;
  }
  if (name === 'putenv') {
    const v = args[0] ?? OPAQUE;
    if (v.open || v.taint || v.strs.some((s) => /^(LD_|GCONV|PATH=|PHPRC|PHP_INI_SCAN_DIR)/i.test(s))) report('shell-exec', 'putenv() sets a variable that makes the next child process (mail(), imagick) load other code');
    return true;
  }
  if (name === 'dl') {
    report('executable-payload', 'dl() loads a native PHP extension');
    return true;
  }
  if (name === 'imap_open' || name === 'imap_mail') {
    const mailbox = args[0] ?? OPAQUE;
    if (mailbox.open || mailbox.taint || mailbox.strs.some((s) => /\s-o/i.test(s))) report('shell-exec', `${name}() with a mailbox that is not a plain literal can run a command (-oProxyCommand)${mailbox.taint ? ` from ${describeTaint(mailbox)}` : ''}`);
    return true;
  }
  if (name === 'stream_wrapper_register' || name === 'stream_register_wrapper') {
    report('dynamic-code', `${name}() lets include read code from a class of the plugin's choosing`);
    return true;
  }
  return false;
}

/** Functions whose value the scanner models; undefined for others. */
export function modelledResult(ctx: PackageAnalysis, f: Frame, name: string, args: Val[]): Val | undefined {
  if (REMOTE_SOURCES.has(name)) return { ...OPAQUE, taint: `remote:${name}()` };
  if (WRITABLE_DIRS.has(name)) return { ...OPAQUE, writable: `${name}()` };
  if (STORED_READERS.has(name)) return { ...OPAQUE, ...carry(...args), stored: `${name}()` };
  if (ELEMENT_OF.has(name)) return { ...elements(args[0] ?? OPAQUE), ...carry(args[0] ?? OPAQUE) };
  if (name === 'array_keys' && args[0]?.items) return { strs: [], open: true, items: new Map([...args[0].items.keys()].map((k, i) => [String(i), lit(k)])) };
  if (name === 'array_flip' && args[0]?.items) return { strs: [], open: true, items: new Map([...args[0].items].flatMap(([k, v]) => (single(v) !== undefined ? [[single(v)!, lit(k)]] : []))) };
  if (ARRAY_OF.has(name)) {
    const items = new Map<string, Val>();
    for (const a of args) for (const v of a.items?.values() ?? [elements(a)]) items.set(String(items.size), v);
    return { strs: [], open: true, items, ...carry(...args) };
  }
  if (OPTION_WRITERS.has(name)) {
    const at = name.endsWith('_meta') ? 1 : 0;
    const key = args[at] ? single(args[at]) : undefined;
    if (key !== undefined) ctx.mergeInto(ctx.props, optionKey(key), args[at + 1] ?? OPAQUE);
    return OPAQUE;
  }
  const readAt = OPTION_READERS[name];
  if (readAt !== undefined) {
    const key = args[readAt] ? single(args[readAt]) : undefined;
    return key !== undefined ? (ctx.props.get(optionKey(key)) ?? OPAQUE) : OPAQUE;
  }
  if (name === 'extract' && args[0]?.items) {
    for (const [k, v] of args[0].items) if (/^[A-Za-z_]\w*$/.test(k)) assign(ctx, f, { kind: 'variable', name: k }, v);
    return OPAQUE;
  }
  if (name === 'class_alias' && args[0] && args[1] && single(args[0]) && single(args[1])) {
    ctx.classAliases.set(single(args[1])!.toLowerCase().replace(/^\\/, ''), single(args[0])!.toLowerCase().replace(/^\\/, ''));
    return OPAQUE;
  }
  if (name === 'json_decode' && single(args[0] ?? OPAQUE) !== undefined) {
    try {
      return fromJson(JSON.parse(single(args[0]!)!));
    } catch {
      return OPAQUE;
    }
  }
  return undefined;
}

function fromJson(x: unknown, depth = 0): Val {
  if (typeof x === 'string') return lit(x);
  if (typeof x === 'number' || typeof x === 'boolean') return lit(String(x));
  if (x && typeof x === 'object' && depth < 8) return { strs: [], open: true, items: new Map(Object.entries(x).slice(0, 200).map(([k, v]) => [k, fromJson(v, depth + 1)])) };
  return OPAQUE;
}
