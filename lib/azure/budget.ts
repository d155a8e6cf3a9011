import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join as joinPath, resolve } from 'node:path';
import { ApplicationInsights } from '@cdktf/provider-azurerm/lib/application-insights';
import { ConsumptionBudgetResourceGroup } from '@cdktf/provider-azurerm/lib/consumption-budget-resource-group';
import { CostAnomalyAlert } from '@cdktf/provider-azurerm/lib/cost-anomaly-alert';
import { DataAzurermSubscription } from '@cdktf/provider-azurerm/lib/data-azurerm-subscription';
import { FunctionAppFlexConsumption } from '@cdktf/provider-azurerm/lib/function-app-flex-consumption';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { MonitorActionGroup } from '@cdktf/provider-azurerm/lib/monitor-action-group';
import { MonitorScheduledQueryRulesAlertV2 } from '@cdktf/provider-azurerm/lib/monitor-scheduled-query-rules-alert-v2';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { RoleDefinition } from '@cdktf/provider-azurerm/lib/role-definition';
import { ServicePlan } from '@cdktf/provider-azurerm/lib/service-plan';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageBlob } from '@cdktf/provider-azurerm/lib/storage-blob';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { AssetType, Fn, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import type { BudgetDesign } from '../design/budget';
import { fitName, type NamePrefixProps } from '../design/naming';
import { refuseInvalidProps } from '../design/problems';
import { BUDGET_ENV } from '../budget/deploy-env';
import type { FleetRef } from '../budget/fleets/types';
import { budgetBundleDir } from '../common/router-bundle';
import { escapeTerraformTemplate } from '../cdktf/escape';
import { namePrefixOf } from '../cdktf/name-prefix';
import { warn } from '../cdktf/warnings';
import { ROUTER_ENV } from '../router/deploy-env';
import { FunctionKey } from './budget/function-key';
import { WATCH_QUERY, tenantBudgetQuery, NOTICE_QUERY } from './budget/queries';
import { actualThresholds, budgetNames, planBudgetNotifications, stackAlertName, tenantAlertName, type BudgetNames, type BudgetNotificationPlan } from './budget/rules';
import { validateAzureBudgetProps } from './budget/validate';
import { AzapiResourceAction } from './model-router/azapi';
import { LEDGER_TABLE, RATE_TABLE } from './model-router/names';
import { PACKAGE_BLOB_NAME } from './model-router/package';
import { storageIpRule } from './model-router/validate';
import type { IManagedIdentity, ModelRouter } from './model-router';
import { HARDENED_STORAGE } from './storage-account';

export { budgetNames, planBudgetNotifications, type BudgetNames, type BudgetNotificationPlan } from './budget/rules';

/** Node.js major version of the stop function app (Flex Consumption runs Node.js 20 and 22). */
export const BUDGET_NODE_VERSION = '22';

/** The HTTP function the hard-stop action group and operators call (lib/budget/handlers/azure-entry.ts). */
export const STOP_FUNCTION_NAME = 'budget';

/** The tenant levels of the router's request log that alert, percent of each tenant's monthly budget. */
export const TENANT_ALERT_PERCENTS: readonly number[] = [80, 100];

/**
 * The first of the month the budget starts, computed by Terraform when it plans the create: Azure
 * accepts a past start date only inside the current budget period ("Past start date should be
 * selected within the timegrain period", azurerm consumption_budget_resource_group `start_date`), so
 * no fixed date stays valid, while a date computed at synth would make the synth depend on the clock.
 * `ignore_changes` keeps the date of the create on every later plan.
 */
export const BUDGET_START_DATE = Fn.formatdate("YYYY-MM-01'T'00:00:00'Z'", Fn.plantimestamp());

/**
 * What the stop function does to a scale set and its autoscale setting (lib/budget/fleets/azure.ts:
 * Virtual Machine Scale Sets Get and Update, Autoscale Settings Get and Create Or Update): assigned
 * on each of the stack's scale sets and autoscale settings, nothing else.
 */
export const SCALER_ACTIONS: readonly string[] = [
  'Microsoft.Compute/virtualMachineScaleSets/read',
  'Microsoft.Compute/virtualMachineScaleSets/write',
  'Microsoft.Insights/autoscalesettings/read',
  'Microsoft.Insights/autoscalesettings/write',
];

/**
 * What the stop function reads beyond its resources: the status of the scale set updates (ARM's
 * Azure-AsyncOperation URL is `/subscriptions/<s>/providers/Microsoft.Compute/locations/<l>/operations/<id>`,
 * a subscription-scoped path), and the autoscale settings of the resource group when it looks for the
 * one targeting a scale set given none. Read-only.
 */
export const READER_ACTIONS: readonly string[] = ['Microsoft.Compute/locations/operations/read', 'Microsoft.Insights/autoscalesettings/read'];

/** The router's side of the budget: where the stop function keeps its record, and what the tenant alerts read. */
export interface IBudgetRouter {
  /** Table storage endpoint of the ledger, `https://<account>.table.core.windows.net`. */
  readonly tablesEndpoint: string;
  /** The ledger table's name (the record is its entity `$stop`/`stack`). */
  readonly ledgerTable: string;
  /** The ledger table's resource id: the stop function's "Storage Table Data Contributor" is assigned on it alone. */
  readonly ledgerTableId: string;
  /** The rate-limit table's name (the store's configuration names it; the stop function never touches it). */
  readonly rateTable: string;
  /** The router's tenant ids: the watch sums their month, and each gets its own alerts. */
  readonly tenants: readonly string[];
  /** The router's Application Insights (its request log): the tenant alerts query it. */
  readonly appInsightsId: string;
  /** The router's integration subnet, which its storage account admits: the stop function joins it. */
  readonly subnetId: string;
}

/** The `IBudgetRouter` of an Azure `ModelRouter`. */
export function budgetRouterOf(router: ModelRouter): IBudgetRouter {
  return {
    tablesEndpoint: `https://${router.names.storageAccount}.table.core.windows.net`,
    ledgerTable: LEDGER_TABLE,
    ledgerTableId: router.ledgerTable.id,
    rateTable: RATE_TABLE,
    tenants: router.config.tenants.map((t) => t.id),
    appInsightsId: router.appInsights.id,
    subnetId: router.subnetId,
  };
}

/** A scale set the hard stop scales to zero, brought by the caller. */
export interface BudgetFleet {
  /** The scale set's resource id. */
  readonly scaleSet: string;
  /**
   * The autoscale setting that targets it, disabled during the stop.
   * @default - looked up in the scale set's resource group (none found: the set has no autoscale)
   */
  readonly autoscaleSetting?: string;
}

/** A GPU endpoint's scale sets (an `azure.GpuEndpoint`). */
export interface IBudgetScaleSets {
  readonly reservedScaleSet: { readonly id: string };
  readonly spotScaleSet: { readonly id: string };
  /** The autoscale setting of the spot (burst) scale set. */
  readonly autoscaleSetting?: { readonly id: string };
}

/**
 * Props of the Azure {@link Budget}: the neutral budget design plus Azure's own fields. Unknown props
 * are refused.
 */
export interface BudgetProps extends BudgetDesign, NamePrefixProps {
  /** Resource group of the stack: the budget is set on it, and every resource is created in it. */
  readonly resourceGroupName: string;
  /** Its resource id. */
  readonly resourceGroupId: string;
  /** Azure region of the stop function and its storage, e.g. `eastus2`. */
  readonly location: string;
  /** The stack's cost tags (`azure.AiStack.costTags`): the budget counts only costs that carry every one. */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * The router: its ledger holds the stop flag and each tenant's spend, and its request log the
   * tenants' levels. Without it there is no stop function, no watch and no tenant alerts (a warning
   * says so): only the budget's emails and the anomaly alert.
   * @default - no router
   */
  readonly router?: IBudgetRouter;
  /**
   * GPU endpoints whose scale sets the hard stop scales to zero (each `azure.GpuEndpoint`).
   * @default - none
   */
  readonly endpoints?: readonly IBudgetScaleSets[];
  /**
   * More scale sets the hard stop scales to zero.
   * @default - none
   */
  readonly fleets?: readonly BudgetFleet[];
  /**
   * Subnet of the stop function's VNet integration: one the router's storage account admits, with the
   * `Microsoft.Storage` service endpoint and egress to the internet. Flex Consumption apps may share a subnet.
   * @default - the router's subnet (`router.subnetId`)
   */
  readonly subnetId?: string;
  /**
   * Public IPv4 ranges of the machines that run `terraform apply`, admitted by the stop function's
   * storage account to upload the code package.
   * @default - none (a synth warning says so)
   */
  readonly deployerCidrs?: readonly string[];
  /**
   * The stop function app's code package (a zip of a v4-model Node.js function app).
   * @default - the shipped bundle, `dist/budget/azure.zip` of this package
   */
  readonly packagePath?: string;
  /**
   * Replication of the stop function's storage account (its code package and the host's locks only).
   * @default 'LRS'
   */
  readonly storageAccountReplicationType?: string;
}

