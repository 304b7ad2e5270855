/**
 * replaceInSerialized against hostile and edge-case values. Every rewritten serialized value is
 * also fed to PHP's own unserialize() (php-cli), and the structure it returns is compared with
 * what PHP gets by unserializing the INPUT and replacing inside its leaf strings — so "lengths
 * stay right" is checked by PHP, not by our own parser.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isSerialized, looksSerialized, replaceInSerialized, rewriteValue } from '../../src/adapters/wordpress/local/serialized.js';

const FROM = 'http://staging.acme.test';
const TO = 'https://www.acme-production.example';

/** PHP-side oracle: for each case, compare unserialize(output) with replace-in-leaves(unserialize(input)). */
const ORACLE = String.raw`
function bbws_norm($v, $from, $to) {
  if (is_string($v)) {
    $u = @unserialize($v);
    if ($u !== false || $v === 'b:0;') return ['__ser' => bbws_norm($u, $from, $to)];
    $j = str_replace(str_replace('/', '\/', $from), str_replace('/', '\/', $to), $v);
    return $from === '' ? $v : str_replace($from, $to, $j);
  }
  if (is_array($v)) { $o = []; foreach ($v as $k => $x) $o[$k] = bbws_norm($x, $from, $to); return ['__a' => $o]; }
  if (is_object($v)) { $o = []; foreach ((array) $v as $k => $x) $o[bin2hex($k)] = bbws_norm($x, $from, $to); return ['__o' => get_class($v), 'p' => $o]; }
  return $v;
}
$cases = json_decode(stream_get_contents(STDIN), true);
$out = [];
foreach ($cases as $c) {
  $in = @unserialize($c['input'], ['allowed_classes' => false]);
  $res = @unserialize($c['output'], ['allowed_classes' => false]);
  $ok = $res !== false || $c['output'] === 'b:0;';
  $out[] = ['parses' => $ok, 'same' => $ok && bbws_norm($in, $c['from'], $c['to']) == bbws_norm($res, '', '')];
}
echo json_encode($out);
`;

