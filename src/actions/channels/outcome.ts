/** How one delivery attempt ended. */
export type Outcome =
  | { ok: true; messageId?: string; note?: string }
  /**
   * transient: worth trying again later (4xx, timeouts, dropped connections);
   * unreachable: the channel itself cannot be reached, so the rest of this pass waits too.
   */
  | { ok: false; error: string; transient: boolean; unreachable?: boolean };

/** A place actions of one kind are delivered to. */
export interface Channel<Payload> {
  deliver(payload: Payload, key: string): Promise<Outcome>;
  close(): Promise<void> | void;
}
