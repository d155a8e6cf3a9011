import { CapacityReservation } from '@cdktf/provider-azurerm/lib/capacity-reservation';
import { DataAzurermSubnet } from '@cdktf/provider-azurerm/lib/data-azurerm-subnet';
import { CapacityReservationGroup } from '@cdktf/provider-azurerm/lib/capacity-reservation-group';
import { Lb } from '@cdktf/provider-azurerm/lib/lb';
import { LbBackendAddressPool } from '@cdktf/provider-azurerm/lib/lb-backend-address-pool';
import { LbProbe } from '@cdktf/provider-azurerm/lib/lb-probe';
import { LbRule } from '@cdktf/provider-azurerm/lib/lb-rule';
import { MonitorAutoscaleSetting } from '@cdktf/provider-azurerm/lib/monitor-autoscale-setting';
import { NetworkSecurityGroup } from '@cdktf/provider-azurerm/lib/network-security-group';
import { NetworkSecurityRule } from '@cdktf/provider-azurerm/lib/network-security-rule';
import {
  OrchestratedVirtualMachineScaleSet,
  type OrchestratedVirtualMachineScaleSetConfig,
  type OrchestratedVirtualMachineScaleSetExtension,
} from '@cdktf/provider-azurerm/lib/orchestrated-virtual-machine-scale-set';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { SubnetNetworkSecurityGroupAssociation } from '@cdktf/provider-azurerm/lib/subnet-network-security-group-association';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { Fn, Token, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { fitName, planFleet, Problems, refuseInvalidProps, resolveGpuEndpoint, type FleetPlan, type GpuEndpointDesign, type NamePrefixProps, type ResolvedGpuEndpoint } from '../design';
import { namePrefixOf } from '../cdktf/name-prefix';
import { warn, warnOwnNetwork } from '../cdktf/warnings';
import { offPeakRecurrences } from './gpu-endpoint/rules';
import { autoscaleProfiles } from './gpu-endpoint/autoscale';
import { customData, metricSeedScript, renderCloudInit } from './gpu-endpoint/cloud-init';
import { scaleSetCounts, type ScaleSetCounts } from './gpu-endpoint/counts';
import { NO_LOGIN_SSH_PUBLIC_KEY } from './gpu-endpoint/no-login-key';
import { parseSecretId, secretResourceId, type KeyVaultSecretRef } from './gpu-endpoint/secrets';
import { SUBNET_ID, validateAzureEndpoint } from './gpu-endpoint/validate';
import { PrivateNetwork } from './network';

export type { KeyVaultSecretRef } from './gpu-endpoint/secrets';

/** How instance mix (`sku_profile`) picks among several VM sizes in the burst scale set. */
export class InstanceMixAllocationStrategy {
  /**
   * Fill from the cheapest size that has capacity, then the next; Azure's default and its recommendation
   * for Spot, whose price differences between sizes are largest.
   */
  public static readonly LOWEST_PRICE = new InstanceMixAllocationStrategy('LowestPrice');
  /** Prefer the sizes with the most spare capacity (fewer evictions), regardless of price. */
  public static readonly CAPACITY_OPTIMIZED = new InstanceMixAllocationStrategy('CapacityOptimized');

  /** A strategy by its Azure name, for one this class does not list yet. */
  public static of(value: string): InstanceMixAllocationStrategy {
    return new InstanceMixAllocationStrategy(value);
  }

  private constructor(public readonly value: string) {}
}

/** A marketplace image (`source_image_reference`). */
export interface SourceImage {
  readonly publisher: string;
  readonly offer: string;
  readonly sku: string;
  /**
   * Image version.
   * @default 'latest' - the newest version when each VM is created
   */
  readonly version?: string;
}

/** Ubuntu Server 22.04 LTS, generation 2 (the A100/H100 sizes are generation-2 only). */
export const UBUNTU_2204_GEN2: SourceImage = { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: 'latest' };

/** NVIDIA GPU driver VM extension: publisher, type and the handler version pinned (minor upgrades on). */
export const NVIDIA_DRIVER_EXTENSION = { publisher: 'Microsoft.HpcCompute', type: 'NvidiaGpuDriverLinux', typeHandlerVersion: '1.6' } as const;

/** Admin user of every replica (login only with `sshPublicKey`; never a password). */
export const ADMIN_USERNAME = 'aistack';

/** Custom Script extension (v2) that seeds the GPU metric before a replica reports provisioned. */
export const METRIC_SEED_EXTENSION = { name: 'AiStackGpuMetricSeed', publisher: 'Microsoft.Azure.Extensions', type: 'CustomScript', typeHandlerVersion: '2.1' } as const;

/**
 * Props of the Azure {@link GpuEndpoint}: the neutral design (including `startupGraceSeconds`; Azure's
 * load balancer does not drain, so `drainSeconds` is not used) plus Azure overrides. Unknown props are
 * refused.
 */
export interface GpuEndpointProps extends GpuEndpointDesign, NamePrefixProps {
  /** Resource group every resource is created in. */
  readonly resourceGroupName: string;
  /** Azure region, e.g. `eastus2`. */
  readonly location: string;
  /**
   * Subnet the replicas and the internal load balancer's frontend are placed in. It must give the
   * replicas outbound internet access (a NAT gateway or firewall): they download the GPU driver,
   * Docker, the NVIDIA container toolkit and the server image at boot. Pass the stack's subnet:
   * without it each endpoint builds its own network (a synth warning says so).
   * @default - a new virtual network (10.40.0.0/16) with a private subnet (10.40.0.0/20, no default
   *   outbound access) whose egress goes through a new NAT gateway with one static public IP
   */
  readonly subnetId?: string;
  /**
   * Address ranges (IPv4 CIDR or address) admitted to the server port by the security group, besides
   * the load balancer's health probe (`AzureLoadBalancer`). The internal load balancer keeps the
   * client's address, so these are the clients' own ranges; list the endpoint subnet's range too if
   * clients there need the endpoint. Replaces the default. Same prop as on GCP.
   * @default - the endpoint subnet's own range only: the created subnet's prefix, or, with `subnetId`,
   *   the prefixes read from the subnet with the `azurerm_subnet` data source (which needs the subnet in
   *   the provider's subscription; pass `clientCidrs` otherwise). Not the `VirtualNetwork` service tag,
   *   which also admits every peered network and on-premises range
   */
  readonly clientCidrs?: readonly string[];
  /**
   * Key Vault secrets exposed to the server container as environment variables (variable name →
   * secret), e.g. `{ HF_TOKEN: { secretId, keyVaultId } }` for a gated Hugging Face model. The replicas'
   * identity gets the built-in role "Key Vault Secrets User" on each secret alone (the vault must use
   * Azure RBAC, not access policies); at boot each replica reads the current versions with its managed
   * identity into a root-only env file on tmpfs passed with `--env-file`, and stops before starting the
   * server if any read fails. Only the secret ids are in `custom_data` and the Terraform state.
   * @default - no secrets
   */
  readonly serverSecrets?: Readonly<Record<string, KeyVaultSecretRef>>;
  /**
   * OpenSSH public key (`ssh-ed25519 …` or `ssh-rsa …`, 2048 bits or more) of the `aistack` admin user.
   * Password login is always disabled. The security group admits no SSH: reach replicas through
   * Azure Bastion or a rule you add to `securityGroup`.
   * @default - nobody can log in: Azure requires an admin key, so the VMs get a public key whose private
   *   key exists nowhere (derived from a hash) and cloud-init masks the SSH daemon
   */
  readonly sshPublicKey?: string;
  /**
   * Image of every replica. It must be an apt-based Linux (Ubuntu) with cloud-init.
   * @default - {@link UBUNTU_2204_GEN2}, Ubuntu Server 22.04 LTS gen2
   */
  readonly sourceImage?: SourceImage;
  /**
   * Install the NVIDIA driver with the `NvidiaGpuDriverLinux` VM extension (Microsoft.HpcCompute).
   * Set false with an image that ships the driver (e.g. the Ubuntu-HPC image for ND-series sizes).
   * @default true
   */
  readonly installGpuDriver?: boolean;
  /**
   * Scale the burst scale set on GPU utilization: every replica publishes its GPU utilization each
   * minute as the custom metric `aistack/gpu` / `GpuUtilization` on the endpoint's internal load
   * balancer (with its managed identity, granted "Monitoring Metrics Publisher" and "Monitoring Reader"
   * on that load balancer only), and autoscale holds `scaling.targetGpuUtilization`. Each new replica
   * seeds the metric before it reports provisioned, so the autoscale setting is created after the metric
   * exists (Azure rejects a setting on a custom metric never published). When false, no metric is
   * published, no role is assigned and autoscale uses host CPU only (a poor proxy for GPU inference load).
   * @default true
   */
  readonly scaleOnGpuUtilization?: boolean;
  /**
   * Encrypt the VMs' temporary disk and disk caches at the host. Needs the subscription feature
   * `Microsoft.Compute/EncryptionAtHost` registered and a VM size that supports it. Managed disks are
   * encrypted at rest with platform-managed keys either way.
   * @default true
   */
  readonly encryptionAtHost?: boolean;
  /**
   * VM sizes the burst scale set may use, cheapest first. With two or more the set uses instance mix
   * (`sku_name = "Mix"` + `sku_profile`, at most five sizes); with one it uses that size. Every size
   * must carry the same accelerator count. The reserved set always uses the plan's primary size.
   * @default - every size the catalog lists for the accelerator and count on Azure, cheapest first
   */
  readonly spotVmSizes?: readonly string[];
  /**
   * How instance mix picks among `spotVmSizes` (used only with two or more sizes).
   * @default InstanceMixAllocationStrategy.LOWEST_PRICE
   */
  readonly spotAllocationStrategy?: InstanceMixAllocationStrategy;
}

/**
 * A self-hosted model server on Azure GPU VMs behind an internal load balancer, bought as the design's
 * purchase mix:
 *
 * - the reserved replicas run in a Regular-priority orchestrated scale set bound to an on-demand
 *   capacity reservation of the primary VM size;
 * - everything above the reservation runs in a second orchestrated scale set with Spot Priority Mix
 *   (`base_regular_count` = on-demand base, `regular_percentage_above_base` = 100 − spot %), scaled by an
 *   Azure Monitor autoscale setting on GPU utilization with an optional off-peak minimum.
 *
 * All counts come from the design's {@link FleetPlan}, the same numbers the cost estimate prices.
 */
export class GpuEndpoint extends Construct {
  /** The fleet plan every count here derives from. */
  public readonly plan: FleetPlan;
  /** The design with every default filled in, for Azure. */
  public readonly resolved: ResolvedGpuEndpoint;
  /** Prefix of every physical name of this endpoint. */
  public readonly namePrefix: string;
  /** Instances and autoscale bounds of the two scale sets. */
  public readonly counts: ScaleSetCounts;
  /** The network created when no `subnetId` was given. */
  public readonly network?: PrivateNetwork;
  /** Subnet of the replicas and the load balancer frontend. */
  public readonly subnetId: string;
  /** Security group on every replica NIC: the server port from `clientCidrs` and the load balancer probe only. */
  public readonly securityGroup: NetworkSecurityGroup;
  /** Sources admitted to the server port (besides the load balancer probe). */
  public readonly clientCidrs: readonly string[];
  /** The `azurerm_subnet` data source the default `clientCidrs` are read from, with `subnetId` and no `clientCidrs`. */
  public readonly subnetData?: DataAzurermSubnet;
  /** User-assigned identity of every replica. */
  public readonly identity: UserAssignedIdentity;
  public readonly loadBalancer: Lb;
  /** Backend pool both scale sets join. */
  public readonly backendPool: LbBackendAddressPool;
  public readonly probe: LbProbe;
  public readonly rule: LbRule;
  /** Present when `purchase.reserved` > 0. */
  public readonly capacityReservationGroup?: CapacityReservationGroup;
  /** Present when `purchase.reserved` > 0: `purchase.reserved` instances of the primary size. */
  public readonly capacityReservation?: CapacityReservation;
  /** Regular-priority scale set on the reservation, `purchase.reserved` instances (none when 0). */
  public readonly reservedScaleSet: OrchestratedVirtualMachineScaleSet;
  /**
   * The burst scale set above the reservation: Spot priority with a priority mix, or Regular priority
   * when the plan never buys spot (spotPercentAboveBase 0, or a size Azure sells no spot of).
   */
  public readonly spotScaleSet: OrchestratedVirtualMachineScaleSet;
  /** "Monitoring Metrics Publisher" on the load balancer for the replicas' identity (GPU metric). */
  public readonly metricsPublisher?: RoleAssignment;
  /** "Monitoring Reader" on the load balancer for the replicas' identity: the seed checks the GPU metric is defined. */
  public readonly metricsReader?: RoleAssignment;
  /** "Key Vault Secrets User" on each of `serverSecrets`, by variable name. */
  public readonly secretReaders: Readonly<Record<string, RoleAssignment>>;
  /** Autoscale of the burst scale set; absent when the fleet is wholly reserved (`capacity.max` = `purchase.reserved`). */
  public readonly autoscaleSetting?: MonitorAutoscaleSetting;
  /** `http://<load balancer private IP>:<port>`, reachable from the virtual network. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: GpuEndpointProps) {
    super(scope, id);
    refuseInvalidProps(this.node.path, (problems) => validateAzureEndpoint(props, 'props', problems));
    const resolved = resolveGpuEndpoint(props, 'azure');
    const offPeak = resolved.scaling.offPeak;
    // Validated above: the conversion finds no new problem here.
    const recurrences = offPeakRecurrences(props, 'props', new Problems());

    this.resolved = resolved;
    this.plan = planFleet(resolved);
    this.counts = scaleSetCounts(this.plan, offPeak?.min);
    const { server } = resolved;
    const { resourceGroupName, location } = props;
    this.namePrefix = namePrefixOf(this, props.namePrefix);
    // Every physical name: kind, prefix, endpoint name; within Azure's 64-80 characters.
    const name = fitName([this.namePrefix, resolved.name], 41);
    const primarySize = this.plan.instanceTypes[0].type;
    const burstSizes = [...(props.spotVmSizes ?? this.plan.instanceTypes.map((t) => t.type))];
    const spot = this.counts.priorityMix !== undefined;
    const gpuScaling = props.scaleOnGpuUtilization ?? true;
    const burstName = `vmss-${name}-${spot ? 'spot' : 'burst'}`;
    const lbName = `lbi-${name}`;
    // Autoscale exists only when the burst set can hold replicas; the GPU metric is published only for it.
    const autoscaled = this.counts.burstMax > 0;
    const publishGpu = gpuScaling && autoscaled;
    this.warnAboutDriver(props, primarySize);
    if (props.drainSeconds !== undefined) {
      warn(this, 'azure-no-drain', `drainSeconds (${props.drainSeconds}) is not used on Azure: its load balancer has no connection draining, so a leaving replica's open requests end with it.`);
    }

    // Network: bring your own subnet, or a private one with NAT egress.
    const waitFor: ITerraformDependable[] = [];
    if (props.subnetId !== undefined) {
      this.subnetId = props.subnetId;
      if (props.clientCidrs === undefined) this.subnetData = this.readSubnet(props.subnetId);
    } else {
      warnOwnNetwork(
        this,
        'azure-endpoint-own-network',
        'No subnetId was given, so this endpoint creates its own virtual network, subnet, NAT gateway and public IP for egress.',
        "Pass the stack's subnet as subnetId to every GpuEndpoint so they share one network.",
      );
      this.network = new PrivateNetwork(this, 'Network', { name, resourceGroupName, location });
      this.subnetId = this.network.subnet.id;
      waitFor.push(this.network.egressAssociation);
    }
    this.clientCidrs = props.clientCidrs ?? this.subnetData?.addressPrefixes ?? [this.network!.subnetPrefix];

    this.securityGroup = new NetworkSecurityGroup(this, 'SecurityGroup', { name: `nsg-${name}`, resourceGroupName, location });
    const nsgRule = (
      ruleId: string,
      ruleName: string,
      priority: number,
      access: 'Allow' | 'Deny',
      source: { sourceAddressPrefix: string } | { sourceAddressPrefixes: string[] },
      port: string,
      description: string,
    ) =>
      new NetworkSecurityRule(this, ruleId, {
        name: ruleName,
        resourceGroupName,
        networkSecurityGroupName: this.securityGroup.name,
        priority,
        direction: 'Inbound',
        access,
        protocol: access === 'Allow' ? 'Tcp' : '*',
        ...source,
        sourcePortRange: '*',
        destinationAddressPrefix: '*',
        destinationPortRange: port,
        description,
      });
    waitFor.push(
      nsgRule(
        'AllowServerFromClients',
        'allow-server-from-clients',
        100,
        'Allow',
        { sourceAddressPrefixes: [...this.clientCidrs] },
        String(server.port),
        'Model server port from the client ranges (the internal load balancer keeps the client address)',
      ),
      nsgRule('AllowServerFromLbProbe', 'allow-server-from-lb-probe', 110, 'Allow', { sourceAddressPrefix: 'AzureLoadBalancer' }, String(server.port), 'Load balancer health probe'),
      nsgRule('DenyAllInbound', 'deny-all-inbound', 4096, 'Deny', { sourceAddressPrefix: '*' }, '*', 'Nothing else inbound, overriding the default allow-within-VNet rule'),
    );
    if (this.network) {
      new SubnetNetworkSecurityGroupAssociation(this, 'SubnetSecurityGroup', { subnetId: this.subnetId, networkSecurityGroupId: this.securityGroup.id });
    }

    this.identity = new UserAssignedIdentity(this, 'Identity', { name: `id-${name}`, resourceGroupName, location });
    const grant = (grantId: string, scope: string, roleDefinitionName: string, description: string) =>
      new RoleAssignment(this, grantId, { scope, roleDefinitionName, principalId: this.identity.principalId, principalType: 'ServicePrincipal', description });

    // Key Vault secrets: read access to each secret alone, granted before any replica boots.
    const secrets = props.serverSecrets ?? {};
    const secretUrls: Record<string, string> = {};
    const secretReaders: Record<string, RoleAssignment> = {};
    for (const envName of Object.keys(secrets).sort()) {
      const ref = secrets[envName];
      const parsed = parseSecretId(ref.secretId);
      if ('error' in parsed) throw new Error(`internal error: props.serverSecrets.${envName}.secretId passed validation but does not parse`);
      secretUrls[envName] = parsed.url;
      secretReaders[envName] = grant(
        `SecretReader-${envName}`,
        secretResourceId(ref.keyVaultId, parsed.name),
        'Key Vault Secrets User',
        `GPU endpoint ${name}: replicas read ${envName} at boot`,
      );
      waitFor.push(secretReaders[envName]);
    }
    this.secretReaders = secretReaders;

    // Internal Standard load balancer shared by both scale sets.
    this.loadBalancer = new Lb(this, 'LoadBalancer', {
      name: lbName,
      resourceGroupName,
      location,
      sku: 'Standard',
      frontendIpConfiguration: [{ name: 'frontend', subnetId: this.subnetId, privateIpAddressAllocation: 'Dynamic' }],
    });
    this.backendPool = new LbBackendAddressPool(this, 'BackendPool', { name: 'replicas', loadbalancerId: this.loadBalancer.id });
    this.probe = new LbProbe(this, 'Probe', {
      name: 'server-health',
      loadbalancerId: this.loadBalancer.id,
      protocol: 'Http',
      port: server.port,
      requestPath: server.healthPath,
      intervalInSeconds: 5,
      numberOfProbes: 2,
    });
    this.rule = new LbRule(this, 'Rule', {
      name: 'server',
      loadbalancerId: this.loadBalancer.id,
      protocol: 'Tcp',
      frontendIpConfigurationName: 'frontend',
      frontendPort: server.port,
      backendPort: server.port,
      backendAddressPoolIds: [this.backendPool.id],
      probeId: this.probe.id,
      // Long generations stream for minutes: keep idle connections open, and reset rather than drop them.
      idleTimeoutInMinutes: 30,
      tcpResetEnabled: true,
      disableOutboundSnat: true,
    });
    this.url = `http://${this.loadBalancer.privateIpAddress}:${server.port}`;

    // GPU metric: published against the load balancer, which exists before either scale set, so the
    // roles can be in place before any replica boots and every first replica can seed the metric.
    if (publishGpu) {
      this.metricsPublisher = grant(
        'MetricsPublisher',
        this.loadBalancer.id,
        'Monitoring Metrics Publisher',
        `GPU endpoint ${name}: replicas publish GPU utilization for autoscale`,
      );
      this.metricsReader = grant(
        'MetricsReader',
        this.loadBalancer.id,
        'Monitoring Reader',
        `GPU endpoint ${name}: a new replica checks its GPU metric is defined before it reports provisioned`,
      );
      waitFor.push(this.metricsPublisher, this.metricsReader);
    }

    const cloudConfig = renderCloudInit({
      endpoint: name,
      image: server.image,
      model: server.model,
      port: server.port,
      args: server.args,
      env: server.env,
      acceleratorsPerReplica: resolved.acceleratorsPerReplica,
      secrets: secretUrls,
      sshEnabled: props.sshPublicKey !== undefined,
      metricsLoadBalancerName: publishGpu ? lbName : undefined,
    });
    const base = this.scaleSetBase(props, resolved, name, customData(cloudConfig), publishGpu ? lbName : undefined);

    // Reserved baseline: Regular priority on the capacity reservation.
    const reservedDeps = [...waitFor];
    if (this.counts.reserved > 0) {
      this.capacityReservationGroup = new CapacityReservationGroup(this, 'CapacityReservationGroup', { name: `crg-${name}`, resourceGroupName, location });
      this.capacityReservation = new CapacityReservation(this, 'CapacityReservation', {
        name: `cr-${name}`,
        capacityReservationGroupId: this.capacityReservationGroup.id,
        sku: { name: primarySize, capacity: this.counts.reserved },
      });
      reservedDeps.push(this.capacityReservation);
    }
    this.reservedScaleSet = new OrchestratedVirtualMachineScaleSet(this, 'ReservedScaleSet', {
      ...base('r'),
      name: `vmss-${name}-reserved`,
      priority: 'Regular',
      skuName: primarySize,
      instances: this.counts.reserved,
      capacityReservationGroupId: this.capacityReservationGroup?.id,
      dependsOn: reservedDeps,
    });

    // Burst: everything above the reservation, Spot Priority Mix when the plan buys spot.
    this.spotScaleSet = new OrchestratedVirtualMachineScaleSet(this, 'SpotScaleSet', {
      ...base('b'),
      name: burstName,
      ...(burstSizes.length > 1
        ? {
            skuName: 'Mix',
            skuProfile: { allocationStrategy: (props.spotAllocationStrategy ?? InstanceMixAllocationStrategy.LOWEST_PRICE).value, vmSizes: burstSizes },
          }
        : { skuName: burstSizes[0] }),
      instances: this.counts.burstMin,
      ...(this.counts.priorityMix
        ? { priority: 'Spot', evictionPolicy: 'Delete', maxBidPrice: -1, priorityMix: { ...this.counts.priorityMix } }
        : { priority: 'Regular' }),
      dependsOn: waitFor,
      // Autoscale owns the instance count after creation.
      lifecycle: autoscaled ? { ignoreChanges: ['instances'] } : undefined,
    });

    if (autoscaled) {
      this.autoscaleSetting = new MonitorAutoscaleSetting(this, 'Autoscale', {
        name: `autoscale-${name}`,
        resourceGroupName,
        location,
        targetResourceId: this.spotScaleSet.id,
        profile: autoscaleProfiles({
          scaleSetId: this.spotScaleSet.id,
          gpuMetricResourceId: publishGpu ? this.loadBalancer.id : undefined,
          targetGpuUtilization: resolved.scaling.targetGpuUtilization,
          min: this.counts.burstMin,
          max: this.counts.burstMax,
          offPeak: recurrences && this.counts.burstOffPeakMin !== undefined ? { min: this.counts.burstOffPeakMin, ...recurrences } : undefined,
        }),
        // Both scale sets' first replicas have seeded the GPU metric by the time their sets are created.
        dependsOn: [this.reservedScaleSet],
      });
    }
  }

  /**
   * The `azurerm_subnet` data source of a given subnet id, for its address prefixes. The id's resource
   * group, network and subnet names are parsed at synth when it is a literal, by Terraform otherwise.
   */
  private readSubnet(subnetId: string): DataAzurermSubnet {
    let parts: { resourceGroupName: string; virtualNetworkName: string; name: string };
    const m = SUBNET_ID.exec(subnetId);
    if (m) {
      parts = { resourceGroupName: m[1], virtualNetworkName: m[2], name: m[3] };
    } else {
      // A token (validation rejected any other literal): split the id in Terraform.
      const segments = Fn.split('/', subnetId);
      const at = (i: number) => Token.asString(Fn.element(segments, i));
      parts = { resourceGroupName: at(4), virtualNetworkName: at(8), name: at(10) };
    }
    return new DataAzurermSubnet(this, 'Subnet', parts);
  }

  /** What both scale sets share; `role` ('r' reserved, 'b' burst) suffixes the computer names. */
  private scaleSetBase(props: GpuEndpointProps, resolved: ResolvedGpuEndpoint, name: string, userData: string, metricsLoadBalancerName: string | undefined) {
    const image = props.sourceImage ?? UBUNTU_2204_GEN2;
    const { server } = resolved;
    const extensions: OrchestratedVirtualMachineScaleSetExtension[] = [];
    const driver = props.installGpuDriver ?? true;
    if (driver) {
      extensions.push({ name: 'NvidiaGpuDriverLinux', ...NVIDIA_DRIVER_EXTENSION, autoUpgradeMinorVersionEnabled: true, settings: JSON.stringify({}) });
    }
    if (metricsLoadBalancerName !== undefined) {
      // Holds each new replica's provisioning until the GPU metric exists (see metricSeedScript).
      const script = Buffer.from(metricSeedScript({ endpoint: resolved.name, loadBalancerName: metricsLoadBalancerName }), 'utf8').toString('base64');
      const path = '/usr/local/sbin/ai-stack-gpu-metric-seed';
      extensions.push({
        name: METRIC_SEED_EXTENSION.name,
        publisher: METRIC_SEED_EXTENSION.publisher,
        type: METRIC_SEED_EXTENSION.type,
        typeHandlerVersion: METRIC_SEED_EXTENSION.typeHandlerVersion,
        autoUpgradeMinorVersionEnabled: true,
        settings: JSON.stringify({ commandToExecute: `echo ${script} | base64 -d > ${path} && chmod 700 ${path} && bash ${path}` }),
        extensionsToProvisionAfterVmCreation: driver ? ['NvidiaGpuDriverLinux'] : undefined,
      });
    }
    // Reports each replica's health from the server's health path, for automatic instance repair.
    extensions.push({
      name: 'ApplicationHealthLinux',
      publisher: 'Microsoft.ManagedServices',
      type: 'ApplicationHealthLinux',
      typeHandlerVersion: '2.0',
      autoUpgradeMinorVersionEnabled: true,
      settings: JSON.stringify({ protocol: 'http', port: server.port, requestPath: server.healthPath, intervalInSeconds: 15, numberOfProbes: 2 }),
    });
    return (role: 'r' | 'b') =>
      ({
        resourceGroupName: props.resourceGroupName,
        location: props.location,
        // Capacity reservations and Spot Priority Mix both need a single fault domain on flexible scale sets.
        platformFaultDomainCount: 1,
        singlePlacementGroup: false,
        encryptionAtHostEnabled: props.encryptionAtHost ?? true,
        identity: { type: 'UserAssigned', identityIds: [this.identity.id] },
        sourceImageReference: { publisher: image.publisher, offer: image.offer, sku: image.sku, version: image.version ?? 'latest' },
        osDisk: { caching: 'ReadWrite', storageAccountType: 'Premium_LRS', diskSizeGb: resolved.rootVolumeGiB },
        osProfile: {
          customData: userData,
          linuxConfiguration: {
            adminUsername: ADMIN_USERNAME,
            computerNamePrefix: `${name}-${role}`,
            disablePasswordAuthentication: true,
            adminSshKey: [{ username: ADMIN_USERNAME, publicKey: props.sshPublicKey ?? NO_LOGIN_SSH_PUBLIC_KEY }],
            provisionVmAgent: true,
          },
        },
        networkInterface: [
          {
            name: 'nic',
            primary: true,
            enableAcceleratedNetworking: true,
            networkSecurityGroupId: this.securityGroup.id,
            // No public IP configuration: replicas are reachable only inside the network.
            ipConfiguration: [{ name: 'ipconfig', primary: true, subnetId: this.subnetId, loadBalancerBackendAddressPoolIds: [this.backendPool.id] }],
          },
        ],
        // Managed boot diagnostics storage (no storage account to create or secure).
        bootDiagnostics: {},
        extension: extensions,
        automaticInstanceRepair: { enabled: true, gracePeriod: isoMinutes(resolved.startupGraceSeconds), action: 'Replace' },
      }) satisfies Partial<OrchestratedVirtualMachineScaleSetConfig>;
  }

  private warnAboutDriver(props: GpuEndpointProps, size: string): void {
    if ((props.installGpuDriver ?? true) && props.sourceImage === undefined && /^Standard_ND|H100|H200/.test(size)) {
      warn(
        this,
        'azure-gpu-driver',
        `${size}: the NvidiaGpuDriverLinux extension documents support for the NC and NV families; ` +
          `for ND-series and H100/H200 sizes use an image that ships the driver (e.g. sourceImage { publisher: 'microsoft-dsvm', offer: 'ubuntu-hpc', sku: '2204', version: 'latest' }) with installGpuDriver: false.`,
      );
    }
  }
}

/** Seconds as an ISO 8601 duration in minutes (and seconds), e.g. 900 → `PT15M`. */
function isoMinutes(seconds: number): string {
  const rest = seconds % 60;
  return `PT${Math.floor(seconds / 60)}M${rest > 0 ? `${rest}S` : ''}`;
}