/** The shipped package: `dist/budget/azure.zip`, beside the bundle folder. */
export function defaultBudgetPackagePath(): string {
  return joinPath(dirname(budgetBundleDir('azure')), 'azure.zip');
}

/** The code package as uploaded: its file, hash, and the container named by the hash (a new package, a new container). */
export interface BudgetPackage {
  readonly path: string;
  readonly sha256: string;
  readonly containerName: string;
}

function budgetPackage(path: string): BudgetPackage {
  if (!existsSync(path)) {
    throw new Error(
      `the Azure budget stop function package is missing (${path}): in a checkout of ai-stack-constructs run 'npm run build:router', which writes dist/budget/azure.zip; an installed package ships it, so reinstall ai-stack-constructs`,
    );
  }
  const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  return { path, sha256, containerName: `pkg-${sha256.slice(0, 24)}` };
}

/**
 * The budget of a stack on Azure, on two clocks. Billed spend: a consumption budget on the stack's
 * resource group filtered by its cost tags, with the design's actual and forecast thresholds emailing
 * the design's addresses, and a cost anomaly alert on the subscription. Router-charged spend: a stop
 * function on Flex Consumption whose timer sums the month from the router's ledger every 5 minutes,
 * log search alerts on that figure and on each tenant's level, and, at `hardStop.atPercent` of either
 * clock, the stop: the flag the routers answer 402 on, and every GPU scale set scaled to zero,
 * resumable. See docs/azure/budget.md.
 */
