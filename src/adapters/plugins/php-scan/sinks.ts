/**
 * When a value reaching a sink makes code run: a callee that may name a dangerous function or comes
 * from the request, an include path that is a stream or request input, a file write whose
 * destination is PHP. Each check returns the rule and a phrase for the message, or undefined.
 */
import { CODE_FUNCTIONS, EXECUTABLE_FILE, INDIRECT_DANGER, REFLECTION_CLASSES, SHELL_FUNCTIONS, STREAM_SCHEME } from './catalog.js';
import { fnName, mayName, prefixOf, suffixOf, type Val } from './value.js';

export interface Danger {
  rule: string;
  /** What the value is, for the message: "request input ($_GET['c'])", "'system' (runs a shell command)". */
  what: string;
}

/** Where a value goes; a function's parameter that reaches one is recorded in its summary. */
export type SinkKind = 'callee' | 'include' | 'write-path' | 'method' | 'class' | 'unserialize';

export function describeTaint(v: Val): string {
  return v.taint?.startsWith('remote:') ? `content fetched from the network (${v.taint.slice(7)})` : `request input (${v.taint})`;
}

const DANGEROUS_CALLEES = [...SHELL_FUNCTIONS, ...CODE_FUNCTIONS, ...INDIRECT_DANGER];

/** Classes that read or write files, parse XML, run code or reach the network when built from a name and an argument. */
const DANGEROUS_CLASSES = ['reflectionfunction', 'reflectionmethod', 'reflectionclass', 'reflectionobject', 'closure', 'splfileobject', 'spltempfileobject', 'simplexmlelement', 'domdocument', 'imagick', 'pdo', 'mysqli', 'ffi', 'phar', 'phardata', 'ziparchive', 'directoryiterator', 'filesystemiterator', 'globiterator', 'recursivedirectoryiterator', 'soapclient', 'xsltprocessor'];

/**
 * Request input glued to a constant (`'myplugin_ajax_' . $_POST['do']`, `[$this, 'sort_by_' . $_GET['o']]`)
 * can only name what starts with that prefix (or ends with that suffix): the plugin's own
 * functions, methods or classes. It is allowed when no dangerous name fits.
 */
const boundedTaint = (v: Val, names: Iterable<string>): boolean => v.open && !!(prefixOf(v) || suffixOf(v)) && !mayName({ ...v, strs: [] }, names) && v.strs.every((s) => ![...names].includes(fnName(s)));

/** The first of `names` among the strings a value is known to be. */
const knownName = (v: Val, names: ReadonlySet<string>) => v.strs.map(fnName).find((n) => names.has(n));

/** The callee of `$f()`, `call_user_func($f)`, a callback argument, `new ReflectionFunction($f)`. */
export function calleeDanger(v: Val): Danger | undefined {
  const shell = knownName(v, SHELL_FUNCTIONS);
  if (shell) return { rule: 'shell-exec', what: `${shell}, which runs a shell command` };
  const code = knownName(v, CODE_FUNCTIONS);
  if (code) return { rule: 'dynamic-code', what: `${code}, which runs a string as PHP` };
  if (v.taint && !boundedTaint(v, DANGEROUS_CALLEES)) return { rule: 'request-input', what: describeTaint(v) };
  if (v.methodGuard && !boundedTaint(v, DANGEROUS_CALLEES)) return { rule: 'request-input', what: `request input (${v.methodGuard}) that method_exists() checked as a method, not as a function` };
  if (v.decoded) return { rule: 'eval-decoded', what: `a name decoded at run time (${v.decoded})` };
  if (v.stored && !boundedTaint(v, DANGEROUS_CALLEES)) return { rule: 'dynamic-call', what: `a function name read at run time from ${v.stored}` };
  const indirect = knownName(v, INDIRECT_DANGER);
  if (indirect) return { rule: 'dynamic-call', what: `${indirect}, which runs, writes or unpacks code given to it` };
  const maybe = v.open && v.built ? mayName({ ...v, strs: [] }, DANGEROUS_CALLEES) : undefined;
  if (maybe) return { rule: 'dynamic-call', what: `a function name built at run time (${v.built}) that cannot be resolved and may be ${maybe}` };
  return undefined;
}

