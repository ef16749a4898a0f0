import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** Options of {@link startSmtpProbe}. */
export interface SmtpProbeOptions {
  /**
   * Runs once a message is fully received and before the server answers `250` for it: a fault
   * injected here lands exactly between the server's acceptance and the sender's knowing it.
   */
  beforeAccept?: (recipients: readonly string[]) => Promise<void>;
  /** Port to listen on (default any free one; pass the old one to restart a closed probe). */
  port?: number;
}

/** A running probe: what it received, per recipient. */
export interface SmtpProbe {
  port: number;
  url: string;
  /** Messages received (acknowledged or not), per envelope recipient, lower-cased. */
  received: Map<string, number>;
  /** Stops listening and drops every connection (the server "goes away"). */
  close(): Promise<void>;
}

/**
 * A real SMTP server (`smtp-server`, as the stack's sink) for fault tests: it accepts every
 * recipient, counts what it received, and can run a fault between receiving a message and
 * acknowledging it. No TLS, no authentication, loopback only.
 */
export async function startSmtpProbe(
  o: SmtpProbeOptions = {},
  received = new Map<string, number>(),
): Promise<SmtpProbe> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // Closing drops open connections at once (the default waits 30 s for clients to quit).
    closeTimeout: 50,
    onData(stream, session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        for (const a of to) received.set(a, (received.get(a) ?? 0) + 1);
        (o.beforeAccept?.(to) ?? Promise.resolve()).then(
          () => callback(),
          (e: Error) => callback(e),
        );
      });
    },
  });
  server.on('error', () => {});
  const port = await new Promise<number>((resolve, reject) => {
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port));
    server.server.once('error', reject);
  });
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}
