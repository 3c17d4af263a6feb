/**
 * URL helpers shared by transports and targets. Internal: a URL shown to a user never carries a
 * password (reports, errors and debug output all go through `redactUrl`).
 */

/** The URL with any `user:password@` removed (the user name is kept, the password masked). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL we can parse: mask anything that looks like credentials before the host.
    return url.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
  }
}

/** URL schemes MQTT.js-style transports accept, with their default ports. */
export const URL_SCHEMES: Readonly<Record<string, number>> = {
  'mqtt:': 1883,
  'tcp:': 1883,
  'mqtts:': 8883,
  'ssl:': 8883,
  'tls:': 8883,
  'ws:': 80,
  'wss:': 443,
};