export class Budget extends Construct {
  public readonly namePrefix: string;
  public readonly names: BudgetNames;
  /** The consumption budget's notifications, as planned. */
  public readonly notifications: readonly BudgetNotificationPlan[];

  public readonly budget: ConsumptionBudgetResourceGroup;
  /** Emails the design's addresses: the log search alerts notify it. */
  public readonly emailActionGroup: MonitorActionGroup;
  /** Calls the stop function's webhook: the budget's hard-stop notification notifies it. Present with a hard stop and a router. */
  public readonly stopActionGroup?: MonitorActionGroup;
  /** Present when `anomalyDetection` is on (the default); scoped to the subscription. */
  public readonly anomalyAlert?: CostAnomalyAlert;

  /** The stop function and what it runs on: present with a router. */
  public readonly functionApp?: FunctionAppFlexConsumption;
  public readonly servicePlan?: ServicePlan;
  public readonly identity?: IManagedIdentity;
  public readonly storageAccount?: StorageAccount;
  public readonly package?: BudgetPackage;
  public readonly packageContainer?: StorageContainer;
  public readonly packageBlob?: StorageBlob;
  public readonly logAnalyticsWorkspace?: LogAnalyticsWorkspace;
  public readonly appInsights?: ApplicationInsights;
  /** Registers the functions (the HTTP trigger and the timer) after each package change. */
  public readonly syncTriggers?: AzapiResourceAction;
  /** The stop function's key, read for the hard-stop webhook. */
  public readonly functionKey?: FunctionKey;
  /** The custom roles: the scaler (on each scale set and autoscale setting) and the reader (the subscription; read-only). */
  public readonly scalerRole?: RoleDefinition;
  public readonly readerRole?: RoleDefinition;
  /** Every role the stop function's identity holds. */
  public readonly roleAssignments: readonly RoleAssignment[];
  /** The scale sets the stop scales to zero, as the function reads them. */
  public readonly fleets: readonly FleetRef[];

