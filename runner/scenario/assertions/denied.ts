/** `denied: { client(s), action, topic }`: the AWS IoT policy refused the action (POL-2, POL-10). */
import type { AssertionResolver } from '../resolver.js';
import { type AuthorizationShape, resolveAuthorization } from './_authorization.js';

declare module '../types.js' {
  interface AssertionShapes {
    denied: AuthorizationShape;
  }
}

export const resolveDenied: AssertionResolver<'denied'> = (raw, path, head, cx) =>
  resolveAuthorization('denied', raw, path, head, cx);
