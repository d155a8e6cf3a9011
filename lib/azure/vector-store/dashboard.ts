// The vector store's Azure portal dashboard: the run figures and the index's age, over 7 days (a few
// runs at a daily refresh), in the shared wire format (lib/azure/dashboard-parts.ts).
import { gridDashboard, logsPart } from '../dashboard-parts';
import { ageChartQuery, costChartQuery, documentsChartQuery, embeddingChartQuery, failuresTableQuery } from './queries';

/** `dashboard_properties`: a 2-column grid of the ingestion's charts. */
export function vectorStoreDashboardProperties(inputs: { readonly appInsightsId: string; readonly name: string }): string {
  const { appInsightsId, name } = inputs;
  const charts = [
    logsPart('Documents per run', 'seen, changed (re-embedded) and removed by each successful run', documentsChartQuery(name), appInsightsId, 'Line', 'P7D'),
    logsPart('Embedding per run', 'chunks embedded and embedding tokens of each successful run', embeddingChartQuery(name), appInsightsId, 'Line', 'P7D'),
    logsPart('Embedding cost', 'USD per day, at the embedding model\u2019s price per token', costChartQuery(name), appInsightsId, 'StackedColumn', 'P7D'),
    logsPart('Index age', 'hours since the last successful run, at each hourly probe', ageChartQuery(name), appInsightsId, 'Line', 'P7D'),
    logsPart('Failed runs', 'each failed run and its error message', failuresTableQuery(name), appInsightsId, 'Table', 'P7D'),
  ];
  return gridDashboard(charts, 168);
}