  /** Log search alerts on the watch's figure by percent, and on each tenant's level by tenant then percent. */
  public readonly stackAlerts: Readonly<Record<number, MonitorScheduledQueryRulesAlertV2>>;
  public readonly tenantAlerts: Readonly<Record<string, Readonly<Record<number, MonitorScheduledQueryRulesAlertV2>>>>;
  /** Emails the stop function's notices (a stop, or a resume) to the design's addresses; absent without a hard stop. */
  public readonly stopNoticeAlert?: MonitorScheduledQueryRulesAlertV2;
  /** `https://<app>.azurewebsites.net/api/budget`: POST `{"action":"resume"}` with the function's key. */
  public readonly stopUrl?: string;

  constructor(scope: Construct, id: string, props: BudgetProps) {
    super(scope, id);
    refuseInvalidProps(this.node.path, (problems) => validateAzureBudgetProps(props, 'props', problems));
    this.namePrefix = namePrefixOf(this, props.namePrefix);
    const names = budgetNames(this.namePrefix);
    this.names = names;
    const { resourceGroupName } = props;
    const router = props.router;
    const hardStop = props.hardStop;
    const emails = [...props.notifyEmails];

    this.emailActionGroup = new MonitorActionGroup(this, 'EmailGroup', {
      name: names.emailGroup,
      resourceGroupName,
      location: 'global',
      shortName: names.emailGroupShort,
      emailReceiver: emails.map((emailAddress, i) => ({ name: `email-${i}`, emailAddress, useCommonAlertSchema: true })),
    });

    const roles: RoleAssignment[] = [];
    this.roleAssignments = roles;
    const fleets: FleetRef[] = [];
    this.fleets = fleets;
    const stackAlerts: Record<number, MonitorScheduledQueryRulesAlertV2> = {};
    const tenantAlerts: Record<string, Record<number, MonitorScheduledQueryRulesAlertV2>> = {};
    this.stackAlerts = stackAlerts;
    this.tenantAlerts = tenantAlerts;

    if (router) this.buildStopFunction(props, router, roles, fleets);
    else {
      warn(
        this,
        'budget-no-router',
        `the budget on Azure has no router: only the consumption budget (emails at its thresholds, hours after the spend) and the anomaly alert are built.${hardStop ? ` The hard stop at ${hardStop.atPercent}% is not built: its record lives in the router's ledger.` : ''} There is no stop flag, no watch of the router-charged spend and no tenant alerts. Pass budgetRouterOf(router) as router.`,
      );
    }

    // Billed spend: the resource group's costs that carry every cost tag, at the design's thresholds.
    this.notifications = planBudgetNotifications(props);
    this.budget = new ConsumptionBudgetResourceGroup(this, 'Budget', {
      name: names.budget,
      resourceGroupId: props.resourceGroupId,
      // In the subscription's billing currency: the design's USD amount is taken as it is.
      amount: props.monthlyLimitUsd,
      timeGrain: 'Monthly',
      timePeriod: { startDate: BUDGET_START_DATE },
      filter: { tag: Object.entries(props.tags).map(([name, value]) => ({ name: escapeTerraformTemplate(name), operator: 'In', values: [escapeTerraformTemplate(value)] })) },
      notification: this.notifications.map((n) => ({
        enabled: true,
        operator: 'GreaterThan',
        threshold: n.percent,
        thresholdType: n.thresholdType,
        contactEmails: emails,
        // The emails go to contact_emails; the action group of the same addresses would send each twice.
        ...(n.hardStop && this.stopActionGroup ? { contactGroups: [this.stopActionGroup.id] } : {}),
      })),
      lifecycle: { ignoreChanges: ['time_period'] },
    });

    if (props.anomalyDetection ?? true) {
      this.anomalyAlert = new CostAnomalyAlert(this, 'AnomalyAlert', {
        name: names.anomalyAlert,
        displayName: `${this.namePrefix}: cost anomaly`,
        emailSubject: `Cost anomaly in the subscription of ${this.namePrefix}`.slice(0, 70),
        emailAddresses: emails,
        message: `Azure Cost Management found a cost anomaly in the subscription that holds the stack ${this.namePrefix} (resource group ${resourceGroupName}).`,
      });
      warn(
        this,
        'azure-cost-anomaly-subscription',
        `the cost anomaly alert of ${this.namePrefix} watches the whole subscription: Azure's anomaly alerts (Cost Management insight alerts) exist on the subscription scope only, not on a resource group or a tag. Its emails may be about other workloads; set anomalyDetection: false to leave it out.`,
      );
    }
  }

