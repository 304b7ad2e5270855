/** Which addresses a tenant's webhook may call (public-address.ts), and the resolver that enforces it. */
import { describe, expect, it } from 'vitest';
import { NotPublicAddressError, isPublicAddress, publicOnlyLookup } from '../../src/adapters/notifier/public-address.js';

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', true],
    ['93.184.215.14', true],
    ['2606:4700:4700::1111', true],
    ['[2606:4700:4700::1111]', true],
    ['127.0.0.1', false],
    ['127.255.0.9', false],
    ['0.0.0.0', false],
    ['10.0.0.1', false],
    ['172.16.5.4', false],
    ['172.31.255.255', false],
    ['172.32.0.1', true],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['198.18.0.1', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['::1', false],
    ['[::1]', false],
    ['::', false],
    ['fe80::1', false],
    ['fd00::1', false],
    ['ff02::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:7f00:1', false],
    ['::ffff:8.8.8.8', true],
    ['64:ff9b::a9fe:a9fe', false],
    ['2001:db8::1', false],
    ['localhost', false],
    ['example.com', false],
    ['', false],
  ])('%s → %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('publicOnlyLookup', () => {
  it('refuses a name that resolves only to loopback addresses', async () => {
    const err = await new Promise<unknown>((resolve) => publicOnlyLookup('localhost', { all: true }, (e) => resolve(e)));
    expect(err).toBeInstanceOf(NotPublicAddressError);
    expect((err as NotPublicAddressError).code).toBe('EADDRNOTPUBLIC');
  });

  it('passes resolver errors through', async () => {
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => publicOnlyLookup('no-such-host.invalid', {}, (e) => resolve(e)));
    expect(err?.code).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });
});
