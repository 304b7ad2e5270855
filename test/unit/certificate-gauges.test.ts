/** The certificates' alarm gauges: days to the nearest expiry, and failed issuances. */
import { describe, expect, it } from 'vitest';
import { certificateGauges } from '../../src/domain/certificate-gauges.js';
import { DEFAULT_ALARMS } from '../../src/domain/alarms.js';

const now = Date.parse('2030-01-01T00:00:00Z');
const inDays = (d: number) => new Date(now + d * 86_400_000).toISOString();

describe('certificate gauges', () => {
  it('gives the days left on the certificate closest to expiry, and counts failed issuances', () => {
    const g = certificateGauges(
      [
        { status: 'valid', notAfter: inDays(60), lastError: null },
        { status: 'valid', notAfter: inDays(9.5), lastError: 'acme: rate limited' },
        { status: 'pending', notAfter: null, lastError: null },
        { status: 'failed', notAfter: null, lastError: 'connection refused' },
      ],
      now,
    );
    expect(g).toEqual({ expiryDaysMin: 9.5, failed: 2 });
    expect(certificateGauges([], now)).toEqual({ expiryDaysMin: null, failed: 0 });
  });

  it('is read by the expiry alarm (< 14 days) and the failed-issuance alarm (> 0)', () => {
    const expiry = DEFAULT_ALARMS.find((a) => a.name === 'bbws-wp-certificate-expiry')!;
    expect(expiry).toMatchObject({ comparison: '<', threshold: 14, metric: { kind: 'gauge', gauge: { name: 'bbws_certificate_expiry_days_min' } } });
    const failed = DEFAULT_ALARMS.find((a) => a.name === 'bbws-wp-certificate-issuance-failed')!;
    expect(failed).toMatchObject({ comparison: '>', threshold: 0, metric: { kind: 'gauge', gauge: { name: 'bbws_certificates_failed' } } });
  });
});
