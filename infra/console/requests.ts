import { z } from 'zod';
import { InvalidArgumentError } from '../../core/errors.ts';

/** Kafka's own rule for topic names (249 characters of `[a-zA-Z0-9._-]`); group ids follow it here too. */
const kafkaName = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, `${what} is empty`)
    .max(249, `${what} is longer than 249 characters`)
    .regex(/^[a-zA-Z0-9._-]+$/, `${what} may hold only letters, digits, '.', '_' and '-'`)
    .refine((v) => v !== '.' && v !== '..', `${what} cannot be '.' or '..'`);

/** A record key as the groups block it: an aggregate id, printable, at most 1 KiB. */
const recordKey = z
  .string({ error: 'key must be a string' })
  .min(1, 'key is empty')
  .max(1024, 'key is longer than 1024 characters')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'key holds control characters');

/** `POST /api/dlq/replay`. */
export const replayRequest = z.strictObject({
  group: kafkaName('group'),
  /** One dead-letter topic of the group (or its source topic); default: all of the group's. */
  topic: kafkaName('topic').optional(),
  fromStart: z.boolean({ error: 'fromStart must be true or false' }).optional(),
});
export type ReplayRequest = z.infer<typeof replayRequest>;

/** `POST /api/dlq/release-key`. */
export const releaseKeyRequest = z.strictObject({
  group: kafkaName('group'),
  topic: kafkaName('topic'),
  key: recordKey,
  force: z.boolean({ error: 'force must be true or false' }).optional(),
});
export type ReleaseKeyRequest = z.infer<typeof releaseKeyRequest>;

/** Query of the read-only views: one group, test groups too, how many dead letters to decode. */
export const viewQuery = z.strictObject({
  group: kafkaName('group').optional(),
  all: z.enum(['0', '1'], { error: 'all must be 0 or 1' }).optional(),
  show: z
    .string()
    .regex(/^\d{1,3}$/, 'show must be a number from 0 to 50')
    .transform(Number)
    .refine((n) => n <= 50, 'show must be a number from 0 to 50')
    .optional(),
});
export type ViewQuery = z.infer<typeof viewQuery>;

/**
 * Parses an untrusted request with `schema` (pure).
 *
 * @throws InvalidArgumentError naming every field that is wrong (HTTP 400).
 */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new InvalidArgumentError(
    r.error.issues.map((i) => {
      const at = i.path.length > 0 ? `${i.path.join('.')}: ` : '';
      // zod names an unknown key in `keys`: echo it cut short, never a whole hostile value.
      return `${what}: ${at}${i.message.slice(0, 200)}`;
    }),
  );
}