  /** The stop function, its permissions, its hard-stop action group and the near-real-time alerts. */
  private buildStopFunction(props: BudgetProps, router: IBudgetRouter, roles: RoleAssignment[], fleets: FleetRef[]): void {
    const names = this.names;
    const { resourceGroupName, location } = props;
    const hardStop = props.hardStop;
    // The constructor's helper: it sets the stop function's readonly fields, once.
    const self = this as { -readonly [K in keyof Budget]: Budget[K] };

    if (hardStop) {
      for (const e of props.endpoints ?? []) {
        // The reserved set has no autoscale setting; the function finds none for it.
        fleets.push({ cloud: 'azure', id: e.reservedScaleSet.id });
        fleets.push({ cloud: 'azure', id: e.spotScaleSet.id, ...(e.autoscaleSetting ? { autoscaler: e.autoscaleSetting.id } : {}) });
      }
      for (const f of props.fleets ?? []) fleets.push({ cloud: 'azure', id: f.scaleSet, ...(f.autoscaleSetting ? { autoscaler: f.autoscaleSetting } : {}) });
      if (fleets.length === 0) warn(this, 'budget-no-fleets', `the hard stop at ${hardStop.atPercent}% has no GPU scale set to scale to zero: it sets the routers' stop flag only. Pass the stack's GPU endpoints as endpoints (or their scale sets as fleets).`);
    }

    const identity = new UserAssignedIdentity(this, 'Identity', { name: names.identity, resourceGroupName, location });
    self.identity = identity;
    const grant = (grantId: string, scope: string, role: { name: string } | { id: string }, description: string) => {
      const r = new RoleAssignment(this, grantId, {
        scope,
        ...('name' in role ? { roleDefinitionName: role.name } : { roleDefinitionId: role.id }),
        principalId: identity.principalId,
        principalType: 'ServicePrincipal',
        description,
      });
      roles.push(r);
      return r;
    };
    grant('LedgerWriter', router.ledgerTableId, { name: 'Storage Table Data Contributor' }, `Budget stop ${this.namePrefix}: the tenants' spend and the spend-stop record in the router's ledger table`);

    if (fleets.length > 0) {
      const scalerRole = new RoleDefinition(this, 'ScalerRole', {
        // Custom role names are unique in the Entra tenant: the resource group keeps two stacks' apart.
        name: `${names.scalerRole} (${resourceGroupName})`,
        scope: props.resourceGroupId,
        description: `Read and resize the GPU scale sets of the stack ${this.namePrefix}, read and switch their autoscale settings: the budget hard stop and its resume`,
        permissions: [{ actions: [...SCALER_ACTIONS] }],
        assignableScopes: [props.resourceGroupId],
      });
      self.scalerRole = scalerRole;
      const subscription = new DataAzurermSubscription(this, 'Subscription', {});
      const readerRole = new RoleDefinition(this, 'ReaderRole', {
        name: `${names.readerRole} (${resourceGroupName})`,
        scope: subscription.id,
        description: `Read the status of Compute operations and the autoscale settings: the budget hard stop of ${this.namePrefix} waits for its scale set updates`,
        permissions: [{ actions: [...READER_ACTIONS] }],
        assignableScopes: [subscription.id],
      });
      self.readerRole = readerRole;
      const scoped = new Set<string>();
      fleets.forEach((f, i) => {
        if (!scoped.has(f.id)) grant(`ScaleSetScaler${i}`, f.id, { id: scalerRole.roleDefinitionResourceId }, `Budget stop ${this.namePrefix}: scale set ${i}`);
        scoped.add(f.id);
        if (f.autoscaler && !scoped.has(f.autoscaler)) grant(`AutoscaleScaler${i}`, f.autoscaler, { id: scalerRole.roleDefinitionResourceId }, `Budget stop ${this.namePrefix}: autoscale setting of scale set ${i}`);
        if (f.autoscaler) scoped.add(f.autoscaler);
      });
      grant('OperationsReader', subscription.id, { id: readerRole.roleDefinitionResourceId }, `Budget stop ${this.namePrefix}: status of its scale set updates (read-only)`);
    }

    // Storage of the host and the package: Entra ID only, admitted from the function's subnet and the deployers.
    const subnetId = props.subnetId ?? router.subnetId;
    if (props.deployerCidrs === undefined) {
      warn(
        this,
        'azure-budget-deployer-network',
        "No deployerCidrs were given: the budget stop function's storage account admits only its subnet, so terraform apply must run from a subnet with a service endpoint for Storage to upload the code package. Pass the public ranges of the machines that run terraform apply as deployerCidrs.",
      );
    }
    const storage = new StorageAccount(this, 'Storage', {
      name: names.storageAccount,
      resourceGroupName,
      location,
      ...HARDENED_STORAGE,
      accountReplicationType: props.storageAccountReplicationType ?? 'LRS',
      networkRules: { defaultAction: 'Deny', bypass: ['AzureServices'], virtualNetworkSubnetIds: [subnetId], ipRules: (props.deployerCidrs ?? []).map(storageIpRule) },
      blobProperties: { deleteRetentionPolicy: { days: 7 }, containerDeleteRetentionPolicy: { days: 7 } },
    });
    self.storageAccount = storage;
    grant('HostStorage', storage.id, { name: 'Storage Blob Data Owner' }, `Budget stop ${this.namePrefix}: Functions host storage (timer locks) and code package`);

    const packagePath = props.packagePath ?? defaultBudgetPackagePath();
    const pkg = budgetPackage(isAbsolute(packagePath) ? packagePath : resolve(packagePath));
    self.package = pkg;
    const asset = new TerraformAsset(this, 'PackageAsset', { path: pkg.path, type: AssetType.FILE, assetHash: pkg.sha256 });
    const container = new StorageContainer(this, 'PackageContainer', { name: pkg.containerName, storageAccountId: storage.id, containerAccessType: 'private', lifecycle: { createBeforeDestroy: true } });
    self.packageContainer = container;
    const blob = new StorageBlob(this, 'PackageBlob', {
      name: PACKAGE_BLOB_NAME,
      storageAccountName: storage.name,
      storageContainerName: container.name,
      type: 'Block',
      source: asset.path,
      contentType: 'application/zip',
      metadata: { sha256: pkg.sha256 },
      lifecycle: { createBeforeDestroy: true },
    });
    self.packageBlob = blob;

    const workspace = new LogAnalyticsWorkspace(this, 'Logs', { name: names.logAnalytics, resourceGroupName, location, sku: 'PerGB2018', retentionInDays: 30 });
    self.logAnalyticsWorkspace = workspace;
    const appInsights = new ApplicationInsights(this, 'AppInsights', {
      name: names.appInsights,
      resourceGroupName,
      location,
      applicationType: 'web',
      workspaceId: workspace.id,
      localAuthenticationDisabled: true,
    });
    self.appInsights = appInsights;
    grant('TelemetryPublisher', appInsights.id, { name: 'Monitoring Metrics Publisher' }, `Budget stop ${this.namePrefix}: sends its logs (the watch lines)`);

    const plan = new ServicePlan(this, 'Plan', { name: names.servicePlan, resourceGroupName, location, osType: 'Linux', skuName: 'FC1' });
    self.servicePlan = plan;
    const settings: Record<string, string> = {
      AzureWebJobsStorage: '',
      AzureWebJobsStorage__accountName: names.storageAccount,
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: identity.clientId,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${identity.clientId};Authorization=AAD`,
      // A stop waits for each scale set update (minutes for GPU VMs); the action group's webhook retries a failed call.
      AzureFunctionsJobHost__functionTimeout: '00:15:00',
      [BUDGET_ENV.fleets]: JSON.stringify(fleets),
      [BUDGET_ENV.tenants]: JSON.stringify(router.tenants),
      [BUDGET_ENV.monthlyLimitUsd]: String(props.monthlyLimitUsd),
      ...(hardStop ? { [BUDGET_ENV.hardStopPercent]: String(hardStop.atPercent) } : {}),
      [ROUTER_ENV.store]: 'azure-tables',
      [ROUTER_ENV.tablesEndpoint]: router.tablesEndpoint,
      [ROUTER_ENV.ledgerTable]: router.ledgerTable,
      [ROUTER_ENV.rateTable]: router.rateTable,
      [ROUTER_ENV.azureClientId]: identity.clientId,
    };
    const app = new FunctionAppFlexConsumption(this, 'Function', {
      name: names.functionApp,
      resourceGroupName,
      location,
      servicePlanId: plan.id,
      runtimeName: 'node',
      runtimeVersion: BUDGET_NODE_VERSION,
      instanceMemoryInMb: 512,
      // azurerm 4.55 accepts 40 at the least; the function runs one watch every 5 minutes.
      maximumInstanceCount: 40,
      httpConcurrency: 4,
      storageContainerType: 'blobContainer',
      storageContainerEndpoint: `${storage.primaryBlobEndpoint}${container.name}`,
      storageAuthenticationType: 'UserAssignedIdentity',
      storageUserAssignedIdentityId: identity.id,
      identity: { type: 'UserAssigned', identityIds: [identity.id] },
      httpsOnly: true,
      publicNetworkAccessEnabled: true,
      clientCertificateEnabled: false,
      webdeployPublishBasicAuthenticationEnabled: false,
      virtualNetworkSubnetId: subnetId,
      siteConfig: { minimumTlsVersion: '1.2', scmMinimumTlsVersion: '1.2', vnetRouteAllEnabled: true, applicationInsightsConnectionString: appInsights.connectionString },
      appSettings: settings,
      dependsOn: [blob, ...roles],
    });
    self.functionApp = app;
    const sync = new AzapiResourceAction(this, 'SyncTriggers', { type: 'Microsoft.Web/sites@2023-12-01', resourceId: app.id, action: 'syncfunctiontriggers', replaceTriggeredBy: [blob], dependsOn: [app] });
    self.syncTriggers = sync;
    self.stopUrl = `https://${app.defaultHostname}/api/${STOP_FUNCTION_NAME}`;

    // The billed clock's stop: the budget's hard-stop notification calls this group's webhook.
    if (hardStop) {
      const key = new FunctionKey(this, 'FunctionKey', { functionAppId: app.id, functionName: STOP_FUNCTION_NAME, replaceTriggeredBy: [blob], dependsOn: [sync] });
      self.functionKey = key;
      self.stopActionGroup = new MonitorActionGroup(this, 'StopGroup', {
        name: names.stopGroup,
        resourceGroupName,
        location: 'global',
        shortName: names.stopGroupShort,
        webhookReceiver: [{ name: 'budget-stop', serviceUri: `https://${app.defaultHostname}/api/${STOP_FUNCTION_NAME}?code=${key.value}`, useCommonAlertSchema: true }],
      });
    }

    // Alerts: the stack's figure at the design's actual thresholds, each tenant at 80% and 100%.
    const alert = (alertId: string, name: string, description: string, severity: number, scopeId: string, query: string, threshold: number, windowMinutes: number) =>
      new MonitorScheduledQueryRulesAlertV2(this, alertId, {
        name,
        resourceGroupName,
        location,
        description,
        severity,
        scopes: [scopeId],
        evaluationFrequency: 'PT5M',
        windowDuration: `PT${windowMinutes}M`,
        criteria: [
          {
            query: escapeTerraformTemplate(query),
            timeAggregationMethod: 'Maximum',
            metricMeasureColumn: 'budgetUsedPercent',
            operator: 'GreaterThanOrEqual',
            threshold,
            failingPeriods: { minimumFailingPeriodsToTriggerAlert: 1, numberOfEvaluationPeriods: 1 },
          },
        ],
        autoMitigationEnabled: true,
        action: { actionGroups: [this.emailActionGroup.id] },
      });
    const stackAlerts = this.stackAlerts as Record<number, MonitorScheduledQueryRulesAlertV2>;
    for (const percent of actualThresholds(props)) {
      // Three watch runs per window: one late run does not resolve an open alert.
      stackAlerts[percent] = alert(
        `StackAlert${percent}`,
        stackAlertName(this.namePrefix, percent),
        `The routers of ${this.namePrefix} have charged ${percent}% of the stack's monthly budget (${props.monthlyLimitUsd}), as the budget stop function's watch sums the ledger every 5 minutes`,
        percent >= 100 ? 0 : 2,
        appInsights.id,
        WATCH_QUERY,
        percent,
        15,
      );
    }
    if (props.hardStop) {
      // The stop function's own notice: what it stopped or restored, within 5 minutes of it.
      (this as { stopNoticeAlert?: MonitorScheduledQueryRulesAlertV2 }).stopNoticeAlert = new MonitorScheduledQueryRulesAlertV2(this, 'StopNoticeAlert', {
        name: fitName(['alert', this.namePrefix, 'stop-notice'], 260),
        resourceGroupName,
        location,
        description: `The budget stop function of ${this.namePrefix} stopped paid calls and scaled the GPU fleets to zero, or resumed them; its log line says which and why (docs/azure/budget.md)`,
        severity: 0,
        scopes: [appInsights.id],
        evaluationFrequency: 'PT5M',
        windowDuration: 'PT5M',
        criteria: [{ query: escapeTerraformTemplate(NOTICE_QUERY), timeAggregationMethod: 'Total', metricMeasureColumn: 'notices', operator: 'GreaterThan', threshold: 0, failingPeriods: { minimumFailingPeriodsToTriggerAlert: 1, numberOfEvaluationPeriods: 1 } }],
        autoMitigationEnabled: false,
        action: { actionGroups: [this.emailActionGroup.id] },
      });
    }
    const tenantAlerts = this.tenantAlerts as Record<string, Record<number, MonitorScheduledQueryRulesAlertV2>>;
    for (const tenant of router.tenants) {
      tenantAlerts[tenant] = {};
      for (const percent of TENANT_ALERT_PERCENTS) {
        // An hour's window: a tenant's level only rises within a month, and a quiet spell must not resolve the alert.
        tenantAlerts[tenant][percent] = alert(
          `TenantAlert-${tenant}-${percent}`,
          tenantAlertName(this.namePrefix, tenant, percent),
          `Tenant ${tenant} of ${this.namePrefix} has used ${percent}% of its monthly budget (this router's share); at 100% its paid calls are answered 402`,
          percent >= 100 ? 1 : 2,
          router.appInsightsId,
          tenantBudgetQuery(tenant),
          percent,
          60,
        );
      }
    }
  }
}

