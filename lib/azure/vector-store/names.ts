// Physical names of one vector store's resources on Azure. Pure.
import { fitName } from '../../design/naming';
import { fitStrictName } from '../model-router/names';

/** Every physical name of the vector store `name` of a stack whose name prefix is `prefix`. */
export interface VectorStoreNames {
  /** 2-60 lowercase letters, digits and single hyphens, globally unique (`<name>.search.windows.net`). */
  readonly searchService: string;
  /** The account of the source and state containers: 3-24 lowercase letters and digits, globally unique. */
  readonly dataStorage: string;
  /** The Functions host's own account (its locks and the code package). */
  readonly hostStorage: string;
  /** Containers of the source documents and of the ingestion state (the manifest blob). */
  readonly sourceContainer: string;
  readonly stateContainer: string;
  readonly identity: string;
  readonly functionApp: string;
  readonly servicePlan: string;
  readonly logAnalytics: string;
  readonly appInsights: string;
  /** Name and custom subdomain of the Azure OpenAI account it creates when given none: globally unique. */
  readonly openAi: string;
  readonly privateEndpoint: string;
  readonly dnsLink: string;
  readonly dashboard: string;
  readonly failedRunAlert: string;
  readonly staleAlert: string;
  readonly noProbeAlert: string;
}

export function vectorStoreNames(prefix: string, name: string): VectorStoreNames {
  return {
    searchService: fitStrictName(['srch', prefix, name], 60, true),
    dataStorage: fitStrictName(['st', prefix, name], 24, false),
    hostStorage: fitStrictName(['st', prefix, name, 'fn'], 24, false),
    // The design's name is 3-40 lowercase letters, digits and hyphens: these fit a container's 63.
    sourceContainer: `${name}-source`,
    stateContainer: `${name}-state`,
    identity: fitName(['id', prefix, name, 'ingest'], 128),
    functionApp: fitName(['func', prefix, name, 'ingest'], 60),
    servicePlan: fitName(['asp', prefix, name, 'ingest'], 60),
    logAnalytics: fitName(['log', prefix, name, 'ingest'], 63),
    appInsights: fitName(['appi', prefix, name, 'ingest'], 255),
    openAi: fitStrictName(['oai', prefix, name], 64, true),
    privateEndpoint: fitName(['pe', prefix, name, 'search'], 80),
    dnsLink: fitName([prefix, name, 'search-dns'], 80),
    dashboard: fitStrictName(['dash', prefix, name], 160, true),
    failedRunAlert: fitName(['alert', prefix, name, 'ingest-failed'], 260),
    staleAlert: fitName(['alert', prefix, name, 'index-stale'], 260),
    noProbeAlert: fitName(['alert', prefix, name, 'no-freshness-probe'], 260),
  };
}
