import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanPluginPackage } from '../../src/adapters/plugins/php-scan/scan-package.js';
import type { PackageFile, PluginViolation } from '../../src/domain/plugin-policy.js';

const CORPUS = join(__dirname, '../fixtures/plugins/scan-corpus');
const bytes = (s: string | Buffer) => new Uint8Array(Buffer.from(s));
const scanFile = (file: string, src: string | Buffer) => scanPluginPackage([{ path: file, content: bytes(src) }]);
const rules = (src: string) => scanFile('t.php', src).map((v) => `${v.rule}@${v.line}`);

/** A corpus entry: a single file is a one-file package, a directory a package of its files. */
function corpusPackages(kind: 'benign' | 'malicious'): { name: string; files: PackageFile[] }[] {
  const dir = join(CORPUS, kind);
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  return readdirSync(dir).sort().map((name) => {
    const p = join(dir, name);
    const paths = statSync(p).isDirectory() ? walk(p) : [p];
    return { name, files: paths.map((f) => ({ path: statSync(p).isDirectory() ? relative(p, f) : name, content: new Uint8Array(readFileSync(f)) })) };
  });
}

/** `// expect: RULE WORDS` on the line a violation must be reported at; WORDS must appear in its message. */
function expectations(files: PackageFile[]): { file: string; line: number; rule: string; words: string }[] {
  return files.flatMap((f) => Buffer.from(f.content).toString('utf8').split('\n').flatMap((text, i) =>
    [...text.matchAll(/expect: ([a-z-]+) ((?:(?!\*\/|expect:).)+)/g)].map((m) => ({ file: f.path, line: i + 1, rule: m[1], words: m[2].trim() }))));
}

const show = (vs: PluginViolation[]) => vs.map((v) => `${v.rule} ${v.file}:${v.line} ${v.message}`).join('\n');

describe('the malicious corpus is refused, each finding naming its sink and line', () => {
  const packages = corpusPackages('malicious');
  it('has at least 40 variants', () => expect(packages.length).toBeGreaterThanOrEqual(40));
  for (const pkg of packages) {
    it(pkg.name, () => {
      const found = scanPluginPackage(pkg.files);
      const wanted = expectations(pkg.files);
      expect(wanted.length, `${pkg.name} needs "// expect: RULE SINK" comments`).toBeGreaterThan(0);
      for (const w of wanted) {
        const hit = found.find((v) => v.rule === w.rule && v.file === w.file && v.line === w.line && v.message.toLowerCase().includes(w.words.toLowerCase()));
        expect(hit, `${w.rule} at ${w.file}:${w.line} mentioning "${w.words}"; found:\n${show(found)}`).toBeDefined();
      }
    });
  }
});

describe('the benign corpus passes (false positives)', () => {
  const packages = corpusPackages('benign');
  it('has at least 25 plugins', () => expect(packages.length).toBeGreaterThanOrEqual(25));
  for (const pkg of packages) {
    it(pkg.name, () => expect(show(scanPluginPackage(pkg.files))).toBe(''));
  }
  it('the words in comments and translations', () => {
    expect(rules("<?php\n// eval( base64_decode( $x ) )\n/* system('id') */\n# shell_exec\n__('Use shell_exec or system() with care');\n$s = \"include 'http://x'\";")).toEqual([]);
  });
  it('methods, static methods, declarations and classes named like dangerous functions', () => {
    const src = "<?php\n$wpdb->query($sql);\n$stmt->execute();\n$pdo->exec('SET x');\n$o?->system();\nFoo::exec(1);\nclass A { public function &system() {} }\nnew System();\n$redis->eval('x');\n$this->assert($a);";
    expect(rules(src)).toEqual([]);
  });
  it('assert with an expression, preg_replace without /e, includes of local paths', () => {
    expect(rules("<?php\nassert($x > 0);\npreg_replace('/a/i', 'b', $c);\npreg_replace('#e#', 'x', $s);\nrequire_once __DIR__ . '/inc/a.php';\ninclude $_SERVER['DOCUMENT_ROOT'] . '/x.php';\n$raw = file_get_contents('php://input');")).toEqual([]);
  });
  it('a large base64 image and short binary escapes', () => {
    const png = 'iVBORw0KGgo' + 'A'.repeat(4000);
    expect(rules(`<?php $icon = '${png}'; $h = "\\x89PNG\\r\\n\\x1a\\n";`)).toEqual([]);
  });
  it('a plugin readme with a PHP example is scanned, not refused', () => {
    expect(scanFile('readme.txt', '== FAQ ==\n<?php echo do_shortcode("[x]"); ?>')).toEqual([]);
  });
});

