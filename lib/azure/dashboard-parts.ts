// The Azure portal dashboard's wire format (`azurerm_portal_dashboard.dashboard_properties`), shared
// by the router's and the vector store's dashboards: built as plain data and serialized once, so the
// same inputs always give the same JSON.

/** One tile: its part type, inputs and settings, as the portal stores them. */
export interface DashboardPart {
  readonly type: string;
  readonly inputs: readonly object[];
  readonly settings: object;
}

const WIDTH = 6;
const HEIGHT = 4;

/** A chart (or a table) of a log query over Application Insights, over `timeRange` (ISO 8601, e.g. `P1D`). */
export function logsPart(title: string, subtitle: string, query: string, appInsightsId: string, chart: 'Line' | 'StackedColumn' | 'Table', timeRange: string): DashboardPart {
  return {
    type: 'Extension/Microsoft_OperationsManagementSuite_Workspace/PartType/LogsDashboardPart',
    inputs: [
      { name: 'resourceTypeMode', value: 'components', isOptional: true },
      { name: 'ComponentId', value: appInsightsId, isOptional: true },
      { name: 'Scope', value: { resourceIds: [appInsightsId] }, isOptional: true },
      { name: 'Version', value: '2.0', isOptional: true },
      { name: 'TimeRange', value: timeRange, isOptional: true },
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

/** `dashboard_properties`: the parts in a 2-column grid, the dashboard showing the last `hours`. */
export function gridDashboard(parts: readonly DashboardPart[], hours: number): string {
  const placed = Object.fromEntries(
    parts.map((c, i) => [
      String(i),
      { position: { x: (i % 2) * WIDTH, y: Math.floor(i / 2) * HEIGHT, colSpan: WIDTH, rowSpan: HEIGHT }, metadata: { inputs: c.inputs, type: c.type, settings: c.settings } },
    ]),
  );
  return JSON.stringify({
    lenses: { '0': { order: 0, parts: placed } },
    metadata: { model: { timeRange: { value: { relative: { duration: hours, timeUnit: 1 } }, type: 'MsPortalFx.Composition.Configuration.ValueTypes.TimeRange' } } },
  });
}
