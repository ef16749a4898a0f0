import { runGroupMain } from '../runtime/run-group.ts';
import { cacheInvalidation } from './definition.ts';

runGroupMain(cacheInvalidation);
