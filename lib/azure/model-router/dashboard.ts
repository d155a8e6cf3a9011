// The router's Azure portal dashboard: requests, errors, latency, cost, budgets and the guard over 24 h,
// and the GPU endpoints' utilization, in the shared wire format (lib/azure/dashboard-parts.ts).
import { gridDashboard, logsPart, type DashboardPart } from '../dashboard-parts';
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

/** A metrics chart: each GPU endpoint's average utilization. */
function gpuPart(metrics: readonly GpuUtilizationMetric[]): DashboardPart {
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
    logsPart('Requests', 'chat requests per 5 minutes', REQUESTS_QUERY, appInsightsId, 'Line', 'P1D'),
    logsPart('Errors by class', 'refused and failed requests per 5 minutes, by outcome', ERRORS_BY_CLASS_QUERY, appInsightsId, 'StackedColumn', 'P1D'),
    logsPart('Latency', 'p50 / p95 / p99 of unstreamed requests, ms', LATENCY_QUERY, appInsightsId, 'Line', 'P1D'),
    logsPart('Fallbacks and retries', 'requests that fell back to another target, and requests that retried a call, per 5 minutes', FALLBACKS_QUERY, appInsightsId, 'Line', 'P1D'),
    logsPart('Cost per tenant', 'USD per hour, as charged to each tenant\u2019s budget', COST_BY_TENANT_QUERY, appInsightsId, 'StackedColumn', 'P1D'),
    logsPart('Budget used per tenant', '% of each tenant\u2019s monthly budget, the highest of each hour', BUDGET_USED_QUERY, appInsightsId, 'Line', 'P1D'),
    logsPart('Guard', 'requests blocked, masked, or let through unchecked (fail open), per 5 minutes by tenant', GUARD_QUERY, appInsightsId, 'StackedColumn', 'P1D'),
    ...(inputs.gpuMetrics.length > 0 ? [gpuPart(inputs.gpuMetrics)] : []),
  ];
  return gridDashboard(charts, 24);
}
