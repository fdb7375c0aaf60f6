import { createHmac } from "node:crypto";

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** An HS256 JWT as the API expects it (DESIGN §4): `sub` user id, `exp`, optional role. */
export function hs256Token(secret: string, sub: string, options: { role?: string; ttlSeconds?: number } = {}): string {
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { sub, iat: now, exp: now + (options.ttlSeconds ?? 3_600) };
  if (options.role) claims.role = options.role;
  const body = b64url(JSON.stringify(claims));
  const signature = createHmac("sha256", secret).update(`${header}.${body}`).digest("base64url");
  return `${header}.${body}.${signature}`;
}
