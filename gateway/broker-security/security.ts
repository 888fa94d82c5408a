import type { Socket } from 'node:net';
import path from 'node:path';
import { TLSSocket } from './node-tls.js';
import type { Logger } from 'pino';
import type { AclRule, MqttLimits } from './schema.js';
import type { MqttSecurityConfig } from './index.js';
import { readCredentialsFile } from './credentials.js';
import { DECOY_HASH, verifyPassword } from './passwords.js';
import { filterCovers, substitute, topicMatches } from './topics.js';

export type RefusalReason =
  | 'bad_credentials' | 'anonymous' | 'certificate' | 'identity_mismatch' | 'tls_handshake'
  | 'acl_publish' | 'acl_subscribe' | 'connections' | 'connections_per_ip';

export interface Identity {
  /** Username or certificate CN; null for an anonymous client. */
  username: string | null;
  via: 'password' | 'certificate' | 'anonymous';
}

export interface SecurityCounters {
  refused(reason: RefusalReason): void;
  throttled(): void;
}

interface ClientLike {
  id: string;
  conn: unknown;
}

interface Policy {
  allowAnonymous: boolean;
  users: ReadonlyMap<string, string>;
  rules: readonly AclRule[];
  limits: MqttLimits;
}

/** Topics whose ACL verdict a connection keeps (a bridge publishing for many sensors starts over past it). */
const VERDICTS_PER_CLIENT = 256;

interface Bucket {
  tokens: number;
  at: number;
}

/** Loads the user table and ACL; problems (e.g. a bad credentials file) are returned, not thrown. */
export function buildPolicy(config: MqttSecurityConfig, baseDir: string): { policy: Policy; problems: string[] } {
  const users = new Map<string, string>(config.auth.users.map((u) => [u.username, u.passwordHash]));
  const problems: string[] = [];
  if (config.auth.file) {
    const file = path.resolve(baseDir, config.auth.file);
    const loaded = readCredentialsFile(file);
    problems.push(...loaded.problems.map((p) => `mqtt.auth.file: ${p}`));
    for (const [user, hash] of loaded.users) {
      if (users.has(user)) problems.push(`mqtt.auth.file: user "${user}" is also in mqtt.auth.users`);
      users.set(user, hash);
    }
  }
  const rules: AclRule[] = config.acl ? [...config.acl] : [
    { anonymous: false, publish: [`${config.topicPrefix}/+/%u`], subscribe: [] },
    ...(config.allowAnonymous ? [{ anonymous: true, publish: ['#'], subscribe: ['#'] }] : []),
  ];
  return { policy: { allowAnonymous: config.allowAnonymous, users, rules, limits: config.limits }, problems };
}

/** Who may connect, as whom, and what they may publish and subscribe to (DESIGN §8, issue 7). */
export class BrokerSecurity {
  private readonly identities = new WeakMap<object, Identity>();
  private readonly buckets = new WeakMap<object, Bucket>();
  private readonly perIp = new Map<string, number>();
  private open = 0;

  private readonly publishVerdicts = new WeakMap<ClientLike, { policy: Policy; byTopic: Map<string, boolean> }>();

  constructor(private policy: Policy, private readonly log: Logger, private readonly counters: SecurityCounters) {}

  /** Swaps users, ACL and limits (SIGHUP); connected clients keep their identity, new rules apply at once. */
  replacePolicy(policy: Policy): void {
    this.policy = policy;
  }

  get userCount(): number {
    return this.policy.users.size;
  }