describe('data flow', () => {
  it('string-built and decoded variable functions', () => {
    expect(rules("<?php\n$f = 'sys';\n$f .= 'tem';\n$f('id');")).toEqual(['obfuscation@3', 'shell-exec@4']);
    expect(rules("<?php\n$f = base64_decode('c2hlbGxfZXhlYw==');\n$f('id');")).toEqual(['obfuscation@2', 'shell-exec@3']);
    expect(rules("<?php\n$f = base64_decode($_COOKIE['x']);\n$f('id');")).toEqual(['request-input@3']);
    expect(rules("<?php\n$f = gzinflate($blob);\n$f($x);")).toEqual(['eval-decoded@3']);
    expect(rules("<?php ('sys' . 'tem')('id');")).toEqual(['obfuscation@1', 'shell-exec@1']);
  });
  it('callbacks naming dangerous functions', () => {
    expect(rules("<?php register_shutdown_function('passthru', 'id');")).toEqual(['shell-exec@1']);
    expect(rules("<?php call_user_func($_GET['f'], $_GET['a']);")).toEqual(['request-input@1']);
  });
  it('an allowlist check makes request input a known name; without it, it stays request input', () => {
    const guarded = "<?php\nclass A { function go() {\n$m = $_GET['m'];\nif (in_array($m, array('save', 'load'), true)) { $this->$m(); }\n} }";
    expect(rules(guarded)).toEqual([]);
    expect(rules(guarded.replace("if (in_array($m, array('save', 'load'), true)) ", ''))).toEqual(['request-input@4']);
    expect(rules("<?php\n$m = $_GET['m'];\nif (!in_array($m, ['a', 'b'])) { wp_die(); }\n$m();")).toEqual([]);
    expect(rules("<?php\n$m = $_GET['m'];\nif (!in_array($m, ['a', 'system'])) { wp_die(); }\n$m();")).toEqual(['shell-exec@4']);
  });
  it('follows a parameter into a sink of another file, and the return value out of it', () => {
    const out = scanPluginPackage([
      { path: 'a.php', content: bytes("<?php\nfunction run_cb($cb) {\n  return call_user_func($cb);\n}\nfunction pick() { return $_GET['x']; }") },
      { path: 'b.php', content: bytes("<?php\nrun_cb($_POST['f']);\nrun_cb('strtoupper');\n$g = pick();\n$g();") },
    ]);
    expect(out.map((v) => `${v.rule}@${v.file}:${v.line}`)).toEqual(['request-input@b.php:2', 'request-input@b.php:5']);
    expect(out[0].message).toContain('call_user_func() at a.php:3');
  });
  it('a namespaced function named like a PHP one is the package\'s own', () => {
    expect(rules("<?php\nnamespace My;\nfunction exec($x) { return $x; }\nexec('a');")).toEqual([]);
  });
});

describe('obfuscation heuristics', () => {
  it('base64 and hex blobs, escape-dense strings, chr chains', () => {
    const b64 = 'ZWNobyAi'.repeat(200);
    expect(rules(`<?php $p = '${b64}';`)).toEqual(['obfuscation@1']);
    expect(rules(`<?php $p = '${'a1'.repeat(600)}';`)).toEqual(['obfuscation@1']);
    expect(rules(`<?php $p = "${'\\x41'.repeat(30)}";`)).toEqual(['obfuscation@1']);
    expect(rules('<?php $x = chr(1).chr(2).chr(3).chr(4).chr(5).chr(6);')).toEqual(['obfuscation@1']);
    expect(rules('<?php $x = chr(1).chr(2);')).toEqual([]);
  });
  it('short open tags are PHP too', () => {
    expect(rules('<p>hi</p><? system("id"); ?>')).toEqual(['shell-exec@1']);
  });
});

describe('what the parser cannot read is refused', () => {
  it('a syntax error in a PHP file', () => {
    const v = scanFile('x.php', '<?php function ( {');
    expect(v.map((x) => x.rule)).toEqual(['unparseable']);
    expect(v[0].message).toMatch(/x\.php cannot be analysed \(PHP syntax error/);
  });
  it('thousands of nested, unclosed calls, quickly', () => {
    const started = Date.now();
    const v = scanFile('x.php', '<?php ' + 'eval('.repeat(20000));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(v.map((x) => x.rule)).toEqual(['unparseable']);
  });
  it('deep nesting that parses is refused, not trusted', () => {
    const v = scanFile('x.php', '<?php $x = ' + 'f('.repeat(400) + '1' + ')'.repeat(400) + ';');
    expect(v.map((x) => x.rule)).toEqual(['obfuscation']);
    expect(v[0].message).toMatch(/too deeply nested/);
  });
  it('stays linear on a megabyte of escapes', () => {
    const started = Date.now();
    scanFile('x.php', '<?php $x = "' + '\\x41'.repeat(250000) + '";');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('non-PHP files', () => {
  it('refuses executable payloads and PHP configuration', () => {
    for (const f of ['lib/x.so', 'bin/tool.phar', 'a.dll', '.user.ini', 'sub/php.ini']) {
      expect(scanFile(f, 'x')[0]?.rule, f).toBe('executable-payload');
    }
    expect(scanFile('assets/data.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2]))[0]?.rule).toBe('executable-payload');
  });
  it('flags PHP hidden in an image and scans PHP-like extensions', () => {
    expect(scanFile('img/logo.png', '\x89PNG....<?php system($_GET[1]); ?>')[0]?.rule).toBe('obfuscation');
    expect(scanFile('inc/x.inc', '<?php passthru($c);')[0]?.rule).toBe('shell-exec');
    expect(scanFile('assets/app.js', 'const exec = require("child_process").exec; eval(x);')).toEqual([]);
  });
});
