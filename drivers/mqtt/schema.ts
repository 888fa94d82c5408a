import { z } from 'zod';

/** MQTT ingest: readings published to the embedded broker under `{topicPrefix}/{metric}/{sensorId}`. */
export const mqttSchema = z.strictObject({
  type: z.literal('mqtt'),
  name: z.string().min(1).default('mqtt'),
  broker: z.literal('embedded').default('embedded'),
  topicPrefix: z.string().regex(/^[^#+]+$/, 'must not contain MQTT wildcards').default('sensors'),
});

export type MqttDriverConfig = z.output<typeof mqttSchema>;