  /** At TCP accept: false (and the socket destroyed) over the connection limits. */
  admitSocket(socket: Socket): boolean {
    const ip = socket.remoteAddress ?? '?';
    const { maxConnections, maxConnectionsPerIp } = this.policy.limits;
    const count = this.perIp.get(ip) ?? 0;
    const reason = this.open >= maxConnections ? 'connections' : count >= maxConnectionsPerIp ? 'connections_per_ip' : null;
    if (reason) {
      this.refuse(reason, { ip });
      socket.destroy();
      return false;
    }
    this.open++;
    this.perIp.set(ip, count + 1);
    socket.once('close', () => {
      this.open--;
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left > 0) this.perIp.set(ip, left);
      else this.perIp.delete(ip);
    });
    return true;
  }

  tlsHandshakeFailed(err: Error, socket: { remoteAddress?: string }): void {
    this.refuse('tls_handshake', { ip: socket.remoteAddress, err: err.message });
  }

  async authenticate(client: ClientLike, username: string | undefined, password: Buffer | undefined): Promise<boolean> {
    const conn = client.conn;
    const ip = (conn as Socket | undefined)?.remoteAddress;
    const context = { clientId: client.id, username, ip };
    if (conn instanceof TLSSocket) {
      const cert = conn.getPeerCertificate();
      const presented = cert && Object.keys(cert).length > 0;
      if (presented && !conn.authorized) return this.refuseConnect('certificate', { ...context, err: String(conn.authorizationError) });
      const cn = presented ? cert.subject?.CN : undefined;
      if (presented && typeof cn === 'string' && cn) {
        if (username !== undefined && username !== cn) return this.refuseConnect('identity_mismatch', { ...context, cn });
        this.identities.set(client, { username: cn, via: 'certificate' });
        return true;
      }
    }
    if (username === undefined || username === '') {
      if (!this.policy.allowAnonymous) return this.refuseConnect('anonymous', context);
      this.identities.set(client, { username: null, via: 'anonymous' });
      return true;
    }
    const hash = this.policy.users.get(username);
    const ok = await verifyPassword(password ?? Buffer.alloc(0), hash ?? DECOY_HASH);
    if (!ok || !hash) return this.refuseConnect('bad_credentials', context);
    this.identities.set(client, { username, via: 'password' });
    return true;
  }

  identityOf(client: object): Identity | undefined {
    return this.identities.get(client);
  }

  /** Null when allowed; otherwise counted and logged. */
  checkPublish(client: ClientLike, topic: string): RefusalReason | null {
    if (this.publishVerdict(client, topic)) return null;
    this.refuse('acl_publish', { clientId: client.id, username: this.identities.get(client)?.username, topic });
    return 'acl_publish';
  }

  checkSubscribe(client: ClientLike, filter: string): boolean {
    if (this.allowed(client, 'subscribe', (allowed) => filterCovers(allowed, filter))) return true;
    this.refuse('acl_subscribe', { clientId: client.id, username: this.identities.get(client)?.username, filter });
    return false;
  }

  /** How long this publish must wait for the client's rate limit (0: go now). */
  publishDelayMs(client: object, now = Date.now()): number {
    const rate = this.policy.limits.publishRate;
    if (!rate) return 0;
    const bucket = this.buckets.get(client) ?? { tokens: rate.burst, at: now };
    bucket.tokens = Math.min(rate.burst, bucket.tokens + ((now - bucket.at) * rate.perSecond) / 1000);
    bucket.at = now;
    bucket.tokens -= 1;
    this.buckets.set(client, bucket);
    if (bucket.tokens >= 0) return 0;
    this.counters.throttled();
    return Math.ceil((-bucket.tokens * 1000) / rate.perSecond);
  }

  /**
   * The ACL's answer for a client's topic, kept per connection until the policy changes: a sensor publishes to
   * the same few topics, and substituting and matching every rule on each publish was ~1.6 % of the peak's CPU.
   */
  private publishVerdict(client: ClientLike, topic: string): boolean {
    let cached = this.publishVerdicts.get(client);
    if (cached?.policy !== this.policy) {
      cached = { policy: this.policy, byTopic: new Map() };
      this.publishVerdicts.set(client, cached);
    }
    let allowed = cached.byTopic.get(topic);
    if (allowed === undefined) {
      allowed = this.allowed(client, 'publish', (filter) => topicMatches(filter, topic));
      if (cached.byTopic.size >= VERDICTS_PER_CLIENT) cached.byTopic.clear();
      cached.byTopic.set(topic, allowed);
    }
    return allowed;
  }

  private allowed(client: ClientLike, action: 'publish' | 'subscribe', test: (filter: string) => boolean): boolean {
    const identity = this.identities.get(client);
    if (!identity) return false;
    const values = { username: identity.username, clientId: client.id };
    return this.policy.rules.some((rule) => {
      if (identity.via === 'anonymous' ? !rule.anonymous : rule.anonymous) return false;
      if (rule.users && !rule.users.includes(identity.username!)) return false;
      return rule[action].some((pattern) => {
        const filter = substitute(pattern, values);
        return filter !== null && test(filter);
      });
    });
  }

  private refuseConnect(reason: RefusalReason, context: object): false {
    this.refuse(reason, context);
    return false;
  }

  private refuse(reason: RefusalReason, context: object): void {
    this.counters.refused(reason);
    this.log.warn({ ...context, reason }, 'mqtt refused');
  }
}
