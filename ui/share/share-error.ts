/**
 * What the share page shows when it cannot open a link: a short code (the node's own refusal code
 * when a node refused, such as `TOKEN_EXPIRED` or `TOKEN_REVOKED`) and a sentence for people.
 *
 * @example
 * throw new ShareError('STRIPE_UNAVAILABLE', 'stripe 3 cannot be read: data column 1 did not answer', { stripe: 3 });
 */
export class ShareError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ShareError';
    this.code = code;
    this.details = details;
  }
}