/** The path of `include`/`require`. */
export function includeDanger(v: Val): Danger | undefined {
  const scheme = [...v.strs, prefixOf(v)].find((s) => STREAM_SCHEME.test(s));
  if (scheme !== undefined) return { rule: 'remote-include', what: `a stream URL (${scheme.trim().slice(0, 40)})` };
  if (v.taint && !v.pathSafe) return { rule: 'remote-include', what: `a path from ${describeTaint(v)}` };
  if (v.writable) return { rule: 'remote-include', what: `a file in a directory the site can write (${v.writable}), where the plugin may have put code` };
  if (v.decoded) return { rule: 'obfuscation', what: `a path decoded at run time (${v.decoded})` };
  if (v.open && v.built && !prefixOf(v) && !suffixOf(v) && v.taint) return { rule: 'remote-include', what: `a path built from ${describeTaint(v)}` };
  return undefined;
}

/** The destination of a file write. `data` is what is written, when known. */
export function writeDanger(path: Val, data?: Val): Danger | undefined {
  const php = [...path.strs, ...(path.open ? [suffixOf(path)] : [])].find((s) => EXECUTABLE_FILE.test(s));
  if (php !== undefined) return { rule: 'php-file-write', what: `a file the server would run (${php.slice(-40)})` };
  if (path.taint && !path.pathSafe) return { rule: 'php-file-write', what: `a path from ${describeTaint(path)}` };
  if (path.open && !suffixOf(path) && data && (data.taint || data.decoded || data.strs.some((s) => /<\?(php|=)/i.test(s)))) {
    const what = data.taint ? describeTaint(data) : data.decoded ? `decoded data (${data.decoded})` : 'PHP code';
    return { rule: 'php-file-write', what: `${what} to a path whose extension is not known` };
  }
  return undefined;
}

/** The method name of `$obj->$m()` / `A::$m()`. */
export function methodDanger(v: Val): Danger | undefined {
  if (v.taint && !(v.open && prefixOf(v))) return { rule: 'request-input', what: `a method named by ${describeTaint(v)}` };
  if (v.decoded) return { rule: 'eval-decoded', what: `a method name decoded at run time (${v.decoded})` };
  return undefined;
}

/** The class of `new $c` / `$c::m()`. */
export function classDanger(v: Val): Danger | undefined {
  const refl = knownName(v, REFLECTION_CLASSES);
  if (refl) return { rule: 'dynamic-call', what: `${refl} chosen at run time` };
  if (v.taint && !boundedTaint(v, DANGEROUS_CLASSES)) return { rule: 'request-input', what: `a class named by ${describeTaint(v)}` };
  if (v.decoded) return { rule: 'eval-decoded', what: `a class name decoded at run time (${v.decoded})` };
  return undefined;
}

export function dangerOf(kind: SinkKind, v: Val): Danger | undefined {
  switch (kind) {
    case 'callee': return calleeDanger(v);
    case 'include': return includeDanger(v);
    case 'write-path': return writeDanger(v);
    case 'method': return methodDanger(v);
    case 'class': return classDanger(v);
    case 'unserialize': return v.taint ? { rule: 'request-input', what: describeTaint(v) } : undefined;
  }
}

/** Callable values: a string, `[$obj, 'method']`, `'A::m'`; returns what names the function or method. */
export function callableDanger(v: Val): Danger | undefined {
  if (v.closure && !v.open) return undefined;
  if (v.items) {
    const method = v.items.get('1');
    const target = v.items.get('0');
    if (method) return (target && classDanger(target)) ?? methodDanger(method);
    return undefined;
  }
  return calleeDanger(v);
}
