/**
 * Policy variables (POL-7): what a connection tells the evaluator about itself, and the value of
 * each `${iot:…}` / `${aws:…}` variable for it. A variable with no value for this connection is
 * `undefined`, and a pattern using it does not match (POL-7 [I]).
 */

/** Who is asking, in policy terms. Built by the broker from its ClientIdentity, or by `policy check`. */
export interface PolicyContext {
  clientId: string;
  /**
   * The thing attached to the connection's principal. In mqscen that is the thing named by the
   * mTLS certificate's subject CN (`--thing NAME` for `policy check`).
   */
  thing?: { name: string; typeName?: string; attributes?: Readonly<Record<string, string>> };
  /** The verified client certificate (mTLS); attribute names as Node gives them (CN, O, OU, C, ST, L, ...). */
  certificate?: {
    subject?: Readonly<Record<string, string>>;
    issuer?: Readonly<Record<string, string>>;
    serialNumber?: string;
    notBefore?: string;
    notAfter?: string;
  };
  sourceIp?: string;
  /** `iot:ConnectAttributes` of the CONNECT (POL-9): `PersistentConnect`, `LastWill`. */
  connectAttributes?: readonly string[];
}

/** Certificate attribute names in policy variables → the short names Node uses. */
const CERT_ATTRIBUTES: Readonly<Record<string, string>> = {
  CommonName: 'CN',
  Organization: 'O',
  OrganizationalUnit: 'OU',
  Country: 'C',
  State: 'ST',
  Locality: 'L',
  SerialNumber: 'serialNumber',
  EmailAddress: 'emailAddress',
  Title: 'title',
  Surname: 'SN',
  GivenName: 'GN',
  Initials: 'initials',
  Pseudonym: 'pseudonym',
  GenerationQualifier: 'generationQualifier',
  DistinguishedNameQualifier: 'dnQualifier',
};

/** Variable names the evaluator knows (without `${}`); `Attributes[…]` stands for any attribute. */
export const KNOWN_VARIABLES: readonly string[] = [
  'iot:ClientId',
  'iot:Connection.Thing.ThingName',
  'iot:Connection.Thing.ThingTypeName',
  'iot:Connection.Thing.Attributes[…]',
  'iot:Connection.Thing.IsAttached',
  'iot:Certificate.SerialNumber',
  'iot:Certificate.Validity.NotBefore',
  'iot:Certificate.Validity.NotAfter',
  ...Object.keys(CERT_ATTRIBUTES).flatMap((a) => [
    `iot:Certificate.Subject.${a}`,
    `iot:Certificate.Issuer.${a}`,
  ]),
  'aws:SourceIp',
];

/** True when the name is one of KNOWN_VARIABLES (matching any thing attribute name). */
export function isKnownVariable(name: string): boolean {
  if (/^iot:Connection\.Thing\.Attributes\[[^\]]+\]$/.test(name)) return true;
  return KNOWN_VARIABLES.includes(name);
}

/**
 * The thing of the connection, as the thing variables see it: only when the client id equals the
 * thing name (POL-7, "thing variables work only if the client ID equals the thing name").
 */
function connectedThing(ctx: PolicyContext): PolicyContext['thing'] {
  return ctx.thing !== undefined && ctx.thing.name === ctx.clientId ? ctx.thing : undefined;
}

/** The value of a variable (name without `${}`) for this connection, or undefined. */
export function resolveVariable(name: string, ctx: PolicyContext): string | undefined {
  if (name === 'iot:ClientId') return ctx.clientId;
  if (name === 'aws:SourceIp') return ctx.sourceIp;
  if (name === 'iot:Connection.Thing.IsAttached') return connectedThing(ctx) !== undefined ? 'true' : 'false';
  if (name.startsWith('iot:Connection.Thing.')) {
    const thing = connectedThing(ctx);
    if (thing === undefined) return undefined;
    const rest = name.slice('iot:Connection.Thing.'.length);
    if (rest === 'ThingName') return thing.name;
    if (rest === 'ThingTypeName') return thing.typeName;
    const attr = /^Attributes\[([^\]]+)\]$/.exec(rest);
    if (attr) return thing.attributes?.[attr[1] as string];
    return undefined;
  }
  if (name.startsWith('iot:Certificate.')) {
    const cert = ctx.certificate;
    if (cert === undefined) return undefined;
    const rest = name.slice('iot:Certificate.'.length);
    if (rest === 'SerialNumber') return cert.serialNumber;
    if (rest === 'Validity.NotBefore') return cert.notBefore;
    if (rest === 'Validity.NotAfter') return cert.notAfter;
    const m = /^(Subject|Issuer)\.(\w+)$/.exec(rest);
    if (m) {
      const short = CERT_ATTRIBUTES[m[2] as string];
      const fields = m[1] === 'Subject' ? cert.subject : cert.issuer;
      return short === undefined ? undefined : fields?.[short];
    }
  }
  return undefined;
}
