/**
 * The plugin scanner: parses every PHP file of a package with php-parser (glayzzle's, the parser of
 * prettier's PHP plugin) and follows data from request input to the sinks that run code, across
 * the package's files and functions. Also refuses files the server could run that are not plugin
 * PHP. Rules and what they mean: docs/plugins.md ("Static scan of the code").
 */
import { Engine } from 'php-parser';
import type { PackageFile, PluginViolation } from '../../../domain/plugin-policy.js';
import { AnalysisBudgetExceeded, PackageAnalysis, type Node } from './context.js';
import { assignTo, evalExpr, noteAssembled, TooDeeplyNested } from './expressions.js';
import { analyzeDeclaration, collectDeclarations, newTopFrame, walkStatement } from './statements.js';

const PHP_EXTENSIONS = /\.(php[0-9]?|phtml|pht|phps|inc|module)$/i;
const PAYLOAD_EXTENSIONS = /\.(phar|so|dll|dylib|exe|cgi|elf)$/i;
const MEDIA_EXTENSIONS = /\.(png|jpe?g|gif|webp|bmp|ico|svg|woff2?|ttf|otf|eot|pdf|mp3|mp4|zip)$/i;
/** Passes after the first before the report is taken as is (summaries of call chains deeper than this may be incomplete). */
const SUMMARY_ROUNDS = 4;

const parser = new Engine({
  parser: { php8: true, suppressErrors: false, extractDoc: false },
  ast: { withPositions: true },
  lexer: { short_tags: true, asp_tags: false },
});

/** Files that are not plugin PHP but that the server could load or run. */
function payloadViolation(file: string, content: Uint8Array): PluginViolation | undefined {
  const base = file.split('/').pop() ?? file;
  if (PAYLOAD_EXTENSIONS.test(base)) return { rule: 'executable-payload', message: `${base}: archives and native libraries the server could load are not allowed`, file };
  if (base === '.user.ini' || base === 'php.ini') return { rule: 'executable-payload', message: `${base} would change PHP settings for the site (auto_prepend_file…)`, file };
  if (content.length >= 4 && content[0] === 0x7f && content[1] === 0x45 && content[2] === 0x4c && content[3] === 0x46) return { rule: 'executable-payload', message: 'an ELF executable', file };
  return undefined;
}

interface ParsedFile {
  file: string;
  ast: Node;
  uses: Map<string, string>;
}

/** Parses one file; a file PHP might run that the parser cannot read is refused, not trusted. */
function parse(file: string, text: string, out: PluginViolation[]): Node | undefined {
  try {
    return parser.parseCode(text, file) as unknown as Node;
  } catch (err) {
    const e = err as { message?: string; lineNumber?: number };
    const line = typeof e.lineNumber === 'number' ? e.lineNumber : 1;
    const why = err instanceof RangeError ? 'it is too deeply nested to analyse' : `PHP syntax error: ${String(e.message ?? err).split('\n')[0].slice(0, 160)}`;
    out.push({ rule: 'unparseable', message: `${file} cannot be analysed (${why}); refused rather than trusted`, file, line });
    return undefined;
  }
}

/** Which files hold PHP, and the violations that need no parsing. */
function classify(files: PackageFile[], out: PluginViolation[]): { file: string; text: string }[] {
  const php: { file: string; text: string }[] = [];
  for (const f of files) {
    const payload = payloadViolation(f.path, f.content);
    if (payload) {
      out.push(payload);
      continue;
    }
    const base = f.path.split('/').pop() ?? f.path;
    const text = new TextDecoder('utf-8', { fatal: false }).decode(f.content);
    if (PHP_EXTENSIONS.test(base)) {
      if (!/\.php$/i.test(base) && /__halt_compiler\s*\(/i.test(text)) out.push({ rule: 'executable-payload', message: 'a phar stub (__HALT_COMPILER) outside a .php file', file: f.path });
      php.push({ file: f.path, text });
    } else if (/<\?(php\b|=)/i.test(text)) {
      // An `include 'notes.txt'` would run it: scan it as PHP, and refuse PHP inside media.
      if (MEDIA_EXTENSIONS.test(base)) out.push({ rule: 'obfuscation', message: `PHP code hidden inside ${base}`, file: f.path });
      else php.push({ file: f.path, text });
    }
  }
  return php;
}

/**
 * Scans a whole package (the files of the zip, paths relative to its root). Functions declared in
 * one file and called in another are followed; `include` of a package file is not needed for that
 * because every file is analysed and shares the package's functions, properties and globals.
 */
export function scanPluginPackage(files: PackageFile[]): PluginViolation[] {
  const out: PluginViolation[] = [];
  const sources = classify(files, out);
  const totalBytes = sources.reduce((n, s) => n + s.text.length, 0);
  // Real plugins need a few dozen steps per byte at most; deliberately pathological code runs out.
  const ctx = new PackageAnalysis(200 * totalBytes + 200_000, { evalExpr, assignTo, noteAssembled });
  const parsed: ParsedFile[] = [];
  for (const s of sources) {
    const ast = parse(s.file, s.text, out);
    if (ast) parsed.push({ file: s.file, ast, uses: collectDeclarations(ctx, s.file, ast) });
  }
  const decls = [...new Set([...ctx.functions.values()].flat())];
  const pass = () => {
    for (const d of decls) analyzeDeclaration(ctx, d);
    for (const p of parsed) walkStatement(ctx, newTopFrame(p.file, p.uses), p.ast);
  };
  try {
    // Each pass reports with the summaries of the pass before; the first pass in which no summary,
    // property, constant or global changed saw final ones, and its report stands.
    for (let round = 0; ; round++) {
      ctx.changed = false;
      ctx.startReport();
      pass();
      if (!ctx.changed || round === SUMMARY_ROUNDS) break;
    }
  } catch (err) {
    const where = { file: parsed[0]?.file ?? files[0]?.path, line: 1 };
    if (err instanceof AnalysisBudgetExceeded || err instanceof TooDeeplyNested || err instanceof RangeError) {
      out.push({ rule: 'obfuscation', message: 'the code is too deeply nested or too large to analyse; refused rather than trusted', ...where });
    } else {
      // A scanner bug must refuse the package, not approve it or fail the publish with a 500.
      out.push({ rule: 'unparseable', message: `the scanner failed on this package (${String((err as Error)?.message ?? err).slice(0, 120)}); refused rather than trusted — report it as a scanner bug`, ...where });
    }
  }
  return [...out, ...ctx.violations];
}
