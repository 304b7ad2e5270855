/**
 * What the alarms read of the edge's certificates: the days left on the one closest to expiry
 * (`bbws_certificate_expiry_days_min`, alarm bbws-wp-certificate-expiry) and how many have a failed
 * issuance pending (`bbws_certificates_failed`, alarm bbws-wp-certificate-issuance-failed). Pure.
 */
export interface CertificateFacts {
  status: string;
  notAfter: string | null;
  lastError: string | null;
}

export function certificateGauges(certs: readonly CertificateFacts[], now: number): { expiryDaysMin: number | null; failed: number } {
  let min: number | null = null;
  for (const c of certs) {
    if (!c.notAfter) continue;
    const days = (Date.parse(c.notAfter) - now) / 86_400_000;
    if (min === null || days < min) min = days;
  }
  return { expiryDaysMin: min === null ? null : Math.round(min * 100) / 100, failed: certs.filter((c) => c.lastError !== null).length };
}
