import { groups } from './groups.ts';
import { runGroupMain } from './run-group.ts';

// `npm run consumer -- <group>`: runs one consumer group in this process until SIGTERM/SIGINT.
// Start more processes with the same group to scale out; each takes a share of the partitions.
const usage =
  `usage: npm run consumer -- <group>\n  groups: ${Object.keys(groups).join(', ')}\n` +
  '  env: OUTSTREAM_LOG_LEVEL (info), OUTSTREAM_HEALTH_PORT (the group default; busy → any free port),\n' +
  '       OUTSTREAM_START_AT (end|beginning: where a new group starts), OUTSTREAM_GROUP_SUFFIX (group id <name>.<suffix>),\n' +
  '       and the stack settings of `npm run -s stack:env`';
const name = process.argv[2];
if (name === '--help' || name === '-h') {
  console.log(usage);
  process.exit(0);
}
const def = name === undefined ? undefined : groups[name];
if (!def) {
  console.error(usage);
  process.exit(2);
}
runGroupMain(def);
