/**
 * One webhook POST over node:http(s): the status code of the answer, whose body is not read.
 * Redirects are not followed (a receiver must not bounce the request elsewhere). With
 * `publicOnly` the connection may only go to a public address (public-address.ts), checked on
 * the address actually connected to.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { bareHost } from '../../domain/webhook.js';
import { NotPublicAddressError, isNonPublicLiteral, publicOnlyLookup } from './public-address.js';

export function postOnce(url: string, headers: Record<string, string>, body: string, options: { signal: AbortSignal; publicOnly: boolean }): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    // An IP literal is connected to without a lookup: check it here.
    if (options.publicOnly && isNonPublicLiteral(target.hostname)) return reject(new NotPublicAddressError(target.hostname, bareHost(target.hostname)));
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        signal: options.signal,
        ...(options.publicOnly ? { lookup: publicOnlyLookup } : {}),
      },
      (res) => {
        // The body is of no interest: closing frees the connection without reading a large answer.
        res.destroy();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
