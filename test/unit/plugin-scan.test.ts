import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanPackageFile, scanPhpSource } from '../../src/domain/plugin-scan.js';
import { tokenizePhp } from '../../src/domain/php-tokens.js';

const CORPUS = join(__dirname, '../fixtures/plugins/scan-corpus');
const rules = (src: string) => scanPhpSource('t.php', src).map((v) => `${v.rule}@${v.line}`);
const bytes = (s: string | Buffer) => new Uint8Array(Buffer.from(s));

describe('php tokenizer', () => {
  it('skips comments, decodes strings and keeps line numbers', () => {
    const t = tokenizePhp("<html>\n<?php // eval(\n/* system( */ $a = 'it\\'s';\n# exec(\n$b = \"\\x73ys\";\n?>\n<p>system(</p>");
    expect(t.filter((x) => x.kind === 'ident')).toEqual([]);
    expect(t.find((x) => x.kind === 'string')).toMatchObject({ value: "it's", line: 3 });
    expect(t.filter((x) => x.kind === 'string')[1]).toMatchObject({ value: 'sys', escapes: 1, line: 5 });
  });
  it('is total on hostile input (unterminated strings, comments, heredocs)', () => {
    for (const src of ['<?php "abc', "<?php 'abc", '<?php /* x', '<?php <<<EOT\nnever closed', '<?php `ls', '<?php $', '<?php \\', '<?php <<<', '\u0000<?php \uffff']) {
      expect(() => tokenizePhp(src)).not.toThrow();
    }
  });
  it('reads heredoc and nowdoc bodies as strings', () => {
    const t = tokenizePhp("<?php $x = <<<'EOT'\nsystem('id');\nEOT;\n$y = <<<EOT\n  {$a} ok\n  EOT;\nfoo();");
    expect(t.filter((x) => x.kind === 'ident').map((x) => x.text)).toEqual(['foo']);
    expect(t.find((x) => x.text === 'foo')?.line).toBe(7);
  });
});

describe('benign plugins do not trip the scanner (false positives)', () => {
  for (const f of readdirSync(join(CORPUS, 'benign'))) {
    it(f, () => {
      expect(scanPhpSource(f, readFileSync(join(CORPUS, 'benign', f), 'utf8'))).toEqual([]);
    });
  }
  it('the words in comments and translations', () => {
    expect(rules("<?php\n// eval( base64_decode( $x ) )\n/* system('id') */\n# shell_exec\n__('Use shell_exec or system() with care');\n$s = \"include 'http://x'\";")).toEqual([]);
  });
  it('methods, static methods, declarations and classes named like dangerous functions', () => {
    const src = "<?php\n$wpdb->query($sql);\n$stmt->execute();\n$pdo->exec('SET x');\n$o?->system();\nFoo::exec(1);\nfunction exec() {}\nclass A { public function &system() {} }\nnew System();\n$redis->eval('x');\n$this->assert($a);";
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
    expect(scanPackageFile('readme.txt', bytes('== FAQ ==\n<?php echo do_shortcode("[x]"); ?>'))).toEqual([]);
  });
});

