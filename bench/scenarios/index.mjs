// The scenarios, in the order a full run takes them.
import conversationCounts from './conversation-counts.mjs';
import conversationGet from './conversation-get.mjs';
import convert from './convert.mjs';
import hlSearch from './hl-search.mjs';
import messagePost from './message-post.mjs';
import messagesDeepPage from './messages-deep-page.mjs';
import webhookIngest from './webhook-ingest.mjs';

export const SCENARIOS = [messagePost, conversationGet, messagesDeepPage, webhookIngest, convert, hlSearch, conversationCounts];

// memory has no load of its own: it is the service's peak RSS over the whole run.
export const MEMORY = { name: 'memory', describe: "the service's peak RSS over the whole run (sampled every 100 ms)", limitMb: 300 };
