/** `authorized`: the AWS IoT policy allowed the action for every named client (POL-2, POL-10). */
import { checkAuthorization } from './_authorization.js';
import type { AssertionCheck } from './assertion.js';

export const checkAuthorized: AssertionCheck<'authorized'> = (a, ctx) => checkAuthorization(a, ctx);
