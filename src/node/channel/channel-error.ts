// The one error the node-to-node channel's callers see: a request that timed out, went
// to an unknown peer, lost its connection before the answer, or failed at the peer.
export class ChannelError extends Error {
  override readonly name = 'ChannelError';

  /** False when the request surely never left this node (a forwarded write did not run). */
  readonly sent: boolean;

  constructor(message: string, options: { readonly sent?: boolean } = {}) {
    super(message);
    this.sent = options.sent ?? true;
  }
}
