// The vector store's Azure portal dashboard (`azurerm_portal_dashboard.dashboard_properties`): the run
// figures and the index's age, built as plain data and serialized once, like the router's
// (lib/azure/model-router/dashboard.ts), so the same inputs always give the same JSON.
import { ageChartQuery, costChartQuery, documentsChartQuery, embeddingChartQuery, failuresTableQuery } from './queries';

const WIDTH = 6;
const HEIGHT = 4;

/** A chart (or a table) of a log query over Application Insights, over the last 7 days: a few runs at a daily refresh. */
function logsPart(title: string, subtitle: string, query: string, appInsightsId: string, chart: 'Line' | 'StackedColumn' | 'Table') {
  return {
    type: 'Extension/Microsoft_OperationsManagementSuite_Workspace/PartType/LogsDashboardPart',
    inputs: [
      { name: 'resourceTypeMode', value: 'components', isOptional: true },
      { name: 'ComponentId', value: appInsightsId, isOptional: true },
      { name: 'Scope', value: { resourceIds: [appInsightsId] }, isOptional: true },
      { name: 'Version', value: '2.0', isOptional: true },
      { name: 'TimeRange', value: 'P7D', isOptional: true },
      { name: 'Query', value: `${query}\n`, isOptional: true },
      { name: 'ControlType', value: chart === 'Table' ? 'AnalyticsGrid' : 'FrameControlChart', isOptional: true },
      ...(chart === 'Table' ? [] : [{ name: 'SpecificChart', value: chart, isOptional: true }]),
      { name: 'PartTitle', value: title, isOptional: true },
      { name: 'PartSubTitle', value: subtitle, isOptional: true },
      { name: 'IsQueryContainTimeRange', value: false, isOptional: true },
    ],
    settings: { content: { PartTitle: title, PartSubTitle: subtitle } },
  };
}

/** `dashboard_properties`: a 2-column grid of the ingestion's charts. */
export function vectorStoreDashboardProperties(inputs: { readonly appInsightsId: string; readonly name: string }): string {
  const { appInsightsId, name } = inputs;
  const charts = [
    logsPart('Documents per run', 'seen, changed (re-embedded) and removed by each successful run', documentsChartQuery(name), appInsightsId, 'Line'),
    logsPart('Embedding per run', 'chunks embedded and embedding tokens of each successful run', embeddingChartQuery(name), appInsightsId, 'Line'),
    logsPart('Embedding cost', 'USD per day, at the embedding model\u2019s price per token', costChartQuery(name), appInsightsId, 'StackedColumn'),
    logsPart('Index age', 'hours since the last successful run, at each hourly probe', ageChartQuery(name), appInsightsId, 'Line'),
    logsPart('Failed runs', 'each failed run and its error message', failuresTableQuery(name), appInsightsId, 'Table'),
  ];
  const parts = Object.fromEntries(
    charts.map((c, i) => [
      String(i),
      { position: { x: (i % 2) * WIDTH, y: Math.floor(i / 2) * HEIGHT, colSpan: WIDTH, rowSpan: HEIGHT }, metadata: { inputs: c.inputs, type: c.type, settings: c.settings } },
    ]),
  );
  return JSON.stringify({
    lenses: { '0': { order: 0, parts } },
    metadata: { model: { timeRange: { value: { relative: { duration: 168, timeUnit: 1 } }, type: 'MsPortalFx.Composition.Configuration.ValueTypes.TimeRange' } } },
  });
}
