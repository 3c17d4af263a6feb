/** `authorized: { client(s), action, topic }`: the AWS IoT policy allowed the action (POL-2, POL-10). */
import type { AssertionResolver } from '../resolver.js';
import { type AuthorizationShape, resolveAuthorization } from './_authorization.js';

declare module '../types.js' {
  interface AssertionShapes {
    authorized: AuthorizationShape;
  }
}

export const resolveAuthorized: AssertionResolver<'authorized'> = (raw, path, head, cx) =>
  resolveAuthorization('authorized', raw, path, head, cx);
