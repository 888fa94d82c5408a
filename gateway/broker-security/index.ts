import type { z } from 'zod';
import type { mqttSecurityShape } from './schema.js';

export { BrokerSecurity, buildPolicy, type Identity, type RefusalReason } from './security.js';
export { tlsServerOptions } from './tls.js';
export { hashPassword, verifyPassword } from './passwords.js';

type Shape = typeof mqttSecurityShape;
/** The parts of the resolved `mqtt:` section that security reads. */
export type MqttSecurityConfig = { [K in keyof Shape]: z.output<Shape[K]> } & { topicPrefix: string };
