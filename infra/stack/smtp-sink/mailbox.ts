import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';

/** One message the sink received, as its JSON file and the HTTP API show it. */
export interface ReceivedMail {
  /** The sink's own id (also the file name, without extension). */
  id: string;
  receivedAt: string;
  /** The SMTP envelope: `MAIL FROM` and every accepted `RCPT TO`. */
  envelope: { from: string; to: string[] };
  /** The `Message-ID` header, angle brackets included, or null. */
  messageId: string | null;
  subject: string;
  from: string;
  to: string;
  text: string;
  html: string | null;
  /** Every header, lower-case names, values as text (repeated headers joined by ", "). */
  headers: Record<string, string>;
  sizeBytes: number;
  /** The raw message on disk (RFC 5322 `.eml`). */
  emlFile: string;
}

/**
 * The sink's store: each message as `<id>.eml` (raw) and `<id>.json` (parsed) under `dir`,
 * plus an in-memory index rebuilt from the JSON files at start, so a restarted sink still
 * serves what it received before.
 */
export function createMailbox(dir: string) {
  mkdirSync(dir, { recursive: true });
  const index: ReceivedMail[] = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => {
      try {
        return [JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as ReceivedMail];
      } catch {
        return [];
      }
    });

  return {
    /** Stores one message; resolves once both files are written. */
    async store(raw: Buffer, parsed: ParsedMail, envelope: ReceivedMail['envelope']): Promise<ReceivedMail> {
      const receivedAt = new Date();
      const id = `${receivedAt.getTime()}-${randomUUID().slice(0, 8)}`;
      const emlFile = path.join(dir, `${id}.eml`);
      const headers: Record<string, string> = {};
      for (const line of parsed.headerLines) {
        const name = line.key.toLowerCase();
        const value = line.line.slice(line.line.indexOf(':') + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      const mail: ReceivedMail = {
        id,
        receivedAt: receivedAt.toISOString(),
        envelope,
        messageId: parsed.messageId ?? null,
        subject: parsed.subject ?? '',
        from: parsed.from?.text ?? '',
        to: (Array.isArray(parsed.to) ? parsed.to.map((a) => a.text).join(', ') : parsed.to?.text) ?? '',
        text: parsed.text ?? '',
        html: typeof parsed.html === 'string' ? parsed.html : null,
        headers,
        sizeBytes: raw.length,
        emlFile,
      };
      await writeFile(emlFile, raw);
      await writeFile(path.join(dir, `${id}.json`), `${JSON.stringify(mail, null, 2)}\n`);
      index.push(mail);
      return mail;
    },

    /** Messages in arrival order, filtered by recipient (envelope or header, case-insensitive) and more. */
    list(filter: { to?: string; messageId?: string; subject?: string; limit?: number } = {}): ReceivedMail[] {
      const to = filter.to?.toLowerCase();
      const found = index.filter(
        (m) =>
          (to === undefined ||
            m.envelope.to.some((a) => a.toLowerCase() === to) ||
            m.to.toLowerCase().includes(to)) &&
          (filter.messageId === undefined || m.messageId === filter.messageId) &&
          (filter.subject === undefined || m.subject.includes(filter.subject)),
      );
      return filter.limit === undefined ? found : found.slice(-filter.limit);
    },

    get(id: string): ReceivedMail | undefined {
      return index.find((m) => m.id === id);
    },

    /** Deletes every stored message (files and index); returns how many there were. */
    clear(): number {
      const n = index.length;
      for (const m of index.splice(0)) {
        rmSync(m.emlFile, { force: true });
        rmSync(m.emlFile.replace(/\.eml$/, '.json'), { force: true });
      }
      return n;
    },

    get size() {
      return index.length;
    },
  };
}

/** The store {@link createMailbox} returns. */
export type Mailbox = ReturnType<typeof createMailbox>;
