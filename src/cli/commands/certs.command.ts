/**
 * `bbws certs list|renew|set|ca`: the edge's TLS certificates (docs/tls.md), through the API.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../api-client.js';
import { printJson, printRecord, printTable } from '../output.js';
import { clientFor, type CommonOptions } from './common.js';

interface CertificateView {
  name: string;
  source: string | null;
  status: string;
  issuer: string | null;
  notAfter: string | null;
  renewAt: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}

const path = (name: string) => `/v1.0/admin/certificates/${encodeURIComponent(name)}`;

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(`Cannot read the ${what} from ${file}: ${(err as Error).message}`);
  }
}

export function registerCertsCommands(program: Command): void {
  const certs = program.command('certs').description("the edge's TLS certificates (docs/tls.md)");

  certs.command('list').description('each certificate with its source, issuer, expiry, renewal time and last failure').action(async (opts: CommonOptions) => {
    const result = await (await clientFor(opts)).request<{ mode: string; items: CertificateView[] }>('GET', '/v1.0/admin/certificates');
    if (opts.json) return printJson(result);
    printTable(result.items.map((c) => ({ ...c, issuer: c.issuer?.match(/CN=([^,]+)/)?.[1] ?? c.issuer, lastError: c.lastError ? `${c.lastError.slice(0, 60)}${c.lastError.length > 60 ? '…' : ''}` : null })), ['name', 'source', 'status', 'issuer', 'notAfter', 'renewAt', 'lastError', 'nextAttemptAt']);
    const failed = result.items.filter((c) => c.status === 'failed' || c.status === 'expired');
    if (failed.length) process.stdout.write(`\n${failed.length} not issued: those sites keep serving over HTTP. See \`bbws certs list --json\` for the full error, then \`bbws certs renew NAME\`.\n`);
  });

  certs.command('renew <name>').description('issue the certificate of a routed host name again now').action(async (name: string, opts: CommonOptions) => {
    const info = await (await clientFor(opts)).request<CertificateView>('POST', `${path(name)}/renew`);
    if (opts.json) return printJson(info);
    printRecord({ name: info.name, source: info.source, status: info.status, issuer: info.issuer, notAfter: info.notAfter, renewAt: info.renewAt });
  });

  certs.command('set <name>').description("install an operator's certificate for a routed host name (validated; the platform never renews it)")
    .requiredOption('--cert <file>', 'PEM: the certificate, then its intermediates')
    .requiredOption('--key <file>', 'PEM: the unencrypted private key')
    .action(async (name: string, opts: CommonOptions & { cert: string; key: string }) => {
      const body = { certificate: readPem(opts.cert, 'certificate'), privateKey: readPem(opts.key, 'private key') };
      const info = await (await clientFor(opts)).request<CertificateView>('PUT', path(name), body);
      if (opts.json) return printJson(info);
      printRecord({ name: info.name, source: info.source, status: info.status, issuer: info.issuer, notAfter: info.notAfter });
    });

  certs.command('ca').description("print the platform's local CA certificate (PEM), for a browser or curl --cacert to trust").action(async (opts: CommonOptions) => {
    const { certificate } = await (await clientFor(opts)).request<{ certificate: string }>('GET', '/v1.0/admin/certificates/ca');
    if (opts.json) return printJson({ certificate });
    process.stdout.write(certificate.endsWith('\n') ? certificate : `${certificate}\n`);
  });
}