function phpCheck(cases: Array<{ input: string; output: string; from: string; to: string }>): Array<{ parses: boolean; same: boolean }> {
  const r = spawnSync('php', ['-r', ORACLE], { input: JSON.stringify(cases), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`php failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** serialize() as PHP does it, for building fixtures (strings by UTF-8 byte length). */
function ser(v: unknown): string {
  if (v === null) return 'N;';
  if (typeof v === 'boolean') return `b:${v ? 1 : 0};`;
  if (typeof v === 'number') return Number.isInteger(v) ? `i:${v};` : `d:${v};`;
  if (typeof v === 'string') return `s:${Buffer.byteLength(v)}:"${v}";`;
  if (Array.isArray(v)) return `a:${v.length}:{${v.map((x, i) => `i:${i};${ser(x)}`).join('')}}`;
  const entries = Object.entries(v as Record<string, unknown>);
  return `a:${entries.length}:{${entries.map(([k, x]) => `${ser(k)}${ser(x)}`).join('')}}`;
}

const serializedCases: Record<string, string> = {
  'flat string': ser(`${FROM}/wp-content/uploads/a.jpg`),
  'nested arrays': ser({ a: { b: [FROM, `${FROM}/x`, 3, true, null, 1.5] }, c: 'no url here' }),
  'multi-byte characters around the URL': ser({ title: `Ünïcødé ✓ 日本語 😀 ${FROM}/café`, e: 'é'.repeat(40) }),
  'string containing ";} and quotes': ser({ tricky: `say "hi"; s:3:"x"; } ${FROM}/?a="b";c='d'` }),
  'double-serialized (serialized string inside serialized string)': ser({ inner: ser({ url: FROM, deeper: ser([`${FROM}/deep`]) }) }),
  'JSON with escaped slashes inside serialized': ser({ json: JSON.stringify({ url: `${FROM}/p` }).replace(/\//g, '\\/') }),
  'object with private and protected properties': `O:8:"WP_Thing":3:{s:3:"url";${ser(FROM)}${ser('\0WP_Thing\0p')}${ser(`${FROM}/priv`)}${ser('\0*\0q')}a:1:{i:0;${ser(FROM)}}}`,
  'integer and string keys, negative ints, floats': `a:4:{i:-5;${ser(FROM)}s:1:"k";d:1.0E+25;i:7;d:-0.5;s:3:"inf";d:INF;}`,
  'references': `a:2:{i:0;${ser(FROM)}i:1;R:2;}`,
  'empty array and empty string': ser({ e: [], s: '', u: FROM }),
  'URL as an array key (keys are left alone, like wp-cli)': `a:1:{${ser(FROM)}${ser(FROM)}}`,
  'Serializable (C:) with a serialized payload': `C:11:"ArrayObject":${Buffer.byteLength(ser([FROM]))}:{${ser([FROM])}}`,
};

describe('replaceInSerialized', () => {
  it('the PHP oracle notices a wrong result', () => {
    const input = serializedCases['double-serialized (serialized string inside serialized string)'];
    expect(phpCheck([{ input, output: input, from: FROM, to: TO }])[0]).toEqual({ parses: true, same: false });
    const naive = input.split(FROM).join(TO);
    expect(phpCheck([{ input, output: naive, from: FROM, to: TO }])[0]).toEqual({ parses: false, same: false });
  });

  it('PHP unserializes every rewritten value to the expected structure', () => {
    const cases = Object.entries(serializedCases).map(([name, input]) => ({ name, input, output: replaceInSerialized(input, FROM, TO), from: FROM, to: TO }));
    for (const c of cases) expect(isSerialized(c.input), c.name).toBe(true);
    const results = phpCheck(cases);
    cases.forEach((c, i) => {
      expect(results[i], c.name).toEqual({ parses: true, same: true });
      if (c.name.startsWith('URL as an array key')) expect(c.output).toContain(`s:${FROM.length}:"${FROM}";s:${TO.length}:"${TO}";`);
      else if (!c.name.startsWith('Serializable')) expect(c.output.includes(FROM), c.name).toBe(false);
    });
  });

  it('also works when the new URL is shorter', () => {
    const input = serializedCases['double-serialized (serialized string inside serialized string)'];
    const output = replaceInSerialized(input, FROM, 'http://a.b');
    expect(phpCheck([{ input, output, from: FROM, to: 'http://a.b' }])[0]).toEqual({ parses: true, same: true });
  });

  it('rewrites an explicit structure exactly', () => {
    const out = replaceInSerialized(ser({ home: FROM, list: [`${FROM}/a`, 'x'] }), FROM, TO);
    expect(out).toBe(ser({ home: TO, list: [`${TO}/a`, 'x'] }));
  });

  it('counts lengths in UTF-8 bytes', () => {
    const out = replaceInSerialized(ser(`日本 ${FROM}`), FROM, 'http://ü.test');
    expect(out).toBe(`s:${Buffer.byteLength('日本 http://ü.test')}:"日本 http://ü.test";`);
  });

  it('replaces in plain text and JSON-escaped URLs', () => {
    expect(replaceInSerialized(`<a href="${FROM}/x">${FROM}</a>`, FROM, TO)).toBe(`<a href="${TO}/x">${TO}</a>`);
    expect(replaceInSerialized('{"u":"http:\\/\\/staging.acme.test\\/p"}', FROM, TO)).toBe('{"u":"https:\\/\\/www.acme-production.example\\/p"}');
  });

  it('does not touch a longer host that merely starts with the URL', () => {
    const v = `${FROM}.evil.example ${FROM}ing ${FROM}-x ${FROM}. ${FROM}:8080 ${FROM}`;
    expect(replaceInSerialized(v, FROM, TO)).toBe(`${FROM}.evil.example ${FROM}ing ${FROM}-x ${TO}. ${TO}:8080 ${TO}`);
  });

  it('handles a new URL that contains the old one without replacing twice', () => {
    expect(replaceInSerialized(ser([FROM]), FROM, `${FROM}/sub`)).toBe(ser([`${FROM}/sub`]));
  });

  it('leaves broken, truncated or lying serialized values byte-identical and reports them', () => {
    const good = ser({ u: FROM, v: 'x' });
    const broken = [
      good.slice(0, -1), // truncated: no closing brace
      good.slice(0, good.indexOf(FROM) + FROM.length + 2), // truncated mid-string
      good.replace(`s:${FROM.length}:`, `s:${FROM.length + 1}:`), // wrong length (a previous naive replace)
      good.replace('a:2:', 'a:3:'), // wrong count
      `${good}garbage`, // trailing data
      `s:5:"${FROM}";`, // length lies
      `a:1:{i:0;${ser(FROM)}`.repeat(1) + 'x}',
      `${'a:1:{i:0;'.repeat(5000)}${ser(FROM)}${'}'.repeat(5000)}`, // deeper than PHP allows
    ];
    for (const b of broken) {
      expect(looksSerialized(b)).toBe(true);
      expect(isSerialized(b)).toBe(false);
      const r = rewriteValue(b, FROM, TO);
      expect(r).toEqual({ value: b, changed: false, unparseable: true });
    }
  });

  it('keeps a broken inner serialized string unchanged but still rewrites its valid siblings', () => {
    const innerBroken = `s:99:"${FROM}";`;
    const v = ser({ bad: innerBroken, ok: FROM });
    const r = rewriteValue(v, FROM, TO);
    expect(r.unparseable).toBe(true);
    expect(r.value).toBe(ser({ bad: innerBroken, ok: TO }));
  });

  it('keeps bytes of strings that are not valid UTF-8 on their own', () => {
    // 'é' is 2 bytes; a length of 1 splits it, so the serialized value is invalid for PHP too.
    expect(isSerialized('s:1:"é";')).toBe(false);
    const v = `a:2:{i:0;s:2:"é";i:1;${ser(FROM)}}`;
    expect(replaceInSerialized(v, FROM, TO)).toBe(`a:2:{i:0;s:2:"é";i:1;${ser(TO)}}`);
  });

  it('returns the very same string when nothing matches or from is empty', () => {
    const v = ser({ a: 'http://other.test' });
    expect(replaceInSerialized(v, FROM, TO)).toBe(v);
    expect(replaceInSerialized(v, '', TO)).toBe(v);
    expect(replaceInSerialized(FROM, FROM, FROM)).toBe(FROM);
    expect(rewriteValue('', FROM, TO)).toEqual({ value: '', changed: false, unparseable: false });
  });

  it('preserves whitespace around a serialized value (WordPress trims before unserializing)', () => {
    expect(replaceInSerialized(` ${ser(FROM)}\n`, FROM, TO)).toBe(` ${ser(TO)}\n`);
  });

  it('treats prose that merely resembles serialized data as text', () => {
    expect(looksSerialized('i: love it; see')).toBe(false);
    expect(replaceInSerialized(`a: see ${FROM}; ok`, FROM, TO)).toBe(`a: see ${TO}; ok`);
  });

  it('accepts every scalar PHP serializes', () => {
    for (const v of ['N;', 'b:0;', 'b:1;', 'i:0;', 'i:-12;', 'd:0.1;', 'd:-INF;', 'd:NAN;', 'd:1.0E-7;', 'a:0:{}', 's:0:"";', 'O:8:"stdClass":0:{}', 'E:7:"Foo:Bar";'])
      expect(isSerialized(v), v).toBe(true);
    for (const v of ['b:2;', 'i:;', 'x:1;', 'a:1:{}', 's:1:"";', 'O:8:"stdClass":1:{}', '', 'N'])
      expect(isSerialized(v), v).toBe(false);
  });
});
