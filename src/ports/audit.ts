/**
 * The audit log (seed 002 "Security Monitoring"): one entry per mutating action through the API
 * or the CLI, and per rejected token. Append-only and hash-chained, so that an edited, deleted,
 * inserted or reordered entry is found by {@link AuditLog.verify}. Entries hold no secrets: no
 * request bodies, no tokens, no query strings.
 */

/** Who acted. API calls: the token's subject, role and tenant; local CLI commands: the Unix user. */
export interface AuditActor {
  subject: string;
  role: string;
  tenantId: string | null;
}

export interface AuditEntryInput {
  actor: AuditActor | null;
  /** Client address of the request, or `local` for a CLI command that acted without the API. */
  sourceIp: string;
  /** `POST /v1.0/tenants/:tenantId/sites`, `AUTH_REJECTED`, `TOKEN_CREATE`, … */
  action: string;
  /** What was acted on: the request path (no query string), or the object of a CLI command. */
  target: string;
  /** The tenant the action concerns, when there is one (what a tenant-admin may list). */
  tenantId: string | null;
  result: { statusCode: number; errorCode: string | null };
  correlationId: string | null;
  /** Small, secret-free facts (a rejected token's reason, a role a token was minted for). */
  details?: Record<string, string | number | boolean | null>;
}

export interface AuditEntry extends AuditEntryInput {
  seq: number;
  time: string;
  prev: string;
  hash: string;
}

export interface AuditFilter {
  /** ISO time; entries at or after it. */
  since?: string;
  tenantId?: string;
  /** Matches the actor's subject. */
  actor?: string;
  /** Matches the action exactly or as a prefix (`POST`, `TOKEN_CREATE`). */
  action?: string;
  /** Newest entries kept when more match (default 1000). */
  limit?: number;
}

/** One place where the chain does not hold, with the line it was found on. */
export interface AuditProblem {
  line: number;
  seq: number | null;
  kind: 'edited' | 'deleted-or-reordered' | 'not-an-entry' | 'torn-tail';
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** Seq and hash of the last entry (what an operator may note down to detect truncation later). */
  head: { seq: number; hash: string } | null;
  problems: AuditProblem[];
  /** Torn tails a writer repaired earlier (AUDIT_TAIL_REPAIRED entries). */
  repairs: { seq: number; time: string; bytes: number }[];
}

export interface AuditLog {
  /**
   * Appends one entry, synchronously (a returned call is in the file: a kill -9 afterwards loses
   * nothing). Never throws: a failure to write is reported through the platform log.
   */
  record(input: AuditEntryInput): void;
  /**
   * Retention: removes the entries older than `olderThan` (ISO time) from the front of the log and
   * records an `AUDIT_EXPIRED` entry; verify still holds over what is kept. Returns how many went.
   */
  expire(olderThan: string): number;
  list(filter: AuditFilter): Promise<AuditEntry[]>;
  verify(): Promise<AuditVerification>;
  close(): void;
}
