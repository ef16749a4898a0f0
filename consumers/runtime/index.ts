/**
 * Running consumer groups: the `GroupDefinition` each group folder exports, `startGroup` /
 * `runGroupMain` (config, clients, health server, signals), the registry of the platform's
 * groups, and group commit. `npm run consumer -- <group>` and `npm start` use it.
 */

export type { GroupCommitOptions } from './group-commit.ts';
export { createGroupCommit } from './group-commit.ts';
export { groups } from './groups.ts';
export type {
  BuiltGroup,
  GroupContext,
  GroupDefinition,
  RunningGroup,
  StartGroupOptions,
} from './run-group.ts';
export { runGroupMain, startGroup } from './run-group.ts';
