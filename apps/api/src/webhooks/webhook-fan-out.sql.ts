// Handed to LiveEvents.fanOutWhen at start: a tenant's agents' events are marked for the fan-out
// only while it has an active subscription, so a tenant without webhooks pays one index probe.
export const TENANT_HAS_ACTIVE_SUBSCRIPTION = `EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.tenant_id = r.tenant_id AND s.state = 'active')`;