describe('malicious samples are caught', () => {
  const expected: Record<string, string[]> = {
    'one-liner-shell.php': ['request-input@1'],
    'cmd-shell.php': ['shell-exec@3'],
    'packed-loader.php': ['obfuscation@3', 'eval-decoded@5'],
    'rot13-callback.php': ['obfuscation@2', 'shell-exec@3', 'obfuscation@4', 'shell-exec@5'],
    'chr-chain.php': ['obfuscation@2', 'shell-exec@3'],
    'request-callee.php': ['request-input@3', 'request-input@4', 'request-input@6'],
    'legacy-dynamic.php': ['dynamic-code@2', 'dynamic-code@3', 'dynamic-code@4', 'request-input@5', 'dynamic-code@6'],
    'remote-includes.php': ['remote-include@2', 'remote-include@3', 'remote-include@4', 'remote-include@5', 'remote-include@7', 'remote-include@8'],
    'backticks-and-proc.php': ['shell-exec@2', 'shell-exec@3', 'shell-exec@4', 'shell-exec@5', 'shell-exec@6', 'shell-exec@7', 'shell-exec@8'],
  };
  for (const f of readdirSync(join(CORPUS, 'malicious'))) {
    it(f, () => {
      const found = new Set(scanPhpSource(f, readFileSync(join(CORPUS, 'malicious', f), 'utf8')).map((v) => `${v.rule}@${v.line}`));
      expect(expected[f], `add ${f} to the expectations`).toBeDefined();
      for (const e of expected[f]) expect([...found]).toContain(e);
    });
  }
  it('eval of decoded data, directly and hidden behind a comment', () => {
    expect(rules('<?php eval/* x */(base64_decode("ZWNobyAxOw=="));')).toEqual(['eval-decoded@1']);
    expect(rules('<?php EVAL(gzinflate(str_rot13($p)));')).toEqual(['eval-decoded@1']);
  });
  it('string-built and decoded variable functions', () => {
    expect(rules("<?php\n$f = 'sys';\n$f .= 'tem';\n$f('id');")).toContain('shell-exec@4');
    expect(rules("<?php\n$f = base64_decode('c2hlbGxfZXhlYw==');\n$f('id');")).toEqual(['obfuscation@2', 'shell-exec@3']);
    expect(rules("<?php\n$f = base64_decode($_COOKIE['x']);\n$f('id');")).toContain('request-input@3');
    expect(rules("<?php\n$f = gzinflate($blob);\n$f($x);")).toEqual(['eval-decoded@3']);
    expect(rules("<?php ('sys' . 'tem')('id');")).toEqual(['shell-exec@1']);
    expect(rules('<?php $n = "\\x73\\x79\\x73\\x74\\x65\\x6d"; $n("id");')).toEqual(['obfuscation@1', 'shell-exec@1']);
  });
  it('callbacks naming dangerous functions', () => {
    expect(rules("<?php register_shutdown_function('passthru', 'id');")).toEqual(['shell-exec@1']);
    expect(rules("<?php array_filter($a, 'sys' . 'tem');")).toEqual(['shell-exec@1']);
    expect(rules("<?php call_user_func($_GET['f'], $_GET['a']);")).toEqual(['request-input@1']);
  });
  it('${} interpolation that calls a function, and a namespaced \\system call', () => {
    expect(rules('<?php echo "${system(\'id\')}";')).toContain('dynamic-code@1');
    expect(rules('<?php \\system("id");')).toEqual(['shell-exec@1']);
  });
  it('obfuscation heuristics: base64 and hex blobs, escape-dense strings, chr chains', () => {
    const b64 = 'ZWNobyAi'.repeat(200);
    expect(rules(`<?php $p = '${b64}';`)).toEqual(['obfuscation@1']);
    expect(rules(`<?php $p = '${'a1'.repeat(600)}';`)).toEqual(['obfuscation@1']);
    expect(rules(`<?php $p = "${'\\x41'.repeat(30)}";`)).toEqual(['obfuscation@1']);
    expect(rules('<?php $x = chr(1).chr(2).chr(3).chr(4).chr(5).chr(6);')).toEqual(['obfuscation@1']);
    expect(rules('<?php $x = chr(1).chr(2);')).toEqual([]);
  });
  it('short open tags are PHP too', () => {
    expect(rules('<p>hi</p><? system("id"); ?>')).toEqual(['shell-exec@1']);
    expect(rules('<?xml version="1.0"?><a>system("id")</a>')).toEqual([]);
  });
});

describe('hostile input cannot make the scan slow', () => {
  it('refuses thousands of nested, unclosed calls instead of analysing them quadratically', () => {
    const started = Date.now();
    const v = scanPhpSource('x.php', '<?php ' + 'eval('.repeat(20000));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(v.map((x) => x.rule)).toContain('obfuscation');
    expect(v.some((x) => /too deeply nested/.test(x.message))).toBe(true);
  });
  it('stays linear on a megabyte of escapes', () => {
    const started = Date.now();
    scanPhpSource('x.php', '<?php $x = "' + '\\x41'.repeat(250000) + '";');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('non-PHP files', () => {
  it('refuses executable payloads and PHP configuration', () => {
    for (const f of ['lib/x.so', 'bin/tool.phar', 'a.dll', '.user.ini', 'sub/php.ini']) {
      expect(scanPackageFile(f, bytes('x'))[0]?.rule, f).toBe('executable-payload');
    }
    expect(scanPackageFile('assets/data.bin', bytes(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2])))[0]?.rule).toBe('executable-payload');
  });
  it('flags PHP hidden in an image and scans PHP-like extensions', () => {
    expect(scanPackageFile('img/logo.png', bytes('\x89PNG....<?php system($_GET[1]); ?>'))[0]?.rule).toBe('obfuscation');
    expect(scanPackageFile('inc/x.inc', bytes('<?php passthru($c);'))[0]?.rule).toBe('shell-exec');
    expect(scanPackageFile('assets/app.js', bytes('const exec = require("child_process").exec; eval(x);'))).toEqual([]);
  });
});
