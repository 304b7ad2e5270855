/**
 * Notifications of the topic `bbws-wp-notifications-<env>` (seed 001): what happened to a site,
 * as the receivers of webhooks see it.
 */
/** `alarm.state-changed` is platform-wide: only operator webhooks (added without a tenant) receive it. */
export const NOTIFICATION_TYPES = ['site.created', 'site.failed', 'site.deleted', 'site.promoted', 'alarm.state-changed'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export interface Notification {
  /**
   * Unique per notification, chosen by the use case that causes it: publishing the same id twice
   * (an outbox entry relayed again after a crash) delivers it once. Sent to receivers as `id`.
   */
  notificationId: string;
  type: NotificationType;
  /** Empty for platform-wide notifications (alarm.state-changed). */
  tenantId: string;
  siteId: string;
  /** Safe to send to customers' endpoints: never secrets. */
  data: Record<string, unknown>;
  occurredAt: string;
}
