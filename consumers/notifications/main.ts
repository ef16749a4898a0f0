import { runGroupMain } from '../runtime/run-group.ts';
import { notifications } from './definition.ts';

runGroupMain(notifications);
