import { runGroupMain } from '../runtime/run-group.ts';
import { analytics } from './definition.ts';

runGroupMain(analytics);
