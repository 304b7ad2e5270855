/**
 * Load generators run as child processes (so they do not share the measured server's event
 * loop) that print one JSON result: autocannon at saturation, or bench/lib/open-loop.ts.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const autocannonBin = createRequire(import.meta.url).resolve('autocannon');

/** Runs autocannon (saturation) as a child process and parses its --json result. */
export function runAutocannonChild(
  url: string,
  options: { seconds: number; connections: number; headers?: Record<string, string>; method?: string; signal: AbortSignal },
): Promise<Record<string, any>> {
  const argv = [autocannonBin, '--json', '--no-progress', '-c', String(options.connections), '-d', String(options.seconds)];
  if (options.method) argv.push('-m', options.method);
  for (const [k, v] of Object.entries(options.headers ?? {})) argv.push('-H', `${k}=${v}`);
  argv.push(url);
  return runJsonChild(argv, options.signal);
}

export function runJsonChild(argv: string[], signal: AbortSignal): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}: ${err.trim()}`));
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`load generator printed no JSON: ${out.slice(0, 200)} ${err.slice(0, 200)}`));
      }
    });
  });
}
