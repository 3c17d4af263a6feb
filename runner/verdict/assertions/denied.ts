/** `denied`: the AWS IoT policy refused the action for every named client (POL-2, POL-10). */
import { checkAuthorization } from './_authorization.js';
import type { AssertionCheck } from './assertion.js';

export const checkDenied: AssertionCheck<'denied'> = (a, ctx) => checkAuthorization(a, ctx);
