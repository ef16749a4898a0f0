import type { GroupDefinition } from '../../consumers/runtime/run-group.ts';
import { InvalidArgumentError } from '../../core/errors.ts';

/**
 * The definition whose handlers serve `group` (pure): the one named `definition` when given,
 * else the one named like the group, else the one its name starts with (`notifications.staging`
 * is the `notifications` definition run with a group suffix, as `OUTSTREAM_GROUP_SUFFIX` does).
 *
 * @throws InvalidArgumentError naming the definitions there are.
 */
export function resolveDefinition(
  definitions: Readonly<Record<string, GroupDefinition>>,
  group: string,
  definition?: string,
): GroupDefinition {
  const names = Object.keys(definitions);
  const byName = (n: string) => (Object.hasOwn(definitions, n) ? definitions[n] : undefined);
  if (definition !== undefined) {
    const d = byName(definition);
    if (d) return d;
    throw new InvalidArgumentError([
      `--definition ${definition}: not a consumer group definition (${names.join(', ')})`,
    ]);
  }
  const d = byName(group) ?? byName(group.slice(0, Math.max(0, group.indexOf('.'))));
  if (d) return d;
  throw new InvalidArgumentError([
    `--group ${group}: no consumer group definition runs it (${names.join(', ')}); ` +
      'name the one whose handlers to use with --definition <name>',
  ]);
}
