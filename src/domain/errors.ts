/**
 * The one error registry. Every error the platform returns has a stable code, an HTTP status
 * and a default message. Domain and app code throw {@link BbwsError}; only the HTTP layer turns
 * it into a response. `docs/errors.md` documents every code (a unit test checks this).
 */
export type ErrorKind = 'user' | 'operational' | 'unexpected';

export interface ErrorDefinition {
  readonly status: number;
  readonly kind: ErrorKind;
  readonly message: string;
}

export const ERRORS = {
  VALIDATION_FAILED: { status: 400, kind: 'user', message: 'The request is not valid.' },
  INVALID_JSON: { status: 400, kind: 'user', message: 'The request body is not valid JSON.' },
  INVALID_TENANT_ID: {
    status: 400,
    kind: 'user',
    message: 'Tenant names are 3-32 characters of lowercase letters and digits.',
  },
  BAD_REQUEST: { status: 400, kind: 'user', message: 'The request is not valid HTTP/1.1 (request line, method or headers).' },
  HOSTNAME_INVALID: { status: 400, kind: 'user', message: 'The host name is not a lower-case DNS name without a trailing dot.' },
  HOSTNAME_IP_LITERAL: { status: 400, kind: 'user', message: 'IP addresses cannot be used as host names.' },
  HOSTNAME_RESERVED: { status: 403, kind: 'user', message: "The host name belongs to the platform (its base domain, localhost or a special-use name)." },
  HOSTNAME_OTHER_TENANT: { status: 403, kind: 'user', message: "The host name is in another tenant's namespace." },
  DOMAIN_NOT_VERIFIED: { status: 403, kind: 'user', message: 'The host name is a custom domain this tenant has not verified.' },
  LOGS_QUERY_INVALID: { status: 400, kind: 'user', message: 'The log query is not valid Logs Insights syntax; the message names the line and column.' },
  LOGS_TIME_RANGE_INVALID: { status: 400, kind: 'user', message: 'The time range of the log query is not valid.' },
  ALARM_SETTING_INVALID: { status: 400, kind: 'user', message: 'The alarm setting is not valid.' },
  INVALID_EVENT: { status: 400, kind: 'user', message: 'The event is not an ECS EventBridge event.' },
  UNAUTHORIZED: { status: 401, kind: 'user', message: 'A valid bearer token is required.' },
  TOKEN_EXPIRED: { status: 401, kind: 'user', message: 'The bearer token has expired.' },
  FORBIDDEN: { status: 403, kind: 'user', message: 'This role may not perform this action.' },
  NOT_FOUND: { status: 404, kind: 'user', message: 'No such resource.' },
  TENANT_NOT_FOUND: { status: 404, kind: 'user', message: 'No such tenant.' },
  OPERATION_NOT_FOUND: { status: 404, kind: 'user', message: 'No such operation.' },
  QUEUE_NOT_FOUND: { status: 404, kind: 'user', message: 'No such queue.' },
  SITE_NOT_FOUND: { status: 404, kind: 'user', message: 'No such site.' },
  TEMPLATE_NOT_FOUND: { status: 404, kind: 'user', message: 'No such template.' },
  PLUGIN_NOT_FOUND: { status: 404, kind: 'user', message: 'No such plugin in the marketplace or on this site.' },
  WEBHOOK_NOT_FOUND: { status: 404, kind: 'user', message: 'No such webhook.' },
  DOMAIN_NOT_FOUND: { status: 404, kind: 'user', message: 'This tenant has not claimed this domain.' },
  EDGE_BASIC_AUTH_NOT_SET: {
    status: 404,
    kind: 'user',
    message: 'The edge of this environment has not started yet, so it has no basic-auth password: start `bbws up`, then ask again.',
  },
  ALARM_NOT_FOUND: { status: 404, kind: 'user', message: 'No such alarm.' },
  BACKUP_NOT_FOUND: { status: 404, kind: 'user', message: 'No such backup (or not one of this tenant).' },
  BACKUP_NO_CHECKPOINT: { status: 404, kind: 'user', message: 'There is no in-place restore to undo for this tenant or site.' },
  BACKUP_RETENTION_INVALID: { status: 400, kind: 'user', message: 'A retention policy is a list like 10l,24h,7d,4w,3m (the last N; the newest of N hours, days, weeks, months).' },
  BACKUP_SCHEDULE_INVALID: { status: 400, kind: 'user', message: 'A backup schedule is a list like full=24h,incremental=1h,verify=24h, or off.' },
  RESTORE_TARGET_EXISTS: { status: 409, kind: 'user', message: 'The restore target tenant exists; restore to a new tenant name, or restore in place (--in-place --yes), which takes a checkpoint first.' },
  BACKUP_PASSPHRASE_INVALID: { status: 401, kind: 'user', message: 'The backup passphrase does not open this platform backup (or the repository); nothing was changed.' },
  PLATFORM_RESTORE_TARGET_NOT_EMPTY: { status: 409, kind: 'user', message: 'The data dir of a platform restore must be new or empty (or left by a failed platform restore, which is then retried).' },
  BACKUP_REPOSITORY_UNAVAILABLE: { status: 503, kind: 'operational', message: 'The backup repository cannot be reached or opened; check BBWS_BACKUP_REPOSITORY and its credentials.' },
  METHOD_NOT_ALLOWED: { status: 405, kind: 'user', message: 'Method not allowed on this resource.' },
  TENANT_EXISTS: { status: 409, kind: 'user', message: 'A tenant with this name already exists.' },
  SITE_EXISTS: { status: 409, kind: 'user', message: 'This tenant already has a site with this name.' },
  HOSTNAME_TAKEN: { status: 409, kind: 'user', message: 'The host name is already routed to another tenant.' },
  DOMAIN_TAKEN: { status: 409, kind: 'user', message: 'Another tenant has verified this domain.' },
  VERSION_CONFLICT: {
    status: 409,
    kind: 'user',
    message: 'The resource changed since you read it; read it again and retry with the new version.',
  },
  OPERATION_IN_PROGRESS: {
    status: 409,
    kind: 'user',
    message: 'Another operation is running for this tenant; wait for it to finish.',
  },
  INVALID_STATE: { status: 409, kind: 'user', message: 'The resource is not in a state that allows this.' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    kind: 'user',
    message: 'This Idempotency-Key was used with a different request.',
  },
  PLUGIN_SECURITY_VIOLATION: {
    status: 422,
    kind: 'user',
    message: 'The plugin failed security vetting and was not installed; details.violations says why.',
  },
  REQUEST_TIMEOUT: { status: 408, kind: 'user', message: 'The request was not received in time.' },
  URI_TOO_LONG: { status: 414, kind: 'user', message: 'A path parameter is longer than 100 characters.' },
  HEADERS_TOO_LARGE: { status: 431, kind: 'user', message: 'The request headers are too large.' },
  DOMAIN_CHALLENGE_FAILED: { status: 422, kind: 'user', message: 'The DNS TXT record that proves ownership of the domain was not found.' },
  PAYLOAD_TOO_LARGE: { status: 413, kind: 'user', message: 'The request body is larger than 1 MiB.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, kind: 'user', message: 'Send JSON with Content-Type: application/json.' },
  RATE_LIMITED: { status: 429, kind: 'user', message: 'Too many requests for this token; slow down.' },
  TLS_CERTIFICATE_INVALID: { status: 400, kind: 'user', message: 'The certificate is not PEM-encoded X.509.' },
  TLS_KEY_INVALID: { status: 400, kind: 'user', message: 'The private key is not an unencrypted PEM private key.' },
  TLS_KEY_MISMATCH: { status: 422, kind: 'user', message: 'The private key does not belong to the certificate.' },
  TLS_CHAIN_INVALID: { status: 422, kind: 'user', message: 'The certificate chain does not link up to a trusted root.' },
  TLS_CERTIFICATE_EXPIRED: { status: 422, kind: 'user', message: 'The certificate (or one of its chain) is expired or not valid yet.' },
  TLS_NAME_MISMATCH: { status: 422, kind: 'user', message: 'The certificate does not cover this host name.' },
  CERTIFICATE_NOT_FOUND: { status: 404, kind: 'user', message: 'No certificate by this name: it is not a routed host name (`bbws certs list` shows the names).' },
  TLS_DISABLED: { status: 409, kind: 'user', message: 'TLS is off on this platform: start bbws with --tls auto (BBWS_TLS=auto).' },
  CERTIFICATE_ISSUANCE_FAILED: { status: 502, kind: 'operational', message: 'The certificate authority did not issue the certificate.' },
  INTERNAL_ERROR: { status: 500, kind: 'unexpected', message: 'An internal error occurred.' },
  RUNTIME_UNAVAILABLE: {
    status: 503,
    kind: 'operational',
    message: 'This action needs the WordPress runtime, which this process does not run; use `bbws up` (API and worker together).',
  },
  DNS_UNAVAILABLE: { status: 503, kind: 'operational', message: 'The DNS resolver did not answer.' },
  QUEUE_UNAVAILABLE: { status: 503, kind: 'operational', message: 'The message queue service did not complete the request; retry shortly.' },
  STORE_UNAVAILABLE: { status: 503, kind: 'operational', message: 'The state store is unavailable.' },
  INSUFFICIENT_STORAGE: { status: 507, kind: 'operational', message: "The platform's disk is full; nothing was changed." },
  RUNTIME_FAILURE: { status: 502, kind: 'operational', message: 'The runtime failed to carry out a step.' },
  DEADLINE_EXCEEDED: { status: 504, kind: 'operational', message: 'The operation did not finish before its deadline.' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERRORS;

/** An error with a registered code. `details` is safe to show to the caller. */
/**
 * True for "the disk is full" from SQLite (SQLITE_FULL) or the file system (ENOSPC, EDQUOT), on
 * the error or its causes: answered 507 INSUFFICIENT_STORAGE, not a generic 503 or 500.
 */
export function isDiskFull(err: unknown): boolean {
  for (let e = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(SQLITE_FULL|ENOSPC|EDQUOT)/.test(code)) return true;
  }
  return false;
}

export class BbwsError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message?: string, details: Record<string, unknown> = {}) {
    super(message ?? ERRORS[code].message);
    this.name = 'BbwsError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}

export function isBbwsError(err: unknown): err is BbwsError {
  return err instanceof BbwsError;
}

/** The message of anything thrown (an Error's message, else the value as text): for logs and journals. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
