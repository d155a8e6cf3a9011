// The router's Azure portal dashboard (`azurerm_portal_dashboard.dashboard_properties`), built as
// plain data and serialized once: the same inputs always give the same JSON (no generated ids).
import { BUDGET_USED_QUERY, COST_BY_TENANT_QUERY, ERRORS_BY_CLASS_QUERY, FALLBACKS_QUERY, GUARD_QUERY, LATENCY_QUERY, REQUESTS_QUERY } from './queries';

/** A GPU endpoint's utilization metric, as `GpuEndpoint` publishes it. */
export interface GpuUtilizationMetric {
  /** Endpoint name, for the chart's legend. */
  readonly endpoint: string;
  /** Resource the metric is published against (the endpoint's internal load balancer). */
  readonly resourceId: string;
  readonly namespace: string;
  readonly name: string;
}

export interface DashboardInputs {
  /** Resource id of the Application Insights component holding the request log. */
  readonly appInsightsId: string;
  readonly gpuMetrics: readonly GpuUtilizationMetric[];
}

const WIDTH = 6;
const HEIGHT = 4;

/** A chart of a log query over Application Insights. */
function logsPart(title: string, subtitle: string, query: string, appInsightsId: string, chart: 'Line' | 'StackedColumn') {
  return {
    type: 'Extension/Microsoft_OperationsManagementSuite_Workspace/PartType/LogsDashboardPart',
    inputs: [
      { name: 'resourceTypeMode', value: 'components', isOptional: true },
      { name: 'ComponentId', value: appInsightsId, isOptional: true },
      { name: 'Scope', value: { resourceIds: [appInsightsId] }, isOptional: true },
      { name: 'Version', value: '2.0', isOptional: true },
      { name: 'TimeRange', value: 'P1D', isOptional: true },
      { name: 'Query', value: `${query}\n`, isOptional: true },
      { name: 'ControlType', value: 'FrameControlChart', isOptional: true },
      { name: 'SpecificChart', value: chart, isOptional: true },
      { name: 'PartTitle', value: title, isOptional: true },
      { name: 'PartSubTitle', value: subtitle, isOptional: true },
      { name: 'IsQueryContainTimeRange', value: false, isOptional: true },
    ],
    settings: { content: { PartTitle: title, PartSubTitle: subtitle } },
  };
}

/** A metrics chart: each GPU endpoint's average utilization. */
function gpuPart(metrics: readonly GpuUtilizationMetric[]) {
  return {
    type: 'Extension/HubsExtension/PartType/MonitorChartPart',
    inputs: [
      { name: 'options', isOptional: true },
      { name: 'sharedTimeRange', isOptional: true },
    ],
    settings: {
      content: {
        options: {
          chart: {
            metrics: metrics.map((m) => ({
              resourceMetadata: { id: m.resourceId },
              name: m.name,
              // 4: average.
              aggregationType: 4,
              namespace: m.namespace,
              metricVisualization: { displayName: `GPU utilization, ${m.endpoint}` },
            })),
            title: 'GPU utilization of the endpoints (%)',
            titleKind: 2,
            // 2: line chart.
            visualization: { chartType: 2 },
          },
        },
      },
    },
  };
}

/** `dashboard_properties`: a 2-column grid of the router's charts, then the GPU endpoints'. */
export function dashboardProperties(inputs: DashboardInputs): string {
  const { appInsightsId } = inputs;
  const charts = [
    logsPart('Requests', 'chat requests per 5 minutes', REQUESTS_QUERY, appInsightsId, 'Line'),
    logsPart('Errors by class', 'refused and failed requests per 5 minutes, by outcome', ERRORS_BY_CLASS_QUERY, appInsightsId, 'StackedColumn'),
    logsPart('Latency', 'p50 / p95 / p99 of unstreamed requests, ms', LATENCY_QUERY, appInsightsId, 'Line'),
    logsPart('Fallbacks and retries', 'requests that fell back to another target, and requests that retried a call, per 5 minutes', FALLBACKS_QUERY, appInsightsId, 'Line'),
    logsPart('Cost per tenant', 'USD per hour, as charged to each tenant\u2019s budget', COST_BY_TENANT_QUERY, appInsightsId, 'StackedColumn'),
    logsPart('Budget used per tenant', '% of each tenant\u2019s monthly budget, the highest of each hour', BUDGET_USED_QUERY, appInsightsId, 'Line'),
    logsPart('Guard', 'requests blocked, masked, or let through unchecked (fail open), per 5 minutes by tenant', GUARD_QUERY, appInsightsId, 'StackedColumn'),
    ...(inputs.gpuMetrics.length > 0 ? [gpuPart(inputs.gpuMetrics)] : []),
  ];
  const parts = Object.fromEntries(
    charts.map((c, i) => [
      String(i),
      { position: { x: (i % 2) * WIDTH, y: Math.floor(i / 2) * HEIGHT, colSpan: WIDTH, rowSpan: HEIGHT }, metadata: { inputs: c.inputs, type: c.type, settings: c.settings } },
    ]),
  );
  return JSON.stringify({
    lenses: { '0': { order: 0, parts } },
    metadata: {
      model: {
        timeRange: { value: { relative: { duration: 24, timeUnit: 1 } }, type: 'MsPortalFx.Composition.Configuration.ValueTypes.TimeRange' },
      },
    },
  });
}
