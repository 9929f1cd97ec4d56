import { createHmac } from 'node:crypto';
import TestAgent from 'supertest/lib/agent';
import { BASE } from './desk';

export interface PusherCredentials {
  key: string;
  secret: string;
}

// A widget's message as Pusher forwards a client event: `data` is the JSON string the widget sent.
export function clientMessageEvent(conversationId: number, data: Record<string, unknown>, socketId = '123.456') {
  return { name: 'client_event', channel: `private-conversation-${conversationId}`, event: 'client-message', data: JSON.stringify(data), socket_id: socketId };
}

// A webhook batch sent as Pusher sends it: the raw body signed with the app's secret (hex HMAC-SHA256).
export function sendSignedWebhook(http: TestAgent, events: object[], { key, secret }: PusherCredentials, timeMs = Date.now()) {
  const raw = JSON.stringify({ time_ms: timeMs, events });
  return http
    .post(`${BASE}/conversationmessages/webhooks.json`)
    .set({ 'Content-Type': 'application/json', 'X-Pusher-Key': key, 'X-Pusher-Signature': createHmac('sha256', secret).update(raw).digest('hex') })
    .send(raw);
}
