/* global module */
// The house's layers, checked by `npm run lint` (`depcruise apps libs`): libraries under the app,
// the live-updates layer under the features, no cycles, and no module reaching into another's
// repository. Type-only imports count: they tie files together as much as any other.
const FEATURE_ROOT = '^apps/api/src/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No file depends on itself through others: a cycle ties the modules on it into one.',
      from: { path: '^(apps|libs)/' },
      to: { circular: true },
    },
    {
      name: 'libs-below-apps',
      severity: 'error',
      comment: 'Libraries (@app/…) never import the app.',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'live-below-features',
      severity: 'error',
      comment:
        'The live-updates layer (apps/api/src/live/) imports no feature, so every feature can publish into it ' +
        'without a cycle: only itself, the libraries, and the metrics registry.',
      from: { path: `${FEATURE_ROOT}live/` },
      to: { path: FEATURE_ROOT, pathNot: [`${FEATURE_ROOT}live/`, `${FEATURE_ROOT}metrics/metrics\\.service\\.ts$`] },
    },
    {
      name: 'http-below-features',
      severity: 'error',
      comment: 'The resource mechanism (apps/api/src/http/) and the side-load registry serve every feature and import none.',
      from: { path: `${FEATURE_ROOT}(http/|includes/sideloads)`, pathNot: '\\.spec\\.ts$' },
      to: { path: FEATURE_ROOT, pathNot: [`${FEATURE_ROOT}(http|live)/`, `${FEATURE_ROOT}includes/sideloads`, `${FEATURE_ROOT}metrics/metrics\\.service\\.ts$`] },
    },
    {
      name: 'metrics-service-imports-no-feature',
      severity: 'error',
      comment: 'The metrics registry sits under the live layer and every feature: it imports nothing of the app.',
      from: { path: `${FEATURE_ROOT}metrics/metrics\\.service\\.ts$` },
      to: { path: FEATURE_ROOT },
    },
    {
      name: 'no-foreign-repository',
      severity: 'error',
      comment: "A module touches another's tables only through that module's service, never its repository (tickets/settings is a module of its own).",
      from: { path: `${FEATURE_ROOT}(tickets/settings|[^/]+)/` },
      to: { path: `${FEATURE_ROOT}.*\\.repository\\.ts$`, pathNot: `${FEATURE_ROOT}$1/.*\\.repository\\.ts$` },
    },
    {
      name: 'no-settings-repository-from-tickets',
      severity: 'error',
      comment: 'Tickets reach their settings, tags and templates through TicketSettingsService (the folder nests, the module does not).',
      from: { path: `${FEATURE_ROOT}tickets/`, pathNot: `${FEATURE_ROOT}tickets/settings/` },
      to: { path: `${FEATURE_ROOT}tickets/settings/.*\\.repository\\.ts$` },
    },
    {
      name: 'features-point-one-way',
      severity: 'error',
      comment:
        'The features below the conversation core (auth, contacts, files, tickets and its settings) import nothing of it ' +
        'or of what sits on it; the core imports nothing of the features on top of it (docs/architecture.md, "The house").',
      from: { path: `${FEATURE_ROOT}(auth|contacts|files|tickets|includes)/` },
      to: { path: `${FEATURE_ROOT}(conversations|conversion|webhooks|highlevel|channel-auth)/` },
    },
    {
      name: 'core-below-its-doors',
      severity: 'error',
      comment: 'The conversation core serves the conversion, the webhook, HighLevel and channel authorisation, never the reverse.',
      from: { path: `${FEATURE_ROOT}conversations/` },
      to: { path: `${FEATURE_ROOT}(conversion|webhooks|highlevel|channel-auth)/` },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
